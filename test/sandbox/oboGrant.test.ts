// The sandbox's on-behalf-of grant over TLS (ED v2-oauth2-on-behalf-of-flow.md; identity-modes.md §4.1, §4.2):
// a delegated token for the downstream API carrying the user and the consented scopes, and each refusal with its
// AADSTS code. Also: Riposte's own OBO token source (the real OnBehalfOfCredential) keeps a bounded cache.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_CALLER_APP_ID, SANDBOX_USERS, startSandbox, type Sandbox } from '../../sandbox';
import { createOboTokenSource } from '../../shared/auth/onBehalfOf';
import { claimsOf, client } from './helpers';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
});
after(() => sandbox.close());
beforeEach(() => sandbox.control.reset());

const userAssertion = (user = 'analyst', audience?: string): string =>
  sandbox.control.userToken(user, {
    audience: audience ?? sandbox.clientId,
    scopes: ['access_as_user'],
    clientAppId: SANDBOX_CALLER_APP_ID,
  });

function obo(assertion: string, scope: string, extra: Record<string, string> = {}) {
  return client(sandbox).post(
    `/${sandbox.tenantId}/oauth2/v2.0/token`,
    new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      client_id: sandbox.clientId,
      client_secret: sandbox.control.currentSecret(),
      assertion,
      scope,
      ...extra,
    }),
  );
}

describe('sandbox on-behalf-of grant', () => {
  it('issues a delegated v1 token for the downstream API with the user and the consented scopes', async () => {
    const res = await obo(userAssertion(), 'https://graph.microsoft.com/.default openid profile offline_access');
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.equal(res.data.token_type, 'Bearer');
    assert.match(res.data.scope, /https:\/\/graph\.microsoft\.com\/SecurityIncident\.ReadWrite\.All/);
    const c = claimsOf(res.data.access_token);
    assert.equal(c.aud, 'https://graph.microsoft.com');
    assert.equal(c.oid, SANDBOX_USERS.analyst.oid);
    assert.equal(c.upn, SANDBOX_USERS.analyst.upn);
    assert.equal(c.appid, sandbox.clientId);
    assert.equal(c.idtyp, 'user');
    assert.match(String(c.scp), /\bSecurityIncident\.ReadWrite\.All\b/);
    const named = await obo(userAssertion(), 'https://api.security.microsoft.com/Incident.ReadWrite');
    assert.equal(named.status, 200, JSON.stringify(named.data));
    assert.equal(claimsOf(named.data.access_token).scp, 'Incident.ReadWrite');
  });

  it('refuses an assertion for another audience (50013), an app-only one (7000114), a forged one (50013)', async () => {
    const other = await obo(
      userAssertion('analyst', 'https://graph.microsoft.com'),
      'https://graph.microsoft.com/.default',
    );
    assert.equal(other.status, 400);
    assert.equal(other.data.error, 'invalid_grant');
    assert.deepEqual(other.data.error_codes, [50013]);
    const appOnly = await obo(sandbox.control.appOnlyToken(sandbox.clientId), 'https://graph.microsoft.com/.default');
    assert.equal(appOnly.status, 400);
    assert.deepEqual(appOnly.data.error_codes, [7000114]);
    const good = userAssertion();
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.from('x'.repeat(256)).toString('base64url')}`;
    const bad = await obo(forged, 'https://graph.microsoft.com/.default');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.data.error_codes, [50013]);
  });

  it('answers consent_required (65001), invalid_scope (70011) and a wrong client secret (7000215)', async () => {
    sandbox.control.setUserConsent('reader', sandbox.clientId, false);
    const consent = await obo(userAssertion('reader'), 'https://graph.microsoft.com/.default');
    assert.equal(consent.status, 400);
    assert.equal(consent.data.error, 'invalid_grant');
    assert.equal(consent.data.suberror, 'consent_required');
    assert.deepEqual(consent.data.error_codes, [65001]);
    const scope = await obo(userAssertion(), 'https://graph.microsoft.com/Mail.Send');
    assert.equal(scope.status, 400);
    assert.equal(scope.data.error, 'invalid_scope');
    assert.deepEqual(scope.data.error_codes, [70011]);
    const secret = await obo(userAssertion(), 'https://graph.microsoft.com/.default', { client_secret: 'wrong' });
    assert.equal(secret.status, 401);
    assert.deepEqual(secret.data.error_codes, [7000215]);
  });

  it("Riposte's OBO token source: real OnBehalfOfCredential, one per user token, the cache bounded", async () => {
    const source = createOboTokenSource({
      clientId: sandbox.clientId,
      authorityHost: sandbox.authorityHost,
      disableInstanceDiscovery: true,
      clientAuth: async () => ({ clientSecret: sandbox.control.currentSecret() }),
      credentialOptions: { tlsOptions: { ca: sandbox.caPem } },
      maxCached: 2,
    });
    const caller = (user: keyof typeof SANDBOX_USERS) => ({
      token: userAssertion(user),
      user: { oid: SANDBOX_USERS[user].oid, tid: sandbox.tenantId, upn: SANDBOX_USERS[user].upn },
    });
    for (const user of ['analyst', 'reader', 'outsider'] as const) {
      const t = await source.forCaller(caller(user)).getToken('https://graph.microsoft.com/.default');
      assert.equal(claimsOf(t).oid, SANDBOX_USERS[user].oid);
    }
    assert.equal(source.size, 2, 'the least recently used credential was dropped');
  });
});
