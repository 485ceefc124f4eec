// The sandbox's token endpoint with client assertions (sandbox/clientAssertion.ts), raw over HTTP: what it accepts
// and the Entra error body it answers otherwise. Assertions are built here as the documented format says
// (entra-docs certificate-credentials.md; identity-modes.md §1.2): header alg + x5t#S256 (or the older RS256 + x5t),
// claims aud = the token URL, iss = sub = client id, exp, nbf, jti.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { claimsOf, client, GRAPH_SCOPE } from './helpers';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ seed: false });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

interface Signed {
  alg?: 'PS256' | 'RS256';
  thumb?: 'x5t#S256' | 'x5t';
  claims?: Record<string, unknown>;
}

async function assertion(o: Signed = {}): Promise<string> {
  const { SignJWT } = await import('jose');
  const pem = sb.control.currentCertificate().pem;
  const der = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+/.exec(pem)?.[0] ?? '').raw;
  const thumb = o.thumb ?? 'x5t#S256';
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    aud: `${sb.url}/${sb.tenantId}/oauth2/v2.0/token`,
    iss: sb.clientId,
    sub: sb.clientId,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 600,
    ...o.claims,
  })
    .setProtectedHeader({
      alg: o.alg ?? 'PS256',
      typ: 'JWT',
      [thumb]: createHash(thumb === 'x5t' ? 'sha1' : 'sha256')
        .update(der)
        .digest('base64url'),
    })
    .sign(createPrivateKey(pem));
}

async function request(form: Record<string, string>): Promise<{ status: number; data: Record<string, unknown> }> {
  const res = await client(sb).post(
    `/${sb.tenantId}/oauth2/v2.0/token`,
    new URLSearchParams({ grant_type: 'client_credentials', client_id: sb.clientId, scope: GRAPH_SCOPE, ...form }),
  );
  return { status: res.status, data: res.data as Record<string, unknown> };
}
const withAssertion = async (a: string) =>
  request({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });

describe('sandbox token endpoint: client assertions', () => {
  it('accepts PS256 + x5t#S256 and RS256 + x5t from a registered certificate, and issues the app token', async () => {
    for (const signed of [{}, { alg: 'RS256', thumb: 'x5t' }] as const) {
      const r = await withAssertion(await assertion(signed));
      assert.equal(r.status, 200, JSON.stringify(r.data));
      const claims = claimsOf(String(r.data.access_token));
      assert.equal(claims.appid, sb.clientId);
      assert.equal(claims.aud, 'https://graph.microsoft.com');
    }
  });

  it('answers Entra error bodies: key not registered (700027), expired (700024), wrong audience (50012), iss ≠ sub (700021), malformed (50027)', async () => {
    const codes = async (a: string) => {
      const r = await withAssertion(a);
      return [r.status, (r.data.error_codes as number[])[0], r.data.error];
    };
    const past = Math.floor(Date.now() / 1000) - 3600;
    assert.deepEqual(await codes(await assertion({ claims: { exp: past, nbf: past - 600 } })), [
      401,
      700024,
      'invalid_client',
    ]);
    assert.deepEqual(
      await codes(await assertion({ claims: { aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' } })),
      [401, 50012, 'invalid_client'],
    );
    assert.deepEqual(await codes(await assertion({ claims: { sub: randomUUID() } })), [401, 700021, 'invalid_client']);
    assert.deepEqual(await codes('not.a.jwt'), [400, 50027, 'invalid_request']);
    const { thumbprint } = sb.control.currentCertificate();
    sb.control.unregisterCertificate(thumbprint);
    const r = await withAssertion(await assertion());
    assert.equal(r.status, 401);
    assert.deepEqual(r.data.error_codes, [700027]);
    assert.match(
      String(r.data.error_description),
      /^AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application\. \[Reason - The key was not found\./,
    );
    assert.match(String(r.data.error_description), /Correlation ID: [0-9a-f-]{36}/);
  });

  it('without secret or assertion: 7000218, as before', async () => {
    const r = await request({});
    assert.equal(r.status, 401);
    assert.deepEqual(r.data.error_codes, [7000218]);
  });

  it('refuses a managed-identity token no FIC matches with the 70021 body naming issuer, subject and audience', async () => {
    const [fic] = sb.control.federatedCredentials();
    assert.ok(fic);
    sb.control.removeFederatedCredential(fic.name);
    const mi = await fetch(
      `${sb.identityEndpoint}?api-version=2019-08-01&resource=api://AzureADTokenExchange&client_id=${sb.uamiClientId}`,
      {
        headers: { 'x-identity-header': sb.identityHeader },
      },
    );
    const miToken = ((await mi.json()) as { access_token: string }).access_token;
    const claims = claimsOf(miToken);
    assert.equal(claims.aud, 'api://AzureADTokenExchange');
    assert.equal(claims.sub, sb.control.managedIdentityPrincipalId(sb.uamiClientId));
    const refused = await withAssertion(miToken);
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.data.error_codes, [70021]);
    assert.match(
      String(refused.data.error_description),
      new RegExp(
        `Assertion Issuer: '${sb.url.replace(/[.:/]/g, '\\$&')}/${sb.tenantId}/v2\\.0'\\. Assertion Subject: '${claims.sub}'\\. Assertion Audience: 'api://AzureADTokenExchange'`,
      ),
    );
    sb.control.addFederatedCredential(fic);
    assert.equal((await withAssertion(miToken)).status, 200);
  });
});
