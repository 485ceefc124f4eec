// runKql / checkKqlSyntax: parse with Kusto.Language, convert to the engine's AST, compile against the context's
// tables, run, and serialise values the way the hunting API returns them.
import { Budget } from './budget';
import { datetimeFromDate, formatTimespan } from './datetime';
import type { TimeWindow } from './expressions';
import { defaultExternalDataReader } from './externalData';
import type { KustoNode } from './kustoLanguage';
import { parseKusto } from './kustoParser';
import { inFileProfileCall, kustoErrors } from './kustoSemantics';
import { createEnv } from './operators';
import { bindLet } from './statements';
import { convertQuery } from './syntaxToAst';
import { KqlError, type KqlColumn, type KqlContext, type KqlResult, type KqlType } from './types';
import type { Row } from './values';

export const DEFAULT_MAX_ROWS = 100_000;

function syntaxMessage(offset: number, message: string): string {
  return `Syntax error at offset ${offset}: ${message}`;
}

/** Checks syntax only (no schema): the first parser error, with its offset. */
export function checkKqlSyntax(query: string): { ok: true } | { ok: false; message: string; offset: number } {
  const { error } = parseKusto(query);
  return error
    ? { ok: false, message: syntaxMessage(error.offset, error.message), offset: error.offset }
    : { ok: true };
}

function toCanonical(d: Date, what: string): string {
  const text = datetimeFromDate(d);
  if (text === null) throw new TypeError(`KqlContext.${what} is not a valid date`);
  return text;
}

/**
 * Runs a query over the context's tables.
 * @throws {KqlError} 'syntax' for parser errors, 'semantic' for unknown names and type errors, 'unsupported' for
 * operators and functions outside the sandbox's subset.
 */
export function runKql(query: string, ctx: KqlContext): KqlResult {
  const parsed = parseKusto(query);
  if (parsed.error)
    throw new KqlError('syntax', syntaxMessage(parsed.error.offset, parsed.error.message), parsed.error.offset);
  try {
    return evaluate(query, parsed.root, ctx);
  } catch (e) {
    throw located(query, confirmed(query, ctx, asKqlError(e)));
  }
}

/** Kusto.Language decides what Defender rejects: a semantic error the sandbox finds where Kusto finds none is the
 * sandbox's limit, not the query's fault ('not supported by the sandbox'; Defender would run the query); and a query
 * the sandbox cannot run but Kusto rejects gets Kusto's error, as Defender would answer. */
function confirmed(query: string, ctx: KqlContext, e: unknown): unknown {
  if (!(e instanceof KqlError) || (e.kind !== 'semantic' && e.kind !== 'unsupported')) return e;
  if (e.kind === 'semantic' && inFileProfileCall(query, e.offset)) return e;
  let problem: { message: string; offset: number } | undefined;
  try {
    [problem] = kustoErrors(query, ctx.tables);
  } catch {
    // Kusto's analysis can give out where the sandbox did (a query nested too deeply): keep the sandbox's answer.
    return e;
  }
  if (problem) return e.kind === 'semantic' ? e : new KqlError('semantic', problem.message, problem.offset);
  if (e.kind === 'unsupported') return e;
  return new KqlError('unsupported', `This query is not supported by the sandbox: ${e.message}`, e.offset);
}

/** Errors the engine can hit on any input become KqlErrors (a 400), not a crash: too-deep nesting overflows the
 * stack. Anything else is a sandbox bug and propagates. */
function asKqlError(e: unknown): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message))
    return new KqlError('unsupported', 'A query nested this deeply is not supported by the sandbox');
  return e;
}

/** 'unsupported' messages say where: line and column of the construct. */
function located(query: string, e: unknown): unknown {
  if (!(e instanceof KqlError) || e.kind !== 'unsupported' || e.offset === undefined) return e;
  const before = query.slice(0, e.offset);
  const line = before.split('\n').length;
  const column = e.offset - before.lastIndexOf('\n');
  return new KqlError(e.kind, `${e.message} (line ${line}, column ${column})`, e.offset);
}

function evaluate(query: string, root: KustoNode, ctx: KqlContext): KqlResult {
  const statements = convertQuery(root);
  const window: TimeWindow | undefined = ctx.timeWindow && {
    start: toCanonical(ctx.timeWindow.start, 'timeWindow.start'),
    end: toCanonical(ctx.timeWindow.end, 'timeWindow.end'),
  };
  const env = createEnv({
    now: toCanonical(ctx.now, 'now'),
    tables: ctx.tables,
    lets: new Map(),
    columnCounter: { next: 1 },
    window,
    budget: new Budget(ctx.limits?.maxRows, ctx.limits?.timeMs),
    externalData: ctx.externalData ?? defaultExternalDataReader(),
  });

  let result: { columns: KqlColumn[]; rows(): Row[] } | undefined;
  for (const statement of statements) {
    if (statement.k === 'let') {
      bindLet(statement, env, true);
    } else {
      if (result) {
        throw new KqlError(
          'unsupported',
          'A second query statement is not supported by the sandbox (it runs one tabular statement)',
          statement.pos,
        );
      }
      result = env.compileTabular(statement.body, null);
    }
  }
  if (!result)
    throw new KqlError('semantic', 'The query has no tabular expression to return (only let statements)', query.length);
  // The sandbox compiled the query; Kusto.Language decides whether Defender would accept it (strict typing and
  // name resolution as Kusto applies them), before any row is computed.
  const [problem] = kustoErrors(query, ctx.tables);
  if (problem) throw new KqlError('semantic', problem.message, problem.offset);

  const maxRows = ctx.maxRows ?? DEFAULT_MAX_ROWS;
  const rows = result.rows();
  const truncated = rows.length > maxRows;
  const kept = truncated ? rows.slice(0, Math.max(0, maxRows)) : rows;
  const columns = result.columns.map((c) => ({ name: c.name, type: c.type }));
  return { columns, rows: serializeRows(columns, kept), truncated };
}

/** Copies result rows into fresh objects holding only the result columns, in wire form. The copier is generated
 * as one object literal per result schema: V8 then allocates each copy at full size in one step, which halves the
 * time of `take 100000` over wide tables compared with adding keys one by one (that was GC-bound). Column names
 * enter the generated source only through JSON.stringify. */
function serializeRows(columns: readonly KqlColumn[], rows: readonly Row[]): Row[] {
  const converters = columns.map((c) => outputConverter(c.type));
  const body = columns.map((c, i) => `${JSON.stringify(c.name)}: f[${i}](r[${JSON.stringify(c.name)}])`).join(',\n');
  const copy = new Function('f', 'r', `return {${body}};`) as (f: readonly ((v: unknown) => unknown)[], r: Row) => Row;
  const out = new Array<Row>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = copy(converters, rows[i] as Row);
  return out;
}

/** The wire form of a value: datetimes as 7-digit ISO text, timespans as `d.hh:mm:ss`, '' for empty strings. */
function outputConverter(type: KqlType): (v: unknown) => unknown {
  switch (type) {
    case 'string':
      return (v) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));
    case 'timespan':
      return (v) => (typeof v === 'number' ? formatTimespan(v) : null);
    case 'real':
      return realOutput;
    default:
      return (v) => (v === undefined ? null : v);
  }
}

/** JSON has no NaN or infinities, so they go out as text ('NaN', 'Infinity', '-Infinity'). */
function realOutput(v: unknown): unknown {
  if (typeof v !== 'number') return null;
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}
