// Long runs the Logic Apps way (issue 13 item 3), over real HTTP through the local host, its queue trigger and
// Azurite, against the sandbox, on one Defender API per test file (asyncRuns.test.ts: Graph, asyncRunsLegacy.test.ts:
// legacy). The caller does what a stateful Logic Apps HTTP action does with a 202 (integration-conventions.md §1.4,
// from Microsoft's connectors-native-http.md "Asynchronous request-response behavior" and the logicappsio
// LogicAppsAsyncResponseSample): it takes the absolute `Location`, waits `Retry-After`, and GETs it until the answer
// is not 202. Time is scaled down: HTTP_DEADLINE_SECONDS 6 (100 s in Azure, inside Logic Apps' 120 s limit), the sandbox's quota "minute"
// is 3 s, and reports are kept 0.003 h (about 11 s) instead of 24 h.
// The Location is a capability URL (its `token` query grants reading that one run's report): polls carry no function
// key, because Logic Apps' polls re-apply only the action's authentication setting, not the caller's `code=` query
// or `x-functions-key` header (Azure/logicapps#611), and callers commonly put the key in the URL.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { registerSecrets } from '../setup/logCapture';
import { errorOf, startHarness, storedIncident, toReply, type Harness, type Reply } from './harness';

/** An active seed incident of the sandbox (see sandbox/seed/incidents.ts). */
const INCIDENT = 3311;
const DEADLINE_SECONDS = 6;
const RUN_URL =
  /^http:\/\/127\.0\.0\.1:\d+\/api\/workflows\/[a-z-]+\/runs\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\?token=[A-Za-z0-9_-]{43}$/;

/** GET an absolute URL as Logic Apps' poll does: exactly as given, with no function key. */
async function getAnonymous(url: string): Promise<Reply> {
  const res = await fetch(url);
  return toReply(res, await res.text());
}

/** The status URL's token (registered with the log scan: it must never be printed). */
function tokenOf(url: string): string {
  const token = new URL(url).searchParams.get('token') ?? '';
  registerSecrets([token]);
  return token;
}

interface Accepted {
  runId: string;
  workflow: string;
  status: string;
  statusUrl: string;
  handoff: { reason: string; at: string };
}

export function describeAsyncRuns(api: 'graph' | 'legacy'): void {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      api,
      settings: { HTTP_DEADLINE_SECONDS: String(DEADLINE_SECONDS), RUN_REPORT_RETENTION_HOURS: '0.003' },
    });
  });

  after(async () => {
    await h?.close();
  });

  beforeEach(() => h.sandbox.control.reset());

  const resolve = (incidentId: string, headers: Record<string, string> = {}) =>
    h.call('POST', '/api/workflows/ticket-closed-resolve/run', {
      body: { input: { incidentId, ticketId: 'INC0042', closeCode: 'True positive - malware' } },
      headers,
    });

  /**
   * GETs the status URL as Logic Apps does (the Location exactly as returned, query included, no function key), until
   * the answer is not 202; every answer, in order.
   */
  async function poll(location: string, timeoutMs = 60_000): Promise<Reply[]> {
    tokenOf(location);
    assert.ok(RUN_URL.test(location), 'an absolute status URL on the app’s own host, with its token');
    assert.ok(location.startsWith(h.host.url));
    const answers: Reply[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await getAnonymous(location);
      answers.push(r);
      if (r.status !== 202) return answers;
      assert.equal(r.headers.get('location'), location, 'each 202 names the same status URL');
      assert.ok(Number(r.headers.get('retry-after')) >= 1, 'and a Retry-After');
      if (Date.now() > deadline) throw new Error(`still 202 after ${timeoutMs} ms`);
      // Quicker than the Retry-After asks: the test need not wait ten seconds.
      await new Promise((res) => setTimeout(res, 150));
    }
  }

  function accepted(r: Reply): Accepted {
    assert.equal(r.status, 202, r.text);
    const body = r.json<Accepted>();
    assert.equal(r.headers.get('location'), body.statusUrl);
    assert.equal(r.headers.get('retry-after'), '10');
    return body;
  }

  describe(`asynchronous runs on the ${api} API`, () => {
    it('Prefer: respond-async → 202 with an absolute Location and Retry-After; polls get 202, then the report', async () => {
      // Each API call takes 300 ms, so the run is still going when the first poll comes.
      h.sandbox.control.injectFaults({ target: 'api', delayMs: 300 });
      const r = await resolve(String(INCIDENT), { prefer: 'respond-async' });
      const run = accepted(r);
      assert.equal(r.headers.get('preference-applied'), 'respond-async');
      assert.deepEqual(
        [run.workflow, run.status, run.handoff.reason],
        ['ticket-closed-resolve', 'queued', 'respond-async'],
      );
      assert.equal(storedIncident(h, INCIDENT).status, 'active', 'nothing ran before the answer');

      const answers = await poll(run.statusUrl);
      assert.ok(answers.length >= 2, 'at least one 202 before the report');
      const done = answers.at(-1) as Reply;
      assert.equal(done.status, 200, done.text);
      const report = done.json<RunReport>();
      assert.deepEqual(
        [report.runId, report.status, report.handoff?.reason],
        [run.runId, 'succeeded', 'respond-async'],
      );
      const incident = storedIncident(h, INCIDENT);
      assert.deepEqual([incident.status, incident.classification], ['resolved', 'truePositive']);
    });

    it('a run that must wait for quota answers 202 before the deadline and completes from the queue, once', async () => {
      // Three incident calls each (read, update, comment): over three times the sandbox's per-"minute" quota (50
      // per 3 s), so about ten seconds at the quota's pace, against a 6 s deadline.
      const month = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const stale = Array.from({ length: 60 }, () =>
        String(
          h.sandbox.control.addIncident({ status: 'active', createdDateTime: month, lastUpdateDateTime: month }).id,
        ),
      );
      const sentAt = Date.now();
      const post = () =>
        h.call('POST', '/api/workflows/stale-incident-triage/run', {
          body: { input: { staleDays: 7 } },
          headers: { 'idempotency-key': `triage-${api}` },
        });
      const r = await post();
      const run = accepted(r);
      assert.equal(r.headers.get('preference-applied'), null, 'the caller did not ask; the run needed it');
      assert.ok(['deadline', 'throttled'].includes(run.handoff.reason), run.handoff.reason);
      console.log(`handoff after ${Date.parse(run.handoff.at) - sentAt} ms, answered after ${Date.now() - sentAt} ms`);
      assert.ok(Date.parse(run.handoff.at) < sentAt + DEADLINE_SECONDS * 1000, 'handed off inside the deadline');

      // The same idempotency key again: the same run's Location, nothing new started.
      const again = await post();
      assert.equal(again.status, 202);
      assert.equal(again.headers.get('location'), run.statusUrl);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');

      const done = (await poll(run.statusUrl)).at(-1) as Reply;
      assert.equal(done.status, 200, done.text);
      const report = done.json<RunReport>();
      assert.deepEqual([report.runId, report.status], [run.runId, 'succeeded']);
      // Every stale incident changed exactly once, across the synchronous part and the queued one.
      for (const id of stale) {
        const incident = storedIncident(h, Number(id));
        assert.equal(incident.customTags.filter((t) => t === 'stale').length, 1, `incident ${id} tagged once`);
        assert.equal(incident.comments.filter((c) => c.comment.startsWith('No update since')).length, 1, id);
      }
      const applied = new Set(
        [...(report.handoff?.changes ?? []), ...(report.resumedWrites ?? []), ...report.steps.flatMap((s) => s.changes)]
          .filter((c) => c.outcome === 'applied')
          .map((c) => c.incidentId),
      );
      // (The seed has a stale incident of its own, changed too.)
      for (const id of stale) assert.ok(applied.has(id), `the report accounts for the change to incident ${id}`);
    });

    it('a failed run’s final answer is its mapped error status (404 for an incident that does not exist)', async () => {
      const run = accepted(await resolve('99999999', { prefer: 'respond-async' }));
      const done = (await poll(run.statusUrl)).at(-1) as Reply;
      assert.equal(done.status, 404, done.text);
      const report = done.json<RunReport>();
      assert.deepEqual([report.status, report.error?.code, report.error?.upstreamStatus], ['failed', 'NOT_FOUND', 404]);
    });

    it('the same idempotency key twice → the same Location, one run', async () => {
      const headers = { prefer: 'respond-async', 'idempotency-key': `close-INC0042-${api}` };
      const first = accepted(await resolve(String(INCIDENT), headers));
      const second = await resolve(String(INCIDENT), headers);
      assert.equal(accepted(second).statusUrl, first.statusUrl);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      // The replayed answer's Location is polled as it came (the token survives the replay).
      const done = (await poll(second.headers.get('location') ?? '')).at(-1) as Reply;
      assert.equal(done.status, 200, done.text);
      assert.equal(
        storedIncident(h, INCIDENT).comments.filter((c) => c.comment.includes('INC0042')).length,
        1,
        'one run, one comment',
      );
    });

    it('a report is kept RUN_REPORT_RETENTION_HOURS after the run ends, then its URL answers 404', async () => {
      const run = accepted(await resolve(String(INCIDENT), { prefer: 'respond-async' }));
      const done = (await poll(run.statusUrl)).at(-1) as Reply;
      assert.equal(done.status, 200, done.text);
      // While it is kept: only under its own workflow's name, and only with its token (a function key is no key here).
      const elsewhere = await getAnonymous(run.statusUrl.replace('/ticket-closed-resolve/', '/stale-incident-triage/'));
      assert.equal(elsewhere.status, 404, 'another workflow’s URL does not read this run');
      assert.equal((await h.call('GET', new URL(run.statusUrl).pathname)).status, 404, 'a function key, no token');
      assert.equal((await getAnonymous(run.statusUrl)).text, done.text, 'polled again: the same report');
      const expired = await (async () => {
        for (const until = Date.now() + 60_000; Date.now() < until;) {
          const r = await getAnonymous(run.statusUrl);
          if (r.status !== 200) return r;
          await new Promise((res) => setTimeout(res, 500));
        }
        throw new Error('the report never expired');
      })();
      assert.equal(expired.status, 404, expired.text);
      assert.deepEqual([errorOf(expired).code, errorOf(expired).field], ['NOT_FOUND', 'runId']);
      // Unknown and malformed ids are 404 too.
      const query = new URL(run.statusUrl).search;
      const unknown = await getAnonymous(
        `${h.host.url}/api/workflows/ticket-closed-resolve/runs/00000000-0000-4000-8000-000000000000${query}`,
      );
      const malformed = await getAnonymous(`${h.host.url}/api/workflows/ticket-closed-resolve/runs/..%2F..%2Fadmin`);
      assert.deepEqual([unknown.status, malformed.status], [404, 404]);
    });

    it('the Location is a capability: altered, removed or another run’s token → 404, as for an unknown run', async () => {
      // Each API call takes 300 ms: both runs are still going when the wrong tokens are tried.
      h.sandbox.control.injectFaults({ target: 'api', delayMs: 300 });
      const a = accepted(await resolve(String(INCIDENT), { prefer: 'respond-async' }));
      const b = accepted(await resolve('3309', { prefer: 'respond-async' }));
      const [tokenA, tokenB] = [tokenOf(a.statusUrl), tokenOf(b.statusUrl)];
      assert.notEqual(tokenA, tokenB, 'a token per run');
      const base = a.statusUrl.split('?')[0] ?? '';
      // The last character changed (a base64url character for another).
      const altered = `${tokenA.slice(0, -1)}${tokenA.endsWith('A') ? 'B' : 'A'}`;
      const unknownRun = `${h.host.url}/api/workflows/ticket-closed-resolve/runs/00000000-0000-4000-8000-000000000000`;
      const tries: Array<[string, string]> = [
        ['altered token', `${base}?token=${altered}`],
        ['no token', base],
        ['empty token', `${base}?token=`],
        ['another run’s token', `${base}?token=${tokenB}`],
        ['its token on another workflow’s URL', a.statusUrl.replace('/ticket-closed-resolve/', '/ticket-sync/')],
        ['an unknown run', `${unknownRun}?token=${tokenA}`],
      ];
      /** What a refusal says, without its per-request invocation id: it must not tell the cases apart. */
      const refusal = (r: Reply): unknown => {
        assert.equal(r.status, 404, r.text);
        const { invocationId: _ignored, ...rest } = errorOf(r);
        return { rest, contentType: r.headers.get('content-type'), location: r.headers.get('location') };
      };
      const answers = await Promise.all(tries.map(async ([what, url]) => [what, refusal(await getAnonymous(url))]));
      const first = answers[0]?.[1];
      for (const [what, answer] of answers) assert.deepEqual(answer, first, `${String(what)}: the same 404`);
      const { rest } = first as { rest: { code: string; field?: string; message: string } };
      assert.deepEqual([rest.code, rest.field], ['NOT_FOUND', 'runId']);
      assert.ok(!rest.message.includes(a.runId), 'the refusal does not echo the run id');
      // A function key does not stand in for the token either.
      assert.equal((await h.call('GET', new URL(base).pathname)).status, 404);

      // Both runs still answer their own tokens, as Logic Apps polls them (no key), to the end.
      for (const run of [a, b]) {
        const done = (await poll(run.statusUrl)).at(-1) as Reply;
        assert.equal(done.status, 200, done.text);
        assert.equal(done.json<RunReport>().runId, run.runId);
      }
      const logs = h.logs.join('\n');
      assert.ok(logs.includes(a.runId), 'the host logged the runs (so the search below means something)');
      for (const token of [tokenA, tokenB]) assert.ok(!logs.includes(token), 'no token in the host’s logs');
    });
  });
}
