import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowanceFor, loadConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';
import { httpStatusFor } from '../../shared/httpStatus';
import { userRunTenant } from '../../shared/tenants/runTenant';
import { selectTenants, TenantDisabledError } from '../../shared/tenants/selectTenants';

const base = {
  TENANT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  KEY_VAULT_URL: 'https://riposte-kv.vault.azure.net/',
  CLIENT_SECRET_NAME: 'defender-client-secret',
};
const CONTOSO = '22222222-2222-3333-4444-555555555555';
const FABRIKAM = '33333333-2222-3333-4444-555555555555';

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('tenant registry (TENANTS)', () => {
  it('without TENANTS is the one tenant of TENANT_ID/CLIENT_ID, key default, in the unprefixed partition', () => {
    const c = loadConfig(base);
    assert.equal(c.tenants.explicit, false);
    assert.deepEqual(c.tenants.tenants, [
      {
        key: 'default',
        tenantId: base.TENANT_ID,
        clientId: base.CLIENT_ID,
        clientSecretName: base.CLIENT_SECRET_NAME,
        api: 'graph',
        cloud: 'public',
        credentialSource: 'keyVaultSecret',
        enabled: true,
        partition: '',
      },
    ]);
  });

  it('fills what an entry leaves out from the root settings; the home tenant keeps the unprefixed partition', () => {
    const c = loadConfig({
      ...base,
      DEFENDER_API: 'legacy',
      TENANTS: JSON.stringify([
        { key: 'home', tenantId: base.TENANT_ID },
        {
          key: 'contoso',
          tenantId: CONTOSO,
          clientCertificateName: 'contoso-cert',
          api: 'graph',
          cloud: 'gcc',
          credentialSource: 'keyVaultCertificate',
        },
        { key: 'fabrikam', tenantId: FABRIKAM, enabled: false },
      ]),
    });
    assert.equal(c.tenants.explicit, true);
    const [home, contoso, fabrikam] = c.tenants.tenants;
    assert.deepEqual(
      [home?.partition, home?.api, home?.clientId, home?.clientSecretName],
      ['', 'legacy', base.CLIENT_ID, base.CLIENT_SECRET_NAME],
    );
    assert.deepEqual(
      [contoso?.partition, contoso?.api, contoso?.cloud, contoso?.credentialSource, contoso?.clientCertificateName],
      ['contoso', 'graph', 'gcc', 'keyVaultCertificate', 'contoso-cert'],
    );
    assert.equal(home?.clientCertificateName, undefined, 'a secret tenant names no certificate');
    assert.equal(fabrikam?.enabled, false);
  });

  it('names the entry and the field of every problem', () => {
    assert.deepEqual(problems({ TENANTS: '{' }), [
      'TENANTS must be JSON: an array of tenants ({"key", "tenantId", ...})',
    ]);
    assert.deepEqual(problems({ TENANTS: '[]' }), [
      'TENANTS must be a non-empty array of tenants ({"key", "tenantId", ...})',
    ]);
    const found = problems({
      TENANTS: JSON.stringify([
        { key: 'contoso', tenantId: 'not-a-guid', api: 'rest', cloud: 'mars', enabled: 'yes', colour: 'red' },
        { tenantId: CONTOSO, clientId: 'x' },
        { key: 'Bad Key', tenantId: FABRIKAM, credentialSource: 'password', clientSecretName: 'no spaces' },
        { key: 'dup', tenantId: FABRIKAM },
        { key: 'dup', tenantId: FABRIKAM },
      ]),
    });
    assert.deepEqual(found, [
      'TENANTS[contoso]: unknown field "colour" (known: key, tenantId, clientId, credentialSource, clientSecretName, clientCertificateName, api, cloud, quota, enabled)',
      'TENANTS[contoso].tenantId must be a GUID',
      'TENANTS[contoso].api must be one of: graph, legacy',
      'TENANTS[contoso].cloud must be one of: public, gcc, gcc-high, dod',
      'TENANTS[contoso].enabled must be true or false',
      'TENANTS[1].key is required',
      'TENANTS[1].clientId must be a GUID',
      'TENANTS[2].key must be 1-32 lower-case letters, digits or dashes, starting with a letter',
      'TENANTS[2].credentialSource must be one of: keyVaultSecret, keyVaultCertificate, managedIdentityFederation',
      'TENANTS[2].clientSecretName must be 1-127 letters, digits or dashes (a Key Vault secret name)',
      'TENANTS[dup].key is used by another tenant',
      'TENANTS[dup].tenantId is listed by another tenant',
    ]);
    // A certificate tenant names its certificate (or CLIENT_CERTIFICATE_NAME does); a federated one needs the
    // deployment's user-assigned identity.
    const sources = JSON.stringify([
      { key: 'cert', tenantId: CONTOSO, credentialSource: 'keyVaultCertificate' },
      { key: 'fic', tenantId: FABRIKAM, credentialSource: 'managedIdentityFederation' },
    ]);
    assert.deepEqual(problems({ TENANTS: sources }), [
      'TENANTS[cert].clientCertificateName is required with credentialSource keyVaultCertificate (or set CLIENT_CERTIFICATE_NAME)',
      'TENANTS[fic].credentialSource managedIdentityFederation needs MANAGED_IDENTITY_CLIENT_ID (the user-assigned identity the app registration trusts)',
    ]);
    const c = loadConfig({
      ...base,
      TENANTS: sources,
      CLIENT_CERTIFICATE_NAME: 'riposte-cert',
      MANAGED_IDENTITY_CLIENT_ID: '99999999-2222-3333-4444-555555555555',
    });
    assert.equal(c.tenants.tenants[0]?.clientCertificateName, 'riposte-cert');
  });

  it('selects one, a list or all tenants; unknown is 400 naming it, a disabled one asked for by name is 403', () => {
    const { tenants } = loadConfig({
      ...base,
      TENANTS: JSON.stringify([
        { key: 'contoso', tenantId: CONTOSO },
        { key: 'fabrikam', tenantId: FABRIKAM },
        { key: 'paused', tenantId: base.TENANT_ID, enabled: false },
      ]),
    });
    const keys = (list: { key: string }[]) => list.map((t) => t.key);
    assert.deepEqual(keys(selectTenants(tenants, 'all')), ['contoso', 'fabrikam']);
    assert.deepEqual(keys(selectTenants(tenants, undefined)), ['contoso', 'fabrikam']);
    assert.deepEqual(keys(selectTenants(tenants, ['fabrikam', 'paused'])), ['fabrikam']);
    assert.deepEqual(keys(selectTenants(tenants, 'all', 'fabrikam')), ['fabrikam']);
    assert.throws(
      () => selectTenants(tenants, 'all', 'northwind'),
      (e: Error & { code?: string }) =>
        e.code === 'INPUT_INVALID' && e.message.includes("unknown tenant 'northwind'") && e.message.includes('contoso'),
    );
    assert.throws(
      () => selectTenants(tenants, ['contoso'], 'fabrikam', 'triage'),
      /workflow 'triage' does not run for tenant 'fabrikam'/,
    );
    assert.throws(() => selectTenants(tenants, ['northwind']), /unknown tenant 'northwind'/);
    assert.throws(
      () => selectTenants(tenants, 'all', 'paused'),
      (e: unknown) => e instanceof TenantDisabledError && e.message.includes("tenant 'paused' is disabled"),
    );
    assert.equal(httpStatusFor({ code: 'TENANT_DISABLED' }).status, 403);
  });

  it("a run on behalf of a user acts in the deployment's own tenant: by default, and never in another named one", () => {
    const registry = (entries: object[]) => loadConfig({ ...base, TENANTS: JSON.stringify(entries) }).tenants;
    const tenants = registry([
      { key: 'home', tenantId: base.TENANT_ID },
      { key: 'fabrikam', tenantId: FABRIKAM },
    ]);
    const all = { name: 'triage', tenants: 'all' as const };
    assert.equal(userRunTenant(tenants, all, undefined, 'x'), 'home', 'no tenant named: the home one, not a 400');
    assert.equal(userRunTenant(tenants, all, 'home', 'x'), 'home');
    assert.throws(
      () => userRunTenant(tenants, all, 'fabrikam', 'call with the function key'),
      (e: Error & { code?: string; field?: string }) =>
        e.code === 'INPUT_INVALID' &&
        e.field === 'tenant' &&
        e.message.includes("not 'fabrikam' (call with the function key)"),
    );
    // A workflow that does not run at home has nothing a user can run.
    assert.throws(() => userRunTenant(tenants, { name: 'triage', tenants: ['fabrikam'] }, undefined, 'x'), /'home'/);
    // No registry entry for TENANT_ID: the home tenant is not among them.
    const away = registry([{ key: 'fabrikam', tenantId: FABRIKAM }]);
    assert.throws(
      () => userRunTenant(away, all, undefined, 'x'),
      (e: Error & { field?: string }) => e.field === 'tenant',
    );
    // Without TENANTS nothing changes: the one tenant.
    assert.equal(userRunTenant(loadConfig(base).tenants, all, undefined, 'x'), 'default');
  });

  it("takes a tenant's own allowance from its entry's quota; the same tenant in QUOTA_PER_TENANT too is refused", () => {
    const c = loadConfig({
      ...base,
      TENANTS: JSON.stringify([
        { key: 'contoso', tenantId: CONTOSO },
        { key: 'fabrikam', tenantId: FABRIKAM, quota: { incidentsPerMinute: 7, huntingPerHour: 90 } },
      ]),
    });
    assert.deepEqual(c.tenants.tenants[1]?.quota, { incidentsPerMinute: 7, huntingPerHour: 90 });
    const fab = allowanceFor(c, FABRIKAM);
    assert.equal(fab.incidents[0]?.limit, 7);
    assert.equal(fab.hunting[1]?.limit, 90);
    // What the entry leaves out is the QUOTA_* settings', as for every other tenant.
    assert.deepEqual(fab.alerts, allowanceFor(c, CONTOSO).alerts);
    assert.equal(allowanceFor(c, CONTOSO).incidents[0]?.limit, 50);
    assert.deepEqual(
      problems({
        TENANTS: JSON.stringify([{ key: 'fabrikam', tenantId: FABRIKAM, quota: { incidentsPerMinut: 7 } }]),
      }).filter((p) => p.includes('quota')),
      [
        'TENANTS[fabrikam].quota: unknown field "incidentsPerMinut" (known: incidentsPerMinute, incidentsPerHour, huntingPerMinute, huntingPerHour, alertsPerMinute, alertsPerHour, indicatorsPerMinute, indicatorsPerHour, identityPerMinute, identityPerHour, riskyUsersPerMinute, riskyUsersPerHour, machineActionsPerMinute, machineActionsPerHour)',
      ],
    );
    assert.ok(
      problems({
        TENANTS: JSON.stringify([{ key: 'fabrikam', tenantId: FABRIKAM, quota: { incidentsPerMinute: 0 } }]),
      }).includes('TENANTS[fabrikam].quota.incidentsPerMinute must be a whole number from 1 to 100000'),
    );
    assert.ok(
      problems({
        TENANTS: JSON.stringify([{ key: 'fabrikam', tenantId: FABRIKAM, quota: { incidentsPerMinute: 7 } }]),
        QUOTA_PER_TENANT: JSON.stringify({ [FABRIKAM]: { incidentsPerMinute: 9 } }),
      }).includes(
        `TENANTS[fabrikam].quota and QUOTA_PER_TENANT.${FABRIKAM} both set this tenant's allowance: keep one`,
      ),
    );
  });
});
