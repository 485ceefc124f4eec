import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowanceFor, loadConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';

const base = {
  TENANT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  KEY_VAULT_URL: 'https://riposte-kv.vault.azure.net/',
  CLIENT_SECRET_NAME: 'defender-client-secret',
};

describe('loadConfig', () => {
  it('defaults to the Graph API in the public cloud', () => {
    const c = loadConfig(base);
    assert.equal(c.api, 'graph');
    assert.equal(c.cloud, 'public');
    assert.equal(c.apiBaseUrl, 'https://graph.microsoft.com/v1.0');
    assert.equal(c.apiScope, 'https://graph.microsoft.com/.default');
    assert.equal(c.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(c.keyVaultUrl, 'https://riposte-kv.vault.azure.net');
    assert.equal(c.customAuthority, false);
    assert.deepEqual(c.rateLimits.incidents[0], { limit: 50, windowMs: 60_000 });
  });

  it('maps each cloud and backend to its hosts and scope', () => {
    const legacyHigh = loadConfig({ ...base, DEFENDER_API: 'legacy', DEFENDER_CLOUD: 'gcc-high' });
    assert.equal(legacyHigh.apiBaseUrl, 'https://api-gov.security.microsoft.us');
    assert.equal(legacyHigh.apiScope, 'https://api-gov.security.microsoft.us/.default');
    assert.equal(legacyHigh.authorityHost, 'https://login.microsoftonline.us');
    const dod = loadConfig({ ...base, DEFENDER_CLOUD: 'DoD' });
    assert.equal(dod.apiBaseUrl, 'https://dod-graph.microsoft.us/v1.0');
    const gcc = loadConfig({ ...base, DEFENDER_API: 'legacy', DEFENDER_CLOUD: 'gcc' });
    assert.equal(gcc.apiBaseUrl, 'https://api-gcc.security.microsoft.us');
    assert.equal(gcc.authorityHost, 'https://login.microsoftonline.com');
  });

  it('keeps the real scope when the hosts are overridden (sandbox)', () => {
    const c = loadConfig({
      ...base,
      AUTHORITY_HOST: 'https://127.0.0.1:8443',
      DEFENDER_API_BASE_URL: 'https://127.0.0.1:8443/v1.0',
      KEY_VAULT_CHALLENGE_VERIFICATION: 'false',
    });
    assert.equal(c.customAuthority, true);
    assert.equal(c.apiBaseUrl, 'https://127.0.0.1:8443/v1.0');
    assert.equal(c.apiScope, 'https://graph.microsoft.com/.default');
    assert.equal(c.keyVaultChallengeVerification, false);
  });

  it('names every problem at once and never echoes a value', () => {
    const secretLooking = 'not-a-guid-Xy9~supersecret';
    assert.throws(
      () =>
        loadConfig({
          TENANT_ID: secretLooking,
          KEY_VAULT_URL: 'http://kv.example',
          DEFENDER_API: 'soap',
          DEFENDER_CLOUD: 'mars',
          MAX_RETRIES: '-1',
        }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [
          'TENANT_ID must be a GUID',
          'CLIENT_ID is required',
          'KEY_VAULT_URL must be an https:// URL',
          'CLIENT_SECRET_NAME is required',
          'DEFENDER_API must be one of: graph, legacy',
          'DEFENDER_CLOUD must be one of: public, gcc, gcc-high, dod',
          'MAX_RETRIES must be a number from 0 to 10',
        ]);
        assert.ok(!e.message.includes(secretLooking));
        return true;
      },
    );
  });

  it('takes DEFENDER_API_BASE_URL with or without the version (Graph) or /api (legacy), slash or not', () => {
    const base_ = (api: string, url: string) => loadConfig({ ...base, DEFENDER_API: api, DEFENDER_API_BASE_URL: url });
    for (const url of ['https://graph.microsoft.us', 'https://graph.microsoft.us/', 'https://graph.microsoft.us/v1.0/'])
      assert.equal(base_('graph', url).apiBaseUrl, 'https://graph.microsoft.us/v1.0', url);
    assert.equal(base_('graph', 'https://proxy.example/graph').apiBaseUrl, 'https://proxy.example/graph/v1.0');
    assert.equal(base_('graph', 'https://graph.microsoft.com/beta').apiBaseUrl, 'https://graph.microsoft.com/beta');
    for (const url of ['https://api.security.microsoft.com', 'https://api.security.microsoft.com/api/'])
      assert.equal(base_('legacy', url).apiBaseUrl, 'https://api.security.microsoft.com', url);
  });

  it('gives HTTP calls and background work their own retry budgets', () => {
    const c = loadConfig(base);
    assert.deepEqual([c.maxRetries, c.backgroundMaxRetries, c.httpDeadlineMs], [3, 6, 100_000]);
    const tuned = loadConfig({ ...base, MAX_RETRIES: '1', BACKGROUND_MAX_RETRIES: '9', HTTP_DEADLINE_SECONDS: '60' });
    assert.deepEqual([tuned.maxRetries, tuned.backgroundMaxRetries, tuned.httpDeadlineMs], [1, 9, 60_000]);
    // Past 230 s the App Service front end has cut the connection anyway.
    assert.throws(() => loadConfig({ ...base, HTTP_DEADLINE_SECONDS: '300' }), /HTTP_DEADLINE_SECONDS must be/);
    assert.throws(() => loadConfig({ ...base, BACKGROUND_MAX_RETRIES: '13' }), /BACKGROUND_MAX_RETRIES must be/);
  });

  it('leases last a minute at most: a crashed instance holds nothing up for longer', () => {
    assert.equal(loadConfig(base).leaseMs, 60_000);
    assert.equal(loadConfig({ ...base, LEASE_SECONDS: '2' }).leaseMs, 2_000);
    assert.throws(() => loadConfig({ ...base, LEASE_SECONDS: '600' }), /LEASE_SECONDS must be a number from 1 to 60/);
  });

  it('scales rate-limit windows for tests and benchmarks', () => {
    const c = loadConfig({ ...base, RATE_LIMIT_WINDOW_SCALE: '0.1' });
    assert.deepEqual(c.rateLimits.hunting, [
      { limit: 45, windowMs: 6000 },
      { limit: 1500, windowMs: 360000 },
    ]);
  });

  it('gives Graph alerts_v2 its own quota family: 150 a minute by default (Graph throttling-limits page), configurable', () => {
    assert.deepEqual(loadConfig(base).rateLimits.alerts, [
      { limit: 150, windowMs: 60_000 },
      { limit: 9000, windowMs: 3_600_000 },
    ]);
    const c = loadConfig({
      ...base,
      QUOTA_ALERTS_PER_MINUTE: '30',
      QUOTA_PER_TENANT: JSON.stringify({ [base.TENANT_ID]: { alertsPerHour: 600 } }),
    });
    assert.deepEqual(c.rateLimits.alerts, [
      { limit: 30, windowMs: 60_000 },
      { limit: 600, windowMs: 3_600_000 },
    ]);
  });

  it('takes each tenant’s quota allowance from QUOTA_* settings, and QUOTA_PER_TENANT for tenants that differ', () => {
    const other = '99999999-8888-7777-6666-555555555555';
    const c = loadConfig({
      ...base,
      QUOTA_INCIDENTS_PER_MINUTE: '40',
      QUOTA_HUNTING_PER_HOUR: '1000',
      // Upper-case ids match too; an entry names only what differs.
      QUOTA_PER_TENANT: JSON.stringify({ [other.toUpperCase()]: { incidentsPerMinute: 100, incidentsPerHour: 3000 } }),
    });
    assert.deepEqual(c.rateLimits.incidents, [
      { limit: 40, windowMs: 60_000 },
      { limit: 1500, windowMs: 3_600_000 },
    ]);
    assert.deepEqual(c.rateLimits.hunting[1], { limit: 1000, windowMs: 3_600_000 });
    assert.deepEqual(allowanceFor(c, other).incidents, [
      { limit: 100, windowMs: 60_000 },
      { limit: 3000, windowMs: 3_600_000 },
    ]);
    assert.deepEqual(allowanceFor(c, other).hunting, c.rateLimits.hunting, 'the rest from the QUOTA_* settings');
    assert.deepEqual(allowanceFor(c, base.TENANT_ID), c.rateLimits);
    // TENANT_ID's own entry wins over the QUOTA_* settings for it.
    const own = loadConfig({
      ...base,
      QUOTA_PER_TENANT: JSON.stringify({ [base.TENANT_ID]: { huntingPerMinute: 20 } }),
    });
    assert.deepEqual(own.rateLimits.hunting[0], { limit: 20, windowMs: 60_000 });
  });

  it('names the quota setting or tenant field at fault, never its value', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ ...base, ...env });
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return [...e.problems];
      }
      return [];
    };
    assert.deepEqual(problems({ QUOTA_INCIDENTS_PER_MINUTE: '0' }), [
      'QUOTA_INCIDENTS_PER_MINUTE must be a number from 1 to 100000',
    ]);
    assert.deepEqual(problems({ QUOTA_HUNTING_PER_HOUR: '12.5' }), ['QUOTA_HUNTING_PER_HOUR must be a whole number']);
    assert.deepEqual(problems({ QUOTA_PER_TENANT: '{"secret-looking": ' }), [
      'QUOTA_PER_TENANT must be JSON: an object keyed by tenant id',
    ]);
    assert.deepEqual(problems({ QUOTA_PER_TENANT: '{"contoso.com": {}}' }), [
      'QUOTA_PER_TENANT: every key must be a tenant id (GUID)',
    ]);
    assert.deepEqual(
      problems({
        QUOTA_PER_TENANT: JSON.stringify({ [base.TENANT_ID]: { incidentsPerMinte: 5, huntingPerHour: -1 } }),
      }),
      [
        `QUOTA_PER_TENANT.${base.TENANT_ID}: unknown field "incidentsPerMinte" (known: incidentsPerMinute, incidentsPerHour, huntingPerMinute, huntingPerHour, alertsPerMinute, alertsPerHour, identityPerMinute, identityPerHour, riskyUsersPerMinute, riskyUsersPerHour, machineActionsPerMinute, machineActionsPerHour)`,
        `QUOTA_PER_TENANT.${base.TENANT_ID}.huntingPerHour must be a whole number from 1 to 10000000`,
      ],
    );
  });
});
