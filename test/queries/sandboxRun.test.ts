// Every shipped query runs in the sandbox's KQL engine over its seed tables and finds the seeded attack when bound
// with the seed incident's entities: the queries stay inside the subset the sandbox evaluates, and the seed data and
// the queries agree on table, column and value spellings.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createSeedTables, runKql, SEED_ALERT_IDS, type KqlTable } from '../../sandbox/kql';
import { devices, files, maliciousIps, phishingSender, users } from '../../sandbox/seed/entities';
import { loadQueryLibrary, type QueryLibrary } from '../../shared/queries';
import { QUERY_DIR } from './queryTestUtil';

const now = new Date();
const hoursAgo = (h: number): string => new Date(now.getTime() - h * 3_600_000).toISOString();
const [fin, , hr] = devices;

/** Entity values a workflow would take from the seed incidents, and what each query must then find. */
const cases: Record<string, { params: Record<string, unknown>; expect: (rows: Record<string, unknown>[]) => void }> = {
  'suspicious-powershell-on-devices': {
    params: { deviceNames: devices.map((d) => d.deviceName) },
    expect: (rows) =>
      assert.deepEqual(new Set(rows.map((r) => r['DeviceName'])), new Set([fin?.deviceName, hr?.deviceName])),
  },
  'mailbox-forwarding-by-accounts': {
    params: { accounts: users.map((u) => u.objectId) },
    expect: (rows) =>
      assert.ok(
        rows.length > 0 &&
          rows.every((r) => r['AccountDisplayName'] === 'Amy Wong' && /Forward|Redirect/.test(String(r['Settings']))),
      ),
  },
  'sign-ins-from-ips': {
    params: { ipAddresses: [...maliciousIps] },
    expect: (rows) =>
      assert.ok(rows.some((r) => maliciousIps.includes(r['IPAddress'] as never) && Number(r['Attempts']) > 0)),
  },
  'emails-from-sender': {
    params: { senderAddress: phishingSender.toUpperCase() },
    expect: (rows) => assert.ok(rows.length > 0 && rows.every((r) => r['SenderFromAddress'] === phishingSender)),
  },
  'alert-evidence-for-alerts': {
    params: { alertIds: [SEED_ALERT_IDS[0]] },
    expect: (rows) => assert.ok(rows.length > 0 && rows.every((r) => r['AlertId'] === SEED_ALERT_IDS[0])),
  },
  'devices-contacting-ips': {
    params: { remoteIps: [...maliciousIps] },
    expect: (rows) => assert.ok(rows.some((r) => r['DeviceName'] === fin?.deviceName)),
  },
  'process-executions-by-sha1': {
    params: { sha1s: files.map((f) => f.sha1.toUpperCase()) },
    expect: (rows) => assert.ok(rows.some((r) => r['SHA1'] === files[0].sha1 && Number(r['Devices']) >= 1)),
  },
  'process-context-around-time': {
    params: { deviceId: fin?.deviceId, aroundTime: hoursAgo(20), window: '2h', maxRows: 3 },
    expect: (rows) => assert.ok(rows.length === 3 && rows.every((r) => r['DeviceName'] === fin?.deviceName)),
  },
  'device-triage-snapshot': {
    params: { devices: [fin?.deviceId, hr?.deviceName] },
    expect: (rows) =>
      assert.deepEqual(rows.map((r) => r['DeviceName']).sort(), [fin?.deviceName, hr?.deviceName].sort()),
  },
};

let library: QueryLibrary;
let tables: Map<string, KqlTable>;
before(async () => {
  library = await loadQueryLibrary(QUERY_DIR);
  tables = createSeedTables(now);
});

test('every shipped query has a sandbox case', () => {
  assert.deepEqual(library.names(), Object.keys(cases).sort());
});

for (const [name, { params, expect }] of Object.entries(cases)) {
  test(`${name} finds the seeded activity in the sandbox`, () => {
    const result = runKql(library.bind(name, params), { tables, now });
    expect(result.rows);
  });
}
