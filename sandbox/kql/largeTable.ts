// Large deterministic tables for benchmarks: `rowCount` everyday rows of one seed table's schema.
import { BENIGN_GENERATORS, ReportIds, type GenContext } from './seedBenign';
import { genericRows } from './seedGeneric';
import { SeedRandom } from './seedRandom';
import { schemaOf } from './seedSchemas';
import type { KqlTable } from './types';
import type { Row } from './values';

/** @throws {Error} when `name` is not one of SEED_TABLE_NAMES. */
export function generateLargeTable(name: string, rowCount: number, now: Date): KqlTable {
  const columns = schemaOf(name).map((c) => ({ ...c }));
  const generate = BENIGN_GENERATORS[name];
  const g: GenContext = { rng: new SeedRandom(`large:${name}`), nowMs: now.getTime(), reportIds: new ReportIds() };
  if (!generate) return { name, columns, rows: genericRows(name, g, Math.max(0, rowCount)) };
  const rows: Row[] = new Array<Row>(Math.max(0, rowCount));
  for (let i = 0; i < rows.length; i++) rows[i] = generate(g);
  return { name, columns, rows };
}
