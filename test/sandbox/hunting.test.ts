// Hunting on both APIs over the seed tables: response shapes, Timespan, KQL errors, the hunting quota under a scaled
// window, replaceable tables, and that seed incidents and seed hunting rows tell the same story.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AxiosInstance } from 'axios';
import { startSandbox, type Sandbox } from '../../sandbox';
import { createSeedTables, generateLargeTable } from '../../sandbox/kql';
import { apiClient } from './helpers';

let sandbox: Sandbox;
let graph: AxiosInstance;
let legacy: AxiosInstance;
before(async () => {
  sandbox = await startSandbox({ rateLimits: false });
  [graph, legacy] = await Promise.all([apiClient(sandbox, 'graph'), apiClient(sandbox, 'legacy')]);
});
after(() => sandbox.close());

const PROCESSES =
  "DeviceProcessEvents | where DeviceName startswith 'ws-fin-042' and ProcessCommandLine has 'DownloadString' | project Timestamp, DeviceName, ProcessCommandLine, FileName | order by Timestamp asc";

describe('Graph runHuntingQuery', () => {
  it('answers {schema, results} at both path forms', async () => {
    for (const path of ['/security/runHuntingQuery', '/security/microsoft.graph.security.runHuntingQuery']) {
      const res = await graph.post(path, { Query: PROCESSES });
      assert.equal(res.status, 200, JSON.stringify(res.data));
      assert.equal(
        res.data['@odata.context'],
        `${sandbox.url}/v1.0/$metadata#microsoft.graph.security.huntingQueryResults`,
      );
      assert.deepEqual(res.data.schema, [
        { name: 'Timestamp', type: 'DateTime' },
        { name: 'DeviceName', type: 'String' },
        { name: 'ProcessCommandLine', type: 'String' },
        { name: 'FileName', type: 'String' },
      ]);
      assert.ok(res.data.results.length >= 1);
      assert.match(res.data.results[0].Timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      assert.ok(res.data.results.every((r: { FileName: string }) => r.FileName === 'powershell.exe'));
    }
  });

  it('applies Timespan (default 30 days) and rejects a malformed one', async () => {
    const count = async (Timespan?: string): Promise<number> => {
      const res = await graph.post('/security/runHuntingQuery', {
        Query: 'DeviceInfo | count',
        ...(Timespan ? { Timespan } : {}),
      });
      assert.equal(res.status, 200, JSON.stringify(res.data));
      return Number(res.data.results[0].Count);
    };
    const month = await count();
    const day = await count('P1D');
    assert.ok(day > 0 && day < month, `${day} < ${month}`);
    assert.equal(await count(`${new Date(Date.now() - 86_400_000).toISOString()}/PT24H`), day);
    const bad = await graph.post('/security/runHuntingQuery', { Query: 'DeviceInfo | count', Timespan: 'last week' });
    assert.equal(bad.status, 400);
    assert.match(bad.data.error.message, /Timespan 'last week'/);
  });

  it('400 BadRequest for a missing query, bad KQL and an unsupported operator (named)', async () => {
    const missing = await graph.post('/security/runHuntingQuery', { Timespan: 'P1D' });
    assert.deepEqual([missing.status, missing.data.error.code], [400, 'BadRequest']);
    const syntax = await graph.post('/security/runHuntingQuery', { Query: 'DeviceInfo | where Timestamp > ago(1h' });
    assert.equal(syntax.status, 400);
    assert.equal(syntax.data.error.code, 'BadRequest');
    const unknownTable = await graph.post('/security/runHuntingQuery', { Query: 'NoSuchTable | take 1' });
    assert.equal(unknownTable.status, 400);
    assert.match(unknownTable.data.error.message, /NoSuchTable/);
    const unsupported = await graph.post('/security/runHuntingQuery', { Query: 'DeviceInfo | evaluate bag_unpack(x)' });
    assert.equal(unsupported.status, 400);
    assert.match(unsupported.data.error.message, /evaluate/);
    assert.equal(typeof unsupported.data.error.innerError.date, 'string');
  });
});

describe('legacy advancedhunting/run', () => {
  it('answers PascalCase Stats, Schema, Results', async () => {
    const res = await legacy.post('/api/advancedhunting/run', { Query: PROCESSES });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.data), ['Stats', 'Schema', 'Results']);
    assert.deepEqual(res.data.Schema[0], { Name: 'Timestamp', Type: 'DateTime' });
    assert.equal(typeof res.data.Stats.ExecutionTime, 'number');
    assert.equal(res.data.Stats.dataset_statistics[0].table_row_count, res.data.Results.length);
  });

  it('needs "Query" exactly: "Missing query." otherwise; KQL errors as BadRequest with a target', async () => {
    for (const body of [{ query: 'DeviceInfo | take 1' }, {}, 'not json']) {
      const res = await legacy.post('/api/advancedhunting/run', body, {
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 400);
      assert.deepEqual([res.data.error.code, res.data.error.message], ['InvalidRequestBody', 'Missing query.']);
    }
    const res = await legacy.post('/api/advancedhunting/run', { Query: 'DeviceInfo | mv-expand x' });
    assert.equal(res.status, 400);
    assert.equal(res.data.error.code, 'BadRequest');
    assert.match(res.data.error.message, /mv-expand/);
    assert.match(res.data.error.target, /^\|[0-9a-f]{8}-[0-9a-f]{16}\.$/);
  });
});

describe('hunting quota (45 per scaled minute)', () => {
  it('throttles the 46th call with Retry-After and the documented bodies, then recovers', async () => {
    // 0.05: a 3-second "minute", long enough to send 46 calls inside one window on a busy machine.
    const limited = await startSandbox({ rateLimitScale: 0.05, seed: false });
    try {
      const [g, l] = await Promise.all([apiClient(limited, 'graph'), apiClient(limited, 'legacy')]);
      const query = { Query: 'print x = 1' };
      const results = await Promise.all(Array.from({ length: 46 }, () => l.post('/api/advancedhunting/run', query)));
      assert.equal(results.filter((r) => r.status === 200).length, 45);
      const throttled = results.find((r) => r.status === 429);
      assert.ok(throttled);
      const wait = Number(throttled.headers['retry-after']);
      assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 3, String(wait));
      assert.deepEqual(throttled.data.error.code, 'TooManyRequests');
      assert.equal(throttled.data.error.message, 'API calls quota exceeded! maximum allowed 45 per 00:00:03');
      // Graph keeps its own counter; its 429 text carries the wait.
      const graphResults = await Promise.all(
        Array.from({ length: 46 }, () => g.post('/security/runHuntingQuery', query)),
      );
      const graphThrottled = graphResults.find((r) => r.status === 429);
      assert.match(graphThrottled?.data.error.message ?? '', /^Too many requests\. Try again in [1-3] seconds\.$/);
      assert.equal(limited.control.counters().throttled, 2);
      await new Promise((r) => setTimeout(r, wait * 1000));
      assert.equal((await l.post('/api/advancedhunting/run', query)).status, 200);
    } finally {
      await limited.close();
    }
  });
});

describe('tables', () => {
  it('setHuntingTables replaces what queries see', async () => {
    const now = new Date();
    sandbox.control.setHuntingTables(
      new Map([['DeviceLogonEvents', generateLargeTable('DeviceLogonEvents', 5000, now)]]),
    );
    const res = await graph.post('/security/runHuntingQuery', { Query: 'DeviceLogonEvents | count' });
    assert.equal(res.data.results[0].Count, 5000);
    const gone = await graph.post('/security/runHuntingQuery', { Query: 'DeviceInfo | count' });
    assert.equal(gone.status, 400);
    sandbox.control.setHuntingTables(createSeedTables(now));
  });

  it('seed incidents and seed hunting tables describe the same alerts, devices and accounts', async () => {
    const incidents = sandbox.control.incidents();
    const alerts = incidents.flatMap((i) => i.alerts).filter((a) => /_100[1-5]$/.test(a.id));
    assert.equal(alerts.length, 5);
    const res = await graph.post('/security/runHuntingQuery', {
      Query:
        "AlertEvidence | where AlertId endswith '_1001' or AlertId endswith '_1002' or AlertId endswith '_1003' or AlertId endswith '_1004' or AlertId endswith '_1005' | project AlertId, Title, EntityType, DeviceName, AccountUpn, RemoteIP",
    });
    assert.equal(res.status, 200, JSON.stringify(res.data));
    const rows = res.data.results as {
      AlertId: string;
      Title: string;
      EntityType: string;
      DeviceName: string;
      AccountUpn: string;
      RemoteIP: string;
    }[];
    for (const alert of alerts) {
      const mine = rows.filter((r) => r.AlertId === alert.id);
      assert.ok(mine.length > 0, alert.id);
      assert.equal(mine[0]?.Title, alert.title, alert.id);
      const devices = alert.evidence.flatMap((e) => (e.kind === 'device' ? [e.deviceDnsName] : []));
      assert.deepEqual(
        devices.sort(),
        mine
          .filter((r) => r.EntityType === 'Machine')
          .map((r) => r.DeviceName)
          .sort(),
        alert.id,
      );
      const accounts = alert.evidence.flatMap((e) => (e.kind === 'user' ? [e.userPrincipalName] : []));
      assert.deepEqual(
        accounts.sort(),
        mine
          .filter((r) => r.EntityType === 'User')
          .map((r) => r.AccountUpn)
          .sort(),
        alert.id,
      );
      const ips = alert.evidence.flatMap((e) => (e.kind === 'ip' ? [e.ipAddress] : []));
      assert.deepEqual(
        ips.sort(),
        mine
          .filter((r) => r.EntityType === 'Ip')
          .map((r) => r.RemoteIP)
          .sort(),
        alert.id,
      );
    }
  });
});
