// CREDENTIAL_SOURCE keyVaultCertificate through the real SDKs: SecretClient reads the certificate-backed secret
// (PEM), ClientCertificateCredential signs its client assertion (PS256 + x5t#S256), the sandbox's Entra ID checks
// it against the certificates registered on the app. Tokens live 299 s, under MSAL's 5-minute refresh margin, so
// every call asks Entra for a token, as happens an hour after a rotation when the cached token expires. Its own
// file (own process): MSAL caches managed-identity tokens per process, not per endpoint.
import assert from 'node:assert/strict';
import https from 'node:https';
import util from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { signClientAssertion, tokenEndpoint } from '../../shared/credentials/clientAuth';
import { parseClientCertificate } from '../../shared/credentials/clientCertificate';
import { AuthError, SecretError } from '../../shared/errors';
import { deepHealth } from '../../shared/health';
import { httpStatusFor } from '../../shared/httpStatus';
import { registerSecrets } from '../setup/logCapture';
import { runTicketSync } from './credentialSourceRun';
import { failure, sandboxDeps } from './sandboxDeps';

let sb: Sandbox;
let incidentId: string;
const certEnv = (): Record<string, string> => ({
  CREDENTIAL_SOURCE: 'keyVaultCertificate',
  CLIENT_CERTIFICATE_NAME: sb.certificateName,
});
/** The base64 body of the private key: what must never show anywhere. */
const keyBody = (pem: string): string =>
  /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END/.exec(pem)?.[1]?.replace(/\s+/g, '').slice(0, 64) ?? 'none';

before(async () => {
  sb = await startSandbox({ tokenLifetimeSeconds: 299, rateLimits: false });
  registerSecrets([keyBody(sb.control.currentCertificate().pem)]);
});
after(() => sb?.close());
beforeEach(() => {
  sb.control.reset();
  incidentId = String(sb.control.incidents()[0]?.id);
});

describe('keyVaultCertificate', () => {
  it('gets tokens with the Key Vault certificate and runs a workflow on both APIs, no client secret involved', async () => {
    // Entra no longer accepts the Key Vault client secret: only the certificate can work.
    sb.control.rotateSecretInEntraOnly();
    for (const api of ['graph', 'legacy'] as const) {
      const deps = sandboxDeps(sb, api, certEnv());
      const report = await runTicketSync(deps.defender, incidentId, `[SEC-15] via certificate on ${api}`);
      assert.equal(report.status, 'succeeded', JSON.stringify(report.steps));
      const stored = sb.control.incident(incidentId);
      assert.equal(stored?.status, 'inProgress');
      assert.ok(stored?.comments.some((c) => c.comment.includes(`via certificate on ${api}`)));
    }
    const reads = sb.control.requests().filter((r) => r.family === 'keyvault' && r.status === 200);
    assert.ok(reads.length > 0 && reads.every((r) => r.path.startsWith(`/secrets/${sb.certificateName}`)));
  });

  it('heals a rotated certificate: old one removed from the app, new version in Key Vault, one re-read', async () => {
    const deps = sandboxDeps(sb, 'graph', certEnv());
    await deps.defender.getIncident(incidentId);
    assert.equal(sb.control.counters().keyVaultReads, 1);
    const { thumbprint, pem } = await sb.control.rotateCertificate();
    registerSecrets([keyBody(pem)]);
    const again = await deps.defender.getIncident(incidentId);
    assert.equal(again.id, incidentId);
    const c = sb.control.counters();
    assert.equal(c.keyVaultReads, 2, 'exactly one re-read');
    assert.equal(c.api.incidentsGet, 2, 'the API never saw a bad token');
    assert.equal(deps.tokens.credentialsBuilt, 2, 'one credential per certificate version');
    assert.ok(deps.logs.some((l) => l.includes('client certificate rejected, re-reading it from Key Vault')));
    assert.ok(deps.logs.some((l) => l.includes('new client certificate from Key Vault accepted')));
    await deps.defender.getIncident(incidentId);
    assert.equal(sb.control.counters().keyVaultReads, 2, 'healed for good');
    const health = await deepHealth(deps);
    assert.equal(health.status, 'ok', JSON.stringify(health));
    assert.deepEqual(health.credential, {
      source: 'keyVaultCertificate',
      CLIENT_CERTIFICATE_NAME: sb.certificateName,
      KEY_VAULT_URL: sb.vaultUrl,
      thumbprint,
    });
  });

  it('fails naming the certificate, its thumbprint and what to do when the new version is not registered either', async () => {
    const deps = sandboxDeps(sb, 'graph', certEnv());
    await deps.defender.getIncident(incidentId);
    const { thumbprint, pem } = await sb.control.rotateCertificate({ registerNew: false });
    registerSecrets([keyBody(pem)]);
    const e = await failure(deps.defender.getIncident(incidentId));
    assert.ok(e instanceof AuthError, String(e));
    assert.equal(e.code, 'AUTH_FAILED');
    assert.deepEqual(e.errorCodes, [700027]);
    assert.equal(httpStatusFor({ code: e.code }).status, 502);
    assert.match(e.message, new RegExp(`Key Vault certificate '${sb.certificateName}'`));
    assert.match(e.message, new RegExp(`thumbprint ${thumbprint}`));
    assert.match(e.message, /its new version is rejected too/);
    assert.match(e.message, /upload this certificate's public part/);
    assert.equal(sb.control.counters().keyVaultReads, 2);
    const rendered = util.inspect(e, { depth: Infinity }) + JSON.stringify(e) + deps.logs.join('\n');
    assert.ok(!rendered.includes(keyBody(pem)), 'no private key in the error or the logs');
  });

  it('says the certificate is unchanged in Key Vault when Entra ID dropped it', async () => {
    const deps = sandboxDeps(sb, 'legacy', certEnv());
    sb.control.unregisterCertificate(sb.control.currentCertificate().thumbprint);
    const e = await failure(deps.defender.getIncident(incidentId));
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /AADSTS700027/);
    assert.match(e.message, /re-read from Key Vault and is unchanged/);
    assert.match(e.message, new RegExp(sb.control.currentCertificate().thumbprint));
    assert.equal(sb.control.counters().api.incidentsGet, 0, 'no API call without a token');
  });

  it('refuses a PKCS#12 certificate with what to do instead, and deep health names the hop', async () => {
    // The default content type of a Key Vault certificate: the secret is a base64 PFX (identity-modes.md §1.3).
    sb.control.setCertificateSecret(
      Buffer.from([0x30, 0x82, 0x0a, 0x01, 0x02, 0x01, 0x03]).toString('base64'),
      'application/x-pkcs12',
    );
    const deps = sandboxDeps(sb, 'graph', certEnv());
    const e = await failure(deps.defender.getIncident(incidentId));
    assert.ok(e instanceof SecretError, String(e));
    assert.match(e.message, /PKCS#12/);
    assert.match(e.message, /application\/x-pem-file/);
    assert.match(e.message, new RegExp(`Key Vault certificate '${sb.certificateName}'`));
    const health = await deepHealth(deps);
    assert.equal(health.status, 'failing');
    assert.equal(health.checks[0]?.name, 'keyVault');
    assert.match(health.checks[0]?.error?.message ?? '', /PKCS#12/);
    assert.equal(sb.control.counters().tokenRequests, 0);
  });

  it('clientAuth signs a PS256 assertion with x5t#S256 that the token endpoint accepts (what OnBehalfOfCredential gets)', async () => {
    const deps = sandboxDeps(sb, 'graph', certEnv());
    const auth = await deps.clientAuth();
    assert.ok('getAssertion' in auth);
    const assertion = await auth.getAssertion();
    const [h, p] = assertion
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>);
    assert.equal(h?.alg, 'PS256');
    assert.equal(typeof h?.['x5t#S256'], 'string');
    assert.equal(p?.iss, sb.clientId);
    assert.equal(p?.sub, sb.clientId);
    assert.equal(p?.aud, tokenEndpoint(sb.authorityHost, sb.tenantId));
    const ok = await tokenRequest(assertion);
    assert.equal(ok.status, 200, ok.body);
    // Signed by a certificate the app does not have: refused with Entra's 700027 body.
    sb.control.unregisterCertificate(sb.control.currentCertificate().thumbprint);
    const refused = await tokenRequest(await auth.getAssertion());
    assert.equal(refused.status, 401);
    assert.deepEqual((JSON.parse(refused.body) as { error_codes: number[] }).error_codes, [700027]);
    // An expired assertion: 700024.
    const cert = parseClientCertificate(sb.control.currentCertificate().pem, { vaultUrl: sb.vaultUrl, name: 'x' });
    sb.control.registerCertificate(
      /-----BEGIN CERTIFICATE-----[\s\S]+/.exec(sb.control.currentCertificate().pem)?.[0] ?? '',
    );
    const old = await signClientAssertion(cert, {
      clientId: sb.clientId,
      tokenUrl: tokenEndpoint(sb.authorityHost, sb.tenantId),
      now: Date.now() - 3_600_000,
    });
    const expired = await tokenRequest(old);
    assert.deepEqual((JSON.parse(expired.body) as { error_codes: number[] }).error_codes, [700024]);
  });
});

function tokenRequest(assertion: string): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: sb.clientId,
    scope: 'https://graph.microsoft.com/.default',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      tokenEndpoint(sb.authorityHost, sb.tenantId),
      { method: 'POST', ca: sb.caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
