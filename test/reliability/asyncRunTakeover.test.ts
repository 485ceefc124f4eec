// An asynchronous run (issue 13 item 3) whose instance dies (item 2): host A answers a Logic Apps-style POST with
// `Prefer: respond-async` (202 + Location), picks the run up from the queue and is SIGKILLed in the middle of its
// writes. Host B, started afterwards, is polled at the Location: it answers 202 while A's lease (LEASE_SECONDS, 2 here)
// may still be alive, then takes the run over (a poll or the message that comes back once the lease has ended),
// finishes A's half-done writes under the same run, and answers the final report. Every change lands exactly once in
// the sandbox. Reports are kept RUN_REPORT_RETENTION_HOURS (0.01 h = 36 s here); the hourly purge timer, fired by
// hand, then deletes the record and the Location answers 404.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { createTableStateStore } from '../../shared/state/tableState';
import { appSettings, waitFor, type HostProcess } from './harness';
import { addStaleIncidents, assertTriagedOnce, hostFleetForFile } from './hostFleet';

const TRIAGE = 'stale-incident-triage';
const LEASE_SECONDS = 2;

const fleet = hostFleetForFile();

test('a killed host’s asynchronous run is taken over by another host and finished once; its report expires and is purged', async () => {
  const { b, secrets } = fleet;
  const settings = appSettings(b, secrets, {
    LEASE_SECONDS: String(LEASE_SECONDS),
    RUN_REPORT_RETENTION_HOURS: '0.01',
  });
  const start = (): Promise<HostProcess> => fleet.start({ settings });
  const control = b.sandbox.control;
  const state = createTableStateStore(b.azurite.connectionString);
  const stale = addStaleIncidents(control, 6);

  const hostA = await start();
  // Each incident update takes 3 s, so A is killed with writes in flight.
  control.injectFaults({ target: 'incidents', method: 'PATCH', delayMs: 3000 });
  // What a Logic Apps HTTP action sends (integration-conventions.md §1.1: x-ms-workflow-run-id, -operation-name).
  const logicApps = {
    prefer: 'respond-async',
    'x-ms-workflow-run-id': '08586611142736787787412824395CU21',
    'x-ms-workflow-operation-name': 'Triage_stale_incidents',
  };
  const post = (h: HostProcess) =>
    h.call('POST', `/api/workflows/${TRIAGE}/run`, { body: { input: { staleDays: 7 } }, headers: logicApps });
  const accepted = await post(hostA);
  assert.equal(accepted.status, 202, accepted.text);
  const location = accepted.headers.get('location') ?? '';
  const runId = new URL(location).pathname.split('/').pop() ?? '';
  assert.match(location, /\?token=[\w-]{43}$/);
  assert.equal(location, `${hostA.url}/api/workflows/${TRIAGE}/runs/${runId}${new URL(location).search}`);

  await waitFor(
    'host A running the queued part, with writes in flight',
    async () =>
      (await state.getRun(runId))?.record.state === 'running' &&
      (await state.listPendingWrites(TRIAGE)).some((w) => w.record.runId === runId),
    { intervalMs: 20, timeoutMs: 60_000 },
  );
  await hostA.kill();
  const held = (await state.getRun(runId))?.record;
  assert.equal(held?.state, 'running');
  assert.equal(held?.attempts, 1);
  control.clearFaults();

  // Logic Apps polls the Location, with no function key (its token is the credential); the app behind it is now
  // host B (another instance of the same app), which checks the token against the record host A wrote.
  const hostB = await start();
  const path = `${new URL(location).pathname}${new URL(location).search}`;
  const answers: number[] = [];
  const done = await waitFor(
    'the run finished by host B',
    async () => {
      const r = await hostB.call('GET', path, { key: null });
      answers.push(r.status);
      if (r.status === 202) {
        assert.equal(r.headers.get('location'), location.replace(hostA.url, hostB.url));
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        return undefined;
      }
      return r;
    },
    { intervalMs: 250, timeoutMs: 90_000 },
  );
  assert.equal(done.status, 200, done.text);
  const report = done.json as RunReport;
  assert.deepEqual([report.runId, report.status, report.handoff?.reason], [runId, 'succeeded', 'respond-async']);
  const record = (await state.getRun(runId))?.record;
  assert.equal(record?.state, 'done');
  assert.ok((record?.attempts ?? 0) >= 2, 'a second attempt took the run over');
  assert.deepEqual(
    (await state.listPendingWrites(TRIAGE)).filter((w) => w.record.runId === runId),
    [],
    'nothing of the run left pending',
  );
  // A's half-done writes finished by the same run (resumed first), the rest by its steps.
  const applied = [...(report.resumedWrites ?? []), ...report.steps.flatMap((s) => s.changes)]
    .filter((c) => c.outcome === 'applied' || c.outcome === 'alreadyDone')
    .map((c) => c.incidentId);
  for (const id of stale) assert.ok(applied.includes(id), `the report accounts for incident ${id}`);

  // Exactly once in the sandbox, across the kill: one stale tag and one triage comment per incident.
  assertTriagedOnce(control, stale);
  // The same Logic Apps action retried: the same run's answer (its stored 202 and Location), nothing run again.
  const retried = await post(hostB);
  assert.deepEqual([retried.status, retried.headers.get('idempotent-replayed')], [202, 'true']);
  const replayed = new URL(retried.headers.get('location') ?? '');
  assert.equal(`${replayed.pathname}${replayed.search}`, path, 'the same run, the same token');

  // Retention: once expiresAt has passed, the hourly purge deletes the record and the Location answers 404.
  const expiresAt = Date.parse(record?.expiresAt ?? '');
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 200));
  await hostB.fireTimer('purgeWorkflowRuns');
  await waitFor('the purge', () => hostB.lines.some((l) => l.includes('[async-run] expired runs purged')));
  assert.equal(await state.getRun(runId), undefined, 'purged');
  assert.equal((await hostB.call('GET', path, { key: null })).status, 404);
  console.log(`async takeover: polls answered ${answers.join(',')}; ${record?.attempts} attempts`);
  await hostB.stop();
});
