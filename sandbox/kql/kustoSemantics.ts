// Kusto.Language's own semantic analysis of a query against the sandbox's tables (and Defender's FileProfile()
// function), used as the authority on strict typing and name resolution: the sandbox reports what Kusto reports,
// and a query Kusto finds clean is never rejected as wrong (only as not supported).
import { databaseGlobals, kustoLanguage } from './kustoLanguage';
import type { KqlColumn, KqlTable } from './types';
import { schemaFunction, schemaFunctions, type SchemaFunction } from './seedSchemas';

export interface SemanticProblem {
  message: string;
  offset: number;
}

const globalsByTables = new WeakMap<ReadonlyMap<string, KqlTable>, unknown>();

function quoteName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `['${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

function schemaText(columns: readonly KqlColumn[]): string {
  return `(${columns.map((c) => `${quoteName(c.name)}:${c.type}`).join(', ')})`;
}

const TYPED_NULL: Record<string, string> = {
  string: "''",
  int: 'int(null)',
  long: 'long(null)',
  real: 'real(null)',
  datetime: 'datetime(null)',
  timespan: 'timespan(null)',
  bool: 'bool(null)',
  guid: 'guid(null)',
  dynamic: 'dynamic(null)',
};

/** A documented function (schema functions) as Kusto.Language declares one: `invoke` passes the piped table first;
 * the body only has to give the output's columns their types. */
function declaration(f: SchemaFunction): { parameters: string; body: string } {
  const params = f.parameters.map((p) => `${p.name}:${p.type}${p.default !== undefined ? `=${p.default}` : ''}`);
  const parameters = `(${[...(f.invocation === 'invoke' ? ['T:(*)'] : []), ...params].join(', ')})`;
  if (f.output === 'table') return { parameters, body: `{ datatable${schemaText(f.columns)}[] }` };
  const source = f.invocation === 'invoke' ? 'T' : 'print _=0';
  const extend = f.columns.map((c) => `${quoteName(c.name)}=${TYPED_NULL[c.type] ?? 'dynamic(null)'}`).join(', ');
  return { parameters, body: `{ ${source}${extend ? ` | extend ${extend}` : ''} }` };
}

function globalsFor(tables: ReadonlyMap<string, KqlTable>): unknown {
  let globals = globalsByTables.get(tables);
  if (globals) return globals;
  globals = databaseGlobals(
    tables.values(),
    schemaFunctions().map((f) => ({ name: f.name, ...declaration(f) })),
  );
  globalsByTables.set(tables, globals);
  return globals;
}

/** Spans of the arguments of `invoke <documented function>(...)` calls: Defender resolves a bare name there
 * (`FileProfile(SHA1)`) against the piped table's columns, which a Kusto.Language function declaration cannot
 * express. */
function invokeArguments(query: string): { call: [number, number]; args: [number, number] }[] {
  return [...query.matchAll(/invoke\s+(\w+)\s*\(([^)]*)\)/gi)]
    .filter((m) => schemaFunction(m[1] ?? '') !== undefined)
    .map((m) => {
      const end = m.index + m[0].length;
      return { call: [m.index, end], args: [m.index + m[0].indexOf('('), end] };
    });
}

/** True when `offset` lies in an `invoke FileProfile(...)`-like call, whose arguments only the sandbox checks: the
 * sandbox's own error there stands (Kusto cannot judge it). */
export function inFileProfileCall(query: string, offset: number | undefined): boolean {
  return (
    offset !== undefined && invokeArguments(query).some(({ call: [start, end] }) => offset >= start && offset < end)
  );
}

/** An error Kusto raises only because it cannot see the piped columns: an unknown name, inside an invoke's
 * arguments, that is a column of one of the tables. Any other error there (a name no table has, a wrong type) is
 * the query's, as in Defender. */
function excused(
  d: { Start: number; Message: string },
  spans: readonly [number, number][],
  tables: ReadonlyMap<string, KqlTable>,
): boolean {
  if (!spans.some(([start, end]) => d.Start >= start && d.Start < end)) return false;
  const name = /The name '([^']+)' does not refer/.exec(d.Message)?.[1];
  return name !== undefined && [...tables.values()].some((t) => t.columns.some((c) => c.name === name));
}

/** Kusto.Language's errors for the query (syntax and semantics) with the sandbox's tables in scope. */
export function kustoErrors(query: string, tables: ReadonlyMap<string, KqlTable>): SemanticProblem[] {
  const K = kustoLanguage();
  const code = K.KustoCode.ParseAndAnalyze(query, globalsFor(tables));
  const list = code.GetDiagnostics();
  const spans = invokeArguments(query).map((s) => s.args);
  const out: SemanticProblem[] = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    if (d.Severity !== 'Error') continue;
    if (excused(d, spans, tables)) continue;
    out.push({ message: d.Message, offset: d.Start });
  }
  return out;
}
