// Riposte's validation of callers' Entra ID tokens (shared/auth/bearerToken.ts) against the sandbox's published keys
// over TLS: the JWKS document is fetched once and cached, and a token signed with a new key after a signing-key
// rollover is accepted after one refetch (identity-modes.md §3.1: keys are selected by kid; §3.3: an unknown kid
// refetches after the cooldown), while the old key's tokens stay valid as long as the key is published.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CALLER_APP_ID, SANDBOX_USERS, startSandbox, type Sandbox } from '../../sandbox';
import { createBearerValidator } from '../../shared/auth/bearerToken';
import { loadCallerAuthConfig } from '../../shared/auth/callerAuthConfig';
import { createHttpsAgent, loadCaBundle } from '../../shared/http/tls';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
});
after(() => sandbox.close());

const jwksFetches = (): number => sandbox.control.requests().filter((r) => r.family === 'jwks').length;

describe('caller token validation (jose, the authority JWKS)', () => {
  it('caches the keys and follows a signing-key rollover with one refetch', async () => {
    const { config, problems } = loadCallerAuthConfig(
      { HTTP_AUTH_MODE: 'bearer' },
      { tenantId: sandbox.tenantId, clientId: sandbox.clientId },
    );
    assert.deepEqual(problems, []);
    const validator = createBearerValidator({
      config,
      authorityHost: sandbox.authorityHost,
      homeTenantId: sandbox.tenantId,
      httpsAgent: createHttpsAgent(loadCaBundle(sandbox.caFile)),
      jwksCooldownMs: 0,
    });
    const token = () =>
      sandbox.control.userToken('analyst', {
        audience: sandbox.clientId,
        scopes: ['access_as_user'],
        clientAppId: SANDBOX_CALLER_APP_ID,
      });
    const before = token();
    const first = await validator.validate(`Bearer ${before}`);
    assert.equal(first.user.oid, SANDBOX_USERS.analyst.oid);
    assert.equal(first.user.upn, SANDBOX_USERS.analyst.upn);
    assert.equal(first.user.appId, SANDBOX_CALLER_APP_ID);
    await validator.validate(`Bearer ${token()}`);
    assert.equal(jwksFetches(), 1, 'the key set is cached');

    await sandbox.control.rotateSigningKey();
    const afterRollover = token();
    assert.notEqual(
      JSON.parse(Buffer.from(afterRollover.split('.')[0]!, 'base64url').toString()).kid,
      JSON.parse(Buffer.from(before.split('.')[0]!, 'base64url').toString()).kid,
    );
    assert.equal((await validator.validate(`Bearer ${afterRollover}`)).user.oid, SANDBOX_USERS.analyst.oid);
    assert.equal(jwksFetches(), 2, 'an unknown kid fetched the keys again, once');
    // The old key is still published: its tokens still validate, from the cache.
    await validator.validate(`Bearer ${before}`);
    assert.equal(jwksFetches(), 2);
  });
});
