// Leases across processes (issue 13 item 2): two hosts share one sandbox and one Azurite. Host A runs a scheduled
// sweep (a window) and a keyless HTTP run (writes only a later run can finish) and is SIGKILLed in the middle of
// both. What it held carries a lease of LEASE_SECONDS (5 here; 60 at most in Azure) from its last renewal: while that
// lasts, host B's timer tick skips the window and B's own run leaves A's pending writes alone (A might only be
// slow); the first attempts after it ends take both over and finish them, every change made exactly once. Before
// leases were renewed, the write lease was ten minutes and the window had none (a second run joined it at once).
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
const LEASE_SECONDS = 5;

const fleet = hostFleetForFile();

const sleepUntil = async (epochMs: number): Promise<void> => {
  const left = epochMs - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left + 50));
};

test('a killed host’s window and pending writes are taken over once their lease ends, not before', async () => {
  const { b, secrets } = fleet;
  const content = widenedSweepContent(fleet.scratch);
  const settings = appSettings(b, secrets, { CONTENT_DIR: content, LEASE_SECONDS: String(LEASE_SECONDS) });
  const start = (): Promise<HostProcess> => fleet.start({ settings });
  const [hostA, hostB] = await Promise.all([start(), start()]);
  const control = b.sandbox.control;
  const state = createTableStateStore(b.azurite.connectionString);
  const stale = addStaleIncidents(control, 12);
  const triage = () => hostA.call('POST', `/api/workflows/${TRIAGE}/run`, { body: { input: { staleDays: 7 } } });

  // Every incident update takes 2.5 s, so the kill lands while writes of both runs are in flight (with shorter
  // calls, a write seen pending could be done by the time the kill landed: nothing left for B to take over).
  control.injectFaults({ target: 'incidents', method: 'PATCH', delayMs: 2500 });
  const killedRun = triage().catch(() => undefined);
  await hostA.fireTimer(TIMER);
  const pendingOf = async (workflow: string, prefix: string) =>
    (await state.listPendingWrites(workflow)).filter((w) => w.record.owner.startsWith(prefix));
  await waitFor(
    'host A holding writes of both runs',
    async () => (await pendingOf(TRIAGE, 'r:')).length > 0 && (await pendingOf(SWEEP, 'w:')).length > 0,
    { intervalMs: 20, timeoutMs: 60_000 },
  );
  await hostA.kill();
  const killedAt = Date.now();
  await killedRun;
  control.clearFaults();

  // What A left: a window and writes whose leases end at most LEASE_SECONDS after A was last alive.
  const window = (await state.getWatermark(SWEEP)).pending;
  assert.ok(window?.holder && window.leaseUntil, 'the window A was covering, with its holder and lease');
  const heldWrites = [...(await pendingOf(TRIAGE, 'r:')), ...(await pendingOf(SWEEP, 'w:'))];
  assert.ok(heldWrites.length >= 2);
  const leaseEnds = [window.leaseUntil, ...heldWrites.map((w) => w.record.leaseUntil)].map((t) => Date.parse(t));
  for (const end of leaseEnds)
    assert.ok(
      end <= killedAt + LEASE_SECONDS * 1000,
      `a lease ends within LEASE_SECONDS of the kill: ${end - killedAt}`,
    );

  // While the leases last, B takes nothing over: its tick skips the window, its run leaves A's writes alone.
  await hostB.fireTimer(TIMER);
  await waitFor('host B skipping the tick', () => hostB.lines.some((l) => l.includes(`[timer] ${SWEEP} skipped`)));
  const early = await hostB.call('POST', `/api/workflows/${TRIAGE}/run`, { body: { input: { staleDays: 7 } } });
  assert.equal((early.json as RunReport).resumedWrites, undefined, 'no write of A finished while its lease lasts');
  assert.equal((await state.getWatermark(SWEEP)).pending?.holder, window.holder, 'the window is still A’s');
  const stillHeld = await Promise.all(heldWrites.map((w) => state.getWrite(w.record.key.split('/')[0]!, w.record.key)));
  for (const w of stillHeld.filter((x) => x?.record.state === 'pending'))
    assert.ok(w && leaseEnds.includes(Date.parse(w.record.leaseUntil)), 'A’s pending writes are untouched');

  // Once the leases have ended, the next attempts take everything over.
  await sleepUntil(Math.max(...leaseEnds));
  await hostB.fireTimer(TIMER);
  await waitFor('the window completed by host B', async () => {
    const w = await state.getWatermark(SWEEP);
    return w.watermark === window.end && w.pending === undefined;
  });
  const late = await hostB.call('POST', `/api/workflows/${TRIAGE}/run`, { body: { input: { staleDays: 7 } } });
  assert.equal(late.status, 200, late.text);
  const replayed = (late.json as RunReport).resumedWrites ?? [];
  assert.ok(replayed.length > 0, 'the dead run’s writes were finished by the next run');
  assert.deepEqual(await pendingOf(TRIAGE, 'r:'), []);
  assert.deepEqual(await pendingOf(SWEEP, 'w:'), []);

  // Exactly once, across the kill: one stale tag and one comment per stale incident, one hunt comment per match.
  assertTriagedOnce(control, stale);
  assertHuntedOnce(
    control.incidents().filter((i) => i.customTags.includes(SWEEP)),
    SWEEP,
  );
  console.log(
    `lease takeover: A killed holding a window and ${heldWrites.length} writes; B skipped, then took over ${replayed.length} writes and the window after ${Math.max(...leaseEnds) - killedAt} ms`,
  );
  await hostB.stop();
});
