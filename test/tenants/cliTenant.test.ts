// `riposte run --tenant`: a run from the CLI in one registry tenant (TENANTS), against the sandbox playing the home
// tenant and an added one: it acts with that tenant's app registration and reads that tenant's incidents only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../cli/riposte';
import type { RunReport } from '../../shared/engine';
import { startSandbox, type AddedTenant, type Sandbox } from '../../sandbox';
import { baseEnv, capturedIo, riposte } from '../cli/cliProcess';

const REPO = join(__dirname, '..', '..');
const FABRIKAM = { tenantId: '3c4d5e6f-0a1b-4c2d-8e3f-4a5b6c7d8e9f', clientId: '6a7b8c9d-1e2f-4a3b-9c4d-5e6f7a8b9c0d' };
const MARKER = {
  contoso: `mk-con-${randomBytes(4).toString('hex')}`,
  fabrikam: `mk-fab-${randomBytes(4).toString('hex')}`,
};

let sandbox: Sandbox;
let fabrikam: AddedTenant;
let dir: string;
let settings: string;

const io = (env: Record<string, string | undefined>) => capturedIo({ env });

before(async () => {
  sandbox = await startSandbox();
  fabrikam = sandbox.control.addTenant({ ...FABRIKAM, secretName: 'fabrikam-client-secret' });
  const stale = new Date(Date.now() - 20 * 86_400_000).toISOString();
  sandbox.control.addIncident({
    displayName: `Old ${MARKER.contoso}`,
    createdDateTime: stale,
    lastUpdateDateTime: stale,
  });
  sandbox.control.tenant(fabrikam.tenantId).addIncident({
    id: 7002,
    displayName: `Old ${MARKER.fabrikam}`,
    createdDateTime: stale,
    lastUpdateDateTime: stale,
  });
  dir = mkdtempSync(join(tmpdir(), 'riposte-cli-tenant-'));
  settings = join(dir, 'local.settings.json');
  writeFileSync(settings, JSON.stringify({ IsEncrypted: false, Values: {} }));
});
after(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = (): Record<string, string | undefined> => ({
  ...sandbox.settings('graph'),
  TENANTS: JSON.stringify([
    { key: 'contoso', tenantId: sandbox.tenantId },
    { key: 'fabrikam', ...FABRIKAM, clientSecretName: 'fabrikam-client-secret' },
    { key: 'woodgrove', tenantId: '5e6f7a8b-2c3d-4e4f-8a5b-6c7d8e9fa0b1', enabled: false },
  ]),
});

describe('riposte run --tenant', () => {
  it("runs in the named tenant with its own app registration and sees that tenant's incidents only", async () => {
    // Its own process, as an analyst runs it (the managed identity for Key Vault is the sandbox's).
    const done = await riposte(
      ['run', 'stale-incident-triage', '--dry-run', '--tenant', 'fabrikam', '--json', '--dir', REPO],
      { env: baseEnv(env()) },
    ).finished;
    assert.equal(done.code, 0, done.stderr.slice(-2000));
    const report = JSON.parse(done.stdout) as RunReport;
    assert.equal(report.tenant, 'fabrikam');
    assert.equal(report.status, 'succeeded');
    // The stale incident it would triage is fabrikam's (7002); contoso's (7001) is another tenant's.
    const touched = report.steps.flatMap((st) => st.changes.map((c) => c.incidentId));
    assert.deepEqual(touched, ['7002']);
    assert.ok(!JSON.stringify(report).includes(MARKER.contoso));
    assert.ok(!done.stderr.includes(MARKER.contoso), 'nor in the log lines');
    assert.ok(sandbox.control.tenant(fabrikam.tenantId).counters().api.incidentsList > 0);
    assert.equal(sandbox.control.counters().api.incidentsList, 0, 'nothing was read in the home tenant');
    assert.equal(sandbox.control.counters().tokenRequests, 0, "the home tenant's app asked for no token");
  });

  it('needs --tenant for a workflow over several tenants, and names an unknown or disabled one', async () => {
    const none = io(env());
    assert.equal(await main(['run', 'stale-incident-triage', '--dry-run', '--settings', settings], none), 2);
    assert.match(none.err, /tenant is required: workflow 'stale-incident-triage' runs for several tenants/);
    const unknown = io(env());
    const args = ['run', 'stale-incident-triage', '--dry-run', '--settings', settings, '--tenant', 'tailspin'];
    assert.equal(await main(args, unknown), 2);
    assert.match(unknown.err, /unknown tenant 'tailspin'/);
    const disabled = io(env());
    args[args.length - 1] = 'woodgrove';
    assert.notEqual(await main(args, disabled), 0);
    assert.match(disabled.err, /tenant 'woodgrove' is disabled/);
  });

  it("--user runs in the deployment's own tenant only: another --tenant is refused before any sign-in", async () => {
    const asUser = io({ ...env(), RIPOSTE_CLI_CLIENT_ID: sandbox.cliClientId });
    const args = [
      'run',
      'stale-incident-triage',
      '--dry-run',
      '--settings',
      settings,
      '--user',
      '--tenant',
      'fabrikam',
    ];
    assert.equal(await main(args, asUser), 2);
    assert.match(
      asUser.err,
      /tenant: a run on behalf of a user acts in the deployment's own tenant \(TENANT_ID\) only, not 'fabrikam' \(run it without --user\)/,
    );
    assert.doesNotMatch(asUser.err, /enter the code/i, 'no device code was offered');
    assert.equal(
      sandbox.control.requests().filter((r) => r.family === 'devicecode').length,
      0,
      'the sandbox issued no device code',
    );
  });
});
