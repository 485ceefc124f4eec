// search (search-operator.md, MicrosoftDocs/dataexplorer-docs) and Defender's documented functions besides
// FileProfile(): AssignedIPAddresses(), DeviceFromIP(), SeenBy() (advanced-hunting-*-function.md,
// MicrosoftDocs/defender-docs). Also: a query the sandbox cannot run but Kusto.Language rejects gets Kusto's error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSeedTables, KqlError, runKql, type KqlTable } from '../../../sandbox/kql';
import { NOW } from './fixtures';

const A: KqlTable = {
  name: 'A',
  columns: [
    { name: 'Host', type: 'string' },
    { name: 'Note', type: 'string' },
    { name: 'N', type: 'long' },
  ],
  rows: [
    { Host: 'ws-1', Note: 'powershell -enc abc', N: 1 },
    { Host: 'ws-2', Note: 'notepad', N: 2 },
  ],
};
const B: KqlTable = {
  name: 'B',
  columns: [
    { name: 'Host', type: 'string' },
    { name: 'Url', type: 'string' },
  ],
  rows: [{ Host: 'srv-1', Url: 'http://example.com/PowerShell' }],
};
const small = { tables: new Map([A, B].map((t) => [t.name, t])), now: NOW };
const seed = { tables: createSeedTables(NOW), now: NOW };

function rejects(query: string, ctx: typeof small, kind: string, pattern: RegExp): void {
  assert.throws(
    () => runKql(query, ctx),
    (e: unknown) => e instanceof KqlError && e.kind === kind && pattern.test(e.message),
    query,
  );
}

describe('search', () => {
  it('finds a bare term in any string column of the listed tables and names each row’s $table', () => {
    const r = runKql('search in (A, B) "powershell" | project $table, Host', small);
    assert.deepEqual(r.rows, [
      { $table: 'A', Host: 'ws-1' },
      { $table: 'B', Host: 'srv-1' },
    ]);
  });

  it('searches every table without an in clause; Column:"term", and/or, predicates and case sensitivity', () => {
    assert.deepEqual(
      runKql('search Host:"ws-2" or N > 5', small).rows.map((r) => r.Host),
      ['ws-2'],
    );
    assert.deepEqual(runKql('search in (A) "powershell" and N == 1 | project Host', small).rows, [{ Host: 'ws-1' }]);
    assert.deepEqual(runKql('search kind=case_sensitive "PowerShell" | project Host', small).rows, [{ Host: 'srv-1' }]);
  });

  it('search * keeps every row', () => {
    assert.deepEqual(runKql('search * | count', small).rows, [{ Count: 3 }]);
  });

  it('filters a piped input', () => {
    assert.deepEqual(runKql('A | search "notepad" | project N', small).rows, [{ N: 2 }]);
  });
});

describe('regular expressions as RE2 takes them', () => {
  it('flag groups further in the pattern: (?i)…(?-i) and (?i:…)', () => {
    assert.deepEqual(
      runKql(String.raw`A | where Note matches regex @'\W*((?i)POWERSHELL(?-i))\W*' | project N`, small).rows,
      [{ N: 1 }],
    );
    assert.deepEqual(runKql("A | where Note matches regex '(?i:NOTEPAD)' | project N", small).rows, [{ N: 2 }]);
  });

  it('a pattern from a column or an expression, per row', () => {
    const r = runKql("A | extend P = iff(N == 1, 'enc', 'nomatch') | where Note matches regex P | project N", small);
    assert.deepEqual(r.rows, [{ N: 1 }]);
  });
});

describe('documented functions', () => {
  it('AssignedIPAddresses() lists the addresses a device reported, with the documented columns', () => {
    const device = String(runKql('DeviceNetworkInfo | take 1 | project DeviceName', seed).rows[0]?.DeviceName);
    const r = runKql(`AssignedIPAddresses('${device}', now())`, seed);
    assert.deepEqual(
      r.columns.map((c) => c.name),
      ['Timestamp', 'IPAddress', 'IPType', 'NetworkAdapterType', 'ConnectedNetworks'],
    );
    assert.ok(r.rows.length > 0);
    assert.equal(runKql(`AssignedIPAddresses('no-such-device')`, seed).rows.length, 0);
  });

  it('DeviceFromIP() names the device behind an address the seed assigned, and nothing for an unknown one', () => {
    const r = runKql(
      `DeviceNetworkEvents | where isnotempty(LocalIP) | take 1 | project IP = LocalIP, Expected = DeviceId
       | union (print IP = '192.0.2.250', Expected = '') | invoke DeviceFromIP()`,
      seed,
    );
    assert.equal(r.rows.length, 2);
    for (const row of r.rows) assert.equal(row.DeviceId, row.Expected);
  });

  it('FileProfile() enriches at most 1000 rows, whatever larger count a query passes', () => {
    const r = runKql('DeviceFileEvents | take 3 | invoke FileProfile(SHA1, 10000) | project ProfileAvailability', seed);
    assert.equal(r.rows.length, 3);
  });

  it('SeenBy() gives each row an onboarded device other than its own', () => {
    const onboarded = new Set(
      runKql("DeviceInfo | where OnboardingStatus == 'Onboarded' | distinct DeviceId", seed).rows.map(
        (r) => r.DeviceId,
      ),
    );
    const r = runKql('DeviceInfo | take 5 | project Own = DeviceId, DeviceId | invoke SeenBy()', seed);
    for (const row of r.rows) {
      assert.ok(onboarded.has(row.DeviceId));
      assert.notEqual(row.DeviceId, row.Own);
    }
  });

  it('a syntax template Kusto rejects (invoke SeenBy(x)) gets Kusto’s error, not "not supported"', () => {
    rejects('invoke SeenBy(x)', seed, 'semantic', /cannot be the first operator/);
    rejects('DeviceInfo | invoke FileProfile(NoSuchName)', seed, 'semantic', /FileProfile\(\): the id column/);
  });
});
