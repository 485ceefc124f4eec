import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSecretProvider, type SecretClientLike } from '../../shared/credentials/secretProvider';
import { SecretError } from '../../shared/errors';

const vaultUrl = 'https://riposte-kv.vault.azure.net';
const secretName = 'riposte-client-secret';

function fakeVault(values: Array<string | Error>, delayMs = 5) {
  let calls = 0;
  const client: SecretClientLike = {
    async getSecret(name) {
      assert.equal(name, secretName);
      const v = values[Math.min(calls++, values.length - 1)];
      await new Promise((r) => setTimeout(r, delayMs));
      if (v instanceof Error) throw v;
      return { value: v };
    },
  };
  return { client, calls: () => calls };
}

const restError = (statusCode: number, code: string, message: string, body?: unknown) =>
  Object.assign(new Error(message), {
    name: 'RestError',
    statusCode,
    code,
    response: { bodyAsText: body ? JSON.stringify(body) : '' },
  });

describe('createSecretProvider', () => {
  it('concurrent callers share one Key Vault read, later calls hit the cache', async () => {
    const vault = fakeVault(['v1']);
    const p = createSecretProvider({ secretClient: vault.client, vaultUrl, secretName, ttlMs: 60_000 });
    const values = await Promise.all(Array.from({ length: 20 }, () => p.get()));
    assert.deepEqual(new Set(values), new Set(['v1']));
    assert.equal(await p.get(), 'v1');
    assert.equal(vault.calls(), 1);
    assert.equal(p.reads, 1);
  });

  it('re-reads after the TTL and on refresh()', async () => {
    let now = 0;
    const vault = fakeVault(['v1', 'v2', 'v3']);
    const p = createSecretProvider({ secretClient: vault.client, vaultUrl, secretName, ttlMs: 1000, now: () => now });
    assert.equal(await p.get(), 'v1');
    now = 999;
    assert.equal(await p.get(), 'v1');
    now = 1000;
    assert.equal(await p.get(), 'v2');
    assert.equal(await p.refresh(), 'v3');
    assert.equal(await p.get(), 'v3');
    assert.equal(vault.calls(), 3);
  });

  it('keeps serving the old value when a TTL re-read fails, but refresh() fails loudly', async () => {
    let now = 0;
    const vault = fakeVault(['v1', restError(503, 'ServiceUnavailable', 'down')]);
    const p = createSecretProvider({ secretClient: vault.client, vaultUrl, secretName, ttlMs: 1000, now: () => now });
    await p.get();
    now = 5000;
    assert.equal(await p.get(), 'v1');
    assert.equal(await p.get(), 'v1', 'no second read within the minute');
    assert.equal(vault.calls(), 2);
    await assert.rejects(p.refresh(), SecretError);
  });

  it('does not cache a failure', async () => {
    const vault = fakeVault([restError(404, 'SecretNotFound', 'A secret with (name/id) x was not found'), 'v1']);
    const p = createSecretProvider({ secretClient: vault.client, vaultUrl, secretName, ttlMs: 0 });
    await assert.rejects(p.get(), SecretError);
    assert.equal(await p.get(), 'v1');
  });

  const cases: Array<[string, Error, RegExp]> = [
    ['404', restError(404, 'SecretNotFound', 'not found'), /create the secret 'riposte-client-secret'/],
    ['403 RBAC', restError(403, 'Forbidden', 'does not have secrets get permission'), /Key Vault Secrets User role/],
    [
      '403 disabled',
      restError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', {
        error: { innererror: { code: 'SecretDisabled' } },
      }),
      /disabled: enable it/,
    ],
    [
      'managed identity',
      Object.assign(new Error('ManagedIdentityCredential: Authentication failed.'), {
        name: 'CredentialUnavailableError',
      }),
      /managed identity could not get a token/,
    ],
  ];
  for (const [label, err, advice] of cases) {
    it(`explains ${label} with vault and secret name`, async () => {
      const p = createSecretProvider({ secretClient: fakeVault([err]).client, vaultUrl, secretName, ttlMs: 0 });
      const e = await p.get().then(
        () => assert.fail('expected a failure'),
        (x: unknown) => x,
      );
      assert.ok(e instanceof SecretError);
      assert.equal(e.code, 'SECRET_UNAVAILABLE');
      assert.equal(e.vaultUrl, vaultUrl);
      assert.equal(e.secretName, secretName);
      assert.match(e.message, new RegExp(`Key Vault secret 'riposte-client-secret' in ${vaultUrl}`));
      assert.match(e.message, advice);
    });
  }

  it('refuses an empty secret value', async () => {
    const p = createSecretProvider({ secretClient: fakeVault(['']).client, vaultUrl, secretName, ttlMs: 0 });
    await assert.rejects(p.get(), /has an empty value/);
  });
});
