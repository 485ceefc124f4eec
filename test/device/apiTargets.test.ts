// API targets (issue 14 item 2, foundation): one base URL and token scope per API and cloud (response-actions.md §2),
// the base-URL settings that point them at the sandbox, the machine-actions quota family, a token cache per scope,
// and, through the real composition root against the sandbox, a token per API with that API's audience.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { loadConfig } from '../../shared/config';
import { createTokenProvider, type TokenCredentialLike } from '../../shared/credentials/tokenProvider';
import type { SecretProvider } from '../../shared/credentials/secretProvider';
import { ConfigError } from '../../shared/errors';
import { sandboxDeps } from '../integration/sandboxDeps';

const base = {
  TENANT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  KEY_VAULT_URL: 'https://riposte-kv.vault.azure.net/',
  CLIENT_SECRET_NAME: 'defender-client-secret',
};

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('config.apis per cloud', () => {
  const cases = [
    // cloud, graph root, legacy root, MDE root, MDE scope (response-actions.md §2; government scopes UNCONFIRMED)
    [
      'public',
      'https://graph.microsoft.com',
      'https://api.security.microsoft.com',
      'https://api.security.microsoft.com',
      'https://api.securitycenter.microsoft.com/.default',
    ],
    [
      'gcc',
      'https://graph.microsoft.com',
      'https://api-gcc.security.microsoft.us',
      'https://api-gcc.securitycenter.microsoft.us',
      'https://api-gcc.securitycenter.microsoft.us/.default',
    ],
    [
      'gcc-high',
      'https://graph.microsoft.us',
      'https://api-gov.security.microsoft.us',
      'https://api-gov.securitycenter.microsoft.us',
      'https://api-gov.securitycenter.microsoft.us/.default',
    ],
    [
      'dod',
      'https://dod-graph.microsoft.us',
      'https://api-gov.security.microsoft.us',
      'https://api-gov.securitycenter.microsoft.us',
      'https://api-gov.securitycenter.microsoft.us/.default',
    ],
  ] as const;
  for (const [cloud, graph, legacy, mde, mdeScope] of cases) {
    for (const api of ['graph', 'legacy'] as const) {
      it(`${cloud}, DEFENDER_API=${api}: Graph, legacy and MDE each with their own host and scope`, () => {
        const c = loadConfig({ ...base, DEFENDER_CLOUD: cloud, DEFENDER_API: api });
        assert.deepEqual(c.apis.graph, { baseUrl: `${graph}/v1.0`, scope: `${graph}/.default` });
        assert.deepEqual(c.apis.legacy, { baseUrl: legacy, scope: `${legacy}/.default` });
        assert.deepEqual(c.apis.mde, { baseUrl: mde, scope: mdeScope });
        assert.equal(c.apiBaseUrl, c.apis[api].baseUrl);
        assert.equal(c.apiScope, c.apis[api].scope);
      });
    }
  }

  it('GRAPH_API_BASE_URL and MDE_API_BASE_URL move the hosts, never the scopes; MDE_API_SCOPE moves the MDE scope', () => {
    const c = loadConfig({
      ...base,
      DEFENDER_API: 'legacy',
      DEFENDER_CLOUD: 'gcc-high',
      DEFENDER_API_BASE_URL: 'https://127.0.0.1:8443/api/',
      GRAPH_API_BASE_URL: 'https://127.0.0.1:8443',
      MDE_API_BASE_URL: 'https://127.0.0.1:8443/api',
    });
    assert.deepEqual(c.apis.legacy, {
      baseUrl: 'https://127.0.0.1:8443',
      scope: 'https://api-gov.security.microsoft.us/.default',
    });
    assert.deepEqual(c.apis.graph, {
      baseUrl: 'https://127.0.0.1:8443/v1.0',
      scope: 'https://graph.microsoft.us/.default',
    });
    assert.deepEqual(c.apis.mde, {
      baseUrl: 'https://127.0.0.1:8443',
      scope: 'https://api-gov.securitycenter.microsoft.us/.default',
    });
    const scoped = loadConfig({
      ...base,
      DEFENDER_CLOUD: 'gcc-high',
      MDE_API_SCOPE: 'https://api.securitycenter.microsoft.us/.default',
    });
    assert.equal(scoped.apis.mde.scope, 'https://api.securitycenter.microsoft.us/.default');
  });

  it('on DEFENDER_API=graph, DEFENDER_API_BASE_URL moves Graph; a GRAPH_API_BASE_URL that disagrees is refused', () => {
    const c = loadConfig({ ...base, DEFENDER_API_BASE_URL: 'https://127.0.0.1:9000' });
    assert.equal(c.apis.graph.baseUrl, 'https://127.0.0.1:9000/v1.0');
    assert.equal(c.apis.legacy.baseUrl, 'https://api.security.microsoft.com', 'legacy keeps its own host');
    const same = loadConfig({
      ...base,
      DEFENDER_API_BASE_URL: 'https://127.0.0.1:9000',
      GRAPH_API_BASE_URL: 'https://127.0.0.1:9000/v1.0/',
    });
    assert.equal(same.apis.graph.baseUrl, 'https://127.0.0.1:9000/v1.0');
    assert.throws(
      () =>
        loadConfig({ ...base, DEFENDER_API_BASE_URL: 'https://a.example', GRAPH_API_BASE_URL: 'https://b.example' }),
      (e: unknown) =>
        e instanceof ConfigError && e.message.includes('GRAPH_API_BASE_URL and DEFENDER_API_BASE_URL name different'),
    );
  });

  it('refuses a bad MDE_API_BASE_URL or MDE_API_SCOPE by name', () => {
    assert.throws(
      () => loadConfig({ ...base, MDE_API_BASE_URL: 'http://plain.example', MDE_API_SCOPE: 'Machine.Isolate' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes('MDE_API_BASE_URL must be an https:// URL') &&
        e.message.includes('MDE_API_SCOPE must be an https:// resource followed by /.default'),
    );
  });

  it('machine actions have their own quota family: 100 a minute and 1,500 an hour by default (per app and tenant)', () => {
    const c = loadConfig(base);
    assert.deepEqual(c.rateLimits.machineActions, [
      { limit: 100, windowMs: 60_000 },
      { limit: 1500, windowMs: 3_600_000 },
    ]);
    const own = loadConfig({
      ...base,
      QUOTA_MACHINE_ACTIONS_PER_MINUTE: '10',
      QUOTA_PER_TENANT: JSON.stringify({ [base.TENANT_ID]: { machineActionsPerHour: 200 } }),
    });
    assert.deepEqual(own.rateLimits.machineActions, [
      { limit: 10, windowMs: 60_000 },
      { limit: 200, windowMs: 3_600_000 },
    ]);
  });
});

describe('token provider: one cache per scope', () => {
  const secrets: SecretProvider = {
    vaultUrl: 'https://kv.vault.azure.net',
    secretName: 's',
    reads: 0,
    get: async () => 'secret',
    refresh: async () => 'secret',
  };
  it('asks Entra once per scope, serves each scope its own token, and a 401 on one API drops only its token', async () => {
    const asked: string[] = [];
    const factory = (): TokenCredentialLike => {
      const cache = new Map<string, string>();
      return {
        async getToken(scope) {
          const s = String(scope);
          const hit = cache.get(s);
          if (hit) return { token: hit, expiresOnTimestamp: Date.now() + 3_600_000 };
          asked.push(s);
          const token = `token-${s}-${asked.length}`;
          cache.set(s, token);
          return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
        },
      };
    };
    const graph = 'https://graph.microsoft.com/.default';
    const mde = 'https://api.securitycenter.microsoft.com/.default';
    const tokens = createTokenProvider({
      tenantId: base.TENANT_ID,
      clientId: base.CLIENT_ID,
      authorityHost: 'https://login.microsoftonline.com',
      disableInstanceDiscovery: false,
      scope: graph,
      secrets,
      createCredential: factory,
    });
    const [g1, m1, m2] = await Promise.all([tokens.getToken(), tokens.getToken(mde), tokens.getToken(mde)]);
    assert.equal(g1, `token-${graph}-1`);
    assert.equal(m1, `token-${mde}-2`);
    assert.equal(m2, m1, 'concurrent callers of one scope share one request');
    assert.equal(await tokens.getToken(graph), g1);
    tokens.invalidate(mde);
    assert.equal(await tokens.getToken(graph), g1, 'the Graph token survives the MDE 401');
    assert.notEqual(await tokens.getToken(mde), m1, 'the MDE token is fetched again');
    assert.deepEqual(asked, [graph, mde, mde]);
  });
});

describe('deps.apis against the sandbox', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ rateLimits: false });
  });
  after(() => sb.close());

  for (const api of ['graph', 'legacy'] as const) {
    it(`DEFENDER_API=${api}: Graph, legacy and MDE clients, each token for its own API's audience`, async () => {
      const deps = sandboxDeps(sb, api);
      assert.equal(deps.http, deps.apis[api], 'deps.http is the backend of DEFENDER_API');
      assert.equal(deps.apis.graph.baseURL, `${sb.url}/v1.0`, 'Graph points at the sandbox on either backend');
      assert.equal(deps.apis.mde.baseURL, sb.url);
      const aud = async (scope: string) => claims(await deps.tokens.getToken(scope)).aud;
      assert.equal(await aud(deps.config.apis.mde.scope), 'https://api.securitycenter.microsoft.com');
      assert.equal(await aud(deps.config.apis.graph.scope), 'https://graph.microsoft.com');
      assert.equal(await aud(deps.config.apis.legacy.scope), 'https://api.security.microsoft.com');
      const mdeRoles = claims(await deps.tokens.getToken(deps.config.apis.mde.scope)).roles as string[];
      assert.ok(mdeRoles.includes('Machine.Isolate') && !mdeRoles.includes('Incident.ReadWrite.All'), mdeRoles.join());
      // Graph works through deps.apis.graph whatever DEFENDER_API says.
      const page = await deps.apis.graph.request<{ value: unknown[] }>({
        method: 'GET',
        path: '/security/incidents',
        params: { $top: 1 },
        family: 'incidents',
      });
      assert.equal(page.value.length, 1);
    });
  }

  it('DEFENDER_CLOUD=gcc-high asks Entra for the gov audiences (the sandbox knows them)', async () => {
    const deps = sandboxDeps(sb, 'legacy', { DEFENDER_CLOUD: 'gcc-high' });
    assert.equal(
      claims(await deps.tokens.getToken(deps.config.apis.mde.scope)).aud,
      'https://api-gov.securitycenter.microsoft.us',
    );
    assert.equal(claims(await deps.tokens.getToken(deps.config.apis.graph.scope)).aud, 'https://graph.microsoft.us');
    const page = await deps.apis.graph.request<{ value: unknown[] }>({
      method: 'GET',
      path: '/security/incidents',
      params: { $top: 1 },
      family: 'incidents',
    });
    assert.equal(page.value.length, 1, 'the Graph API takes a gov Graph token');
  });
});
