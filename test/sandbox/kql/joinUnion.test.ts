// join, lookup, union and render: the kinds and forms of join-operator.md, lookup-operator.md and
// union-operator.md (MicrosoftDocs/dataexplorer-docs), checked on small tables whose expected rows are worked out
// by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KqlError, runKql, type KqlTable } from '../../../sandbox/kql';
import { EVENTS, NOW } from './fixtures';

const LEFT: KqlTable = {
  name: 'L',
  columns: [
    { name: 'Key', type: 'string' },
    { name: 'Value', type: 'long' },
  ],
  rows: [
    { Key: 'a', Value: 1 },
    { Key: 'a', Value: 2 },
    { Key: 'b', Value: 3 },
    { Key: 'c', Value: 4 },
  ],
};
const RIGHT: KqlTable = {
  name: 'R',
  columns: [
    { name: 'Key', type: 'string' },
    { name: 'Other', type: 'string' },
    { name: 'Value', type: 'long' },
  ],
  rows: [
    { Key: 'a', Other: 'x', Value: 10 },
    { Key: 'b', Other: 'y', Value: 30 },
    { Key: 'b', Other: 'z', Value: 31 },
    { Key: 'd', Other: 'w', Value: 50 },
  ],
};
const tables = new Map([
  ['L', LEFT],
  ['R', RIGHT],
  ['Events', EVENTS],
]);
const run = (query: string) => runKql(query, { tables, now: NOW });
const rows = (query: string) => run(query).rows;

describe('join', () => {
  it('defaults to innerunique: one left row per key, every right match, right columns suffixed', () => {
    const result = run('L | join (R) on Key | order by Value asc, Value1 asc');
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['Key', 'Value', 'Key1', 'Other', 'Value1'],
    );
    assert.deepEqual(
      result.rows.map((r) => [r['Key'], r['Value'], r['Other'], r['Value1']]),
      [
        ['a', 1, 'x', 10],
        ['b', 3, 'y', 30],
        ['b', 3, 'z', 31],
      ],
    );
  });

  it('kind=inner keeps every left row', () => {
    assert.equal(rows('L | join kind=inner R on Key').length, 4); // a×1 twice, b×2
  });

  it('outer kinds fill the missing side with nulls', () => {
    const left = rows('L | join kind=leftouter (R) on Key | where isempty(Key1) | project Key, Other');
    assert.deepEqual(left, [{ Key: 'c', Other: '' }]);
    const right = rows('L | join kind=rightouter (R) on Key | where isempty(Key) | project Key1, Value');
    assert.deepEqual(right, [{ Key1: 'd', Value: null }]);
    assert.equal(rows('L | join kind=fullouter (R) on Key').length, 6);
  });

  it('semi and anti kinds keep one side only', () => {
    const keys = (q: string) => rows(q).map((r) => r['Key']);
    assert.deepEqual(keys('L | join kind=leftsemi (R) on Key'), ['a', 'a', 'b']);
    assert.deepEqual(keys('L | join kind=leftanti (R) on Key'), ['c']);
    assert.deepEqual(keys('L | join kind=anti (R) on Key'), ['c']);
    assert.deepEqual(keys('L | join kind=rightsemi (R) on Key'), ['a', 'b', 'b']);
    assert.deepEqual(keys('L | join kind=rightanti (R) on Key'), ['d']);
    assert.deepEqual(
      run('L | join kind=rightanti (R) on Key').columns.map((c) => c.name),
      ['Key', 'Other', 'Value'],
    );
  });

  it('matches $left/$right conditions and on lists (and, commas)', () => {
    const q = 'L | extend K2 = Key | join kind=inner (R | project K3 = Key, Other) on $left.K2 == $right.K3';
    assert.equal(rows(q).length, 4);
    // Kusto.Language wants $left on the left of ==.
    assert.throws(() => run('L | join kind=inner (R) on $right.Key == $left.Key'), { kind: 'semantic' });
    assert.deepEqual(rows('L | join kind=inner (R | extend Value = Value / 10) on Key, Value | project Key, Value'), [
      { Key: 'a', Value: 1 },
      { Key: 'b', Value: 3 },
      { Key: 'b', Value: 3 },
    ]);
    assert.equal(rows('L | join kind=inner (R) on $left.Key == $right.Key and $left.Value == $right.Value').length, 0);
  });

  it('accepts hints and lets on either side', () => {
    assert.equal(
      rows('let r = R | where Other != "w"; L | join hint.strategy=broadcast kind=inner r on Key').length,
      4,
    );
  });

  it('names a missing key column', () => {
    assert.throws(
      () => run('L | join (R) on Nope'),
      (e: KqlError) => e.kind === 'semantic' && /'Nope'/.test(e.message),
    );
  });
});

describe('lookup', () => {
  it('extends the left rows, keeps the key once, leftouter by default', () => {
    const result = run('L | lookup (R | project Key, Other) on Key | order by Value asc');
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['Key', 'Value', 'Other'],
    );
    assert.deepEqual(
      result.rows.map((r) => r['Other']),
      ['x', 'x', 'y', 'z', ''],
    );
    assert.equal(rows('L | lookup kind=inner (R) on Key').length, 4);
    assert.deepEqual(
      run('L | lookup R on Key').columns.map((c) => c.name),
      ['Key', 'Value', 'Other', 'Value1'],
    );
  });
});

describe('union', () => {
  it('unions by name, splits a column seen with two types, and names the source', () => {
    const result = run('union withsource=Source L, R');
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      ['Source:string', 'Key:string', 'Value:long', 'Other:string'],
    );
    assert.deepEqual([...new Set(result.rows.map((r) => r['Source']))], ['L', 'R']);
    const mixed = run('union (L | project Key), (R | project Key = Value)');
    assert.deepEqual(
      mixed.columns.map((c) => c.name),
      ['Key_string', 'Key_long'],
    );
  });

  it('expands wildcards to table names, skips unknown tables when fuzzy, and works after a pipe', () => {
    assert.equal(rows('union withsource=T E* | distinct T').length, 1);
    assert.equal(rows('union isfuzzy=true L, NoSuchTable').length, 4);
    assert.throws(
      () => run('union L, NoSuchTable'),
      (e: KqlError) => e.kind === 'semantic',
    );
    assert.equal(rows('L | union R | count')[0]?.['Count'], 8);
    assert.deepEqual(
      run('union kind=inner L, R').columns.map((c) => c.name),
      ['Key', 'Value'],
    );
  });
});

describe('render', () => {
  it('is accepted and ignored, as the hunting API does', () => {
    assert.equal(rows('L | summarize count() by Key | render barchart with (title="x")').length, 3);
  });
});
