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
import { kustoLanguage } from './kusto';

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
    const K = kustoLanguage();
    const T = K.Symbols.ScalarTypes;
    const scalar: Record<KustoType, unknown> = {
      bool: T.Bool,
      datetime: T.DateTime,
      decimal: T.Decimal,
      dynamic: T.Dynamic,
      guid: T.Guid,
      int: T.Int,
      long: T.Long,
      real: T.Real,
      string: T.String,
      timespan: T.TimeSpan,
    };
    // Symbols built directly: no schema text for Kusto to parse, 65 tables at once.
    const members: unknown[] = schema.tables.map(
      (t) =>
        new K.Symbols.TableSymbol.$ctor4(
          t.name,
          t.columns.map((c) => new K.Symbols.ColumnSymbol(c.name, scalar[c.type], null, null, null, null)),
        ),
    );
    for (const f of schema.functions) {
      const { parameters, body } = functionDeclaration(f);
      members.push(new K.Symbols.FunctionSymbol.$ctor16(f.name, parameters, body, null));
    }
    globals = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('hunting', members));
    cache.set(schema, globals);
  }
  return globals;
}
