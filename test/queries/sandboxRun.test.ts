// Every shipped query runs in the sandbox's KQL engine over its seed tables and finds the seeded attack when bound
// with the seed incident's entities: the queries stay inside the subset the sandbox evaluates, and the seed data and
// the queries agree on table, column and value spellings.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createSeedTables, runKql, type KqlTable } from '../../sandbox/kql';
import { loadQueryLibrary, type QueryLibrary } from '../../shared/queries';
import { QUERY_DIR } from './queryTestUtil';
import { seededQueryCases } from './seededQueryCases';

const now = new Date();
const cases = seededQueryCases(now);

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
