// mv-expand, mv-apply, make-series, parse, invoke (user functions and FileProfile), evaluate bag_unpack, datatable,
// range, externaldata and user-defined functions, after the examples of their pages in
// MicrosoftDocs/dataexplorer-docs (data-explorer/kusto/query/*.md) and advanced-hunting-fileprofile-function.md.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createSeedTables, KqlError, runKql } from '../../../sandbox/kql';
import { folderReader } from '../../../sandbox/kql/externalData';
import { files, maliciousIps } from '../../../sandbox/seed/entities';
import { column, NOW, run } from './fixtures';

describe('mv-expand', () => {
  it('expands arrays, bags and several columns in parallel (mv-expand-operator.md examples)', () => {
    const q = `datatable (a: int, b: dynamic) [1, dynamic([10, 20]), 2, dynamic(['a', 'b'])] | mv-expand b`;
    assert.deepEqual(
      run(q).rows.map((r) => [r['a'], r['b']]),
      [
        [1, 10],
        [1, 20],
        [2, 'a'],
        [2, 'b'],
      ],
    );
    const bag = `datatable (a: int, b: dynamic) [1, dynamic({"prop1": "a1", "prop2": "b1"})]`;
    assert.deepEqual(column(`${bag} | mv-expand b`, 'b'), [{ prop1: 'a1' }, { prop2: 'b1' }]);
    assert.deepEqual(column(`${bag} | mv-expand kind=array b | extend key = tostring(b[0])`, 'key'), [
      'prop1',
      'prop2',
    ]);
    const zipped = run(
      `datatable (a: int, b: dynamic, c: dynamic)[1, dynamic({"prop1": "a", "prop2": "b"}), dynamic([5, 4, 3])] | mv-expand b, c`,
    );
    assert.deepEqual(
      zipped.rows.map((r) => r['c']),
      [5, 4, 3],
    );
    assert.equal(zipped.rows[2]?.['b'], null);
  });

  it('types with to typeof(), numbers items, limits rows, and drops empty arrays but keeps null', () => {
    const r = run('print x = dynamic([1, 2, 3]) | mv-expand with_itemindex=i x to typeof(long) limit 2');
    assert.deepEqual(
      r.columns.map((c) => `${c.name}:${c.type}`),
      ['x:long', 'i:long'],
    );
    assert.deepEqual(
      r.rows.map((row) => [row['x'], row['i']]),
      [
        [1, 0],
        [2, 1],
      ],
    );
    assert.equal(run('print x = dynamic([]) | mv-expand x').rows.length, 0);
    assert.equal(run('print x = dynamic(null) | mv-expand x').rows.length, 1);
    assert.equal(run('print x = dynamic([1,2]) | mvexpand x').rows.length, 2);
  });

  it('mv-apply runs the subquery over each row’s items', () => {
    const q =
      'datatable (k: string, v: dynamic) ["a", dynamic([1, 5, 3]), "b", dynamic([2])] | mv-apply v to typeof(long) on (top 1 by v)';
    assert.deepEqual(
      run(q).rows.map((r) => [r['k'], r['v']]),
      [
        ['a', 5],
        ['b', 2],
      ],
    );
  });
});

describe('make-series', () => {
  it('builds one array per aggregation over the axis, with defaults for empty steps, then the axis', () => {
    const q =
      'Events | make-series n = count() default = 0, b = sum(Bytes) on Timestamp from datetime(2026-11-12) to datetime(2026-11-15) step 1d by DeviceName | order by DeviceName asc';
    const result = run(q);
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      ['DeviceName:string', 'n:dynamic', 'b:dynamic', 'Timestamp:dynamic'],
    );
    const ws1 = result.rows.find((r) => r['DeviceName'] === 'ws-1');
    assert.deepEqual(ws1?.['n'], [0, 0, 1]);
    assert.deepEqual(ws1?.['Timestamp'], [
      '2026-11-12T00:00:00.0000000Z',
      '2026-11-13T00:00:00.0000000Z',
      '2026-11-14T00:00:00.0000000Z',
    ]);
    const ws2 = result.rows.find((r) => r['DeviceName'] === 'ws-2');
    assert.deepEqual(ws2?.['b'], [0, 300, 0]);
  });
});

describe('parse', () => {
  it('extracts typed columns between literals, anchored at the start (parse-operator.md)', () => {
    const q = `print s = "Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27)"
      | parse s with "Event: " name " (resourceName=" resource ", totalSlices=" slices:long ")" *`;
    const row = run(q).rows[0];
    assert.equal(row?.['name'], 'NotifySliceRelease');
    assert.equal(row?.['resource'], 'PipelineScheduler');
    assert.equal(row?.['slices'], 27);
    assert.deepEqual(column('print s = "no match" | parse s with "Event: " name', 'name'), ['']);
    assert.equal(run('print s = "no match" | parse-where s with "Event: " name').rows.length, 0);
    assert.deepEqual(column('print s = "id=42;" | parse kind=regex s with "id=" n:long ";"', 'n'), [42]);
  });
});

describe('user-defined functions', () => {
  it('run scalar and tabular functions, defaults, table parameters, and invoke', () => {
    assert.deepEqual(column('let f = (x: long, y: long = 10) { x + y }; print a = f(1), b = f(1, 2)', 'a'), [11]);
    assert.deepEqual(column('let f = (x: long, y: long = 10) { x + y }; print a = f(1), b = f(1, 2)', 'b'), [3]);
    assert.equal(run('let recent = () { Events | where Timestamp > ago(2d) }; recent() | count').rows[0]?.['Count'], 2);
    assert.equal(run('let top1 = (T: (*)) { T | take 1 }; Events | invoke top1() | count').rows[0]?.['Count'], 1);
    assert.deepEqual(
      column(
        'let tag = (s: string) { strcat("<", s, ">") }; Events | where Port == 80 | project t = tag(DeviceName)',
        't',
      ),
      ['<ws-2>'],
    );
    assert.deepEqual(column('let f = (n: long) { let twice = n * 2; twice + 1 }; print x = f(4)', 'x'), [9]);
  });
});

describe('datatable, range, getschema', () => {
  it('make rows from literals', () => {
    assert.deepEqual(column('datatable (a: string, n: long) ["x", 1, "y", 2] | where n > 1', 'a'), ['y']);
    assert.deepEqual(column('range x from 1 to 10 step 4', 'x'), [1, 5, 9]);
    assert.equal(run('range d from datetime(2026-01-01) to datetime(2026-01-03) step 1d').rows.length, 3);
    assert.deepEqual(column('datatable (a: string, n: long) ["x", 1] | getschema', 'ColumnType'), ['string', 'long']);
  });
});

describe('externaldata', () => {
  it('reads a fixture file by URL file name, and never the network', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kql-ext-'));
    writeFileSync(path.join(dir, 'ips.csv'), 'ip,score\n"10.0.0.1",5\n10.0.0.2,7\n');
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ 'https://example.test/feed?id=1': 'ips.csv' }));
    const reader = folderReader(dir);
    const q = (url: string) =>
      `externaldata (ip: string, score: long) [@"${url}"] with (format="csv", ignoreFirstRecord=true) | where score > 0`;
    const ctx = { externalData: reader };
    assert.deepEqual(
      run(q('https://example.test/lists/ips.csv'), ctx).rows.map((r) => [r['ip'], r['score']]),
      [
        ['10.0.0.1', 5],
        ['10.0.0.2', 7],
      ],
    );
    assert.equal(run(q('https://example.test/feed?id=1'), ctx).rows.length, 2);
  });

  it("answers a URL with no fixture with the seed's attack indicators, chosen by column name", () => {
    const tables = createSeedTables(NOW);
    const result = runKql(
      'let iocs = externaldata (SHA1: string, IPAddress: string) [@"https://example.test/none.csv"]; iocs',
      { tables, now: NOW, externalData: () => null },
    );
    assert.deepEqual(
      result.rows.map((r) => r['SHA1']).slice(0, 2),
      files.map((f) => f.sha1),
    );
    assert.ok(maliciousIps.includes(result.rows[0]?.['IPAddress'] as (typeof maliciousIps)[number]));
    const hits = runKql(
      'let iocs = externaldata (IP: string) [@"https://example.test/ips.txt"] with (format="txt"); DeviceNetworkEvents | where RemoteIP in (iocs)',
      { tables, now: NOW, externalData: () => null },
    );
    assert.ok(hits.rows.length > 0);
  });
});

describe('invoke FileProfile()', () => {
  it('adds the documented columns: the attack files are rare and unsigned, others common and signed', () => {
    const tables = createSeedTables(NOW);
    const result = runKql(
      'DeviceFileEvents | where isnotempty(SHA1) | invoke FileProfile(SHA1, 1000) | project FileName, GlobalPrevalence, SignatureState, ThreatName, ProfileAvailability',
      { tables, now: NOW },
    );
    const mimikatz = result.rows.find((r) => r['FileName'] === 'mimikatz.exe');
    assert.equal(mimikatz?.['SignatureState'], 'Unsigned');
    assert.ok((mimikatz?.['GlobalPrevalence'] as number) < 1000);
    assert.match(String(mimikatz?.['ThreatName']), /Mimikatz/);
    assert.ok(result.rows.some((r) => r['SignatureState'] === 'SignedValid'));
    assert.throws(
      () => runKql('DeviceFileEvents | invoke FileProfile(FileName)', { tables, now: NOW }),
      (e: KqlError) => e.kind === 'semantic',
    );
  });
});

describe('evaluate bag_unpack', () => {
  it('turns the properties of a bag into columns', () => {
    const q =
      'datatable (d: dynamic) [dynamic({"a": 1, "b": "x"}), dynamic({"a": 2, "c": true})] | evaluate bag_unpack(d)';
    const r = run(q);
    assert.deepEqual(
      r.columns.map((c) => c.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(r.rows[1], { a: 2, b: null, c: true });
  });
});
