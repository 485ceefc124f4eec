// Managed identity + Key Vault through the real SDKs: ManagedIdentityCredential (App Service protocol) and
// SecretClient (challenge auth, versions, rotation, disabled and missing secrets).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { startSandbox, type Sandbox } from '../../sandbox';
import { claimsOf, client, GRAPH_SCOPE, token } from './helpers';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ seed: false });
  // Read by the credential's constructor (App Service source), so set before creating it.
  process.env.IDENTITY_ENDPOINT = sandbox.identityEndpoint;
  process.env.IDENTITY_HEADER = sandbox.identityHeader;
});
after(() => sandbox.close());

function secretClient(credential: TokenCredential = new ManagedIdentityCredential()): SecretClient {
  return new SecretClient(sandbox.vaultUrl, credential, {
    // 127.0.0.1 does not end with ".vault.azure.net" (local-azure.md §4).
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: sandbox.caPem },
  });
}

async function restError(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { statusCode?: number; code?: string; message: string };
  }
  assert.fail('expected the call to fail');
}

describe('managed identity (App Service 2019-08-01)', () => {
  it('gives ManagedIdentityCredential a vault token; records system- and user-assigned identities', async () => {
    sandbox.control.resetCounters();
    const t = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default');
    const claims = claimsOf(t.token);
    assert.equal(claims.aud, 'https://vault.azure.net');
    assert.equal(claims.tid, sandbox.tenantId);
    assert.equal('roles' in claims, false);
    const uami = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const u = await new ManagedIdentityCredential({ clientId: uami }).getToken('https://vault.azure.net/.default');
    assert.equal(claimsOf(u.token).appid, uami);
    const c = sandbox.control.counters();
    assert.equal(c.miTokenRequests, 2);
    assert.deepEqual(c.miIdentities, { system: 1, [uami]: 1 });
    assert.deepEqual(
      sandbox.control
        .requests()
        .filter((r) => r.family === 'mi')
        .map((r) => [r.status, r.identity]),
      [
        [200, 'system'],
        [200, uami],
      ],
    );
  });

  it('speaks the wire protocol: header required, expires_on as a string, errors as JSON', async () => {
    const mi = client(sandbox, sandbox.identityEndpoint);
    const params = { 'api-version': '2019-08-01', resource: 'https://vault.azure.net' };
    const ok = await mi.get('', { params, headers: { 'x-identity-header': sandbox.identityHeader } });
    assert.equal(ok.status, 200);
    assert.match(ok.data.expires_on, /^\d{10}$/);
    assert.equal(ok.data.resource, 'https://vault.azure.net');
    assert.equal(ok.data.token_type, 'Bearer');
    const noHeader = await mi.get('', { params });
    assert.equal(noHeader.status, 400);
    assert.equal(noHeader.data.error, 'invalid_request');
    const badId = await mi.get('', {
      params: { ...params, client_id: 'nope' },
      headers: { 'x-identity-header': sandbox.identityHeader },
    });
    assert.deepEqual([badId.status, badId.data.error_description], [400, 'Identity not found']);
    const oldVersion = await mi.get('', {
      params: { ...params, 'api-version': '2017-09-01' },
      headers: { 'x-identity-header': sandbox.identityHeader },
    });
    assert.equal(oldVersion.status, 400);
  });
});

describe('Key Vault secrets with SecretClient', () => {
  it('answers the first (anonymous) request with a challenge, then returns the secret bundle', async () => {
    sandbox.control.reset();
    const kv = secretClient();
    const s = await kv.getSecret(sandbox.secretName);
    assert.equal(s.value, sandbox.control.currentSecret());
    assert.equal(s.name, sandbox.secretName);
    assert.match(s.properties.version ?? '', /^[0-9a-f]{32}$/);
    assert.equal(s.properties.enabled, true);
    assert.ok(s.properties.createdOn instanceof Date);
    await kv.getSecret(sandbox.secretName);
    const c = sandbox.control.counters();
    // No MI request here: MSAL caches managed-identity tokens process-wide, across credential instances.
    assert.deepEqual([c.keyVaultChallenges, c.keyVaultReads, c.miTokenRequests], [1, 2, 0]);
    const kvRequests = sandbox.control.requests().filter((r) => r.family === 'keyvault');
    assert.deepEqual(
      kvRequests.map((r) => r.status),
      [401, 200, 200],
    );
    // The SDK percent-encodes the hyphen (api%2Dversion); the sandbox reads it as api-version.
    assert.match(kvRequests[1]?.path ?? '', /^\/secrets\/riposte-client-secret\/\?api-version=/);
  });

  it('rotation adds a version: latest is the new value, the old version stays readable', async () => {
    sandbox.control.reset();
    const kv = secretClient();
    const before = await kv.getSecret(sandbox.secretName);
    const fresh = sandbox.control.rotateSecret();
    const latest = await kv.getSecret(sandbox.secretName);
    assert.equal(latest.value, fresh);
    assert.notEqual(latest.properties.version, before.properties.version);
    const old = await kv.getSecret(sandbox.secretName, { version: before.properties.version ?? '' });
    assert.equal(old.value, before.value);
    const versions: string[] = [];
    for await (const p of kv.listPropertiesOfSecretVersions(sandbox.secretName)) versions.push(p.version ?? '');
    assert.deepEqual(versions.sort(), [before.properties.version, latest.properties.version].sort());
    // Entra-only rotation leaves Key Vault on the previous value.
    const entraOnly = sandbox.control.rotateSecretInEntraOnly();
    assert.equal((await kv.getSecret(sandbox.secretName)).value, fresh);
    assert.notEqual(entraOnly, fresh);
  });

  it('sets a secret (PUT) as a new version', async () => {
    const kv = secretClient();
    const set = await kv.setSecret('other-secret', 'v@lue', { contentType: 'text/plain', tags: { owner: 'tests' } });
    assert.equal(set.value, 'v@lue');
    const got = await kv.getSecret('other-secret');
    assert.deepEqual(
      [got.value, got.properties.contentType, got.properties.tags],
      ['v@lue', 'text/plain', { owner: 'tests' }],
    );
  });

  it('disabled → 403 Forbidden (innererror SecretDisabled); deleted → 404 SecretNotFound', async () => {
    sandbox.control.reset();
    const kv = secretClient();
    sandbox.control.setSecretEnabled(false);
    const disabled = await restError(kv.getSecret(sandbox.secretName));
    assert.deepEqual([disabled.statusCode, disabled.code], [403, 'Forbidden']);
    assert.match(disabled.message, /Operation get is not allowed on a disabled secret/);
    const raw = await client(sandbox).get(`/secrets/${sandbox.secretName}/?api-version=7.5`, {
      headers: {
        authorization: `Bearer ${(await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default')).token}`,
      },
    });
    assert.deepEqual(raw.data, {
      error: {
        code: 'Forbidden',
        message: 'Operation get is not allowed on a disabled secret.',
        innererror: { code: 'SecretDisabled' },
      },
    });

    sandbox.control.setSecretEnabled(true);
    assert.ok((await kv.getSecret(sandbox.secretName)).value);
    sandbox.control.deleteSecret();
    const missing = await restError(kv.getSecret(sandbox.secretName));
    assert.deepEqual([missing.statusCode, missing.code], [404, 'SecretNotFound']);
    assert.match(missing.message, /A secret with \(name\/id\) riposte-client-secret was not found in this key vault/);
  });

  it('rejects a token for another audience with AKV10022 and a challenge; works with ClientSecretCredential too', async () => {
    sandbox.control.reset();
    const graphToken = await token(sandbox, GRAPH_SCOPE);
    const res = await client(sandbox).get(`/secrets/${sandbox.secretName}?api-version=7.5`, {
      headers: { authorization: `Bearer ${graphToken}` },
    });
    assert.equal(res.status, 401);
    assert.equal(
      res.data.error.message,
      'AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://graph.microsoft.com.',
    );
    assert.equal(
      res.headers['www-authenticate'],
      `Bearer authorization="${sandbox.url}/${sandbox.tenantId}", resource="https://vault.azure.net"`,
    );

    const cred = new ClientSecretCredential(sandbox.tenantId, sandbox.clientId, sandbox.control.currentSecret(), {
      authorityHost: sandbox.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: sandbox.caPem },
    });
    assert.equal((await secretClient(cred).getSecret(sandbox.secretName)).value, sandbox.control.currentSecret());
  });

  it("revokes the app registration's tokens, not the managed identity's", async () => {
    sandbox.control.reset();
    const mi = secretClient();
    const app = secretClient(
      new ClientSecretCredential(sandbox.tenantId, sandbox.clientId, sandbox.control.currentSecret(), {
        authorityHost: sandbox.authorityHost,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: sandbox.caPem },
      }),
    );
    await mi.getSecret(sandbox.secretName);
    await app.getSecret(sandbox.secretName);
    sandbox.control.revokeTokens();
    // Revoking the app's sessions leaves the Function App's own identity able to read the vault.
    assert.equal((await mi.getSecret(sandbox.secretName)).value, sandbox.control.currentSecret());
    // The app credential serves its cached (now revoked) token again, so the retry after the challenge fails too.
    const e = await restError(app.getSecret(sandbox.secretName));
    assert.equal(e.statusCode, 401);
    assert.match(e.message, /revoked/);
  });
});
