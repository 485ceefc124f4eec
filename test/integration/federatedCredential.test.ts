// CREDENTIAL_SOURCE managedIdentityFederation through the real SDKs: ManagedIdentityCredential (user-assigned) gets
// the api://AzureADTokenExchange token from the sandbox's identity endpoint, ClientAssertionCredential presents it,
// and the sandbox's Entra ID matches it against the app's federated identity credentials. No secret anywhere: Key
// Vault is never read. Its own file (own process): MSAL caches managed-identity tokens per process.
import assert from 'node:assert/strict';
import util from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { AuthError } from '../../shared/errors';
import { deepHealth } from '../../shared/health';
import { httpStatusFor } from '../../shared/httpStatus';
import { runTicketSync } from './credentialSourceRun';
import { failure, sandboxDeps } from './sandboxDeps';

let sb: Sandbox;
let incidentId: string;
const ficEnv = (): Record<string, string> => ({
  CREDENTIAL_SOURCE: 'managedIdentityFederation',
  MANAGED_IDENTITY_CLIENT_ID: sb.uamiClientId,
});

before(async () => {
  sb = await startSandbox({ rateLimits: false });
});
after(() => sb?.close());
beforeEach(() => {
  sb.control.reset();
  incidentId = String(sb.control.incidents()[0]?.id);
});

describe('managedIdentityFederation', () => {
  // First in the file: no managed-identity token is cached in this process yet.
  it('answers 503 (transient) while the managed identity endpoint is down, and works once it is back', async () => {
    sb.control.injectFaults({ target: 'mi', status: 503 });
    const deps = sandboxDeps(sb, 'graph', ficEnv());
    const e = await failure(deps.defender.getIncident(incidentId));
    assert.ok(e instanceof AuthError, String(e));
    assert.equal(e.code, 'AUTH_UNAVAILABLE');
    assert.equal(httpStatusFor({ code: e.code }).status, 503);
    assert.match(
      e.message,
      new RegExp(`managed identity ${sb.uamiClientId} could not get a token for api://AzureADTokenExchange`),
    );
    assert.equal(sb.control.counters().tokenRequests, 0, 'no token request without an assertion');
    const health = await deepHealth(deps);
    assert.equal(health.status, 'failing');
    assert.deepEqual(
      health.checks.map((c) => [c.name, c.ok]),
      [['managedIdentity', false]],
    );
    sb.control.clearFaults();
    const incident = await deps.defender.getIncident(incidentId);
    assert.equal(incident.id, incidentId);
    const c = sb.control.counters();
    assert.ok((c.miIdentities[sb.uamiClientId] ?? 0) >= 1, 'the user-assigned identity asked');
    assert.equal(c.miIdentities.system, undefined, 'never the system-assigned identity');
    assert.equal(c.keyVaultReads, 0, 'no secret anywhere');
  });

  it('gets tokens with the managed identity as a federated credential and runs a workflow on both APIs, no Key Vault read', async () => {
    sb.control.rotateSecretInEntraOnly();
    for (const api of ['graph', 'legacy'] as const) {
      const deps = sandboxDeps(sb, api, ficEnv());
      const report = await runTicketSync(deps.defender, incidentId, `[SEC-15] via federated credential on ${api}`);
      assert.equal(report.status, 'succeeded', JSON.stringify(report.steps));
      const stored = sb.control.incident(incidentId);
      assert.equal(stored?.status, 'inProgress');
      assert.ok(stored?.comments.some((c) => c.comment.includes(`via federated credential on ${api}`)));
    }
    const c = sb.control.counters();
    assert.equal(c.keyVaultReads, 0, 'no secret anywhere');
    // MSAL keeps the managed identity's token per process: the first test asked for it (checked there).
    assert.equal(c.miIdentities.system, undefined, 'never the system-assigned identity');
  });

  it('refuses a federated credential with the wrong subject: AADSTS70021 naming the issuer, subject and audience to set', async () => {
    const principal = sb.control.managedIdentityPrincipalId(sb.uamiClientId);
    const [fic] = sb.control.federatedCredentials();
    assert.ok(fic);
    // The classic mistake: the identity's client id where its principal (object) id belongs.
    sb.control.addFederatedCredential({ ...fic, subject: sb.uamiClientId });
    const deps = sandboxDeps(sb, 'graph', ficEnv());
    const e = await failure(deps.defender.getIncident(incidentId));
    assert.ok(e instanceof AuthError, String(e));
    assert.equal(e.code, 'AUTH_FAILED');
    assert.equal(httpStatusFor({ code: e.code }).status, 502);
    assert.deepEqual(e.errorCodes, [70021]);
    assert.match(
      e.message,
      /No federated identity credential of app .* matches the managed identity's token \(AADSTS70021\)/,
    );
    assert.ok(e.message.includes(`issuer '${sb.authorityHost}/${sb.tenantId}/v2.0'`), e.message);
    assert.ok(e.message.includes(`subject '${principal}'`), e.message);
    assert.ok(e.message.includes("audience 'api://AzureADTokenExchange'"), e.message);
    assert.equal(sb.control.counters().api.incidentsGet, 0);
    const rendered = util.inspect(e, { depth: Infinity }) + JSON.stringify(e) + deps.logs.join('\n');
    for (const token of sb.control.issuedTokens())
      assert.ok(!rendered.includes(token), 'no token in the error or logs');
    // Fixed as the message says: works.
    sb.control.addFederatedCredential({ ...fic, subject: principal });
    const fixed = sandboxDeps(sb, 'graph', ficEnv());
    assert.equal((await fixed.defender.getIncident(incidentId)).id, incidentId);
  });

  it('clientAuth hands OnBehalfOfCredential the managed identity token; deep health shows the source and identity', async () => {
    const deps = sandboxDeps(sb, 'graph', ficEnv());
    const auth = await deps.clientAuth();
    assert.ok('getAssertion' in auth && !('clientSecret' in auth));
    const claims = JSON.parse(Buffer.from((await auth.getAssertion()).split('.')[1] ?? '', 'base64url').toString()) as {
      aud: string;
      sub: string;
    };
    assert.equal(claims.aud, 'api://AzureADTokenExchange');
    assert.equal(claims.sub, sb.control.managedIdentityPrincipalId(sb.uamiClientId));
    const health = await deepHealth(deps);
    assert.equal(health.status, 'ok', JSON.stringify(health));
    assert.deepEqual(
      health.checks.map((c) => c.name),
      ['managedIdentity', 'token', 'api'],
    );
    assert.deepEqual(health.credential, {
      source: 'managedIdentityFederation',
      MANAGED_IDENTITY_CLIENT_ID: sb.uamiClientId,
      audience: 'api://AzureADTokenExchange',
      issuer: `${sb.authorityHost}/${sb.tenantId}/v2.0`,
    });
    const body = JSON.stringify(health);
    for (const token of sb.control.issuedTokens()) assert.ok(!body.includes(token));
  });
});
