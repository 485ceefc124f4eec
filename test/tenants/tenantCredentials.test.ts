// Each registry tenant proves itself its own way (TENANTS credentialSource), through the real SDKs in a CLI process:
// one multi-tenant app registration, consented in two customer tenants; in one the app signs in with its certificate
// from Key Vault (ClientCertificateCredential), in the other with the deployment's user-assigned identity as its
// federated credential (ClientAssertionCredential), while the deployment's own tenant keeps its client secret.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { startSandbox, type AddedTenant, type Sandbox } from '../../sandbox';
import { baseEnv, REPO, riposte } from '../cli/cliProcess';

const NORTHWIND = '4d5e6f7a-1b2c-4d3e-9f4a-5b6c7d8e9fa0';
const TAILSPIN = '6f7a8b9c-3d4e-4f5a-8b6c-7d8e9fa0b1c2';
const MARKER = randomBytes(4).toString('hex');

let sandbox: Sandbox;
const added: Record<'northwind' | 'tailspin', AddedTenant> = {} as never;

before(async () => {
  sandbox = await startSandbox();
  const stale = new Date(Date.now() - 20 * 86_400_000).toISOString();
  for (const [key, tenantId, id] of [
    ['northwind', NORTHWIND, 7101],
    ['tailspin', TAILSPIN, 7201],
  ] as const) {
    // The one multi-tenant app: the same client id in every tenant, its credentials kept in the home tenant.
    added[key] = sandbox.control.addTenant({ tenantId, clientId: sandbox.clientId });
    sandbox.control.tenant(tenantId).addIncident({
      id,
      displayName: `Old ${key} ${MARKER}`,
      createdDateTime: stale,
      lastUpdateDateTime: stale,
    });
  }
});
after(() => sandbox?.close());

const env = (): Record<string, string | undefined> =>
  baseEnv({
    ...sandbox.settings('graph'),
    CLIENT_CERTIFICATE_NAME: sandbox.certificateName,
    MANAGED_IDENTITY_CLIENT_ID: sandbox.uamiClientId,
    TENANTS: JSON.stringify([
      { key: 'home', tenantId: sandbox.tenantId },
      { key: 'northwind', tenantId: NORTHWIND, credentialSource: 'keyVaultCertificate' },
      { key: 'tailspin', tenantId: TAILSPIN, credentialSource: 'managedIdentityFederation' },
    ]),
  });

async function runIn(tenant: string): Promise<RunReport> {
  const done = await riposte(
    ['run', 'stale-incident-triage', '--dry-run', '--tenant', tenant, '--json', '--dir', REPO],
    { env: env() },
  ).finished;
  assert.equal(done.code, 0, done.stderr.slice(-2000) + done.stdout.slice(-2000));
  return JSON.parse(done.stdout) as RunReport;
}

describe('a credential source per registry tenant', () => {
  it("signs in to a tenant with the app's certificate from Key Vault, and reads that tenant's incidents", async () => {
    const seen = sandbox.control.requests().length;
    const report = await runIn('northwind');
    assert.equal(report.tenant, 'northwind');
    assert.equal(report.status, 'succeeded');
    assert.deepEqual(
      report.steps.flatMap((s) => s.changes.map((c) => c.incidentId)),
      ['7101'],
    );
    const log = sandbox.control.requests().slice(seen);
    const tokens = log.filter((r) => r.family === 'token' && r.tenant === NORTHWIND);
    assert.ok(tokens.length > 0 && tokens.every((r) => r.status === 200), JSON.stringify(tokens));
    // The certificate was read from Key Vault; the tenant's client secret never was.
    const reads = log.filter((r) => r.family === 'keyvault').map((r) => r.path);
    assert.ok(
      reads.some((p) => p.startsWith(`/secrets/${sandbox.certificateName}`)),
      JSON.stringify(reads),
    );
    assert.ok(!reads.some((p) => p.startsWith(`/secrets/${added.northwind.secretName}`)), JSON.stringify(reads));
    // Key Vault and the managed identity are the deployment's own (home); every Entra and API call was the tenant's.
    const calls = log.filter((r) => r.family !== 'keyvault' && r.family !== 'mi');
    assert.deepEqual(new Set(calls.map((r) => r.tenant)), new Set([NORTHWIND]), 'nothing elsewhere');
  });

  it("signs in to a tenant with the deployment's user-assigned identity as the app's federated credential, no secret", async () => {
    const seen = sandbox.control.requests().length;
    const report = await runIn('tailspin');
    assert.equal(report.tenant, 'tailspin');
    assert.equal(report.status, 'succeeded');
    assert.deepEqual(
      report.steps.flatMap((s) => s.changes.map((c) => c.incidentId)),
      ['7201'],
    );
    const log = sandbox.control.requests().slice(seen);
    const exchange = log.filter((r) => r.family === 'mi' && r.identity === sandbox.uamiClientId);
    assert.ok(exchange.length > 0, 'the user-assigned identity gave the assertion');
    assert.ok(log.some((r) => r.family === 'token' && r.tenant === TAILSPIN && r.status === 200));
    const reads = log.filter((r) => r.family === 'keyvault').map((r) => r.path);
    assert.ok(!reads.some((p) => p.startsWith(`/secrets/${added.tailspin.secretName}`)), JSON.stringify(reads));
    assert.ok(!reads.some((p) => p.startsWith(`/secrets/${sandbox.certificateName}`)), JSON.stringify(reads));
    // Key Vault and the managed identity are the deployment's own (home); every Entra and API call was the tenant's.
    const calls = log.filter((r) => r.family !== 'keyvault' && r.family !== 'mi');
    assert.deepEqual(new Set(calls.map((r) => r.tenant)), new Set([TAILSPIN]), 'nothing elsewhere');
  });
});
