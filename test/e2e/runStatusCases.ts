// How every outcome of POST /api/workflows/{name}/run maps to HTTP (shared/httpStatus.ts), over real HTTP through
// the local host against the sandbox, on one Defender API per test file (runStatuses.test.ts: Graph,
// runStatusesLegacy.test.ts: legacy). Each case checks the incident in the sandbox too, not only the answer.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { registerSecrets } from '../setup/logCapture';
import { errorOf, startHarness, storedIncident, toReply, type Harness } from './harness';

/** An active seed incident of the sandbox (see sandbox/seed/incidents.ts). */
const INCIDENT = 3311;

export function describeRunStatuses(api: 'graph' | 'legacy'): void {
  let h: Harness;

  before(async () => {
    // One retry keeps the outage cases short; Retry-After beyond MAX_RETRY_AFTER_SECONDS ends retrying at once. That
    // limit is 2 s so the quota case can ask for 3 s: its 429 pauses the tenant's shared quota for every later call,
    // the queued continuation included, until that Retry-After.
    h = await startHarness({ api, settings: { MAX_RETRIES: '1', MAX_RETRY_AFTER_SECONDS: '2' } });
  });

  after(async () => {
    await h?.close();
  });

  beforeEach(() => h.sandbox.control.reset());

  const resolve = (incidentId: string, extra: Record<string, unknown> = {}) =>
    h.call('POST', '/api/workflows/ticket-closed-resolve/run', {
      body: { input: { incidentId, ticketId: 'INC0042', closeCode: 'True positive - malware' }, ...extra },
    });

  describe(`run statuses on the ${api} API`, () => {
    it('an incident that does not exist: 404 with the report, the step naming the API answer', async () => {
      const r = await resolve('99999999');
      assert.equal(r.status, 404, r.text);
      const report = r.json<RunReport>();
      assert.equal(report.status, 'failed');
      assert.equal(report.error?.code, 'NOT_FOUND');
      assert.equal(report.error?.upstreamStatus, 404);
      assert.match(report.error?.message ?? '', /^steps\[2\] \(current\): Defender API GET .*99999999 failed: 404/);
      assert.equal(report.steps.find((s) => s.id === 'resolve')?.status, 'skipped');
    });

    it("an incident id that is not valid: 400 naming the caller's input field, nothing sent", async () => {
      const before = h.sandbox.control.counters().api;
      const r = await resolve('33 11/../1');
      assert.equal(r.status, 400, r.text);
      const report = r.json<RunReport>();
      assert.equal(report.error?.code, 'INPUT_INVALID');
      assert.equal(report.error?.field, 'input.incidentId');
      assert.match(report.error?.message ?? '', /incidentId: incident id '33 11\/\.\.\/1' is not valid/);
      assert.equal(h.sandbox.control.counters().api.incidentsGet, before.incidentsGet);
    });

    it('an unknown workflow: 404 naming it; a workflow without an HTTP trigger: 404 saying so', async () => {
      const unknown = await h.call('POST', '/api/workflows/delete-everything/run', { body: {} });
      assert.equal(unknown.status, 404, unknown.text);
      assert.deepEqual([errorOf(unknown).code, errorOf(unknown).field], ['NOT_FOUND', 'name']);
      assert.match(errorOf(unknown).message, /Unknown workflow 'delete-everything'; available: .*ticket-sync/);
      const timerOnly = await h.call('POST', '/api/workflows/suspicious-powershell/run', { body: {} });
      assert.equal(timerOnly.status, 404, timerOnly.text);
      assert.match(errorOf(timerOnly).message, /has no HTTP trigger/);
    });

    it("the API refusing the update (its 400): 422 with the API's message and request id, nothing changed", async () => {
      h.sandbox.control.injectFaults({ target: 'incidents', method: 'PATCH', status: 400 });
      const r = await resolve(String(INCIDENT));
      assert.equal(r.status, 422, r.text);
      const report = r.json<RunReport>();
      assert.equal(report.error?.code, 'DEFENDER_HTTP');
      assert.equal(report.error?.upstreamStatus, 400);
      assert.match(report.error?.message ?? '', /Defender API PATCH .* failed: 400 BadRequest: Injected fault\./);
      assert.match(report.error?.requestId ?? '', /\S{8,}/, 'the request id to quote to Microsoft');
      assert.equal(r.headers.get('retry-after'), null);
      assert.equal(storedIncident(h, INCIDENT).status, 'active');
    });

    it('the API down (503 on every call): 503 with its Retry-After', async () => {
      h.sandbox.control.injectFaults({ target: 'incidents', status: 503, retryAfterSeconds: 90 });
      const r = await resolve(String(INCIDENT));
      assert.equal(r.status, 503, r.text);
      assert.equal(r.headers.get('retry-after'), '90');
      const report = r.json<RunReport>();
      assert.equal(report.error?.code, 'DEFENDER_UNAVAILABLE');
      assert.equal(storedIncident(h, INCIDENT).status, 'active');
    });

    it('the API unreachable (connections reset): 503 with a Retry-After', async () => {
      h.sandbox.control.injectFaults({ target: 'incidents', outage: true });
      const r = await resolve(String(INCIDENT));
      assert.equal(r.status, 503, r.text);
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal(r.json<RunReport>().error?.code, 'DEFENDER_UNAVAILABLE');
    });

    it('the quota spent (a 429 asking for longer than the app waits): 202 + Location; the queue applies it once', async () => {
      h.sandbox.control.injectFaults({ target: 'incidents', status: 429, retryAfterSeconds: 3, count: 1 });
      const r = await resolve(String(INCIDENT), { idempotencyKey: 'close-INC0042' });
      assert.equal(r.status, 202, r.text);
      assert.ok(r.headers.get('retry-after'));
      // The Location is a capability URL: polled exactly as returned (its token included), with no function key.
      const location = r.headers.get('location') ?? '';
      registerSecrets([new URL(location).searchParams.get('token') ?? '']);
      for (let i = 0; ; i++) {
        const res = await fetch(location);
        const poll = toReply(res, await res.text());
        if (poll.status !== 202) {
          assert.equal(poll.status, 200, poll.text);
          assert.equal(poll.json<RunReport>().handoff?.reason, 'throttled');
          break;
        }
        assert.ok(i < 200, 'the queued run finishes');
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(storedIncident(h, INCIDENT).status, 'resolved');
    });
  });
}
