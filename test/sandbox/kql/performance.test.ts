// Benchmark-sized tables: generating 100k DeviceProcessEvents rows and returning them all stays fast. Budgets are
// CPU time of this process (not wall time), generous because test machines are shared; typical figures are in
// the report of the change that added this file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkKqlSyntax, generateLargeTable, runKql } from '../../../sandbox/kql';

const NOW = new Date('2026-11-14T12:00:00Z');

function cpuMs<T>(work: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}

describe('large tables', () => {
  it('generates 100000 DeviceProcessEvents rows and returns them with take 100000', () => {
    checkKqlSyntax('print 1'); // load the parser outside the measured part
    const generated = cpuMs(() => generateLargeTable('DeviceProcessEvents', 100_000, NOW));
    const table = generated.result;
    assert.equal(table.rows.length, 100_000);
    assert.equal(table.name, 'DeviceProcessEvents');
    const taken = cpuMs(() =>
      runKql('DeviceProcessEvents | take 100000', { tables: new Map([[table.name, table]]), now: NOW }),
    );
    assert.equal(taken.result.rows.length, 100_000);
    assert.equal(taken.result.truncated, false);
    assert.equal(taken.result.columns.length, table.columns.length);
    assert.match(taken.result.rows[99_999]?.['Timestamp'] as string, /^2026-1[01]-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    console.log(`generate: ${generated.ms.toFixed(0)} ms CPU, take 100000: ${taken.ms.toFixed(0)} ms CPU`);
    assert.ok(generated.ms < 3000, `generateLargeTable took ${generated.ms} ms CPU`);
    assert.ok(taken.ms < 3000, `take 100000 took ${taken.ms} ms CPU`);
  });

  it('generates rows for every seed table with the schema columns, deterministically', () => {
    const a = generateLargeTable('IdentityLogonEvents', 500, NOW);
    const b = generateLargeTable('IdentityLogonEvents', 500, NOW);
    assert.deepEqual(a, b);
    assert.deepEqual(
      Object.keys(a.rows[0] ?? {}),
      a.columns.map((c) => c.name),
    );
    assert.throws(() => generateLargeTable('NoSuchTable', 1, NOW), /Unknown hunting table 'NoSuchTable'/);
  });
});
