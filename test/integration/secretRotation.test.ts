// Secret rotation healing, black-box: tokens that live under MSAL's 5-minute refresh margin are never served from
// its cache, so every call asks Entra for a token, as happens an hour after a rotation when the cached token
// expires. Its own file (own process) because MSAL caches managed-identity tokens per process, not per endpoint:
// a second sandbox in the same process would be handed the first one's Key Vault token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { AuthError } from '../../shared/errors';
import { failure, sandboxDeps } from './sandboxDeps';

describe('secret rotation', () => {
  let short: Sandbox;
  before(async () => {
    short = await startSandbox({ tokenLifetimeSeconds: 299, rateLimits: false });
  });
  after(() => short?.close());

  it('heals a rotated secret when the next token request is rejected: one extra Key Vault read, success', async () => {
    const deps = sandboxDeps(short);
    const id = String(short.control.incidents()[0]?.id);
    await deps.defender.getIncident(id);
    assert.equal(short.control.counters().keyVaultReads, 1);
    short.control.rotateSecret();
    const again = await deps.defender.getIncident(id);
    assert.equal(again.id, id);
    const c = short.control.counters();
    assert.equal(c.keyVaultReads, 2, 'exactly one re-read');
    assert.equal(c.api.incidentsGet, 2, 'the API never saw a bad token');
    assert.equal(deps.tokens.credentialsBuilt, 2, 'one credential per secret value');
    assert.ok(deps.logs.some((l) => l.includes('client secret rejected, re-reading it from Key Vault')));
    await deps.defender.getIncident(id);
    assert.equal(short.control.counters().keyVaultReads, 2, 'healed for good');
  });

  it('fails naming secret and vault when the re-read value is rejected too', async () => {
    short.control.reset();
    const deps = sandboxDeps(short);
    const id = String(short.control.incidents()[0]?.id);
    await deps.defender.getIncident(id);
    short.control.rotateSecretInEntraOnly();
    const e = await failure(deps.defender.getIncident(id));
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /AADSTS7000215/);
    assert.match(e.message, new RegExp(`Key Vault secret '${short.secretName}'`));
    assert.equal(short.control.counters().keyVaultReads, 2);
  });
});
