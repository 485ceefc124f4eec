import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import util from 'node:util';
import type { SecretProvider } from '../../shared/credentials/secretProvider';
import { createTokenProvider, parseTokenError, type TokenCredentialLike } from '../../shared/credentials/tokenProvider';
import { AuthError } from '../../shared/errors';

const clientId = '5e1c9a7b-2f4d-4e8a-b6c3-9d0e1f2a3b4c';
const tenantId = '8f2b6c1e-4d3a-4b7e-9c5f-1a2b3c4d5e6f';
const corr = '0b9c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4';

/** The message identity 4.13 puts on AuthenticationRequiredError for an MSAL ServerError (no cause). */
const msalMessage = (error: string, code: number, description: string) =>
  `${error}: Error(s): ${code} - Timestamp: 2026-01-01 00:00:00Z - Description: AADSTS${code}: ${description} Trace ID: t Correlation ID: ${corr} Timestamp: x - Correlation ID: ${corr} - Trace ID: 1f2e`;

const authRequired = (error: string, code: number, description: string) =>
  Object.assign(new Error(msalMessage(error, code, description)), { name: 'AuthenticationRequiredError' });

function fakeSecrets(values: string[]): SecretProvider & { refreshes: number } {
  let i = 0;
  const p = {
    refreshes: 0,
    reads: 0,
    vaultUrl: 'https://kv.vault.azure.net',
    secretName: 'riposte-client-secret',
    get: async () => values[Math.min(i, values.length - 1)] as string,
    refresh: async () => {
      p.refreshes++;
      i++;
      return values[Math.min(i, values.length - 1)] as string;
    },
  };
  return p;
}

/** Credentials accept only `valid` secrets; a credential caches its token like MSAL does. */
function fakeEntra(
  valid: Set<string>,
  rejection = () => authRequired('invalid_client', 7000215, 'Invalid client secret provided.'),
) {
  const tokenRequests: string[] = [];
  const factory = (secret: string): TokenCredentialLike => {
    let cached: string | undefined;
    return {
      async getToken(scope) {
        assert.equal(scope, 'https://graph.microsoft.com/.default');
        if (cached) return { token: cached, expiresOnTimestamp: Date.now() + 3_600_000 };
        tokenRequests.push(secret);
        await new Promise((r) => setTimeout(r, 2));
        if (!valid.has(secret)) throw rejection();
        cached = `token-for-${secret}-${tokenRequests.length}`;
        return { token: cached, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
  };
  return { factory, tokenRequests };
}

function provider(secrets: SecretProvider, factory: (s: string) => TokenCredentialLike) {
  return createTokenProvider({
    tenantId,
    clientId,
    authorityHost: 'https://login.microsoftonline.com',
    disableInstanceDiscovery: false,
    scope: 'https://graph.microsoft.com/.default',
    secrets,
    createCredential: factory,
  });
}

describe('parseTokenError', () => {
  it('reads the message form (identity 4.13)', () => {
    const info = parseTokenError(
      authRequired('invalid_client', 7000222, 'The provided client secret keys are expired.'),
    );
    assert.equal(info.error, 'invalid_client');
    assert.deepEqual(info.errorCodes, [7000222]);
    assert.equal(info.correlationId, corr);
  });
  it('reads the MSAL ServerError in cause (identity 4.14+)', () => {
    const cause = Object.assign(new Error('x'), {
      name: 'ServerError',
      errorCode: 'invalid_client',
      errorNo: '7000215',
      correlationId: corr,
      status: 401,
    });
    const info = parseTokenError(Object.assign(new Error('invalid_client'), { cause }));
    assert.equal(info.error, 'invalid_client');
    assert.deepEqual(info.errorCodes, [7000215]);
    assert.equal(info.correlationId, corr);
  });
  it('reads an AuthenticationError errorResponse', () => {
    const e = Object.assign(new Error('failed'), {
      name: 'AuthenticationError',
      errorResponse: {
        error: 'unauthorized_client',
        errorDescription: 'AADSTS700016: Application not found',
        correlationId: corr,
      },
    });
    const info = parseTokenError(e);
    assert.equal(info.error, 'unauthorized_client');
    assert.deepEqual(info.errorCodes, [700016]);
  });
});

describe('createTokenProvider', () => {
  it('builds one credential and shares one token request among concurrent callers', async () => {
    const secrets = fakeSecrets(['s1']);
    const entra = fakeEntra(new Set(['s1']));
    const tokens = provider(secrets, entra.factory);
    const all = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken()));
    assert.equal(new Set(all).size, 1);
    await tokens.getToken();
    assert.equal(entra.tokenRequests.length, 1);
    assert.equal(tokens.credentialsBuilt, 1);
  });

  it('heals a rotated secret: one Key Vault re-read, a new credential, success', async () => {
    const secrets = fakeSecrets(['old', 'new']);
    const entra = fakeEntra(new Set(['new']));
    const tokens = provider(secrets, entra.factory);
    const results = await Promise.all([tokens.getToken(), tokens.getToken(), tokens.getToken()]);
    assert.ok(results.every((t) => t.startsWith('token-for-new')));
    assert.equal(secrets.refreshes, 1);
    assert.deepEqual(entra.tokenRequests, ['old', 'new']);
  });

  it('fails with the secret, the vault and what to do when the re-read value is unchanged (AADSTS7000215)', async () => {
    const secrets = fakeSecrets(['same', 'same']);
    const tokens = provider(secrets, fakeEntra(new Set()).factory);
    const e = await tokens.getToken().then(
      () => assert.fail('expected AuthError'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof AuthError);
    assert.equal(e.code, 'AUTH_FAILED');
    assert.deepEqual(e.errorCodes, [7000215]);
    assert.equal(e.correlationId, corr);
    assert.match(e.message, /AADSTS7000215/);
    assert.match(e.message, /Key Vault secret 'riposte-client-secret' in https:\/\/kv\.vault\.azure\.net/);
    assert.match(e.message, /VALUE, not its secret ID/);
    assert.match(e.message, /unchanged/);
    assert.equal(secrets.refreshes, 1);
    assert.ok(!util.inspect(e, { depth: Infinity }).includes('same'), 'the secret value never appears');
  });

  it('explains an expired secret (AADSTS7000222)', async () => {
    const secrets = fakeSecrets(['s', 's2']);
    const entra = fakeEntra(new Set(), () =>
      authRequired('invalid_client', 7000222, 'The provided client secret keys are expired.'),
    );
    const e = (await provider(secrets, entra.factory)
      .getToken()
      .catch((x: unknown) => x)) as AuthError;
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /has expired \(AADSTS7000222\): create a new client secret/);
    assert.match(e.message, /new value is rejected too/);
  });

  it('does not re-read Key Vault for errors that are not about the secret', async () => {
    const secrets = fakeSecrets(['s']);
    const entra = fakeEntra(new Set(), () =>
      authRequired(
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory.`,
      ),
    );
    const e = (await provider(secrets, entra.factory)
      .getToken()
      .catch((x: unknown) => x)) as AuthError;
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /was not found in tenant .* \(AADSTS700016\): check CLIENT_ID and TENANT_ID/);
    assert.equal(e.error, 'unauthorized_client');
    assert.equal(secrets.refreshes, 0);
  });

  it('invalidate() makes the next call request a new token', async () => {
    const secrets = fakeSecrets(['s1']);
    const entra = fakeEntra(new Set(['s1']));
    const tokens = provider(secrets, entra.factory);
    const a = await tokens.getToken();
    tokens.invalidate();
    const b = await tokens.getToken();
    assert.notEqual(a, b);
    assert.equal(entra.tokenRequests.length, 2);
  });

  it('tells Entra being down (AUTH_UNAVAILABLE, 503) from Entra refusing the app (AUTH_FAILED, 502)', async () => {
    const cases: Array<[() => Error, string]> = [
      // The forms identity 4.13 surfaces (message only), as the sandbox's 503 and a dropped connection produce.
      [
        () => authRequired('temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.'),
        'AUTH_UNAVAILABLE',
      ],
      [
        () =>
          Object.assign(new Error('network_error: See https://aka.ms/msal.js.errors#network_error for details'), {
            name: 'AuthenticationRequiredError',
          }),
        'AUTH_UNAVAILABLE',
      ],
      [() => authRequired('invalid_client', 7000215, 'Invalid client secret provided.'), 'AUTH_FAILED'],
      [() => authRequired('unauthorized_client', 700016, 'Application was not found.'), 'AUTH_FAILED'],
    ];
    for (const [error, code] of cases) {
      const e = (await provider(fakeSecrets(['s']), fakeEntra(new Set(), error).factory)
        .getToken()
        .catch((x: unknown) => x)) as AuthError;
      assert.ok(e instanceof AuthError);
      assert.equal(e.code, code, e.message);
    }
  });

  it('starts with a new credential after Entra was down, so a cached 5xx is not replayed', async () => {
    let down = true;
    const built: string[] = [];
    // Like MSAL's throttling cache: once a credential saw the 5xx it answers from memory.
    const factory = (secret: string): TokenCredentialLike => {
      built.push(secret);
      let sawOutage = false;
      return {
        async getToken() {
          if (down || sawOutage) {
            sawOutage = true;
            throw authRequired('temporarily_unavailable', 90033, 'A transient error has occurred.');
          }
          return { token: 'fresh', expiresOnTimestamp: Date.now() + 3_600_000 };
        },
      };
    };
    const tokens = provider(fakeSecrets(['s']), factory);
    await assert.rejects(tokens.getToken(), { code: 'AUTH_UNAVAILABLE' });
    down = false;
    assert.equal(await tokens.getToken(), 'fresh');
    assert.equal(built.length, 2);
  });
});
