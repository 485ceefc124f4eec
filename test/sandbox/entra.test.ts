// Entra ID emulation through the real @azure/identity ClientSecretCredential, plus raw requests for the error cases.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuthenticationRequiredError, ClientSecretCredential } from '@azure/identity';
import { startSandbox, type Sandbox } from '../../sandbox';
import { claimsOf, client, GRAPH_SCOPE, LEGACY_SCOPE } from './helpers';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());

function credential(secret: string): ClientSecretCredential {
  // The CA goes to each client: NODE_EXTRA_CA_CERTS is read only at process start.
  return new ClientSecretCredential(sandbox.tenantId, sandbox.clientId, secret, {
    authorityHost: sandbox.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: sandbox.caPem },
  });
}

/**
 * The `error/AADSTS` pair of a failed getToken and the HTTP status the sandbox answered with. @azure/identity 4.13
 * throws AuthenticationRequiredError with MSAL's text ("invalid_client: Error(s): 7000215 - ...") and no `cause`.
 */
async function aadstsOf(p: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AuthenticationRequiredError, `expected AuthenticationRequiredError, got ${String(e)}`);
    const m = /^(\w+): Error\(s\): (\d+) - /.exec(e.message);
    assert.ok(m, e.message);
    const status =
      sandbox.control
        .requests()
        .filter((r) => r.family === 'token')
        .at(-1)?.status ?? 0;
    return { code: `${m[1]}/${m[2]}`, status, message: e.message };
  }
  assert.fail('getToken should have failed');
}

describe('Entra ID with ClientSecretCredential', () => {
  it('issues an RS256 JWT with aud, iss, tid, appid, roles and lifetime; verifiable with the JWKS', async () => {
    sandbox.control.resetCounters();
    const cred = credential(sandbox.control.currentSecret());
    const t = await cred.getToken(GRAPH_SCOPE);
    const claims = claimsOf(t.token);
    assert.equal(claims.aud, 'https://graph.microsoft.com');
    assert.equal(claims.iss, `${sandbox.url}/${sandbox.tenantId}/v2.0`);
    assert.equal(claims.tid, sandbox.tenantId);
    assert.equal(claims.appid, sandbox.clientId);
    assert.equal(claims.azp, sandbox.clientId);
    // Each API's token carries only that API's roles.
    assert.deepEqual(claims.roles, [
      'ThreatHunting.Read.All',
      'SecurityIncident.ReadWrite.All',
      'SecurityAlert.ReadWrite.All',
      'User.Read.All',
      'User.RevokeSessions.All',
      'User.EnableDisableAccount.All',
      'IdentityRiskyUser.ReadWrite.All',
    ]);
    assert.equal(Number(claims.exp) - Number(claims.iat), 3599);
    assert.equal(typeof claims.jti, 'string');
    assert.ok(Math.abs(t.expiresOnTimestamp - Number(claims.exp) * 1000) < 5000);

    const legacy = claimsOf((await cred.getToken(LEGACY_SCOPE)).token);
    assert.equal(legacy.aud, 'https://api.security.microsoft.com');
    assert.deepEqual(legacy.roles, ['AdvancedHunting.Read.All', 'Incident.ReadWrite.All']);

    // MSAL caches per scope: a second call for Graph makes no request.
    await cred.getToken(GRAPH_SCOPE);
    const c = sandbox.control.counters();
    assert.equal(c.discoveryRequests, 1);
    assert.equal(c.tokenRequests, 2);

    const [h, p, s] = t.token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
    assert.equal(header.alg, 'RS256');
    const keys = (await client(sandbox).get(`/${sandbox.tenantId}/discovery/v2.0/keys`)).data as {
      keys: { kid: string; n: string; e: string }[];
    };
    const jwk = keys.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk);
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url')));
  });

  it('rejects a wrong secret with 401 invalid_client AADSTS7000215, an expired one with 7000222', async () => {
    const wrong = await aadstsOf(credential('not-the-secret').getToken(GRAPH_SCOPE));
    assert.deepEqual([wrong.code, wrong.status], ['invalid_client/7000215', 401]);
    assert.match(wrong.message, /AADSTS7000215: Invalid client secret provided/);

    sandbox.control.expireSecret();
    const expired = await aadstsOf(credential(sandbox.control.currentSecret()).getToken(GRAPH_SCOPE));
    assert.deepEqual([expired.code, expired.status], ['invalid_client/7000222', 401]);
    assert.match(expired.message, /client secret keys for app '.+' are expired/);
    sandbox.control.reset();
  });

  it('after rotation accepts only the new secret (old → 7000215); Entra-only rotation leaves Key Vault behind', async () => {
    const old = sandbox.control.currentSecret();
    const fresh = sandbox.control.rotateSecret();
    assert.notEqual(fresh, old);
    assert.match(fresh, /^.{3}8Q~.{34}$/);
    assert.equal((await aadstsOf(credential(old).getToken(GRAPH_SCOPE))).code, 'invalid_client/7000215');
    assert.ok((await credential(fresh).getToken(GRAPH_SCOPE)).token);
    const entraOnly = sandbox.control.rotateSecretInEntraOnly();
    assert.equal((await aadstsOf(credential(fresh).getToken(GRAPH_SCOPE))).code, 'invalid_client/7000215');
    assert.ok((await credential(entraOnly).getToken(GRAPH_SCOPE)).token);
    sandbox.control.reset();
  });

  it('puts setRoles() into future tokens and omits the claim when no role applies', async () => {
    sandbox.control.setRoles(['SecurityIncident.Read.All']);
    const cred = credential(sandbox.control.currentSecret());
    assert.deepEqual(claimsOf((await cred.getToken(GRAPH_SCOPE)).token).roles, ['SecurityIncident.Read.All']);
    assert.equal('roles' in claimsOf((await cred.getToken(LEGACY_SCOPE)).token), false);
    sandbox.control.reset();
  });
});

describe('Entra ID raw protocol', () => {
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    client(sandbox).post(path, new URLSearchParams(form), { headers });
  const v2 = (): string => `/${sandbox.tenantId}/oauth2/v2.0/token`;
  const base = (): Record<string, string> => ({
    grant_type: 'client_credentials',
    client_id: sandbox.clientId,
    client_secret: sandbox.control.currentSecret(),
    scope: GRAPH_SCOPE,
  });

  it('serves discovery with the issuer on the authority host', async () => {
    const res = await client(sandbox).get(`/${sandbox.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    assert.equal(res.data.issuer, `${sandbox.url}/${sandbox.tenantId}/v2.0`);
    assert.equal(res.data.token_endpoint, `${sandbox.url}/${sandbox.tenantId}/oauth2/v2.0/token`);
    const unknown = await client(sandbox).get(
      '/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration',
    );
    assert.equal(unknown.status, 400);
    assert.equal(unknown.data.error, 'invalid_tenant');
    assert.deepEqual(unknown.data.error_codes, [90002]);
  });

  it('answers every documented error with the Entra body shape', async () => {
    const cases: Array<[string, Promise<{ status: number; data: Record<string, unknown> }>, number, string, number]> = [
      [
        'unknown tenant',
        post('/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token', base()),
        400,
        'invalid_request',
        90002,
      ],
      ['malformed tenant', post('/not_a_tenant!/oauth2/v2.0/token', base()), 400, 'invalid_request', 900023],
      [
        'unknown client',
        post(v2(), { ...base(), client_id: '99999999-8888-7777-6666-555555555555' }),
        400,
        'unauthorized_client',
        700016,
      ],
      [
        'scope without /.default',
        post(v2(), { ...base(), scope: 'https://graph.microsoft.com/SecurityIncident.Read.All' }),
        400,
        'invalid_scope',
        70011,
      ],
      [
        'two resources',
        post(v2(), { ...base(), scope: `${GRAPH_SCOPE} ${LEGACY_SCOPE}` }),
        400,
        'invalid_scope',
        70011,
      ],
      [
        'unknown resource',
        post(v2(), { ...base(), scope: 'https://example.invalid/.default' }),
        400,
        'invalid_resource',
        500011,
      ],
      [
        'resource on v2',
        post(v2(), { ...base(), resource: 'https://graph.microsoft.com' }),
        400,
        'invalid_request',
        901002,
      ],
      ['no secret', post(v2(), { ...base(), client_secret: '' }), 401, 'invalid_client', 7000218],
      ['wrong grant', post(v2(), { ...base(), grant_type: 'password' }), 400, 'unsupported_grant_type', 70003],
      ['missing scope', post(v2(), { ...base(), scope: '' }), 400, 'invalid_request', 900144],
    ];
    for (const [name, p, status, error, code] of cases) {
      const res = await p;
      assert.equal(res.status, status, name);
      assert.equal(res.data.error, error, name);
      assert.deepEqual(res.data.error_codes, [code], name);
      assert.match(
        String(res.data.error_description),
        new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: .+\\r\\nCorrelation ID: .+\\r\\nTimestamp: `),
        name,
      );
      assert.match(String(res.data.timestamp), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/, name);
      assert.equal(typeof res.data.trace_id, 'string', name);
      assert.equal(res.data.error_uri, `${sandbox.url}/error?code=${code}`, name);
    }
    // The correlation id echoes the caller's client-request-id, as Entra does.
    const res = await post(v2(), { ...base(), client_secret: 'x' }, { 'client-request-id': 'abc-123' });
    assert.equal(res.data.correlation_id, 'abc-123');
  });

  it('accepts HTTP Basic client authentication and the v1 endpoint (string numbers)', async () => {
    const { client_id: id, client_secret: secret, ...rest } = base();
    const basic = await post(v2(), rest, {
      authorization: `Basic ${Buffer.from(`${id}:${encodeURIComponent(secret ?? '')}`).toString('base64')}`,
    });
    assert.equal(basic.status, 200);
    assert.equal(basic.data.expires_in, 3599);
    assert.equal(basic.data.ext_expires_in, 3599);
    assert.equal(basic.data.token_type, 'Bearer');

    const { scope: _scope, ...v1form } = base();
    const v1 = await post(`/${sandbox.tenantId}/oauth2/token`, {
      ...v1form,
      resource: 'https://api.security.microsoft.com',
    });
    assert.equal(v1.status, 200);
    assert.equal(v1.data.expires_in, '3599');
    assert.match(String(v1.data.expires_on), /^\d{10}$/);
    assert.equal(v1.data.resource, 'https://api.security.microsoft.com');
    assert.equal(claimsOf(String(v1.data.access_token)).aud, 'https://api.security.microsoft.com');
  });
});
