// What the context controls: now, the time window, the row cap; and the wire form of result values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiTypeName, runKql, type KqlTable, type KqlType } from '../../../sandbox/kql';
import { column, EVENTS, NOW, run } from './fixtures';

describe('now and ago()', () => {
  it('ago() counts back from ctx.now, not the wall clock', () => {
    assert.deepEqual(column('Events | where Timestamp > ago(1d) | project FileName', 'FileName'), ['powershell.exe']);
    const later = new Date('2026-11-20T00:00:00Z');
    assert.deepEqual(column('Events | where Timestamp > ago(7d) | project FileName', 'FileName', { now: later }), [
      'powershell.exe',
      'cmd.exe',
    ]);
    assert.deepEqual(
      column('Events | where Timestamp > ago(7d) | project FileName', 'FileName', {
        now: new Date('2027-01-01T00:00:00Z'),
      }),
      [],
    );
  });
});

describe('a let named like a table', () => {
  it('reads the table on its right-hand side and shadows it afterwards, as Kusto.Language resolves it', () => {
    // The idiom the legacy API's window relies on (shared/queries/windowInQuery.ts).
    const shadow = 'let Events = Events | where FileName == "cmd.exe";\n';
    assert.deepEqual(column(`${shadow}Events | project FileName`, 'FileName'), ['cmd.exe']);
    assert.deepEqual(
      column(`${shadow}Events | where FileName in ((Events | project FileName)) | count`, 'Count'),
      [1],
      'every use after the let, subqueries included, sees the filtered rows',
    );
    assert.ok(Number(column('Events | count', 'Count')[0]) > 1, 'the table itself is untouched');
  });
});

describe('time window', () => {
  it('hides rows outside [start, end] on Timestamp, for every use of the table', () => {
    const timeWindow = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-14T00:00:00Z') };
    assert.deepEqual(column('Events | project FileName', 'FileName', { timeWindow }), ['cmd.exe', 'Network.exe']);
    assert.deepEqual(column('let t = Events; t | count', 'Count', { timeWindow }), [2]);
    assert.deepEqual(
      column('Events | where FileName in ((Events | project FileName)) | count', 'Count', { timeWindow }),
      [2],
    );
  });

  it('includes both bounds, to the tick', () => {
    const timeWindow = { start: new Date('2026-11-01T08:00:00Z'), end: new Date('2026-11-14T10:00:00Z') };
    assert.deepEqual(column('Events | project FileName', 'FileName', { timeWindow }), [
      'powershell.exe',
      'cmd.exe',
      'Network.exe',
    ]);
  });

  it('leaves tables without a Timestamp column alone', () => {
    const lookup: KqlTable = {
      name: 'Lookup',
      columns: [{ name: 'Ip', type: 'string' }],
      rows: [{ Ip: '198.51.100.23' }],
    };
    const timeWindow = { start: new Date('2030-01-01T00:00:00Z'), end: new Date('2030-01-02T00:00:00Z') };
    assert.equal(
      runKql('Lookup | count', { tables: new Map([['Lookup', lookup]]), now: NOW, timeWindow }).rows[0]?.['Count'],
      1,
    );
  });
});

describe('row cap', () => {
  it('stops at maxRows and sets truncated', () => {
    const capped = run('Events', { maxRows: 2 });
    assert.equal(capped.rows.length, 2);
    assert.equal(capped.truncated, true);
    assert.equal(run('Events', { maxRows: 4 }).truncated, false);
    assert.equal(run('Events | count', { maxRows: 1 }).truncated, false);
  });

  it('defaults to 100000 rows', () => {
    const rows = Array.from({ length: 100_001 }, (_, i) => ({ N: i }));
    const big: KqlTable = { name: 'Big', columns: [{ name: 'N', type: 'long' }], rows };
    const result = runKql('Big', { tables: new Map([['Big', big]]), now: NOW });
    assert.equal(result.rows.length, 100_000);
    assert.equal(result.truncated, true);
  });
});

describe('result values and types', () => {
  it('serialises each type in the hunting API form', () => {
    const result = run('Events | take 2 | project Timestamp, FileName, Port, Bytes, Score, IsAdmin, Extra, Elapsed');
    assert.deepEqual(result.rows[0], {
      Timestamp: '2026-11-14T10:00:00.0000000Z',
      FileName: 'powershell.exe',
      Port: 443,
      Bytes: 1200,
      Score: 0.5,
      IsAdmin: true,
      Extra: { user: 'amy', tags: ['a', 'b'], nested: { level: 2 } },
      Elapsed: '00:30:00',
    });
    assert.equal(result.rows[1]?.['Timestamp'], '2026-11-13T09:30:00.1234567Z');
    assert.equal(result.rows[1]?.['Elapsed'], '01:00:00');
    assert.deepEqual(JSON.parse(JSON.stringify(result.rows)), result.rows);
  });

  it('keeps table rows unshared with results', () => {
    const result = run('Events | take 1');
    (result.rows[0] as Record<string, unknown>)['FileName'] = 'changed';
    assert.equal(EVENTS.rows[0]?.['FileName'], 'powershell.exe');
  });

  it('maps types to the API names', () => {
    const expected: Record<KqlType, string> = {
      string: 'String',
      datetime: 'DateTime',
      long: 'Int64',
      int: 'Int32',
      bool: 'Boolean',
      real: 'Double',
      dynamic: 'Object',
      timespan: 'TimeSpan',
      guid: 'Guid',
    };
    for (const [type, name] of Object.entries(expected)) assert.equal(apiTypeName(type as KqlType), name);
  });

  it('reports result column types', () => {
    assert.deepEqual(
      run('Events | summarize n = count(), latest = max(Timestamp), s = make_set(Port) by DeviceName | take 0').columns,
      [
        { name: 'DeviceName', type: 'string' },
        { name: 'n', type: 'long' },
        { name: 'latest', type: 'datetime' },
        { name: 's', type: 'dynamic' },
      ],
    );
  });
});
