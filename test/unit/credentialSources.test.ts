// CREDENTIAL_SOURCE settings, the FIC audience per cloud, and reading a client certificate from its Key Vault secret.
// The integration tests (test/integration/certificateCredential.test.ts, federatedCredential.test.ts) drive the
// real SDKs; these pin what each setting requires and what a bad certificate says.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createClientCertificate } from '../../sandbox/appKeys';
import { loadConfig } from '../../shared/config';
import { parseClientCertificate } from '../../shared/credentials/clientCertificate';
import { tokenExchangeAudience } from '../../shared/credentials/federationSource';
import { ConfigError, SecretError } from '../../shared/errors';
import { redact } from '../../shared/logger';

const base = {
  TENANT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  KEY_VAULT_URL: 'https://riposte-kv.vault.azure.net/',
};
const problems = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  return [];
};
const where = { vaultUrl: 'https://riposte-kv.vault.azure.net', name: 'riposte-client-cert' };

describe('CREDENTIAL_SOURCE', () => {
  it('defaults to keyVaultSecret with CLIENT_SECRET_NAME required, as before (no new required setting)', () => {
    const c = loadConfig({ ...base, CLIENT_SECRET_NAME: 'defender-client-secret' });
    assert.equal(c.credentialSource, 'keyVaultSecret');
    assert.equal(c.clientCertificateName, undefined);
    assert.deepEqual(problems(base), ['CLIENT_SECRET_NAME is required']);
  });

  it('keyVaultCertificate needs CLIENT_CERTIFICATE_NAME, not CLIENT_SECRET_NAME; any spelling of the value', () => {
    const c = loadConfig({
      ...base,
      CREDENTIAL_SOURCE: 'KeyVaultCertificate',
      CLIENT_CERTIFICATE_NAME: 'riposte-client-cert',
    });
    assert.equal(c.credentialSource, 'keyVaultCertificate');
    assert.equal(c.clientCertificateName, 'riposte-client-cert');
    assert.deepEqual(problems({ ...base, CREDENTIAL_SOURCE: 'keyVaultCertificate' }), [
      'CLIENT_CERTIFICATE_NAME is required',
    ]);
    assert.match(
      problems({ ...base, CREDENTIAL_SOURCE: 'keyVaultCertificate', CLIENT_CERTIFICATE_NAME: 'no spaces' })[0] ?? '',
      /^CLIENT_CERTIFICATE_NAME must be 1-127 letters, digits or dashes \(a Key Vault certificate name\)$/,
    );
  });

  it('managedIdentityFederation needs a user-assigned identity and no secret name', () => {
    const c = loadConfig({
      ...base,
      CREDENTIAL_SOURCE: 'managedIdentityFederation',
      MANAGED_IDENTITY_CLIENT_ID: '3f6a2d8c-1b4e-4c7a-9e5d-7a8b9c0d1e2f',
    });
    assert.equal(c.credentialSource, 'managedIdentityFederation');
    assert.equal(c.clientSecretName, '');
    const [problem, ...more] = problems({ ...base, CREDENTIAL_SOURCE: 'managedIdentityFederation' });
    assert.match(
      problem ?? '',
      /^MANAGED_IDENTITY_CLIENT_ID is required with CREDENTIAL_SOURCE managedIdentityFederation/,
    );
    assert.match(problem ?? '', /system-assigned identity cannot be a federated credential/);
    assert.deepEqual(more, []);
  });

  it('refuses an unknown source by naming the three', () => {
    assert.deepEqual(problems({ ...base, CLIENT_SECRET_NAME: 's', CREDENTIAL_SOURCE: 'certificate' }), [
      'CREDENTIAL_SOURCE must be one of: keyVaultSecret, keyVaultCertificate, managedIdentityFederation',
    ]);
  });

  it('takes the US Government token-exchange audience in GCC High and DoD, the global one elsewhere', () => {
    // identity-modes.md §2.1: api://AzureADTokenExchange (global), api://AzureADTokenExchangeUSGov (US Gov).
    assert.equal(tokenExchangeAudience('public'), 'api://AzureADTokenExchange');
    assert.equal(tokenExchangeAudience('gcc'), 'api://AzureADTokenExchange');
    assert.equal(tokenExchangeAudience('gcc-high'), 'api://AzureADTokenExchangeUSGov');
    assert.equal(tokenExchangeAudience('dod'), 'api://AzureADTokenExchangeUSGov');
  });
});

describe('parseClientCertificate', () => {
  it('reads key + certificate in either order and gives the SHA-1 thumbprint and x5t#S256', async () => {
    const made = await createClientCertificate(new Date());
    const c = parseClientCertificate(made.pem, where);
    assert.equal(c.thumbprint, made.thumbprint);
    assert.match(c.x5tS256, /^[A-Za-z0-9_-]{43}$/);
    const certFirst = made.certPem + made.pem.slice(0, made.pem.indexOf('-----BEGIN CERTIFICATE-----'));
    assert.equal(parseClientCertificate(certFirst, where).thumbprint, made.thumbprint);
  });

  it('refuses PKCS#12, a certificate without its key, and a key that is not the certificate’s, saying what to do', async () => {
    const made = await createClientCertificate(new Date());
    const refuse = (value: string, re: RegExp): void => {
      assert.throws(
        () => parseClientCertificate(value, where),
        (e: unknown) =>
          e instanceof SecretError && e.status === 200 && re.test(e.message) && !e.message.includes(value),
      );
    };
    refuse(
      'MIIKAQIBAzCCCccGCSqGSIb3DQEHAaCCCbgEggm0MIIJsDCCBGcGCSqGSIb3DQEHBqCCBFgwggRUAgEA',
      /PKCS#12 \(PFX\).*application\/x-pem-file/,
    );
    refuse(made.certPem, /no private key: the certificate policy must mark the key exportable/);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    refuse(String(other) + made.certPem, /does not belong to its private key/);
  });

  it('a private key never survives redact()', async () => {
    const made = await createClientCertificate(new Date());
    const out = redact(`oops: ${made.pem}`);
    assert.ok(!out.includes('PRIVATE KEY-----\nMII'), out.slice(0, 80));
    assert.match(out, /\[REDACTED PRIVATE KEY\]/);
  });
});
