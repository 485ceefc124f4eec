// The seed tables: schemas and value types, determinism, the attack story, and realistic hunting queries over them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createSeedTables,
  runKql,
  SEED_ALERT_IDS,
  SEED_TABLE_NAMES,
  type KqlContext,
  type KqlResult,
} from '../../../sandbox/kql';
import { SEED_ALERTS } from '../../../sandbox/kql/seedTables';
import { devices, files, maliciousIps, phishingSender, users } from '../../../sandbox/seed/entities';
import { huntingSchema } from '../../../shared/queries/huntingSchema';

const NOW = new Date('2026-11-14T12:00:00Z');
const tables = createSeedTables(NOW);
const ctx: KqlContext = { tables, now: NOW };
const hunt = (query: string): KqlResult => runKql(query, ctx);
const rowsOf = (query: string) => hunt(query).rows;

const deviceName = (prefix: string) => devices.find((d) => d.deviceName.startsWith(prefix))?.deviceName as string;
const FIN = deviceName('ws-fin-042');
const HR = deviceName('ws-hr-007');

describe('seed table shapes', () => {
  it('has every named table, a few hundred rows each at most', () => {
    for (const name of [
      'DeviceProcessEvents',
      'DeviceNetworkEvents',
      'DeviceLogonEvents',
      'DeviceInfo',
      'EmailEvents',
      'IdentityLogonEvents',
      'CloudAppEvents',
      'AlertInfo',
      'AlertEvidence',
    ]) {
      assert.ok(SEED_TABLE_NAMES.includes(name), name);
    }
    assert.deepEqual([...tables.keys()], [...SEED_TABLE_NAMES]);
    for (const table of tables.values())
      assert.ok(table.rows.length > 0 && table.rows.length <= 400, `${table.name}: ${table.rows.length}`);
  });

  it('serves every table of the schema with exactly its columns and types (decimal held as real)', () => {
    const schema = huntingSchema();
    assert.deepEqual(
      [...tables.keys()],
      schema.tables.map((t) => t.name),
    );
    for (const t of schema.tables)
      assert.deepEqual(
        tables.get(t.name)?.columns,
        t.columns.map((c) => ({ name: c.name, type: c.type === 'decimal' ? 'real' : c.type })),
        t.name,
      );
  });

  it('joins across tables: devices, accounts, mail and alerts named anywhere exist in their own tables', () => {
    const ids = (query: string, column: string) => new Set(rowsOf(query).map((r) => r[column]));
    const deviceIds = ids('DeviceInfo | distinct DeviceId', 'DeviceId');
    const accountIds = ids('IdentityInfo | distinct AccountObjectId', 'AccountObjectId');
    const messageIds = ids('EmailEvents | distinct NetworkMessageId', 'NetworkMessageId');
    const alertIds = ids('AlertInfo | distinct AlertId', 'AlertId');
    const checks: [string, Set<unknown>, string][] = [
      ['DeviceId', deviceIds, 'DeviceInfo'],
      ['AccountObjectId', accountIds, 'IdentityInfo'],
      ['NetworkMessageId', messageIds, 'EmailEvents'],
      ['AlertId', alertIds, 'AlertInfo'],
    ];
    for (const table of tables.values())
      for (const [column, known, home] of checks) {
        if (table.name === home || !table.columns.some((c) => c.name === column)) continue;
        const unknown = table.rows.map((r) => r[column]).filter((v) => v !== '' && v !== null && !known.has(v));
        assert.deepEqual(unknown, [], `${table.name}.${column} values missing from ${home}`);
      }
    // The same SHA256 travels from a mail attachment to a file on a device, and the same account SID from a device
    // logon to a domain logon.
    assert.ok(
      rowsOf('EmailAttachmentInfo | join kind=inner (DeviceFileEvents) on SHA256 | take 1').length > 0,
      'attachment on a device',
    );
    assert.ok(
      rowsOf(
        'DeviceLogonEvents | where ActionType == "LogonFailed" | join kind=inner (IdentityLogonEvents | where ActionType == "LogonFailed") on AccountSid | take 1',
      ).length > 0,
      'failed logons on device and domain',
    );
  });

  it('fills every column with a value of its declared type', () => {
    const checks: Record<string, (v: unknown) => boolean> = {
      string: (v) => typeof v === 'string',
      long: (v) => v === null || Number.isInteger(v),
      int: (v) => v === null || (Number.isInteger(v) && Math.abs(v as number) < 2 ** 31),
      bool: (v) => v === null || typeof v === 'boolean',
      datetime: (v) => v === null || (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/.test(v)),
      dynamic: (v) => v === null || typeof v === 'object',
      real: (v) => v === null || typeof v === 'number',
      guid: (v) => v === null || (typeof v === 'string' && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(v)),
    };
    for (const table of tables.values()) {
      const names = table.columns.map((c) => c.name);
      for (const row of table.rows) {
        assert.deepEqual(Object.keys(row), names, `${table.name} row keys`);
        for (const c of table.columns)
          assert.ok(checks[c.type]?.(row[c.name]), `${table.name}.${c.name} = ${JSON.stringify(row[c.name])}`);
      }
    }
  });

  it('uses the documented type quirks', () => {
    const type = (t: string, c: string) => tables.get(t)?.columns.find((x) => x.name === c)?.type;
    assert.equal(type('DeviceProcessEvents', 'ReportId'), 'long');
    assert.equal(type('EmailEvents', 'ReportId'), 'string');
    assert.equal(type('DeviceNetworkEvents', 'RemotePort'), 'int');
    assert.equal(type('IdentityLogonEvents', 'AdditionalFields'), 'dynamic');
    assert.equal(type('DeviceProcessEvents', 'AdditionalFields'), 'string');
    assert.equal(type('AlertInfo', 'IncidentId'), undefined);
    assert.equal(type('DeviceLogonEvents', 'AccountUpn'), undefined);
    assert.equal(tables.get('AlertInfo')?.columns.length, 8);
  });

  it('puts every Timestamp within the 30 days before now', () => {
    for (const table of tables.values()) {
      if (!table.columns.some((c) => c.name === 'Timestamp')) continue;
      const [range] = runKql(`${table.name} | summarize earliest = min(Timestamp), latest = max(Timestamp)`, ctx).rows;
      assert.ok((range?.['earliest'] as string) >= '2026-10-15T12:00:00.0000000Z', table.name);
      assert.ok((range?.['latest'] as string) <= '2026-11-14T12:00:00.0000000Z', table.name);
    }
  });

  it('is deterministic for a given now and moves with now', () => {
    assert.deepEqual(createSeedTables(NOW), tables);
    const later = createSeedTables(new Date('2026-12-01T12:00:00Z'));
    const result = runKql(
      'DeviceProcessEvents | where Timestamp > ago(1d) | where ProcessCommandLine has "-enc" | count',
      { tables: later, now: new Date('2026-12-01T12:00:00Z') },
    );
    // The story's beacon and the techniques' encoded cradle (seedTechniques.ts).
    assert.deepEqual(result.rows, [{ Count: 2 }]);
  });
});

describe('the attack story', () => {
  it('has suspicious PowerShell on ws-fin-042 (again half an hour ago) and ws-hr-007 in the last 24 hours', () => {
    const rows = rowsOf(`DeviceProcessEvents
      | where Timestamp > ago(1d)
      | where FileName =~ "powershell.exe"
      | where ProcessCommandLine has_any ("-enc", "-EncodedCommand") or ProcessCommandLine has_all ("IEX", "Net.WebClient", "DownloadString")
      | summarize commands = count() by DeviceName
      | order by DeviceName asc`);
    assert.deepEqual(rows, [
      { DeviceName: FIN, commands: 3 },
      // The story's two, and the techniques' encoded cradle from Outlook (seedTechniques.ts).
      { DeviceName: HR, commands: 3 },
    ]);
  });

  it('has the beacon again inside the first window of a scheduled hunt started now ([now - 65 min, now - 5 min))', () => {
    // suspicious-powershell's first window: initialLookback PT1H, ingestionDelay PT5M (workflows/suspicious-powershell.yaml).
    const rows = rowsOf(`DeviceProcessEvents
      | where Timestamp >= ago(65m) and Timestamp < ago(5m)
      | where FileName =~ "powershell.exe" and ProcessCommandLine has "-EncodedCommand"
      | project DeviceName, InitiatingProcessCommandLine`);
    assert.deepEqual(rows, [
      { DeviceName: FIN, InitiatingProcessCommandLine: 'svchost.exe -k netsvcs -p -s Schedule' },
    ]);
  });

  it('has plenty of benign processes everywhere', () => {
    const rows = rowsOf('DeviceProcessEvents | summarize n = count(), images = dcount(FileName) by DeviceName');
    assert.equal(rows.length, devices.length);
    for (const row of rows) assert.ok((row['n'] as number) > 40 && (row['images'] as number) >= 5, JSON.stringify(row));
  });

  it('has sign-ins from the malicious IPs for amy.wong and raj.patel in the last 48 hours', () => {
    const rows = rowsOf(`let badIps = dynamic(["${maliciousIps.join('", "')}"]);
      IdentityLogonEvents
      | where Timestamp > ago(48h) and IPAddress in (badIps) and ActionType == "LogonSuccess"
      | summarize ips = make_set(IPAddress) by AccountUpn
      | order by AccountUpn asc`);
    assert.deepEqual(rows, [
      { AccountUpn: 'amy.wong@contoso.com', ips: ['198.51.100.23'] },
      { AccountUpn: 'raj.patel@contoso.com', ips: ['198.51.100.77', '192.0.2.140'] },
    ]);
  });

  it('has inbox rules by amy.wong forwarding to an external fabrikam address', () => {
    const rows = rowsOf(`CloudAppEvents
      | where ActionType in ("New-InboxRule", "Set-InboxRule")
      | extend forwardTo = tostring(RawEventData.Parameters[2].Value)
      | project ActionType, AccountDisplayName, IPAddress, forwardTo, all = tostring(RawEventData.Parameters)`);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((r) => r['ActionType']),
      ['New-InboxRule', 'Set-InboxRule'],
    );
    for (const row of rows) {
      assert.equal(row['AccountDisplayName'], 'Amy Wong');
      assert.equal(row['IPAddress'], '198.51.100.23');
      assert.match(row['all'] as string, /"(ForwardTo|ForwardAsAttachmentTo)","Value":"[^"]+@fabrikam\.com"/);
    }
  });

  it('has the phishing email to amy.wong and lena.fischer', () => {
    const rows = rowsOf(
      `EmailEvents | where SenderFromAddress == "${phishingSender}" | project RecipientEmailAddress, ThreatTypes, NetworkMessageId`,
    );
    assert.deepEqual(
      rows.map((r) => r['RecipientEmailAddress']),
      ['amy.wong@contoso.com', 'lena.fischer@contoso.com'],
    );
    assert.equal(new Set(rows.map((r) => r['NetworkMessageId'])).size, 1);
    const urls = rowsOf(
      `EmailUrlInfo | where NetworkMessageId == "${rows[0]?.['NetworkMessageId'] as string}" | project UrlDomain`,
    );
    assert.deepEqual(urls, [{ UrlDomain: 'fabrikam-payments.example' }]);
  });

  it('has AlertInfo and AlertEvidence rows for every seed alert id', () => {
    assert.deepEqual(
      rowsOf('AlertInfo | where AlertId startswith "da6371000000000000_" | order by AlertId asc | project AlertId').map(
        (r) => r['AlertId'],
      ),
      [...SEED_ALERT_IDS],
    );
    const evidence = rowsOf(
      `AlertEvidence | where AlertId in ("${SEED_ALERT_IDS.join('", "')}") | summarize kinds = make_set(EntityType) by AlertId | order by AlertId asc`,
    );
    assert.deepEqual(
      evidence.map((r) => r['AlertId']),
      [...SEED_ALERT_IDS],
    );
    assert.ok((evidence[0]?.['kinds'] as string[]).includes('Machine'));
    assert.deepEqual(
      SEED_ALERTS.map((a) => a.alertId),
      [...SEED_ALERT_IDS],
    );
  });
});

describe('realistic hunting queries', () => {
  it('finds PowerShell download cradles in the last day', () => {
    const rows = rowsOf(`DeviceProcessEvents
      | where Timestamp > ago(1d)
      | where FileName in~ ("powershell.exe", "pwsh.exe")
      | where ProcessCommandLine has "DownloadString" or ProcessCommandLine matches regex @"(?i)-e(nc(odedcommand)?)?\\s+[A-Za-z0-9+/=]{20,}"
      | project Timestamp, DeviceName, AccountName, ProcessCommandLine, InitiatingProcessFileName
      | order by Timestamp asc`);
    assert.deepEqual(
      rows.map((r) => [r['DeviceName'], r['AccountName'], r['InitiatingProcessFileName']]),
      [
        [FIN, 'amy.wong', 'invoice_2026.pdf.exe'],
        [FIN, 'amy.wong', 'powershell.exe'],
        [HR, 'lena.fischer', 'explorer.exe'],
        [HR, 'lena.fischer', 'powershell.exe'],
        [HR, 'lena.fischer', 'OUTLOOK.EXE'],
        [FIN, 'amy.wong', 'svchost.exe'],
      ],
    );
  });

  it('lists sign-ins from a list of IPs with in', () => {
    const rows = rowsOf(`IdentityLogonEvents
      | where IPAddress in ("198.51.100.23", "198.51.100.77", "192.0.2.140")
      | summarize attempts = count(), failures = countif(ActionType == "LogonFailed"), lastSeen = max(Timestamp) by AccountUpn, IPAddress
      | order by AccountUpn asc, IPAddress asc`);
    assert.deepEqual(
      rows.map((r) => [r['AccountUpn'], r['IPAddress'], r['attempts'], r['failures']]),
      [
        ['amy.wong@contoso.com', '198.51.100.23', 2, 0],
        ['raj.patel@contoso.com', '192.0.2.140', 1, 0],
        ['raj.patel@contoso.com', '198.51.100.77', 2, 1],
      ],
    );
  });

  it('counts events by DeviceName, most first', () => {
    const result = hunt('DeviceProcessEvents | summarize count() by DeviceName | order by count_ desc');
    assert.deepEqual(result.columns, [
      { name: 'DeviceName', type: 'string' },
      { name: 'count_', type: 'long' },
    ]);
    const counts = result.rows.map((r) => r['count_'] as number);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
    );
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      tables.get('DeviceProcessEvents')?.rows.length,
    );
  });

  it('takes the latest DeviceInfo snapshot per device (and has a discovered device not onboarded yet)', () => {
    const rows = rowsOf(
      'DeviceInfo | where OnboardingStatus == "Onboarded" | summarize arg_max(Timestamp, *) by DeviceId | project DeviceName, OSPlatform, PublicIP | order by DeviceName asc',
    );
    assert.deepEqual(rowsOf('DeviceInfo | where OnboardingStatus != "Onboarded" | distinct DeviceName'), [
      { DeviceName: 'ws-lab-019.contoso.local' },
    ]);
    assert.deepEqual(
      rows,
      [...devices]
        .sort((a, b) => a.deviceName.localeCompare(b.deviceName))
        .map((d) => ({ DeviceName: d.deviceName, OSPlatform: d.os, PublicIP: d.publicIp })),
    );
  });

  it('pivots from alert evidence to the processes on the impacted device', () => {
    const rows = rowsOf(`let alertIds = dynamic(["${SEED_ALERT_IDS[0]}"]);
      let impacted = AlertEvidence | where AlertId in (alertIds) and EntityType == "Machine" | project DeviceId;
      let alertTime = toscalar(AlertInfo | where AlertId in (alertIds) | project Timestamp);
      DeviceProcessEvents
      | where DeviceId in (impacted) and Timestamp between ((alertTime - 1h) .. (alertTime + 1h))
      | project FileName, SHA1
      | order by FileName asc`);
    assert.deepEqual(
      rows.map((r) => r['FileName']),
      ['invoice_2026.pdf.exe', 'mimikatz.exe', 'powershell.exe', 'powershell.exe'],
    );
    assert.ok(rows.some((r) => r['SHA1'] === files[1].sha1));
  });

  it('finds the failed RDP burst and the users behind a phishing blast radius', () => {
    assert.deepEqual(
      rowsOf(
        'DeviceLogonEvents | where ActionType == "LogonFailed" and RemoteIPType == "Public" | summarize failures = count() by DeviceName, RemoteIP',
      ),
      [{ DeviceName: deviceName('srv-sql-01'), RemoteIP: '192.0.2.140', failures: 6 }],
    );
    const recipients = rowsOf(
      `EmailEvents | where ThreatTypes has "Phish" and Timestamp > ago(2d) | distinct RecipientEmailAddress | order by RecipientEmailAddress asc`,
    );
    assert.deepEqual(
      recipients.map((r) => r['RecipientEmailAddress']),
      [users[0].upn, users[3].upn],
    );
  });
});
