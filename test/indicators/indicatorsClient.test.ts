// The MDE indicators client against the sandbox over TLS with the real composition root (deps.apis.mde, its own
// token audience): submit (upsert), find by value with an escaped OData literal, remove (204, then 404 = gone), the
// documented validation error codes, the `indicators` quota family (client-side and the server's 429), Ti.ReadWrite's
// own-indicators view, and a gcc-high configuration's host and audience.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import type { IndicatorsClient } from '../../shared/defender/indicatorsClient';
import { indicatorFilter } from '../../shared/defender/indicatorsClient';
import { DefenderApiError } from '../../shared/errors';
import { httpStatusFor } from '../../shared/httpStatus';
import { failure, sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;

before(async () => {
  // A 30 s "minute": the quota test's 101 calls fit in one however busy the machine is.
  sb = await startSandbox({ rateLimitScale: 0.5 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const SHA256 = 'a'.repeat(63) + 'b';
const clientOf = (deps: ReturnType<typeof sandboxDeps>): IndicatorsClient => {
  const c = deps.defender.indicators;
  assert.ok(c, 'an indicators client is built on every backend');
  return c;
};
const claims = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('MDE indicators client', () => {
  for (const api of ['graph', 'legacy'] as const) {
    it(`DEFENDER_API=${api}: submits to the MDE host with an MDE token, finds by value, updates in place, removes`, async () => {
      const deps = sandboxDeps(sb, api);
      const client = clientOf(deps);
      const created = await client.submit({
        indicatorValue: SHA256,
        indicatorType: 'FileSha256',
        action: 'Block',
        title: 'Riposte test',
        description: 'from a test',
        severity: 'High',
        expirationTime: '2099-01-01T00:00:00.000Z',
      });
      const stored = sb.control.indicators();
      assert.equal(stored.length, 1);
      assert.deepEqual(
        [stored[0]?.id, stored[0]?.indicatorValue, stored[0]?.indicatorType, stored[0]?.action, stored[0]?.severity],
        [created.id, SHA256, 'FileSha256', 'Block', 'High'],
      );
      assert.equal(stored[0]?.sourceType, 'AadApp');
      const post = sb.control.requests().find((r) => r.family === 'indicatorsSubmit');
      assert.deepEqual([post?.method, post?.path, post?.api, post?.status], ['POST', '/api/indicators', 'mde', 200]);
      assert.equal(
        claims(await deps.tokens.getToken(deps.config.apis.mde.scope)).aud,
        'https://api.securitycenter.microsoft.com',
      );

      const found = await client.findByValue(SHA256.toUpperCase(), 'FileSha256');
      assert.deepEqual(
        found.map((i) => i.id),
        [created.id],
      );
      // The POST is an upsert: the same value with another action changes the one indicator.
      const updated = await client.submit({
        indicatorValue: SHA256,
        indicatorType: 'FileSha256',
        action: 'Audit',
        generateAlert: true,
        title: 'Riposte test',
        description: 'from a test',
      });
      assert.equal(updated.id, created.id);
      assert.equal(sb.control.indicators()[0]?.action, 'Audit');

      assert.equal(await client.remove(created.id), true);
      assert.equal(sb.control.indicators().length, 0);
      assert.equal(await client.remove(created.id), false, '404: already gone');
    });
  }

  it('escapes the value in the $filter literal: a quote cannot end it', async () => {
    const url = "https://evil.example.com/a'b or indicatorType eq 'Url";
    sb.control.addIndicator({ indicatorValue: url, indicatorType: 'Url' });
    sb.control.addIndicator({ indicatorValue: 'https://evil.example.com/a', indicatorType: 'Url' });
    assert.equal(
      indicatorFilter(url, 'Url'),
      "indicatorValue eq 'https://evil.example.com/a''b or indicatorType eq ''Url' and indicatorType eq 'Url'",
    );
    const found = await clientOf(sandboxDeps(sb, 'graph')).findByValue(url, 'Url');
    assert.deepEqual(
      found.map((i) => i.indicatorValue),
      [url],
    );
  });

  it('answers the documented error codes for bad values, CIDR, a missing field and Audit without alerts', async () => {
    const client = clientOf(sandboxDeps(sb, 'graph'));
    const base = { action: 'Block', title: 't', description: 'd' } as const;
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, indicatorValue: 'xyz', indicatorType: 'FileSha1' }, 'InvalidHashValue'],
      [{ ...base, indicatorValue: '10.0.0.0/8', indicatorType: 'IpAddress' }, 'InvalidIpAddress'],
      [{ ...base, indicatorValue: 'not a domain', indicatorType: 'DomainName' }, 'InvalidDomainName'],
      [{ ...base, indicatorValue: 'ht!tp://', indicatorType: 'Url' }, 'InvalidUrl'],
      [{ ...base, indicatorValue: '', indicatorType: 'Url' }, 'MissingRequiredParameter'],
      [{ ...base, action: 'Audit', indicatorValue: '1.2.3.4', indicatorType: 'IpAddress' }, 'InvalidInput'],
    ];
    for (const [body, code] of cases) {
      const e = await failure(client.submit(body as never));
      assert.ok(e instanceof DefenderApiError, String(e));
      assert.deepEqual([e.status, e.apiCode], [400, code], JSON.stringify(body));
      // The API refused what we sent: 422 with its message (shared/httpStatus.ts), never 502.
      assert.equal(httpStatusFor({ code: e.code, upstreamStatus: e.status }).status, 422);
    }
    assert.equal(sb.control.indicators().length, 0, 'nothing stored');
  });

  it('Ti.ReadWrite sees only the indicators the app made; Ti.ReadWrite.All sees every one', async () => {
    sb.control.addIndicator({ indicatorValue: 'contoso-evil.com', indicatorType: 'DomainName' });
    assert.equal((await clientOf(sandboxDeps(sb, 'graph')).findByValue('contoso-evil.com')).length, 1);
    sb.control.setRoles(['Ti.ReadWrite']);
    assert.equal((await clientOf(sandboxDeps(sb, 'graph')).findByValue('contoso-evil.com')).length, 0);
    sb.control.setRoles(['SecurityIncident.ReadWrite.All']);
    const e = await failure(clientOf(sandboxDeps(sb, 'graph')).findByValue('contoso-evil.com'));
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.status, 403);
  });

  it('indicators have their own quota family: the client stops at QUOTA_INDICATORS_PER_MINUTE before the API does', async () => {
    const deps = sandboxDeps(sb, 'graph', { QUOTA_INDICATORS_PER_MINUTE: '2', MAX_RETRY_AFTER_SECONDS: '1' });
    assert.deepEqual(
      sandboxDeps(sb, 'graph').config.rateLimits.indicators.map((w) => w.limit),
      [100, 1500],
      'defaults: 100 a minute, 1,500 an hour',
    );
    const client = clientOf(deps);
    await client.findByValue('1.2.3.4');
    await client.findByValue('1.2.3.4');
    const e = await failure(client.findByValue('1.2.3.4'));
    assert.ok(e instanceof DefenderApiError);
    assert.deepEqual([e.status, e.apiCode], [429, 'ClientRateLimit']);
    assert.equal(sb.control.counters().api.indicatorsList, 2, 'the third call was never sent');
    // The other families are untouched by the indicators' quota.
    await deps.defender.getIncident(String(sb.control.incidents()[0]?.id));
  });

  it("the server's 429 (MDE body, Retry-After in seconds) is waited out and retried", async () => {
    sb.control.injectFaults({ target: 'indicators', status: 429, retryAfterSeconds: 1, count: 1 });
    const deps = sandboxDeps(sb, 'graph');
    const found = await clientOf(deps).findByValue('1.2.3.4');
    assert.deepEqual(found, []);
    assert.ok(deps.sleeps.includes(1000), `waited Retry-After: ${JSON.stringify(deps.sleeps)}`);
    assert.deepEqual(
      sb.control
        .requests()
        .filter((r) => r.family === 'indicatorsList')
        .map((r) => r.status),
      [429, 200],
    );
  });

  it('the sandbox enforces the documented 100 submits a minute with a 429 and Retry-After', async () => {
    // The client's own quota is lifted so the server's is what answers.
    const deps = sandboxDeps(sb, 'graph', { QUOTA_INDICATORS_PER_MINUTE: '1000', MAX_RETRY_AFTER_SECONDS: '1' });
    const client = clientOf(deps);
    for (let n = 0; n < 100; n++)
      await client.submit({
        indicatorValue: `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`,
        indicatorType: 'IpAddress',
        action: 'Allowed',
        title: 't',
        description: 'd',
      });
    const e = await failure(
      client.submit({
        indicatorValue: '10.9.9.9',
        indicatorType: 'IpAddress',
        action: 'Allowed',
        title: 't',
        description: 'd',
      }),
    );
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.status, 429);
    assert.equal(sb.control.indicators().length, 100);
  });

  it('DEFENDER_CLOUD=gcc-high: the MDE host is api-gov.securitycenter.microsoft.us and the token its audience', async () => {
    const settings = { DEFENDER_CLOUD: 'gcc-high' };
    const real = sandboxDeps(sb, 'graph', { ...settings, MDE_API_BASE_URL: '' });
    assert.equal(real.config.apis.mde.baseUrl, 'https://api-gov.securitycenter.microsoft.us');
    const deps = sandboxDeps(sb, 'graph', settings);
    const client = clientOf(deps);
    await client.submit({
      indicatorValue: 'evil.example.org',
      indicatorType: 'DomainName',
      action: 'Warn',
      title: 't',
      description: 'd',
    });
    assert.equal(sb.control.indicators()[0]?.indicatorValue, 'evil.example.org');
    assert.equal(
      claims(await deps.tokens.getToken(deps.config.apis.mde.scope)).aud,
      'https://api-gov.securitycenter.microsoft.us',
    );
  });
});
