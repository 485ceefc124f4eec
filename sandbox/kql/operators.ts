// Tabular expressions: table scans (with the time window), tabular lets and functions, print, the operators that
// start a query (union, range, datatable, externaldata) and the pipe operators.
import { operatorName, type Expr, type NamePattern, type QueryOp } from './ast';
import type { Evaluator } from './compiled';
import { isCanonicalDatetime, normalizeDatetime, parseTimespanText } from './datetime';
import {
  compileExpr,
  expressionResultName,
  semanticError,
  type LetBinding,
  type Plan,
  type QueryEnv,
  type Scope,
  type TimeWindow,
} from './expressions';
import { invokeOperator, evaluateOperator, tabularCall } from './invoke';
import { search } from './search';
import { join } from './joins';
import { makeSeries } from './makeSeries';
import { memoPlan } from './memo';
import { mvApply, mvExpand } from './mvExpand';
import { parse } from './parseOperator';
import { summarize } from './summarize';
import { assertUsableName, ProjectionBuilder, type ProjectedColumn } from './projection';
import { datatable, externalData, range } from './sources';
import { union } from './union';
import { KqlError, type KqlColumn, type KqlTable, type KqlType } from './types';
import { compareNonNull, compositeKey, isNullValue, toBool, toLong, type Row } from './values';

export { memoPlan };

/** Builds a compile environment whose compileTabular and scoped() close over it. */
export function createEnv(base: Omit<QueryEnv, 'compileTabular' | 'scoped'>): QueryEnv {
  const env: QueryEnv = {
    ...base,
    compileTabular: (expr, nextOperator) => compileTabular(expr, env, nextOperator),
    scoped: (lets: Map<string, LetBinding>) => createEnv({ ...base, lets, callDepth: env.callDepth }),
  };
  return env;
}

/** Reads a table: rows outside the time window (on a datetime `Timestamp` column) are dropped, and stored datetimes
 * (Date or ISO text) and timespans (text) are converted to the engine's representation. Rows that need no
 * conversion are passed through without copying. */
function scanTable(table: KqlTable, window: TimeWindow | undefined): Plan {
  const columns = table.columns.map((c) => ({ name: c.name, type: c.type }));
  for (const c of columns) assertUsableName(c.name);
  const datetimeColumns = columns.filter((c) => c.type === 'datetime').map((c) => c.name);
  const timespanColumns = columns.filter((c) => c.type === 'timespan').map((c) => c.name);
  const filterOn = window && columns.some((c) => c.name === 'Timestamp' && c.type === 'datetime') ? window : undefined;
  return {
    columns,
    rows: () => {
      const out: Row[] = [];
      for (const source of table.rows) {
        let row = source;
        for (const name of datetimeColumns) {
          const v = row[name];
          if (v === null || v === undefined || (typeof v === 'string' && isCanonicalDatetime(v))) continue;
          if (row === source) row = { ...source };
          row[name] = normalizeDatetime(v);
        }
        for (const name of timespanColumns) {
          const v = row[name];
          if (typeof v !== 'string') continue;
          if (row === source) row = { ...source };
          row[name] = parseTimespanText(v);
        }
        if (filterOn) {
          const ts = row['Timestamp'] as string | null | undefined;
          if (ts === null || ts === undefined || ts < filterOn.start || ts > filterOn.end) continue;
        }
        out.push(row);
      }
      return out;
    },
  };
}

export function compileTabular(expr: Expr, env: QueryEnv, nextOperator: string | null): Plan {
  const window: TimeWindow | undefined = env.window;
  switch (expr.k) {
    case 'name': {
      const bound = env.lets.get(expr.name);
      if (bound?.kind === 'tabular') return bound.plan;
      if (bound?.kind === 'function')
        return tabularCall({ k: 'call', pos: expr.pos, name: expr.name, args: [] }, bound, env, nextOperator);
      if (bound?.kind === 'scalar') {
        throw semanticError(
          { columns: new Map(), operator: nextOperator },
          `'${expr.name}' is a scalar value, not a table`,
          expr.pos,
        );
      }
      const table = env.tables.get(expr.name);
      if (!table) {
        throw semanticError(
          { columns: new Map(), operator: nextOperator },
          `Failed to resolve table or column expression named '${expr.name}'`,
          expr.pos,
        );
      }
      return scanTable(table, window);
    }
    case 'paren':
      return compileTabular(expr.expr, env, nextOperator);
    case 'materialize':
      return memoPlan(compileTabular(expr.query, env, nextOperator));
    case 'pipe': {
      const input = compileTabular(expr.input, env, operatorName(expr.op));
      if (expr.op.k === 'union') {
        return union({ plan: input, expr: expr.input }, expr.op, env, scopeOf(input.columns, 'union'));
      }
      return applyOperator(input, expr.op, env);
    }
    case 'print':
      return print(expr.exprs, env);
    case 'source':
      return sourceOperator(expr.op, env);
    case 'datatable':
      return datatable(expr, env);
    case 'externaldata':
      return externalData(expr, env);
    case 'call': {
      const bound = env.lets.get(expr.name);
      if (bound?.kind === 'function') return tabularCall(expr, bound, env, nextOperator);
      return tabularCall(expr, undefined, env, nextOperator);
    }
    default:
      throw new KqlError(
        'semantic',
        'A tabular expression was expected (a table, a tabular let, or a query)',
        expr.pos,
      );
  }
}

function sourceOperator(op: QueryOp, env: QueryEnv): Plan {
  const scope: Scope = { columns: new Map(), operator: operatorName(op) };
  switch (op.k) {
    case 'union':
      return union(null, op, env, scope);
    case 'search':
      return search(null, op, env);
    case 'range':
      return range(op, env);
    case 'evaluate':
      return evaluateOperator(null, op, scope, env);
    default:
      throw new KqlError('unsupported', `The '${operatorName(op)}' operator needs an input here`, op.pos);
  }
}

function scopeOf(columns: readonly KqlColumn[], operator: string): Scope {
  return { columns: new Map(columns.map((c) => [c.name, c.type])), operator };
}

function defaultColumnName(env: QueryEnv, taken: (name: string) => boolean): string {
  let name = `Column${env.columnCounter.next++}`;
  while (taken(name) || env.lets.has(name)) name = `Column${env.columnCounter.next++}`;
  return name;
}

function duplicate(scope: Scope, name: string, pos: number): KqlError {
  return semanticError(scope, `A column with the name '${name}' is already declared.`, pos);
}

function project(rows: Row[], columns: readonly ProjectedColumn[]): Row[] {
  return rows.map((row) => {
    const out: Row = {};
    for (const c of columns) out[c.name] = c.ev(row);
    return out;
  });
}

function columnsOf(builder: ProjectionBuilder): KqlColumn[] {
  return builder.columns.map((c) => ({ name: c.name, type: c.type }));
}

/** Adds the project/distinct/summarize-by style column for one expression. */
function addProjected(builder: ProjectionBuilder, e: Expr, scope: Scope, env: QueryEnv): void {
  if (e.k === 'star') throw semanticError(scope, "'*' is not allowed here", e.pos);
  if (e.k === 'assign') {
    const c = compileExpr(e.expr, scope, env);
    if (!builder.declare(e.name, c.type, c.ev)) throw duplicate(scope, e.name, e.pos);
    return;
  }
  const c = compileExpr(e, scope, env);
  if (e.k === 'name') {
    if (!builder.declare(e.name, c.type, c.ev)) throw duplicate(scope, e.name, e.pos);
    return;
  }
  const name = expressionResultName(e, scope, env, null) ?? defaultColumnName(env, (n) => builder.has(n));
  builder.add(name, c.type, c.ev);
}

function matcher(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (name) => name === pattern;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (name) => regex.test(name);
}

function matchColumns(columns: readonly KqlColumn[], patterns: NamePattern[], scope: Scope): Set<string> {
  const selected = new Set<string>();
  for (const p of patterns) {
    const matches = columns.filter((c) => matcher(p.pattern)(c.name));
    if (matches.length === 0 && !p.pattern.includes('*')) {
      throw semanticError(scope, `Failed to resolve scalar expression named '${p.pattern}'`, p.pos);
    }
    for (const c of matches) selected.add(c.name);
  }
  return selected;
}

function constantCount(e: Expr, scope: Scope, env: QueryEnv): number {
  const c = compileExpr(e, scope, env);
  const n = c.constant ? toLong(c.ev({}), c.type) : null;
  if (n === null) throw semanticError(scope, 'The row count must be a constant number', e.pos);
  return Math.max(0, n);
}

interface SortKey {
  ev: Evaluator;
  type: KqlType;
  desc: boolean;
  nullsFirst: boolean;
}

function sortKey(e: Expr, scope: Scope, env: QueryEnv): SortKey {
  const inner = e.k === 'ordered' ? e.expr : e;
  const desc = e.k === 'ordered' ? (e.desc ?? true) : true; // Kusto sorts descending unless told otherwise
  const nullsFirst = e.k === 'ordered' && e.nullsFirst !== undefined ? e.nullsFirst : !desc;
  const c = compileExpr(inner, scope, env);
  return { ev: c.ev, type: c.type, desc, nullsFirst };
}

function sortRows(rows: Row[], keys: SortKey[]): Row[] {
  const decorated = rows.map((row) => ({ row, values: keys.map((k) => k.ev(row)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as SortKey;
      const x = a.values[i];
      const y = b.values[i];
      const xNull = isNullValue(x, k.type);
      const yNull = isNullValue(y, k.type);
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        return xNull === k.nullsFirst ? -1 : 1;
      }
      const c = compareNonNull(x, y, k.type);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
  return decorated.map((d) => d.row);
}

function applyOperator(input: Plan, op: QueryOp, env: QueryEnv): Plan {
  const scope = scopeOf(input.columns, operatorName(op));
  switch (op.k) {
    case 'where': {
      const c = compileExpr(op.condition, scope, env);
      if (c.type !== 'bool' && c.type !== 'dynamic') {
        throw semanticError(scope, `The filter expression must be of type bool, not ${c.type}`, op.condition.pos);
      }
      const ev = c.ev;
      return { columns: input.columns, rows: () => input.rows().filter((row) => toBool(ev(row)) === true) };
    }
    case 'project': {
      const builder = new ProjectionBuilder();
      for (const e of op.exprs) addProjected(builder, e, scope, env);
      return { columns: columnsOf(builder), rows: () => project(input.rows(), builder.columns) };
    }
    case 'extend':
      return extend(input, op.exprs, scope, env);
    case 'project-away': {
      const away = matchColumns(input.columns, op.names, scope);
      const columns = input.columns.filter((c) => !away.has(c.name));
      return {
        columns,
        rows: () =>
          project(
            input.rows(),
            columns.map((c) => ({ ...c, ev: (row: Row) => row[c.name] })),
          ),
      };
    }
    case 'project-reorder': {
      const first = [...matchColumns(input.columns, op.names, scope)];
      const columns = [
        ...first.map((n) => input.columns.find((c) => c.name === n) as KqlColumn),
        ...input.columns.filter((c) => !first.includes(c.name)),
      ];
      return {
        columns,
        rows: () =>
          project(
            input.rows(),
            columns.map((c) => ({ ...c, ev: (row: Row) => row[c.name] })),
          ),
      };
    }
    case 'project-rename': {
      const renames = new Map<string, string>();
      for (const r of op.renames) {
        if (!scope.columns.has(r.from))
          throw semanticError(scope, `Failed to resolve scalar expression named '${r.from}'`, r.pos);
        assertUsableName(r.to);
        renames.set(r.from, r.to);
      }
      const targets = new Set(renames.values());
      const projected = input.columns
        .filter((c) => renames.has(c.name) || !targets.has(c.name))
        .map((c) => ({ name: renames.get(c.name) ?? c.name, type: c.type, ev: (row: Row) => row[c.name] }));
      return {
        columns: projected.map(({ name, type }) => ({ name, type })),
        rows: () => project(input.rows(), projected),
      };
    }
    case 'summarize':
      return summarize(input, op.aggregates, op.by, scope, env);
    case 'sort': {
      const keys = op.keys.map((k) => sortKey(k, scope, env));
      return { columns: input.columns, rows: () => sortRows(input.rows(), keys) };
    }
    case 'take': {
      const n = constantCount(op.count, scope, env);
      return { columns: input.columns, rows: () => input.rows().slice(0, n) };
    }
    case 'top': {
      const n = constantCount(op.count, scope, env);
      const key = sortKey(op.key, scope, env);
      return { columns: input.columns, rows: () => sortRows(input.rows(), [key]).slice(0, n) };
    }
    case 'distinct': {
      const builder = new ProjectionBuilder();
      if (op.exprs.length === 1 && op.exprs[0]?.k === 'star') {
        for (const c of input.columns) builder.add(c.name, c.type, (row) => row[c.name] ?? null);
      } else {
        for (const e of op.exprs) addProjected(builder, e, scope, env);
      }
      return {
        columns: columnsOf(builder),
        rows: () => {
          const seen = new Set<string>();
          const out: Row[] = [];
          for (const row of project(input.rows(), builder.columns)) {
            const key = compositeKey(builder.columns.map((c) => row[c.name]));
            if (seen.has(key)) continue;
            seen.add(key);
            out.push(row);
          }
          return out;
        },
      };
    }
    case 'count': {
      const name = op.as ?? 'Count';
      return { columns: [{ name, type: 'long' }], rows: () => [{ [name]: input.rows().length }] };
    }
    case 'join':
    case 'lookup':
      return join(input, op, env, scope);
    case 'union':
      return union({ plan: input, expr: { k: 'name', pos: op.pos, name: 'union_arg0' } }, op, env, scope);
    case 'search':
      return search(input, op, env);
    case 'render':
    case 'as':
      return input;
    case 'serialize':
      return op.exprs.length ? extend(input, op.exprs, scope, env) : input;
    case 'project-keep': {
      const keep = matchColumns(input.columns, op.names, scope);
      const columns = input.columns.filter((c) => keep.has(c.name));
      return {
        columns,
        rows: () =>
          project(
            input.rows(),
            columns.map((c) => ({ ...c, ev: (row: Row) => row[c.name] })),
          ),
      };
    }
    case 'sample': {
      const n = constantCount(op.count, scope, env);
      return { columns: input.columns, rows: () => input.rows().slice(0, n) };
    }
    case 'getschema':
      return getschema(input);
    case 'mv-expand':
      return mvExpand(input, op, scope, env);
    case 'mv-apply':
      return mvApply(input, op, scope, env);
    case 'make-series':
      return makeSeries(input, op, scope, env);
    case 'parse':
      return parse(input, op, scope, env);
    case 'invoke':
      return invokeOperator(input, op, scope, env);
    case 'evaluate':
      return evaluateOperator(input, op, scope, env);
    case 'range':
    case 'top-nested':
      throw new KqlError(
        'unsupported',
        `The '${operatorName(op)}' operator is not supported by the sandbox here`,
        op.pos,
      );
  }
}

const DOTNET_TYPES: Record<KqlType, string> = {
  string: 'System.String',
  long: 'System.Int64',
  int: 'System.Int32',
  real: 'System.Double',
  bool: 'System.SByte',
  datetime: 'System.DateTime',
  timespan: 'System.TimeSpan',
  dynamic: 'System.Object',
  guid: 'System.Guid',
};

function getschema(input: Plan): Plan {
  const rows = input.columns.map((c, i) => ({
    ColumnName: c.name,
    ColumnOrdinal: i,
    DataType: DOTNET_TYPES[c.type],
    ColumnType: c.type,
  }));
  return {
    columns: [
      { name: 'ColumnName', type: 'string' },
      { name: 'ColumnOrdinal', type: 'int' },
      { name: 'DataType', type: 'string' },
      { name: 'ColumnType', type: 'string' },
    ],
    rows: () => rows,
  };
}

function extend(input: Plan, exprs: Expr[], scope: Scope, env: QueryEnv): Plan {
  const builder = new ProjectionBuilder();
  for (const c of input.columns) builder.add(c.name, c.type, (row) => row[c.name]);
  // Later expressions of one extend may use columns defined by earlier ones.
  const columns = new Map(scope.columns);
  const innerScope: Scope = { columns, operator: scope.operator };
  const steps: { name: string; ev: Evaluator }[] = [];
  for (const e of exprs) {
    if (e.k === 'star') throw semanticError(scope, "'*' is not allowed here", e.pos);
    let name: string;
    let compiled;
    if (e.k === 'assign') {
      compiled = compileExpr(e.expr, innerScope, env);
      if (!builder.declare(e.name, compiled.type, compiled.ev, true)) throw duplicate(scope, e.name, e.pos);
      name = e.name;
    } else {
      compiled = compileExpr(e, innerScope, env);
      const base = expressionResultName(e, innerScope, env, null) ?? defaultColumnName(env, (n) => builder.has(n));
      name = builder.add(base, compiled.type, compiled.ev, e.k !== 'name');
    }
    columns.set(name, compiled.type);
    steps.push({ name, ev: compiled.ev });
  }
  return {
    columns: columnsOf(builder),
    rows: () =>
      input.rows().map((row) => {
        const out: Row = { ...row };
        for (const s of steps) out[s.name] = s.ev(out);
        return out;
      }),
  };
}

function print(exprs: Expr[], env: QueryEnv): Plan {
  const scope: Scope = { columns: new Map(), operator: 'print' };
  const builder = new ProjectionBuilder();
  exprs.forEach((e, i) => {
    if (e.k === 'assign') {
      const c = compileExpr(e.expr, scope, env);
      if (!builder.declare(e.name, c.type, c.ev)) throw duplicate(scope, e.name, e.pos);
      return;
    }
    const c = compileExpr(e, scope, env);
    builder.add(expressionResultName(e, scope, env, null) ?? `print_${i}`, c.type, c.ev);
  });
  return { columns: columnsOf(builder), rows: () => project([{}], builder.columns) };
}
