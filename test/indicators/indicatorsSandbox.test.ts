// The sandbox's /api/indicators against Microsoft's documented examples and rules, over raw HTTP with an MDE token:
// the documented request body is accepted and answered with an Indicator shaped as the list page's example; the
// list answers only active indicators with $filter (the page's Example 2), $top and $skip; BatchDelete's limits;
// the 15,000 active indicators a tenant may hold. And Riposte's client reads the documented list answer.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AxiosInstance } from 'axios';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { mapIndicator, submissionBody } from '../../shared/defender/indicatorsClient';
import { fixtureJson } from '../contracts/fixtures';
import { client, token } from '../sandbox/helpers';

const MDE_SCOPE = 'https://api.securitycenter.microsoft.com/.default';
let sb: Sandbox;
let mde: AxiosInstance;

before(async () => {
  sb = await startSandbox({ rateLimits: false });
});
after(() => sb?.close());
beforeEach(async () => {
  sb.control.reset();
  mde = client(sb);
  mde.defaults.headers.common.Authorization = `Bearer ${await token(sb, MDE_SCOPE)}`;
});

type Entity = Record<string, unknown>;
const listed = (): Entity[] => fixtureJson<{ value: Entity[] }>('mde/get-ti-indicators-collection.json').value;
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const future = new Date(Date.now() + 86_400_000).toISOString();

describe('sandbox /api/indicators as documented', () => {
  it("accepts post-ti-indicator.md's example request and answers an Indicator shaped as the list page's", async () => {
    const body: Entity = { ...fixtureJson<Entity>('mde/post-ti-indicator-request.json'), expirationTime: future };
    const res = await mde.post('/api/indicators', body);
    assert.equal(res.status, 200, JSON.stringify(res.data));
    const ours = res.data as Entity;
    // The list example's second entity is the same kind of indicator (FileSha1, AlertAndBlock, rbacGroupNames).
    const documented = listed()[1] ?? assert.fail('the example lists two indicators');
    for (const [key, value] of Object.entries(documented)) {
      assert.ok(key in ours, `the answer has ${key}`);
      if (value !== null && ours[key] !== null) assert.equal(kindOf(ours[key]), kindOf(value), key);
    }
    assert.deepEqual(
      [ours.indicatorValue, ours.action, ours.application, ours.rbacGroupNames],
      [body.indicatorValue, 'AlertAndBlock', 'demo-test', ['group1', 'group2']],
    );
    // Riposte sends only documented names (they are case-sensitive).
    const sent = submissionBody({
      indicatorValue: 'a'.repeat(40),
      indicatorType: 'FileSha1',
      action: 'Block',
      title: 't',
      description: 'd',
      expirationTime: future,
      severity: 'High',
      recommendedActions: 'r',
      generateAlert: true,
    });
    const documentedNames = [...Object.keys(fixtureJson('mde/post-ti-indicator-request.json')), 'generateAlert'];
    for (const key of Object.keys(sent)) assert.ok(documentedNames.includes(key), `${key} is a documented field`);
  });

  it("Riposte's client reads the documented list answer (ids, enums, times)", () => {
    const [ip, file] = listed().map((w) => mapIndicator(w, { method: 'GET', path: '/api/indicators' }));
    assert.deepEqual(
      [ip?.id, ip?.indicatorType, ip?.action, ip?.severity, ip?.expirationTime],
      ['995', 'IpAddress', 'Alert', 'Informational', '2020-12-12T00:00:00Z'],
    );
    assert.deepEqual([file?.id, file?.indicatorType, file?.action], ['996', 'FileSha1', 'AlertAndBlock']);
  });

  it("lists only active indicators, filters as the page's Example 2 does, and pages with $top and $skip", async () => {
    sb.control.addIndicator({ indicatorValue: '10.0.0.1', indicatorType: 'IpAddress', action: 'AlertAndBlock' });
    sb.control.addIndicator({ indicatorValue: '10.0.0.2', indicatorType: 'IpAddress', action: 'Allowed' });
    sb.control.addIndicator({
      indicatorValue: '10.0.0.3',
      indicatorType: 'IpAddress',
      action: 'AlertAndBlock',
      expirationTime: '2020-12-12T00:00:00Z',
    });
    const all = await mde.get('/api/indicators');
    assert.equal(all.status, 200);
    assert.deepEqual(
      (all.data.value as Entity[]).map((i) => i.indicatorValue),
      ['10.0.0.1', '10.0.0.2'],
      'the expired one is not active',
    );
    const blocked = await mde.get("/api/indicators?$filter=action+eq+'AlertAndBlock'");
    assert.deepEqual(
      (blocked.data.value as Entity[]).map((i) => i.indicatorValue),
      ['10.0.0.1'],
    );
    const page = await mde.get('/api/indicators?$top=1&$skip=1');
    assert.deepEqual(
      (page.data.value as Entity[]).map((i) => i.indicatorValue),
      ['10.0.0.2'],
    );
    assert.equal((await mde.get('/api/indicators?$top=10001')).status, 400, '$top is at most 10,000');
    const bad = await mde.get("/api/indicators?$filter=colour eq 'red'");
    assert.equal(bad.status, 400);
    assert.equal((bad.data as { error: { code: string } }).error.code, 'ODataError');
  });

  it('BatchDelete: 204 for ids that exist, 404 when any is missing (nothing deleted), 400 empty or over 500', async () => {
    const a = sb.control.addIndicator({ indicatorValue: 'a.example.com', indicatorType: 'DomainName' });
    const b = sb.control.addIndicator({ indicatorValue: 'b.example.com', indicatorType: 'DomainName' });
    assert.equal((await mde.post('/api/indicators/BatchDelete', { IndicatorIds: [a.id, '999999'] })).status, 404);
    assert.equal(sb.control.indicators().length, 2);
    assert.equal((await mde.post('/api/indicators/BatchDelete', { IndicatorIds: [] })).status, 400);
    const many = Array.from({ length: 501 }, (_, n) => String(n + 1));
    const over = await mde.post('/api/indicators/BatchDelete', { IndicatorIds: many });
    assert.deepEqual(
      [over.status, (over.data as { error: { code: string } }).error.code],
      [400, 'MaximumBatchSizeExceeded'],
    );
    assert.equal((await mde.post('/api/indicators/BatchDelete', { IndicatorIds: [a.id, b.id] })).status, 204);
    assert.equal(sb.control.indicators().length, 0);
  });

  it('holds at most 15,000 active indicators: the next new one is refused, an update of an existing one is not', async () => {
    for (let n = 0; n < 15_000; n++)
      sb.control.addIndicator({ indicatorValue: `h${n}.example.com`, indicatorType: 'DomainName' });
    const base = { indicatorType: 'DomainName', action: 'Block', title: 't', description: 'd' };
    const refused = await mde.post('/api/indicators', { ...base, indicatorValue: 'one-more.example.com' });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.data), /15000 active indicators/);
    const update = await mde.post('/api/indicators', { ...base, indicatorValue: 'h7.example.com', action: 'Warn' });
    assert.equal(update.status, 200);
    assert.equal(sb.control.indicators().length, 15_000);
  });

  it('answers a token for another API with 401, and one without Ti roles with 403', async () => {
    const legacy = client(sb);
    legacy.defaults.headers.common.Authorization = `Bearer ${await token(sb, 'https://api.security.microsoft.com/.default')}`;
    assert.equal((await legacy.get('/api/indicators')).status, 401);
    sb.control.setRoles(['Machine.Read.All']);
    const noTi = client(sb);
    noTi.defaults.headers.common.Authorization = `Bearer ${await token(sb, MDE_SCOPE)}`;
    const r = await noTi.get('/api/indicators');
    assert.equal(r.status, 403);
    assert.match(JSON.stringify(r.data), /Ti\.ReadWrite/);
  });
});
