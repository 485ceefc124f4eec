// Long runs the Logic Apps way (issue 13 item 3), over real HTTP through the local host, its queue trigger and
// Azurite, against the sandbox, on one Defender API per test file (asyncRuns.test.ts: Graph, asyncRunsLegacy.test.ts:
// legacy). The caller does what a stateful Logic Apps HTTP action does with a 202 (integration-conventions.md §1.4,
// from Microsoft's connectors-native-http.md "Asynchronous request-response behavior" and the logicappsio
// LogicAppsAsyncResponseSample): it takes the absolute `Location`, waits `Retry-After`, and GETs it until the answer
// is not 202. Time is scaled down: HTTP_DEADLINE_SECONDS 6 (100 s in Azure, inside Logic Apps' 120 s limit), the sandbox's quota "minute"
// is 3 s, and reports are kept 0.003 h (about 11 s) instead of 24 h.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { errorOf, startHarness, storedIncident, type Harness, type Reply } from './harness';

/** An active seed incident of the sandbox (see sandbox/seed/incidents.ts). */
const INCIDENT = 3311;
const DEADLINE_SECONDS = 6;
const RUN_URL =
  /^http:\/\/127\.0\.0\.1:\d+\/api\/workflows\/[a-z-]+\/runs\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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

  /** GETs the status URL as Logic Apps does, until the answer is not 202; every answer, in order. */
  async function poll(location: string, timeoutMs = 60_000): Promise<Reply[]> {
    assert.match(location, RUN_URL, 'an absolute status URL on the app’s own host');
    assert.ok(location.startsWith(h.host.url));
    const path = new URL(location).pathname;
    const answers: Reply[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await h.call('GET', path);
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
      const done = (await poll(first.statusUrl)).at(-1) as Reply;
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
      const path = new URL(run.statusUrl).pathname;
      // While it is kept: only under its own workflow's name, and only with the function key.
      const elsewhere = await h.call('GET', path.replace('/ticket-closed-resolve/', '/stale-incident-triage/'));
      assert.equal(elsewhere.status, 404, 'another workflow’s URL does not read this run');
      assert.equal((await h.call('GET', path, { key: false })).status, 401);
      assert.equal((await h.call('GET', path)).text, done.text, 'polled again: the same report');
      const expired = await (async () => {
        for (const until = Date.now() + 60_000; Date.now() < until;) {
          const r = await h.call('GET', path);
          if (r.status !== 200) return r;
          await new Promise((res) => setTimeout(res, 500));
        }
        throw new Error('the report never expired');
      })();
      assert.equal(expired.status, 404, expired.text);
      assert.deepEqual([errorOf(expired).code, errorOf(expired).field], ['NOT_FOUND', 'runId']);
      // Unknown and malformed ids are 404 too.
      const unknown = await h.call(
        'GET',
        '/api/workflows/ticket-closed-resolve/runs/00000000-0000-4000-8000-000000000000',
      );
      const malformed = await h.call('GET', '/api/workflows/ticket-closed-resolve/runs/..%2F..%2Fadmin');
      assert.deepEqual([unknown.status, malformed.status], [404, 404]);
    });
  });
}
