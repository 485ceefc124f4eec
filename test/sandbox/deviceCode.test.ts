// The sandbox's device authorization grant on the wire, as Entra documents it (entra-docs
// docs/identity-platform/v2-oauth2-device-code.md; identity-modes.md §5.1): the /devicecode answer's fields, the token
// endpoint's grant under both spellings (the RFC's URN and MSAL's `device_code`), its pending / declined / expired /
// bad code answers in Entra's error body, 7000218 for a confidential app, and the sign-in page a user approves on.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox';
import { claimsOf, client } from './helpers';

let sandbox: Sandbox;
let offsetMs = 0;
before(async () => {
  sandbox = await startSandbox({ rateLimitScale: 0.01, now: () => new Date(Date.now() + offsetMs) });
});
after(() => sandbox.close());
beforeEach(() => {
  sandbox.control.reset();
  offsetMs = 0;
  sandbox.control.setDeviceCodeTiming({ intervalSeconds: 0, expiresInSeconds: 60 });
});

const GRAPH = 'https://graph.microsoft.com/.default';

async function deviceCode(clientId = sandbox.cliClientId, scope = `${GRAPH} openid profile offline_access`) {
  return client(sandbox).post(
    `/${sandbox.tenantId}/oauth2/v2.0/devicecode`,
    new URLSearchParams({ client_id: clientId, scope }),
  );
}

async function poll(deviceCodeValue: string, grantType: string, clientId = sandbox.cliClientId) {
  return client(sandbox).post(
    `/${sandbox.tenantId}/oauth2/v2.0/token`,
    new URLSearchParams({ grant_type: grantType, client_id: clientId, device_code: deviceCodeValue }),
  );
}

const signIn = (form: Record<string, string>) =>
  client(sandbox).post('/devicelogin', new URLSearchParams(form), { responseType: 'text' });

/** Entra's error body: error, "AADSTSnnnn: …" description with trace lines, error_codes, ids (aadError). */
function assertAadError(data: unknown, error: string, code: number): void {
  const body = data as { error: string; error_description: string; error_codes: number[]; trace_id: string };
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(body.error_description, new RegExp(`^AADSTS${code}: .*\\r\\nTrace ID: .*\\r\\nCorrelation ID: `, 's'));
  assert.ok(body.trace_id);
}

const URN = 'urn:ietf:params:oauth:grant-type:device_code';

describe('sandbox device code grant', () => {
  it('answers /devicecode with the documented fields, time-scaled', async () => {
    sandbox.control.setDeviceCodeTiming({ intervalSeconds: 0.05, expiresInSeconds: 9 });
    const res = await deviceCode();
    assert.equal(res.status, 200);
    const body = res.data as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'device_code',
      'expires_in',
      'interval',
      'message',
      'user_code',
      'verification_uri',
    ]);
    assert.equal(body.verification_uri, `${sandbox.url}/devicelogin`);
    assert.equal(body.interval, 0.05);
    assert.equal(body.expires_in, 9);
    assert.match(
      String(body.message),
      new RegExp(`${String(body.verification_uri)} and enter the code ${String(body.user_code)}`),
    );
  });

  for (const grant of [URN, 'device_code']) {
    it(`grant_type=${grant}: authorization_pending until approved, then a delegated user token for the user`, async () => {
      const { device_code, user_code } = (await deviceCode()).data as { device_code: string; user_code: string };
      const pending = await poll(device_code, grant);
      assert.equal(pending.status, 400);
      assertAadError(pending.data, 'authorization_pending', 70016);

      const page = await signIn({ user_code, user: 'alex.analyst@contoso.com', action: 'approve' });
      assert.equal(page.status, 200);
      assert.match(String(page.data), /alex\.analyst@contoso\.com signed in/);

      const ok = await poll(device_code, grant);
      assert.equal(ok.status, 200);
      const body = ok.data as Record<string, string>;
      assert.equal(body.token_type, 'Bearer');
      assert.ok(body.refresh_token && body.id_token && body.client_info);
      const claims = claimsOf(body.access_token ?? '');
      assert.equal(claims.aud, 'https://graph.microsoft.com');
      assert.equal(claims.idtyp, 'user');
      assert.equal(claims.preferred_username, 'alex.analyst@contoso.com');
      assert.equal(claims.azp, sandbox.cliClientId);
      assert.match(String(claims.scp), /\bSecurityIncident\.ReadWrite\.All\b/);
      assert.equal(claimsOf(body.id_token ?? '').aud, sandbox.cliClientId);

      // Redeemed once: the same code again is unknown.
      assertAadError((await poll(device_code, grant)).data, 'bad_verification_code', 70018);

      // The refresh token gets another API's token for the same user without a new sign-in.
      const other = await client(sandbox).post(
        `/${sandbox.tenantId}/oauth2/v2.0/token`,
        new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: sandbox.cliClientId,
          refresh_token: body.refresh_token ?? '',
          scope: 'https://api.security.microsoft.com/.default offline_access',
        }),
      );
      assert.equal(other.status, 200);
      const legacy = claimsOf((other.data as { access_token: string }).access_token);
      assert.equal(legacy.aud, 'https://api.security.microsoft.com');
      assert.deepEqual(String(legacy.scp).split(' ').sort(), [
        'AdvancedHunting.Read',
        'Incident.Read',
        'Incident.ReadWrite',
      ]);
    });
  }

  it('declined: authorization_declined, then the code is gone', async () => {
    const { device_code, user_code } = (await deviceCode()).data as { device_code: string; user_code: string };
    assert.equal((await signIn({ user_code, user: 'alex.analyst@contoso.com', action: 'decline' })).status, 200);
    const res = await poll(device_code, URN);
    assert.equal(res.status, 400);
    assertAadError(res.data, 'authorization_declined', 70000);
    assertAadError((await poll(device_code, URN)).data, 'bad_verification_code', 70018);
  });

  it('expired on the sandbox clock: expired_token; the sign-in page refuses the code too', async () => {
    const { device_code, user_code } = (await deviceCode()).data as { device_code: string; user_code: string };
    offsetMs = 61_000;
    assert.equal((await signIn({ user_code, user: 'alex.analyst@contoso.com' })).status, 400);
    assertAadError((await poll(device_code, URN)).data, 'expired_token', 70019);
  });

  it('slow_down when polled closer together than the interval', async () => {
    sandbox.control.setDeviceCodeTiming({ intervalSeconds: 30 });
    const { device_code } = (await deviceCode()).data as { device_code: string };
    assertAadError((await poll(device_code, URN)).data, 'authorization_pending', 70016);
    assertAadError((await poll(device_code, URN)).data, 'slow_down', 70016);
  });

  it('a confidential app (no "Allow public client flows") gets 401 invalid_client AADSTS7000218', async () => {
    const { device_code } = (await deviceCode(sandbox.clientId)).data as { device_code: string };
    const res = await poll(device_code, 'device_code', sandbox.clientId);
    assert.equal(res.status, 401);
    assertAadError(res.data, 'invalid_client', 7000218);
  });

  it('refuses an unknown app (700016), a bad scope (70011), a missing device_code (900144)', async () => {
    const unknown = await deviceCode('0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9');
    assert.equal(unknown.status, 400);
    assertAadError(unknown.data, 'unauthorized_client', 700016);
    assertAadError(
      (await deviceCode(sandbox.cliClientId, 'https://unknown.example/.default')).data,
      'invalid_scope',
      70011,
    );
    const missing = await client(sandbox).post(
      `/${sandbox.tenantId}/oauth2/v2.0/token`,
      new URLSearchParams({ grant_type: URN, client_id: sandbox.cliClientId }),
    );
    assertAadError(missing.data, 'invalid_request', 900144);
  });

  it('the sign-in page: a form to GET; a wrong code or unknown user is refused with 400', async () => {
    const form = await client(sandbox).get('/devicelogin', { responseType: 'text' });
    assert.equal(form.status, 200);
    assert.match(String(form.data), /<form method="post">.*name="user_code"/s);
    const { user_code } = (await deviceCode()).data as { user_code: string };
    assert.equal((await signIn({ user_code: 'WRONGCODE', user: 'alex.analyst@contoso.com' })).status, 400);
    assert.equal((await signIn({ user_code, user: 'nobody@contoso.com' })).status, 400);
    assert.equal((await signIn({ user_code, user: 'alex.analyst@contoso.com', action: 'maybe' })).status, 400);
  });
});
