// Ctrl-C during `riposte run`, with the CLI as its own process against a sandbox and an Azurite started separately
// (tenant mode), and in sandbox mode. The first SIGINT stops the run gently: no new step, item, write or request
// starts, requests already sent finish, the partial report is printed, exit 130. A second SIGINT exits at once.
// Whatever happens, no write is lost silently: each stale incident is either changed and reported applied, or left
// pending in storage and listed in the report (and the next run finishes it), or untouched.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox } from '../../sandbox';
import type { RunReport } from '../../shared/engine';
import { createTableStateStore } from '../../shared/state/tableState';
import { baseEnv, REPO, riposte, start, BIN, type Finished } from './cliProcess';

const WORKFLOW = 'stale-incident-triage';
const INCIDENT_FAMILIES = new Set(['incidentsList', 'incidentsGet', 'incidentsUpdate', 'comments']);
const STALE = new Date(Date.now() - 30 * 86_400_000).toISOString();
const MARKER = /\[riposte:[0-9a-f]{8}\]/;

let sandbox: Sandbox;
const azurites: Azurite[] = [];
let emptyDir: string;

before(async () => {
  // 9-second "minutes": once the client has sent 50 incident calls its limiter waits several seconds for a slot.
  sandbox = await startSandbox({ rateLimitScale: 0.15 });
  emptyDir = mkdtempSync(join(tmpdir(), 'riposte-interrupt-'));
});
after(async () => {
  await Promise.all([sandbox?.close(), ...azurites.map((a) => a.stop())]);
  rmSync(emptyDir, { recursive: true, force: true });
});

/** A fresh sandbox state with `n` stale incidents, and fresh storage (incident ids repeat after a reset). */
async function scenario(n: number): Promise<{ ids: string[]; env: Record<string, string | undefined>; az: Azurite }> {
  sandbox.control.reset();
  const az = await startAzurite({ inMemory: true, ports: 'random' });
  azurites.push(az);
  const ids = Array.from({ length: n }, () =>
    String(sandbox.control.addIncident({ status: 'active', lastUpdateDateTime: STALE }).id),
  );
  return { ids, az, env: baseEnv({ ...sandbox.settings('graph'), AzureWebJobsStorage: az.connectionString }) };
}

const incidentCalls = (): number => sandbox.control.requests().filter((q) => INCIDENT_FAMILIES.has(q.family)).length;

/** Polls the sandbox (it runs in this process) until `ok` holds. */
async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await delay(10);
}

/**
 * Every stale incident ends in exactly one of three states, and storage agrees with the report: pending in storage
 * and listed in the report; else changed in full and reported applied; else untouched.
 */
async function assertNothingLost(ids: string[], report: RunReport, az: Azurite): Promise<string[]> {
  const applied = new Set(
    report.steps.flatMap((s) => s.changes).flatMap((c) => (c.outcome === 'applied' ? [c.incidentId] : [])),
  );
  const listed = new Set((report.pendingWrites ?? []).map((w) => w.incidentId));
  const stored = new Set(
    (await createTableStateStore(az.connectionString).listPendingWrites(WORKFLOW)).map((w) => w.record.incidentId),
  );
  assert.deepEqual([...stored].sort(), [...listed].sort(), 'every pending write in storage is listed in the report');
  for (const id of ids) {
    const inc = sandbox.control.incident(id);
    const comments = inc?.comments.filter((c) => MARKER.test(c.comment)).length ?? 0;
    const tagged = inc?.customTags.includes('stale') === true;
    if (stored.has(id)) continue; // pending: part of it may be in (a PATCH without its comment); the next run finishes it
    if (applied.has(id)) {
      assert.ok(tagged && comments === 1 && inc?.assignedTo === 'triage@contoso.com', `incident ${id} applied in full`);
    } else {
      assert.ok(!tagged && comments === 0 && inc?.assignedTo !== 'triage@contoso.com', `incident ${id} untouched`);
    }
  }
  return [...stored];
}

/** The human report's `incident N: applied` lines and pending list, checked against the JSON facts. */
function parseHumanReport(stdout: string): { applied: string[]; pending: string[] } {
  return {
    applied: [...stdout.matchAll(/incident (\d+): applied/g)].map((m) => m[1] as string),
    pending: [...stdout.matchAll(/^ {2}incident (\d+) \(lease until /gm)].map((m) => m[1] as string),
  };
}

describe('Ctrl-C during riposte run (tenant mode, own process)', () => {
  it('while the run waits for the quota: stops, prints the partial report, exits 130; the next run finishes', async () => {
    const { ids, env, az } = await scenario(25);
    const run = riposte(['run', WORKFLOW, '--dir', REPO], { env });
    // 50 incident calls fill the client's window: from here on the run waits for the limiter.
    await until(() => incidentCalls() >= 50 || run.child.exitCode !== null);
    run.child.kill('SIGINT');
    const r = await run.finished;

    assert.equal(r.code, 130, r.stderr.slice(-3000));
    assert.match(r.stderr, /SIGINT: stopping\. No new step, item or write starts/);
    assert.match(r.stdout, /Workflow stale-incident-triage: live run against the tenant/);
    assert.match(r.stdout, /\|\| eachStale +forEach +interrupted .*skipped=\d+/);
    assert.match(r.stdout, /Not started: \d+ of \d+ items of eachStale/);
    assert.match(r.stdout, /Error: RUN_INTERRUPTED: interrupted by SIGINT \(Ctrl-C\)/);
    assert.match(r.stdout, /Status: interrupted in \d+ ms\n$/);
    // No request was cut off: every one the sandbox saw got its answer.
    assert.deepEqual(
      sandbox.control.requests().filter((q) => q.status === 0),
      [],
    );

    const human = parseHumanReport(r.stdout);
    const report: RunReport = {
      workflow: WORKFLOW,
      status: 'interrupted',
      steps: [{ changes: human.applied.map((incidentId) => ({ incidentId, patch: {}, outcome: 'applied' })) }],
      pendingWrites: human.pending.map((incidentId) => ({ incidentId, leaseUntil: '' })),
    } as unknown as RunReport;
    const pending = await assertNothingLost(ids, report, az);
    assert.ok(human.applied.length > 0 && human.applied.length < 25, `${human.applied.length} applied`);
    if (pending.length === 0) assert.match(r.stdout, /Pending writes: none/);
    else assert.match(r.stdout, /Pending writes \(claimed, not confirmed; kept in storage with their change/);

    // The next run resumes the interrupted window: it finishes the pending writes first, then the rest.
    const again = await riposte(['run', WORKFLOW, '--json', '--dir', REPO], { env }).finished;
    assert.equal(again.code, 0, again.stderr.slice(-3000));
    const second = JSON.parse(again.stdout) as RunReport;
    assert.equal(second.status, 'succeeded');
    assert.equal(second.window?.resumed, true);
    assert.deepEqual((second.resumedWrites ?? []).map((c) => c.incidentId).sort(), [...pending].sort());
    for (const id of ids) {
      const inc = sandbox.control.incident(id);
      assert.ok(inc?.customTags.includes('stale'), `incident ${id} tagged in the end`);
      assert.equal(inc?.comments.filter((c) => MARKER.test(c.comment)).length, 1, `incident ${id}: one comment`);
    }
    assert.deepEqual(await createTableStateStore(az.connectionString).listPendingWrites(WORKFLOW), []);
  });

  it('requests already sent finish (not aborted); --json lists the pending writes', async () => {
    const { ids, env, az } = await scenario(12);
    const run = riposte(['run', WORKFLOW, '--json', '--dir', REPO], { env });
    await until(() => incidentCalls() >= 8 || run.child.exitCode !== null);
    // The next two incident calls hang for a while in the sandbox: Ctrl-C arrives while they are in flight.
    sandbox.control.injectFaults({ target: 'incidents', delayMs: 1500, count: 2 });
    await until(() => sandbox.control.counters().faulted >= 1 || run.child.exitCode !== null);
    run.child.kill('SIGINT');
    const r = await run.finished;

    assert.equal(r.code, 130, r.stderr.slice(-3000));
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.status, 'interrupted');
    assert.equal(report.error?.code, 'RUN_INTERRUPTED');
    assert.ok(Array.isArray(report.pendingWrites));
    // The delayed calls were answered, not abandoned.
    const requests = sandbox.control.requests().filter((q) => INCIDENT_FAMILIES.has(q.family));
    assert.ok(requests.length >= 9);
    assert.ok(
      requests.every((q) => q.status === 200 || q.status === 201),
      JSON.stringify(requests.filter((q) => q.status >= 300 || q.status === 0)),
    );
    await assertNothingLost(ids, report, az);
    const forEach = report.steps.find((s) => s.id === 'eachStale');
    assert.equal(forEach?.status, 'interrupted');
    assert.ok((forEach?.counts.skipped ?? 0) > 0);
  });

  it('a second Ctrl-C exits at once (130) and says what may be left pending', async () => {
    const { env } = await scenario(12);
    const run = riposte(['run', WORKFLOW, '--dir', REPO], { env });
    await until(() => incidentCalls() >= 4 || run.child.exitCode !== null);
    // A call that hangs for a minute: the first Ctrl-C has to wait for it, the second does not.
    sandbox.control.injectFaults({ target: 'incidents', delayMs: 60_000, count: 1 });
    await until(() => sandbox.control.counters().faulted >= 1 || run.child.exitCode !== null);
    run.child.kill('SIGINT');
    await run.waitFor(/SIGINT: stopping/);
    run.child.kill('SIGINT');
    const r: Finished = await run.finished;

    assert.equal(r.code, 130);
    assert.match(
      r.stderr,
      /SIGINT again: exiting now, without a report\. Writes this run had claimed may be left pending/,
    );
    assert.match(r.stderr, /the next `riposte run stale-incident-triage` finishes them/);
    assert.doesNotMatch(r.stdout, /Status:/);
    sandbox.control.clearFaults();
  });
});

describe('Ctrl-C during riposte run (sandbox mode)', () => {
  it('a Ctrl-C at the terminal (the whole process group) still ends with the report and 130', async () => {
    // Its own process group, signalled as a terminal does: the CLI and the Azurite it started both get SIGINT.
    const run = start(process.execPath, [BIN, 'run', WORKFLOW, '--dir', REPO], {
      cwd: emptyDir,
      env: baseEnv(),
      detached: true,
    });
    await run.waitFor(/starting the offline sandbox/);
    process.kill(-(run.child.pid as number), 'SIGINT');
    const r = await run.finished;

    assert.equal(r.code, 130, r.stderr.slice(-3000));
    assert.match(r.stdout, /Workflow stale-incident-triage: live run against the sandbox/);
    assert.match(r.stdout, /Not started: steps stale, nothingStale, eachStale, markStale/);
    // Storage survived the Ctrl-C, so the run could check that it left nothing pending.
    assert.match(r.stdout, /Pending writes: none/);
    assert.match(r.stdout, /Status: interrupted/);
  });
});
