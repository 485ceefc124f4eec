// The Advanced Hunting schema (schemas/hunting/advanced-hunting-schema.json) as Kusto.Language symbols: one database
// holding every table and every documented function, so analysis reports unknown tables and columns, wrong types and
// wrong function calls the way Defender does. Built once per process.
import {
  huntingSchema,
  kustoColumnList,
  type HuntingFunction,
  type HuntingSchema,
  type KustoType,
} from '../../shared/queries/huntingSchema';
import { databaseGlobals } from './kusto';

/** A value of each type for a function body's typed columns (never evaluated, only typed). */
const TYPED_NULL: Record<KustoType, string> = {
  string: "''",
  bool: 'bool(null)',
  int: 'int(null)',
  long: 'long(null)',
  real: 'real(null)',
  decimal: 'decimal(null)',
  datetime: 'datetime(null)',
  timespan: 'timespan(null)',
  guid: 'guid(null)',
  dynamic: 'dynamic(null)',
};

/** A documented function as Kusto declares one: its parameter list and a body with its output's columns and types. */
export function functionDeclaration(f: HuntingFunction): { parameters: string; body: string } {
  const params = f.parameters.map((p) => `${p.name}:${p.type}${p.default !== undefined ? `=${p.default}` : ''}`);
  // `invoke` passes the piped table as the first argument.
  const parameters = `(${[...(f.invocation === 'invoke' ? ['T:(*)'] : []), ...params].join(', ')})`;
  let body: string;
  if (f.output === 'table') {
    body = `{ datatable${kustoColumnList(f.columns)}[] }`;
  } else {
    const source = f.invocation === 'invoke' ? 'T' : 'print _=0';
    const extend = f.columns.map((c) => `${c.name}=${TYPED_NULL[c.type]}`).join(', ');
    body = `{ ${source}${extend ? ` | extend ${extend}` : ''} }`;
  }
  return { parameters, body };
}

const cache = new WeakMap<HuntingSchema, unknown>();

/** Kusto's global state with the hunting database in scope (cached per schema object). */
export function huntingGlobals(schema: HuntingSchema = huntingSchema()): unknown {
  let globals = cache.get(schema);
  if (!globals) {
    globals = databaseGlobals(
      schema.tables,
      schema.functions.map((f) => ({ name: f.name, ...functionDeclaration(f) })),
    );
    cache.set(schema, globals);
  }
  return globals;
}
