// `riposte run <workflow> --dry-run` against the sandbox it starts itself (no tenant configured): the report on
// stdout (--json: nothing else there), progress on stderr, the exact change a dry run would make, and the usage
// errors people hit (unknown workflow, bad input, a tenant without a managed identity, a write run without storage).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../cli/riposte';
import { capturedIo } from './cliProcess';
import type { RunReport } from '../../shared/engine';

const REPO = join(__dirname, '..', '..');
let dir: string;
let settings: string;

const io = (env: Record<string, string | undefined>) => capturedIo({ env });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-run-'));
  // No TENANT_ID anywhere: the CLI must pick the sandbox.
  settings = join(dir, 'local.settings.json');
  writeFileSync(settings, JSON.stringify({ IsEncrypted: false, Values: {} }));
  writeFileSync(
    join(dir, 'input.yaml'),
    'incidentId: "3309"\nticketId: DEMO-1\nstatus: resolved\nclassification: truePositive\ndetermination: phishing\ncomment: "[DEMO-1] Closed"\n',
  );
  writeFileSync(join(dir, 'bad-input.json'), '{ "incidentId": 3309 }');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('riposte run against the sandbox', () => {
  it('--dry-run --json prints only the run report, with the change it would make', async () => {
    const out = io({});
    const code = await main(
      ['run', 'ticket-sync', '--dry-run', '--json', '--input', join(dir, 'input.yaml'), '--settings', settings],
      out,
    );
    assert.equal(code, 0, out.err);
    const report = JSON.parse(out.out) as RunReport;
    assert.equal(report.workflow, 'ticket-sync');
    assert.equal(report.trigger, 'cli');
    assert.equal(report.dryRun, true);
    assert.equal(report.status, 'succeeded');
    const change = report.steps.find((s) => s.id === 'apply')?.changes[0];
    assert.equal(change?.incidentId, '3309');
    assert.equal(change?.outcome, 'wouldApply');
    assert.deepEqual(Object.keys(change?.patch ?? {}).sort(), ['classification', 'determination', 'status', 'tags']);
    assert.match(change?.comment ?? '', /^\[DEMO-1\] Closed — \[riposte:[0-9a-f]{8}\]$/);
    // Logs are JSON lines on stderr, one summary per run.
    const logs = out.err
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string; status?: string });
    assert.equal(logs.filter((l) => l.message === '[engine] run finished').length, 1);
  });

  it('prints a readable report for people when run as `npx riposte` (bin entry, own process)', () => {
    // A separate process: the managed-identity token cache is per process, and each run starts its own sandbox.
    const env = { ...process.env };
    delete env.TENANT_ID;
    const r = spawnSync(
      process.execPath,
      [join(REPO, 'bin', 'riposte.js'), 'run', 'ticket-sync', '--dry-run', '--input', 'input.yaml', '--dir', REPO],
      { cwd: dir, env, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /starting the offline sandbox/);
    assert.match(r.stderr, /\[engine\] change runId=\S+ step=apply incidentId=3309 outcome=wouldApply/);
    assert.match(r.stdout, /Workflow ticket-sync: dry run against the sandbox/);
    assert.match(r.stdout, /incident 3309: would apply: status, classification, determination, tags, comment/);
    assert.match(r.stdout, /Changes: 1 would apply\nStatus: succeeded in \d+ ms\n$/);
  });

  it('names what is wrong: unknown workflow, bad input, tenant without identity, writes without storage', async () => {
    const unknown = io({});
    assert.equal(await main(['run', 'no-such-flow', '--dry-run', '--settings', settings], unknown), 2);
    assert.match(unknown.err, /unknown workflow 'no-such-flow'; available: .*stale-incident-triage/);

    const badInput = io({});
    const args = ['run', 'ticket-sync', '--dry-run', '--input', join(dir, 'bad-input.json'), '--settings', settings];
    assert.equal(await main(args, badInput), 2);
    assert.match(badInput.err, /input\.incidentId: .*string/);

    const tenant = { TENANT_ID: '11111111-2222-3333-4444-555555555555' };
    const noIdentity = io(tenant);
    assert.equal(await main(['run', 'ticket-sync', '--dry-run', '--settings', settings], noIdentity), 2);
    assert.match(noIdentity.err, /no managed identity is available here/);

    const noStorage = io({ ...tenant, IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token' });
    assert.equal(await main(['run', 'ticket-sync', '--settings', settings], noStorage), 2);
    assert.match(noStorage.err, /A run that writes needs the Function App storage/);
  });
});
