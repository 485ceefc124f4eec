// Legacy Defender XDR incidents API through axios over TLS: list ($filter limits, $top ≤ 100, $skip, optional
// next link), get, PATCH (PascalCase enums, tags replace, comment append), and the 401/403 answers.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AxiosInstance } from 'axios';
import { startSandbox, type Sandbox } from '../../sandbox';
import { apiClient, client, GRAPH_SCOPE, LEGACY_SCOPE, token } from './helpers';

let sandbox: Sandbox;
let legacy: AxiosInstance;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
  legacy = await apiClient(sandbox, 'legacy');
});
after(() => sandbox.close());
beforeEach(() => sandbox.control.reset());

interface LegacyIncident {
  incidentId: number;
  incidentName: string;
  status: string;
  severity: string;
  classification: string;
  determination: string;
  tags: string[];
  comments: { comment: string; createdBy: string; createdTime: string }[];
  alerts: { alertId: string; devices: { mdatpDeviceId: string }[]; entities: Record<string, unknown>[] }[];
}
const ids = (data: { value: LegacyIncident[] }): number[] => data.value.map((i) => i.incidentId);

describe('GET /api/incidents', () => {
  it('lists incidents newest first, with alerts, devices and entities in both null styles', async () => {
    const res = await legacy.get('/api/incidents');
    assert.equal(res.status, 200);
    assert.equal(res.headers['odata-version'], '4.0');
    assert.equal(res.data['@odata.context'], `${sandbox.url}/api/$metadata#Incidents`);
    assert.equal(res.data['@odata.nextLink'], undefined);
    const first = res.data.value[0] as LegacyIncident;
    assert.deepEqual(
      [first.incidentId, first.status, first.severity, first.classification, first.determination],
      [3312, 'Active', 'Medium', 'Unknown', 'NotAvailable'],
    );
    const multi = (res.data.value as LegacyIncident[]).find((i) => i.incidentId === 3309);
    assert.deepEqual(
      multi?.alerts.map((a) => a.alertId),
      ['da6371000000000000_1003', 'da6371000000000000_1001'],
    );
    assert.equal(multi?.alerts[1]?.devices[0]?.mdatpDeviceId, '7f3a1c2e9b8d4f60a1b2c3d4e5f60718a4c2e6f1');
    // First alert: every documented key, nulls included; second: null keys omitted, as live responses do.
    const documented = multi?.alerts[0]?.entities[0] ?? {};
    assert.ok('registryHive' in documented && documented.registryHive === null);
    const live = multi?.alerts[1]?.entities ?? [];
    assert.ok(live.length > 0 && live.every((e) => !Object.values(e).includes(null)));
    assert.ok(live.some((e) => e.entityType === 'Process' && String(e.processCommandLine).includes('DownloadString')));
  });

  it('filters only on lastUpdateTime, createdTime, status, assignedTo', async () => {
    const q = (filter: string) => legacy.get('/api/incidents', { params: { $filter: filter } });
    assert.deepEqual(ids((await q("status eq 'Active'")).data), [3312, 3311, 3309, 3300]);
    assert.deepEqual(
      ids((await q("status eq 'InProgress' or assignedTo eq 'secops2@contoso.com'")).data),
      [3310, 3308, 3307, 3303],
    );
    const since = new Date(Date.now() - 10 * 3_600_000).toISOString();
    assert.deepEqual(ids((await q(`createdTime gt ${since}`)).data), [3312, 3311]);
    assert.deepEqual(ids((await q(`lastUpdateTime ge ${since} and status eq 'Active'`)).data), [3312, 3311]);
    const bad = await q("severity eq 'High'");
    assert.equal(bad.status, 400);
    assert.equal(bad.data.error.code, 'ODataError');
    assert.match(bad.data.error.message, /^Invalid OData URI query: .*'severity'/);
    assert.match(bad.data.error.target, /^\|[0-9a-f]{8}-[0-9a-f]{16}\.$/);
  });

  it('$top ≤ 100, $skip pages; @odata.nextLink only when switched on', async () => {
    for (let n = 0; n < 120; n++) sandbox.control.addIncident();
    const over = await legacy.get('/api/incidents', { params: { $top: 101 } });
    assert.equal(over.status, 400);
    assert.match(over.data.error.message, /The limit of '100' for Top query has been exceeded/);
    const page1 = await legacy.get('/api/incidents', { params: { $top: 100 } });
    const page2 = await legacy.get('/api/incidents', { params: { $top: 100, $skip: 100 } });
    assert.equal(page1.data.value.length, 100);
    assert.equal(page2.data.value.length, 33);
    assert.equal(new Set([...ids(page1.data), ...ids(page2.data)]).size, 133);
    assert.equal(page1.data['@odata.nextLink'], undefined);

    sandbox.control.setLegacyNextLink(true);
    const linked = await legacy.get('/api/incidents', { params: { $top: 100 } });
    assert.equal(linked.data['@odata.nextLink'], `${sandbox.url}/api/incidents?$top=100&$skip=100`);
    const next = await legacy.get(linked.data['@odata.nextLink']);
    assert.deepEqual(ids(next.data), ids(page2.data));
    assert.equal(next.data['@odata.nextLink'], undefined);
  });
});

describe('GET/PATCH /api/incidents/{id}', () => {
  it('gets one incident, 404 ResourceNotFound otherwise', async () => {
    const res = await legacy.get('/api/incidents/3310');
    assert.equal(res.status, 200);
    assert.equal(res.data['@odata.context'], `${sandbox.url}/api/$metadata#Incidents/$entity`);
    assert.equal(res.data.comments[0].createdBy, 'secops1@contoso.com');
    const missing = await legacy.get('/api/incidents/12');
    assert.deepEqual([missing.status, missing.data.error.code], [404, 'ResourceNotFound']);
  });

  it('updates status, assignedTo, classification, determination; tags replace; comment appends', async () => {
    const res = await legacy.patch('/api/incidents/3311', {
      status: 'Resolved',
      assignedTo: 'secops2@contoso.com',
      classification: 'TruePositive',
      determination: 'CompromisedAccount',
      tags: ['t1', 't2'],
      comment: 'pen testing',
    });
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.deepEqual(
      [res.data.status, res.data.assignedTo, res.data.classification, res.data.determination, res.data.tags],
      ['Resolved', 'secops2@contoso.com', 'TruePositive', 'CompromisedUser', ['t1', 't2']],
    );
    assert.equal(res.data.comments.at(-1).comment, 'pen testing');
    assert.equal(res.data.comments.at(-1).createdBy, `API-App:${sandbox.clientId}`);
    const again = await legacy.patch('/api/incidents/3311', { tags: ['t3'], assignedTo: '' });
    assert.deepEqual([again.data.tags, again.data.assignedTo], [['t3'], null]);
    assert.equal(sandbox.control.incident(3311)?.comments.length, 1);
    // The same store backs Graph.
    const graph = await apiClient(sandbox, 'graph');
    assert.equal((await graph.get('/security/incidents/3311')).data.status, 'resolved');
  });

  it('rejects unknown fields, bad enums and incompatible determinations', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ severity: 'High' }, /'severity' cannot be updated/],
      [{ Status: 'Resolved' }, /'Status' cannot be updated/],
      [{ status: 'Closed' }, /Invalid value 'Closed' for property 'status'/],
      [
        { classification: 'FalsePositive', determination: 'Malware' },
        /Determination 'Malware' is not valid with classification 'FalsePositive'/,
      ],
      [{ tags: 'x' }, /tags/],
    ];
    for (const [body, message] of cases) {
      const res = await legacy.patch('/api/incidents/3312', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.data.error.code, 'InvalidRequestBody');
      assert.match(res.data.error.message, message);
    }
  });
});

describe('legacy authorization', () => {
  it('403 without Incident.ReadWrite.All for PATCH; 401 for a Graph token', async () => {
    sandbox.control.setRoles(['Incident.Read.All']);
    const readOnly = client(sandbox);
    readOnly.defaults.headers.common.Authorization = `Bearer ${await token(sandbox, LEGACY_SCOPE)}`;
    assert.equal((await readOnly.get('/api/incidents/3312')).status, 200);
    const res = await readOnly.patch('/api/incidents/3312', { status: 'Resolved' });
    assert.equal(res.status, 403);
    assert.deepEqual(
      [res.data.error.code, res.data.error.message],
      [
        'Forbidden',
        'Missing application roles. API required roles: Incident.ReadWrite.All, application roles: Incident.Read.All.',
      ],
    );
    const graphToken = await token(sandbox, GRAPH_SCOPE);
    const wrong = await client(sandbox).get('/api/incidents', { headers: { authorization: `Bearer ${graphToken}` } });
    assert.deepEqual([wrong.status, wrong.data.error.code], [401, 'Unauthorized']);
  });
});
