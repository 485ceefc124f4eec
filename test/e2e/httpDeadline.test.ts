// A synchronous HTTP call during a long Defender outage answers 503 + Retry-After by its deadline (issue 11 item 9),
// through the local host against the sandbox. The deadline is scaled down to 4 s (HTTP_DEADLINE_SECONDS) and
// MAX_RETRIES raised to 10, so it is the deadline, not the count, that ends the call; the schedule itself (100 s,
// inside Logic Apps' 120 s) is checked with an injected clock in test/unit/httpRetry.test.ts and
// httpDefenderHttp.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { errorOf, startHarness, type Harness } from './harness';

let h: Harness;

before(async () => {
  h = await startHarness({ settings: { HTTP_DEADLINE_SECONDS: '4', MAX_RETRIES: '10' } });
});

after(async () => {
  await h?.close();
});

beforeEach(() => h.sandbox.control.reset());

function staleIncident(): number {
  const at = new Date(Date.now() - 30 * 86_400_000).toISOString();
  return h.sandbox.control.addIncident({ status: 'active', createdDateTime: at, lastUpdateDateTime: at }).id;
}

describe('a synchronous HTTP call answers by its deadline during a long outage', () => {
  it('503 + Retry-After, ended by the deadline rather than by MAX_RETRIES', async () => {
    h.sandbox.control.injectFaults({ target: 'incidents', status: 503 });
    const r = await h.call('GET', '/api/incidents/3309');
    assert.equal(r.status, 503, r.text);
    assert.equal(errorOf(r).code, 'DEFENDER_UNAVAILABLE');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const attempts = h.sandbox.control.counters().faulted;
    assert.ok(attempts >= 2 && attempts < 11, `retried, then stopped for the deadline (${attempts} attempts)`);
  });

  it('a workflow run over HTTP stops calling once its deadline has passed', async () => {
    for (let i = 0; i < 5; i++) staleIncident();
    h.sandbox.control.injectFaults({ target: 'incidents', status: 503 });
    const r = await h.call('POST', '/api/workflows/stale-incident-triage/run', { body: { input: { staleDays: 1 } } });
    assert.ok(r.status >= 500, r.text);
    const report = r.json<{ status: string; error?: { code: string }; steps: { error?: { code: string } }[] }>();
    assert.equal(report.status, 'failed');
    const codes = [report.error?.code, ...report.steps.map((s) => s.error?.code)].filter(Boolean);
    assert.ok(
      codes.every((c) => c === 'DEFENDER_UNAVAILABLE' || c === 'DEADLINE_EXCEEDED'),
      JSON.stringify(codes),
    );
    assert.ok(h.sandbox.control.counters().faulted < 11, 'bounded by the deadline');
  });
});
