// HTTP_AUTH_MODE and the caller-token settings: the default is today's function key everywhere (nothing new is
// required), per-endpoint overrides, each problem named by setting, and the registration's authLevel never throwing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authLevelFor, loadCallerAuthConfig, parseHttpAuthMode } from '../../shared/auth/callerAuthConfig';
import { loadConfig } from '../../shared/config';

const TENANT = '8f2b6c1e-4d3a-4b7e-9c5f-1a2b3c4d5e6f';
const CLIENT = '5e1c9a7b-2f4d-4e8a-b6c3-9d0e1f2a3b4c';
const defaults = { tenantId: TENANT, clientId: CLIENT };

describe('HTTP_AUTH_MODE', () => {
  it('defaults to functionKey everywhere, with the API settings derived from TENANT_ID and CLIENT_ID', () => {
    const { config, problems } = loadCallerAuthConfig({}, defaults);
    assert.deepEqual(problems, []);
    assert.ok(Object.values(config.modes).every((m) => m === 'functionKey'));
    assert.equal(config.apiClientId, CLIENT);
    assert.deepEqual(config.allowedTenants, [TENANT]);
    assert.equal(config.requiredScope, 'access_as_user');
    assert.equal(config.easyAuth, false);
    assert.equal(authLevelFor('updateIncident', {}), 'function');
  });

  it('takes a default and per-endpoint overrides, in any case', () => {
    const { modes, problems } = parseHttpAuthMode('FunctionKey; updateIncident=Bearer ;runworkflow=bearer');
    assert.deepEqual(problems, []);
    assert.equal(modes.updateIncident, 'bearer');
    assert.equal(modes.runWorkflow, 'bearer');
    assert.equal(modes.getIncident, 'functionKey');
    assert.equal(authLevelFor('updateIncident', { HTTP_AUTH_MODE: 'functionKey;updateIncident=bearer' }), 'anonymous');
    assert.equal(authLevelFor('getIncident', { HTTP_AUTH_MODE: 'functionKey;updateIncident=bearer' }), 'function');
  });

  it('names each problem; a broken setting keeps the function key at registration and fails loadConfig', () => {
    const { problems } = loadCallerAuthConfig(
      {
        HTTP_AUTH_MODE: 'oauth;webhooks=bearer;getIncident=maybe',
        API_CLIENT_ID: 'not-a-guid',
        API_ALLOWED_TENANTS: `${TENANT},contoso.com`,
        API_REQUIRED_SCOPE: 'two scopes',
      },
      defaults,
    );
    assert.equal(problems.length, 6, problems.join('\n'));
    for (const name of ['HTTP_AUTH_MODE', 'API_CLIENT_ID', 'API_ALLOWED_TENANTS', 'API_REQUIRED_SCOPE'])
      assert.ok(
        problems.some((p) => p.startsWith(name)),
        name,
      );
    for (const value of ['contoso.com', 'oauth', 'webhooks', 'maybe', 'not-a-guid'])
      assert.ok(!problems.join('\n').includes(value), `values are never echoed: ${value}`);
    assert.equal(authLevelFor('updateIncident', { HTTP_AUTH_MODE: 'bearer;oops' }), 'function');
    assert.throws(
      () =>
        loadConfig({
          TENANT_ID: TENANT,
          CLIENT_ID: CLIENT,
          KEY_VAULT_URL: 'https://kv.vault.azure.net',
          CLIENT_SECRET_NAME: 'riposte-client-secret',
          HTTP_AUTH_MODE: 'sometimes',
        }),
      /HTTP_AUTH_MODE/,
    );
  });
});
