// Key Vault secret → app token → API, through the real SDKs (ManagedIdentityCredential, SecretClient,
// ClientSecretCredential) and axios, over TLS against the sandbox.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import util from 'node:util';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { AuthError, DefenderApiError, SecretError } from '../../shared/errors';
import { failure, sandboxDeps } from './sandboxDeps';

let sb: Sandbox;
let incidentId: string;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());
beforeEach(() => {
  sb.control.reset();
  incidentId = String(sb.control.incidents()[0]?.id);
});

describe('secret and token', () => {
  it('reads the secret once and gets one token, then 50 calls reuse both', async () => {
    const deps = sandboxDeps(sb);
    const first = await deps.defender.getIncident(incidentId);
    assert.equal(first.id, incidentId);
    const c1 = sb.control.counters();
    assert.equal(c1.keyVaultReads, 1);
    assert.equal(c1.tokenRequests, 1);
    assert.equal(c1.miIdentities.system, 1, 'system-assigned identity used');
    await Promise.all(Array.from({ length: 49 }, () => deps.defender.getIncident(incidentId)));
    const c2 = sb.control.counters();
    assert.equal(c2.api.incidentsGet, 50);
    assert.equal(c2.keyVaultReads, 1);
    assert.equal(c2.tokenRequests, 1);
    assert.equal(c2.miTokenRequests, 1);
    assert.equal(deps.secrets.reads, 1);
    assert.equal(deps.tokens.credentialsBuilt, 1);
  });

  it('uses the user-assigned identity when configured', async () => {
    const uami = '7d3e9f21-4b6a-4c8d-9e0f-a1b2c3d4e5f6';
    const deps = sandboxDeps(sb, 'graph', { MANAGED_IDENTITY_CLIENT_ID: uami });
    await deps.defender.getIncident(incidentId);
    assert.deepEqual(sb.control.counters().miIdentities, { [uami]: 1 });
  });

  it('fails with the secret, the vault and what to do when only Entra has the new secret', async () => {
    sb.control.rotateSecretInEntraOnly();
    const deps = sandboxDeps(sb);
    const e = await failure(deps.defender.getIncident(incidentId));
    assert.ok(e instanceof AuthError, String(e));
    assert.equal(e.code, 'AUTH_FAILED');
    assert.equal(e.error, 'invalid_client');
    assert.deepEqual(e.errorCodes, [7000215]);
    assert.match(
      e.message,
      new RegExp(`Key Vault secret '${sb.secretName}' in ${sb.vaultUrl.replace(/[.:/]/g, '\\$&')}`),
    );
    assert.match(e.message, /AADSTS7000215/);
    assert.match(e.message, /unchanged/);
    assert.equal(sb.control.counters().keyVaultReads, 2);
    assert.equal(sb.control.counters().api.incidentsGet, 0, 'no API call without a token');
    const rendered = util.inspect(e, { depth: Infinity }) + JSON.stringify(e);
    assert.ok(!rendered.includes(sb.control.currentSecret()));
  });

  it('explains an expired secret (AADSTS7000222)', async () => {
    sb.control.expireSecret();
    const e = await failure(sandboxDeps(sb, 'legacy').defender.getIncident(incidentId));
    assert.ok(e instanceof AuthError);
    assert.deepEqual(e.errorCodes, [7000222]);
    assert.match(
      e.message,
      /has expired \(AADSTS7000222\): create a new client secret for the app registration and store its value in Key Vault secret/,
    );
    assert.ok(e.correlationId, 'correlation id parsed');
  });

  it('refreshes the token once after an API 401', async () => {
    const deps = sandboxDeps(sb);
    await deps.defender.getIncident(incidentId);
    sb.control.revokeTokens();
    await deps.defender.getIncident(incidentId);
    const c = sb.control.counters();
    assert.equal(c.tokenRequests, 2, 'one new token');
    assert.equal(c.keyVaultReads, 1, 'the secret was still good');
    assert.equal(c.api.incidentsGet, 3, 'ok, 401, ok');
  });

  it('a token without the API role gives FORBIDDEN, not retried', async () => {
    sb.control.setRoles([]);
    const deps = sandboxDeps(sb);
    const e = await failure(deps.defender.getIncident(incidentId));
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.code, 'FORBIDDEN');
    assert.equal(e.status, 403);
    assert.match(e.message, /Missing application roles/);
    assert.equal(sb.control.counters().api.incidentsGet, 1);
  });

  it('names the vault, the secret and the fix when the secret is missing or disabled', async () => {
    sb.control.deleteSecret();
    const missing = await failure(sandboxDeps(sb).defender.getIncident(incidentId));
    assert.ok(missing instanceof SecretError, String(missing));
    assert.equal(missing.status, 404);
    assert.equal(missing.secretName, sb.secretName);
    assert.match(missing.message, /create the secret/);
    sb.control.reset();
    sb.control.setSecretEnabled(false);
    const disabled = await failure(sandboxDeps(sb).defender.getIncident(incidentId));
    assert.ok(disabled instanceof SecretError);
    assert.match(disabled.message, /disabled: enable it/);
  });

  it('never logs or leaks the secret or a token', async () => {
    const deps = sandboxDeps(sb);
    await deps.defender.getIncident(incidentId);
    sb.control.revokeTokens();
    sb.control.injectFaults({ target: 'incidents', status: 503, count: 1 });
    sb.control.injectFaults({ target: 'incidents', status: 429, count: 1, retryAfterSeconds: 1 });
    await deps.defender.getIncident(incidentId);
    const text = deps.logs.join('\n');
    assert.ok(deps.logs.length >= 3, text);
    assert.ok(!text.includes(sb.control.currentSecret()));
    assert.ok(!/eyJ[\w-]{10,}\./.test(text), 'no JWT in logs');
  });
});
