// The legacy API's window written into the query: the `let T = T | where ...` idiom as Microsoft's Kusto.Language
// parser resolves it, which tables get one, what cannot take one, the encoding of the instants, and the half-open
// boundary evaluated by the sandbox's KQL engine.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runKql, type KqlTable } from '../../sandbox/kql';
import { InputError } from '../../shared/errors';
import { loadQueryLibrary, type QueryLibrary } from '../../shared/queries';
import { huntingRequest } from '../../shared/queries/huntingRequest';
import { huntingTable, kustoColumnList, timestampTables } from '../../shared/queries/huntingSchema';
import { timestampTablesRead, windowInQuery } from '../../shared/queries/windowInQuery';
import { kqlHuntingDiagnostics, kqlSemanticDiagnostics, parseKql } from '../helpers/kqlParser';
import { exampleValues, QUERY_DIR } from './queryTestUtil';

const W = { start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z' };
const schema = (name: string, columns: string) => ({ name, columns });
// Three of the table's columns (from the schema data), so a narrowing `let` is visible in what resolves.
const dpe = schema(
  'DeviceProcessEvents',
  kustoColumnList(
    (huntingTable('DeviceProcessEvents')?.columns ?? []).filter((c) =>
      ['Timestamp', 'FileName', 'DeviceName'].includes(c.name),
    ),
  ),
);
const messages = (text: string, tables = [dpe]) => kqlSemanticDiagnostics(text, tables).map((d) => d.message);

function refusal(kql: string): InputError {
  try {
    windowInQuery(kql, W);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.field, 'timespan');
    return e;
  }
  assert.fail(`expected a refusal for: ${kql}`);
}

describe('the let-shadowing idiom, as Kusto.Language resolves it', () => {
  it("a let's right-hand side reads the real table; later statements see the let", () => {
    // The let keeps only Timestamp: FileName resolves afterwards only if the name still meant the table.
    const narrowed = 'let DeviceProcessEvents = DeviceProcessEvents | project Timestamp;\n';
    assert.deepEqual(messages(`${narrowed}DeviceProcessEvents | project Timestamp`), []);
    for (const use of [
      'DeviceProcessEvents | project FileName',
      'union DeviceProcessEvents, (DeviceProcessEvents) | project FileName',
      'DeviceProcessEvents | join (DeviceProcessEvents) on Timestamp | project FileName',
    ]) {
      assert.deepEqual(
        messages(narrowed + use),
        ["The name 'FileName' does not refer to any known column, table, variable or function."],
        use,
      );
    }
  });

  it('a second let of the same name is an error, which is why a query declaring one is refused', () => {
    const ours = windowInQuery('DeviceProcessEvents', W).split('\n')[0];
    const twice = `${ours}\nlet DeviceProcessEvents = DeviceProcessEvents | take 5;\nDeviceProcessEvents`;
    assert.deepEqual(messages(twice), ["A variable with the name 'DeviceProcessEvents' has already been declared."]);
    const e = refusal('let DeviceProcessEvents = DeviceProcessEvents | take 5;\nDeviceProcessEvents');
    assert.match(e.message, /declares its own 'let DeviceProcessEvents'/);
  });

  it('a column with a table name still means the column after the let', () => {
    const tables = [
      schema('DeviceInfo', '(Timestamp:datetime, DeviceName:string)'),
      schema('DataSecurityBehaviors', '(Timestamp:datetime, DeviceInfo:dynamic)'),
    ];
    const query = 'DataSecurityBehaviors | project DeviceInfo, x = DeviceInfo.DeviceName';
    assert.deepEqual(timestampTablesRead(query), ['DataSecurityBehaviors', 'DeviceInfo']);
    const q = windowInQuery(query, W);
    assert.deepEqual(messages(q, tables), []);
  });
});

describe('windowInQuery', () => {
  it('writes one half-open filter per Timestamp table read, with canonical datetime literals', () => {
    const q = windowInQuery('DeviceProcessEvents | join kind=inner (DeviceNetworkEvents) on DeviceId', W);
    const start = 'datetime(2026-01-01T00:00:00.0000000Z)';
    const end = 'datetime(2026-01-01T01:00:00.0000000Z)';
    assert.equal(
      q,
      [
        `let DeviceNetworkEvents = DeviceNetworkEvents | where Timestamp >= ${start} and Timestamp < ${end};`,
        `let DeviceProcessEvents = DeviceProcessEvents | where Timestamp >= ${start} and Timestamp < ${end};`,
        'DeviceProcessEvents | join kind=inner (DeviceNetworkEvents) on DeviceId',
      ].join('\n'),
    );
    assert.deepEqual(parseKql(q).diagnostics, []);
  });

  it('ignores table names in strings, comments and member access, and tables without Timestamp', () => {
    const q = [
      '// DeviceLogonEvents is not read',
      'DeviceTvmSoftwareInventory',
      '| extend note = "EmailEvents", other = @\'IdentityInfo\', x = AdditionalFields.DeviceInfo',
    ].join('\n');
    assert.deepEqual(timestampTablesRead(q), []);
    assert.equal(windowInQuery(q, W), q, 'nothing to restrict: the query is sent unchanged');
  });

  it('refuses what it cannot restrict, loudly, naming timespan', () => {
    for (const [kql, why] of [
      ['table("DeviceProcessEvents") | take 1', /table\(\)/],
      ['database("x").DeviceProcessEvents | take 1', /database\(\)/],
      ['union Device* | take 1', /wildcard \(Device\*\)/],
      ['union withsource=T DeviceInfo, Email* | take 1', /wildcard \(Email\*\)/],
      ['union * | take 1', /union \*/],
      ['search "mimikatz"', /searches every table/],
      ['find where FileName == "x"', /searches every table/],
    ] as const) {
      assert.match(refusal(kql).message, why, kql);
    }
  });

  it('allows the forms that read only named tables', () => {
    assert.deepEqual(timestampTablesRead('DeviceInfo | search "x"'), ['DeviceInfo']);
    assert.deepEqual(timestampTablesRead('search in (EmailEvents, DeviceInfo) "x"'), ['DeviceInfo', 'EmailEvents']);
    assert.deepEqual(timestampTablesRead('DeviceInfo | extend y = A*2 | extend z = Device*3'), ['DeviceInfo']);
  });

  it('never splices window text: an instant that is not a date-time is refused', () => {
    const e = (() => {
      try {
        windowInQuery('DeviceInfo', { start: '2026-01-01T00:00:00Z) | union DeviceInfo //', end: W.end });
      } catch (err) {
        return err;
      }
    })();
    assert.ok(e instanceof InputError && e.field === 'timespan', String(e));
  });

  it('every Timestamp table in the list is a real identifier the parser accepts as a let name', () => {
    for (const t of timestampTables()) assert.deepEqual(parseKql(windowInQuery(`${t} | take 1`, W)).diagnostics, [], t);
  });
});

describe('the window on the shipped queries', () => {
  let library: QueryLibrary;
  before(async () => {
    library = await loadQueryLibrary(QUERY_DIR);
  });

  it('every shipped query, bound and windowed for the legacy API, analyses clean against the table schemas', () => {
    for (const def of library.names().map((n) => library.get(n)!)) {
      const bound = library.bind(def.name, exampleValues(def));
      const { query, timespan } = huntingRequest('legacy', bound, { window: W }, new Date());
      assert.equal(timespan, undefined, 'the legacy API never gets a timespan');
      assert.notEqual(query, bound, `${def.name} reads a Timestamp table`);
      assert.deepEqual(kqlHuntingDiagnostics(query), [], def.name);
    }
  });
});

describe('the half-open window in the sandbox engine', () => {
  const table: KqlTable = {
    name: 'DeviceInfo',
    columns: [
      { name: 'Timestamp', type: 'datetime' },
      { name: 'DeviceName', type: 'string' },
    ],
    rows: [
      { Timestamp: '2025-12-31T23:59:59.9999999Z', DeviceName: 'before' },
      { Timestamp: '2026-01-01T00:00:00.0000000Z', DeviceName: 'at-start' },
      { Timestamp: '2026-01-01T00:30:00.0000000Z', DeviceName: 'inside' },
      { Timestamp: '2026-01-01T01:00:00.0000000Z', DeviceName: 'at-end' },
    ],
  };
  const names = (w: { start: string; end: string }) =>
    runKql(windowInQuery('DeviceInfo | order by Timestamp asc | project DeviceName', w), {
      tables: new Map([['DeviceInfo', table]]),
      now: new Date('2026-01-02T00:00:00Z'),
    }).rows.map((r) => r['DeviceName']);

  it('includes a row at the start, excludes one at the end, so consecutive windows share no row', () => {
    assert.deepEqual(names(W), ['at-start', 'inside']);
    assert.deepEqual(names({ start: W.end, end: '2026-01-01T02:00:00Z' }), ['at-end']);
  });
});

describe('huntingRequest', () => {
  const now = new Date('2026-01-02T00:00:00Z');
  it('Graph gets the window or the caller’s timespan as Timespan, the query untouched', () => {
    assert.deepEqual(huntingRequest('graph', 'DeviceInfo', { window: W }, now), {
      query: 'DeviceInfo',
      timespan: `${W.start}/${W.end}`,
    });
    assert.deepEqual(huntingRequest('graph', 'DeviceInfo', { timespan: 'P1D', window: W }, now), {
      query: 'DeviceInfo',
      timespan: 'P1D',
    });
  });

  it('legacy gets the same window in the query; a caller’s timespan wins over the scheduled window', () => {
    const legacy = huntingRequest('legacy', 'DeviceInfo', { timespan: 'P1D', window: W }, now);
    assert.deepEqual(legacy, {
      query: windowInQuery('DeviceInfo', { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' }),
    });
    assert.deepEqual(huntingRequest('legacy', 'DeviceInfo', {}, now), { query: 'DeviceInfo' });
  });

  it('refuses a bad timespan the same way on both APIs', () => {
    for (const backend of ['graph', 'legacy'] as const) {
      assert.throws(
        () => huntingRequest(backend, 'DeviceInfo', { timespan: 'P1M' }, now),
        (e: unknown) => e instanceof InputError && e.field === 'timespan' && /months or years/.test(e.message),
      );
    }
  });
});
