// On behalf of the caller with CREDENTIAL_SOURCE=keyVaultCertificate: Riposte proves itself in the on-behalf-of
// exchange with a client assertion signed by its Key Vault certificate (AppDeps.clientAuth), not a secret. The
// client secret is expired in the sandbox's Entra, so a secret could not have done it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CALLER_APP_ID, SANDBOX_USERS } from '../../sandbox';
import { SANDBOX_CERTIFICATE_NAME } from '../../sandbox/appKeys';
import { startHarness, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await startHarness({
    api: 'graph',
    settings: {
      HTTP_AUTH_MODE: 'bearer',
      CREDENTIAL_SOURCE: 'keyVaultCertificate',
      CLIENT_CERTIFICATE_NAME: SANDBOX_CERTIFICATE_NAME,
    },
  });
});
after(async () => {
  await h?.close();
});

describe('on behalf of the caller with a certificate credential', () => {
  it("the analyst's update goes through an OBO exchange authenticated by the certificate's assertion", async () => {
    h.sandbox.control.expireSecret();
    const token = h.sandbox.control.userToken('analyst', {
      audience: h.sandbox.clientId,
      scopes: ['access_as_user'],
      clientAppId: SANDBOX_CALLER_APP_ID,
    });
    const id = h.sandbox.control.incidents().find((i) => i.status !== 'resolved')!.id;
    const r = await h.call('PATCH', `/api/incidents/${id}`, {
      key: false,
      headers: { authorization: `Bearer ${token}` },
      body: { comment: 'checked with a certificate-backed app' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(h.sandbox.control.incident(id)?.comments.at(-1)?.createdBy, SANDBOX_USERS.analyst.upn);
  });
});
