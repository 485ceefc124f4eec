// Token lifetime follows the sandbox clock: a token expires when the clock passes `exp`, with no skew allowance.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox';
import { client, GRAPH_SCOPE, token } from './helpers';

let sandbox: Sandbox;
let offsetMs = 0;
before(async () => {
  sandbox = await startSandbox({ seed: false, tokenLifetimeSeconds: 600, now: () => new Date(Date.now() + offsetMs) });
});
after(() => sandbox.close());

it('rejects a token once the clock passes its exp', async () => {
  const t = await token(sandbox, GRAPH_SCOPE);
  const api = client(sandbox, sandbox.graphBaseUrl);
  const call = () => api.get('/security/incidents', { headers: { authorization: `Bearer ${t}` } });
  assert.equal((await call()).status, 200);
  offsetMs = 601_000;
  const expired = await call();
  assert.equal(expired.status, 401);
  assert.equal(expired.data.error.message, 'Lifetime validation failed, the token is expired.');
});
