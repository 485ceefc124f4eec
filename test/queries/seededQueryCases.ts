// What each shipped query must find in the sandbox's seed data, with the entity values a workflow would take from
// the seed incidents. Shared by the query tests (sandboxRun.test.ts: the KQL engine directly) and the matrix over
// both APIs (test/e2e/shippedMatrix.test.ts). A new query without a case here fails both.
import assert from 'node:assert/strict';
import { SEED_ALERT_IDS } from '../../sandbox/kql';
import { devices, files, maliciousIps, phishingSender, users } from '../../sandbox/seed/entities';

export interface SeededQueryCase {
  params: Record<string, unknown>;
  expect: (rows: Record<string, unknown>[]) => void;
}

const hoursAgo = (now: Date, h: number): string => new Date(now.getTime() - h * 3_600_000).toISOString();
const [fin, , hr] = devices;

/** The cases for seed data built at `now` (createSeedTables(now), or a sandbox started or reset at `now`). */
export function seededQueryCases(now: Date): Record<string, SeededQueryCase> {
  return {
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
      params: { deviceId: fin?.deviceId, aroundTime: hoursAgo(now, 20), window: '2h', maxRows: 3 },
      expect: (rows) => assert.ok(rows.length === 3 && rows.every((r) => r['DeviceName'] === fin?.deviceName)),
    },
    'device-triage-snapshot': {
      params: { devices: [fin?.deviceId, hr?.deviceName] },
      expect: (rows) =>
        assert.deepEqual(rows.map((r) => r['DeviceName']).sort(), [fin?.deviceName, hr?.deviceName].sort()),
    },
  };
}
