// Crash: the app (a child process) is SIGKILLed while queued webhook deliveries and a scheduled workflow run are in
// flight, then started again against the same sandbox and the same Azurite. Everything completes exactly once: one
// comment per delivery, one tag and comment per incident the hunt found, and the scheduled workflow's watermark
// neither skips nor repeats a window (the killed window is resumed as it was, the next one starts where it ended).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredIncident } from '../../sandbox/index';
import { createTableStateStore } from '../../shared/state/tableState';
import { appSettings, peekQueue, queueLength, signedStandard, waitFor } from './harness';
import { assertHuntedOnce, hostFleetForFile, sweepTargets, widenedSweepContent } from './hostFleet';

const WORKFLOW = 'suspicious-powershell';
const TIMER = `workflow-${WORKFLOW}`;
const QUEUE = 'riposte-ticket-events';
const DELIVERIES = 24;

const fleet = hostFleetForFile();

test('SIGKILL with deliveries and a scheduled run in flight: after a restart everything completes exactly once', async () => {
  const { b, secrets } = fleet;
  const content = widenedSweepContent(fleet.scratch);
  const start = () =>
    fleet.start({
      // The killed run's window lease ends 2 s after its last renewal (LEASE_SECONDS; 60 s at most in Azure).
      settings: appSettings(b, secrets, { CONTENT_DIR: content, LEASE_SECONDS: '2' }),
      hostJsonPath: fleet.scratch.hostJson({ visibilityTimeout: '00:00:01', maxPollingInterval: '00:00:00.500' }),
      // A killed host's messages come back after 5 s instead of the host's 10 minutes.
      queueLeaseMs: 5000,
    });
  const control = b.sandbox.control;
  const state = createTableStateStore(b.azurite.connectionString);
  const huntTargets = sweepTargets(control);
  assert.ok(huntTargets.length >= 2, 'the seed has open incidents with alerts on the hunted devices');
  const ticketIncidents = Array.from({ length: 4 }, () => String(control.addIncident().id));
  const incident = (id: string): StoredIncident => control.incident(id) as StoredIncident;

  const first = await start();
  // Every Defender call takes 400 ms, so the kill lands in the middle of the work.
  control.injectFaults({ target: 'api', delayMs: 400 });
  for (let n = 0; n < DELIVERIES; n++) {
    const d = signedStandard(
      { id: `crash-${n}`, incidentId: ticketIncidents[n % 4], ticketId: 'CRASH-1', comment: `crash-evt-${n}; note` },
      secrets.generic,
    );
    const r = await first.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
    assert.equal(r.status, 202, r.text);
  }
  await first.fireTimer(TIMER);
  const ticketComments = () => ticketIncidents.reduce((n, id) => n + incident(id).comments.length, 0);
  await waitFor(
    'the scheduled run writing and some deliveries applied',
    () => huntTargets.some((id) => incident(id).customTags.includes(WORKFLOW)) && ticketComments() >= 1,
    { intervalMs: 20, timeoutMs: 30_000 },
  );
  await first.kill();
  const appliedAtKill = ticketComments();
  assert.ok(appliedAtKill < DELIVERIES, `deliveries were still in flight (${appliedAtKill} applied)`);
  const killed = await state.getWatermark(WORKFLOW);
  assert.ok(killed.pending, 'the killed run left its window pending');
  assert.equal(killed.watermark, undefined, 'and did not complete it');
  const window = killed.pending;

  control.clearFaults();
  const second = await start();
  // A tick while the dead run's lease lasts would skip the window (test/reliability/leaseTakeover.test.ts).
  const leaseEnd = Date.parse(window.leaseUntil ?? '');
  await new Promise((r) => setTimeout(r, Math.max(0, leaseEnd - Date.now()) + 50));
  await second.fireTimer(TIMER);
  await waitFor('the killed window to be completed', async () => {
    const w = await state.getWatermark(WORKFLOW);
    return w.watermark === window.end && w.pending === undefined;
  });
  await waitFor('every delivery applied', () => ticketComments() >= DELIVERIES, { timeoutMs: 40_000 });
  await waitFor('the queue drained', async () => (await queueLength(b.azurite.connectionString, QUEUE)) === 0);

  // The next run starts exactly where the resumed one ended.
  await second.fireTimer(TIMER);
  const next = await waitFor('the next window', async () => {
    const w = await state.getWatermark(WORKFLOW);
    return w.watermark !== undefined && w.watermark > window.end && w.pending === undefined ? w : undefined;
  });
  const windows = [...new Set(control.huntingQueries().map((q) => q.timespan))];
  assert.deepEqual(windows, [`${window.start}/${window.end}`, `${window.end}/${next.watermark}`]);

  // Exactly once, across the crash.
  assertHuntedOnce(huntTargets.map(incident), WORKFLOW);
  for (let n = 0; n < DELIVERIES; n++) {
    const id = ticketIncidents[n % 4] as string;
    const found = incident(id).comments.filter((c) => c.comment.includes(`crash-evt-${n};`)).length;
    assert.equal(found, 1, `delivery ${n} applied ${found} times`);
  }
  assert.equal(ticketComments(), DELIVERIES);
  assert.deepEqual(await peekQueue(b.azurite.connectionString, `${QUEUE}-poison`), []);
  console.log(
    `crash: killed with ${appliedAtKill}/${DELIVERIES} deliveries applied and window ${window.start}/${window.end} pending; ` +
      `resumed and completed exactly once`,
  );
  await second.stop();
});
