// `riposte run` in tenant mode, as its own process, against a sandbox and an Azurite started separately, with more
// calls than the client-side quota allows in one window: the limiter must make the run wait, and the waiting run
// must keep the process alive until it prints its report (issue 11: the limiter's timer was unref'd, so the CLI
// exited with status 0 in the middle of the run, with no report and only part of the writes made).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox } from '../../sandbox';
import type { RunReport } from '../../shared/engine';
import { baseEnv, REPO, riposte } from './cliProcess';

let sandbox: Sandbox;
const azurites: Azurite[] = [];

before(async () => {
  // 3-second "minutes": the incidents quota is 50 calls per 3 s on both sides.
  sandbox = await startSandbox({ rateLimitScale: 0.05 });
});
after(async () => {
  await Promise.all([sandbox?.close(), ...azurites.map((a) => a.stop())]);
});

const INCIDENT_FAMILIES = new Set(['incidentsList', 'incidentsGet', 'incidentsUpdate', 'comments']);

const STALE = new Date(Date.now() - 30 * 86_400_000).toISOString();

for (const api of ['graph', 'legacy'] as const) {
  describe(`riposte run waits for the client-side quota (${api} API)`, () => {
    it('keeps running through the wait, applies every write, prints the report and exits 0', async () => {
      sandbox.control.reset();
      // Fresh storage per API: the sandbox reuses incident ids after a reset, and writes are keyed by them.
      const azurite = await startAzurite({ inMemory: true, ports: 'random' });
      azurites.push(azurite);
      // 25 stale incidents: one list call plus a read, a PATCH and a comment each = 76 incident calls > 50.
      const ids = Array.from(
        { length: 25 },
        () => sandbox.control.addIncident({ status: 'active', lastUpdateDateTime: STALE }).id,
      );
      // What the workflow will find: open, not updated for 7 days, not tagged stale (the seed may hold some too).
      const weekAgo = Date.now() - 7 * 86_400_000;
      const stale = sandbox.control
        .incidents()
        .filter(
          (i) =>
            (i.status === 'active' || i.status === 'inProgress') &&
            Date.parse(i.lastUpdateDateTime) < weekAgo &&
            !i.customTags.includes('stale'),
        )
        .map((i) => String(i.id));
      const env = baseEnv({ ...sandbox.settings(api), AzureWebJobsStorage: azurite.connectionString });
      const run = riposte(['run', 'stale-incident-triage', '--json', '--dir', REPO], { env });
      const r = await run.finished;

      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const report = JSON.parse(r.stdout) as RunReport;
      assert.equal(report.status, 'succeeded');
      const applied = report.steps.find((s) => s.id === 'markStale')?.changes ?? [];
      assert.deepEqual(applied.map((c) => c.incidentId).sort(), stale.sort());
      assert.ok(ids.every((id) => stale.includes(String(id))));
      assert.ok(applied.every((c) => c.outcome === 'applied'));
      // The state the run left: every stale incident tagged, assigned, and commented on exactly once.
      for (const id of ids) {
        const inc = sandbox.control.incident(id);
        assert.ok(inc?.customTags.includes('stale'), `incident ${id} is tagged stale`);
        assert.equal(inc?.assignedTo, 'triage@contoso.com');
        assert.equal(inc?.comments.filter((c) => /\[riposte:[0-9a-f]{8}\]/.test(c.comment)).length, 1);
      }
      // It really had to wait: more incident calls than one window holds, and the server never had to throttle.
      const calls = sandbox.control.requests().filter((q) => INCIDENT_FAMILIES.has(q.family));
      assert.ok(calls.length > 50, `${calls.length} incident calls`);
      assert.equal(sandbox.control.counters().throttled, 0);
    });
  });
}
