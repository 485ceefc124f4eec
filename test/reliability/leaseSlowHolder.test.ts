// Leases across processes (issue 13 item 2), the other half of leaseTakeover.test.ts: a holder that is slow but
// alive is never taken over. Two hosts share one sandbox and one Azurite; LEASE_SECONDS is 2 and every incident
// update (PATCH) takes 8 s, so each write host A makes outlives its first lease four times over. While A works on a
// scheduled window, a keyless HTTP run (writes another run may take over once their lease ends) and a keyed run,
// host B keeps trying what would take them over if the leases ended: its timer ticks (the window), runs of the same
// workflow (which finish abandoned keyless writes first) and retries of the keyed request. A's heartbeat renews
// every lease every third of LEASE_SECONDS, so B is refused each time; A finishes everything, each change once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredIncident } from '../../sandbox/index';
import type { RunReport } from '../../shared/engine';
import { createTableStateStore } from '../../shared/state/tableState';
import { appSettings, waitFor, type HostProcess } from './harness';
import {
  addStaleIncidents,
  assertHuntedOnce,
  assertTriagedOnce,
  hostFleetForFile,
  widenedSweepContent,
} from './hostFleet';

const SWEEP = 'suspicious-powershell';
const TIMER = `workflow-${SWEEP}`;
const TRIAGE = 'stale-incident-triage';
const RESOLVE = 'ticket-closed-resolve';
const LEASE_SECONDS = 2;
const PATCH_MS = 8000;
/** An active seed incident that neither the sweep nor the triage touches (sandbox/seed/incidents.ts). */
const RESOLVED_INCIDENT = '3311';

const fleet = hostFleetForFile();

test('a slow host keeps its window, writes and request key for many lease lengths; the other host never takes them', async () => {
  const { b, secrets } = fleet;
  const content = widenedSweepContent(fleet.scratch);
  const settings = appSettings(b, secrets, { CONTENT_DIR: content, LEASE_SECONDS: String(LEASE_SECONDS) });
  const start = (): Promise<HostProcess> => fleet.start({ settings });
  const [hostA, hostB] = await Promise.all([start(), start()]);
  const control = b.sandbox.control;
  const state = createTableStateStore(b.azurite.connectionString);
  const incident = (id: string): StoredIncident => control.incident(id) as StoredIncident;
  const stale = addStaleIncidents(control, 3);
  const resolveBody = {
    input: { incidentId: RESOLVED_INCIDENT, ticketId: 'INC0042', closeCode: 'True positive - malware' },
  };
  const resolveKey = { 'idempotency-key': 'close-INC0042' };

  control.injectFaults({ target: 'incidents', method: 'PATCH', delayMs: PATCH_MS });
  const startedAt = Date.now();
  const triageRun = hostA.call('POST', `/api/workflows/${TRIAGE}/run`, { body: { input: { staleDays: 7 } } });
  const resolveRun = hostA.call('POST', `/api/workflows/${RESOLVE}/run`, { body: resolveBody, headers: resolveKey });
  await hostA.fireTimer(TIMER);
  const sweepSettled = (): boolean =>
    hostA.lines.some((l) => l.includes(`[timer] ${SWEEP} `) && !l.includes('skipped'));
  const sweepDone = waitFor('host A finishing its window', sweepSettled, { timeoutMs: 120_000 });

  const keylessOfA = async () => (await state.listPendingWrites(TRIAGE)).filter((w) => w.record.owner.startsWith('r:'));
  await waitFor(
    'host A holding the window and a keyless write',
    async () => (await state.getWatermark(SWEEP)).pending !== undefined && (await keylessOfA()).length > 0,
    { intervalMs: 20, timeoutMs: 60_000 },
  );
  const window = (await state.getWatermark(SWEEP)).pending;
  assert.ok(window?.holder && window.leaseUntil);
  const firstWrites = new Map((await keylessOfA()).map((w) => [w.record.key, w.record]));
  const firstLeaseEnd = Math.max(
    Date.parse(window.leaseUntil),
    ...[...firstWrites.values()].map((w) => Date.parse(w.leaseUntil)),
  );

  // B tries, about once a second, everything that would take A's work over if its leases had ended.
  const windowLeases = new Set<string>([window.leaseUntil]);
  // A's renewals, sampled apart from B's attempts (which can take seconds each on a busy machine).
  const sampler = setInterval(() => {
    void state.getWatermark(SWEEP).then(
      (w) => {
        const p = w.pending;
        if (p && p.holder === window.holder && p.leaseUntil) windowLeases.add(p.leaseUntil);
      },
      () => undefined,
    );
  }, 250);
  let ticks = 0;
  let probes = 0;
  let heldPastFirstLease = false;
  const timerLines = (): string[] => hostB.lines.filter((l) => l.includes(`[timer] ${SWEEP} `));
  for (;;) {
    const pending = (await state.getWatermark(SWEEP)).pending;
    const writes = await keylessOfA();
    if (pending === undefined && writes.length === 0) break;
    if (pending) {
      assert.equal(pending.holder, window.holder, 'the window stays A’s');
      if (pending.leaseUntil) windowLeases.add(pending.leaseUntil);
      const before = timerLines().length;
      const settledBefore = sweepSettled();
      await hostB.fireTimer(TIMER);
      ticks++;
      const line = await waitFor('host B’s tick', () => timerLines()[before]);
      // Refused while A holds the window; a tick after A completed it starts the next window, rightly.
      if (!line.includes('skipped')) assert.ok(settledBefore, `B ran while A held the window: ${line}`);
    }
    for (const w of writes) {
      assert.ok(w.record.owner.startsWith('r:'));
      if (Date.now() > Date.parse(firstWrites.get(w.record.key)?.leaseUntil ?? '') + 500) heldPastFirstLease = true;
    }
    // A run of the same workflow finishes every abandoned keyless write first: none of A's while A lives.
    const probe = await hostB.call('POST', `/api/workflows/${TRIAGE}/run`, { body: { input: { staleDays: 90 } } });
    assert.equal(probe.status, 200, probe.text);
    assert.equal((probe.json as RunReport).resumedWrites, undefined, 'B finished none of A’s writes');
    // A retry of A's keyed request, while it runs: 409, never a second run.
    const retry = await hostB.call('POST', `/api/workflows/${RESOLVE}/run`, { body: resolveBody, headers: resolveKey });
    if (retry.status !== 200) {
      assert.equal(retry.status, 409, retry.text);
      assert.equal((retry.json as { error: { code: string } }).error.code, 'IDEMPOTENCY_IN_PROGRESS');
    }
    probes++;
    await new Promise((r) => setTimeout(r, 700));
  }

  clearInterval(sampler);
  const [triage, resolved] = await Promise.all([triageRun, resolveRun, sweepDone]);
  const workedMs = Date.now() - startedAt;
  assert.equal(triage.status, 200, triage.text);
  assert.equal(resolved.status, 200, resolved.text);
  assert.ok(workedMs > 3 * LEASE_SECONDS * 1000, `A worked for several lease lengths (${workedMs} ms)`);
  assert.ok(heldPastFirstLease, 'A held a write past the end of its first lease (renewed, not taken over)');
  assert.ok(
    windowLeases.size >= 3,
    `A's window lease was renewed while B probed (${windowLeases.size} lease ends seen)`,
  );
  assert.ok(Date.now() > firstLeaseEnd + LEASE_SECONDS * 1000);
  assert.ok(ticks >= 1 && probes >= 2, `B tried ${ticks} ticks and ${probes} runs`);
  assert.ok(
    hostA.lines.some((l) => l.includes(`[timer] ${SWEEP} succeeded`)),
    'A completed its own window',
  );
  // The keyed request ran once: the retry that came after it finished replays its answer.
  const replay = await hostB.call('POST', `/api/workflows/${RESOLVE}/run`, { body: resolveBody, headers: resolveKey });
  assert.deepEqual([replay.status, replay.headers.get('idempotent-replayed')], [200, 'true']);

  // Exactly once: one stale tag and triage comment per stale incident, one resolution comment, one hunt tag each.
  assertTriagedOnce(control, stale);
  const closed = incident(RESOLVED_INCIDENT);
  assert.equal(closed.status, 'resolved');
  assert.equal(closed.comments.filter((c) => c.comment.includes('INC0042')).length, 1, 'one resolution comment');
  const hunted = control.incidents().filter((i) => i.customTags.includes(SWEEP));
  assert.ok(hunted.length > 0);
  assertHuntedOnce(hunted, SWEEP);
  console.log(
    `slow holder: A worked ${workedMs} ms (LEASE_SECONDS ${LEASE_SECONDS}); ${windowLeases.size} window lease ends seen; B refused ${ticks} ticks and ${probes} runs/retries`,
  );
  await Promise.all([hostA.stop(), hostB.stop()]);
});
