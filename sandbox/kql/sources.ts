// Operators that make rows without an input table: datatable, range, and externaldata (answered from local files
// through env.externalData, never from the network; see externalData.ts).
import type { Expr, QueryOp } from './ast';
import { addTicks, diffTicks } from './datetime';
import { compileExpr, semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import { rowsFromText } from './externalData';
import type { KqlColumn, KqlType } from './types';
import { coerce, isNumericType, toReal, toTimespan, type Row } from './values';

const EMPTY_SCOPE = (operator: string): Scope => ({ columns: new Map(), operator });

export function datatable(expr: Extract<Expr, { k: 'datatable' }>, env: QueryEnv): Plan {
  const scope = EMPTY_SCOPE('datatable');
  const width = expr.columns.length;
  if (width === 0 || expr.values.length % width !== 0)
    throw semanticError(
      scope,
      `datatable: ${expr.values.length} values do not fill rows of ${width} columns`,
      expr.pos,
    );
  const values = expr.values.map((v) => {
    const c = compileExpr(v, scope, env);
    if (!c.constant) throw semanticError(scope, 'datatable values must be constants', v.pos);
    return { value: c.ev({}), type: c.type };
  });
  const rows: Row[] = [];
  for (let i = 0; i < values.length; i += width) {
    const row: Row = {};
    expr.columns.forEach((c, j) => {
      const v = values[i + j] as { value: unknown; type: KqlType };
      row[c.name] = v.type === c.type ? v.value : coerce(v.value, v.type, c.type);
    });
    rows.push(row);
  }
  return { columns: expr.columns.map((c) => ({ ...c })), rows: () => rows };
}

export function range(op: Extract<QueryOp, { k: 'range' }>, env: QueryEnv): Plan {
  const scope = EMPTY_SCOPE('range');
  const [from, to, step] = [op.from, op.to, op.step].map((e) => compileExpr(e, scope, env));
  if (!from || !to || !step || !from.constant || !to.constant || !step.constant)
    throw semanticError(scope, 'range: from, to and step must be constants', op.pos);
  const type: KqlType = from.type === 'int' && to.type === 'int' ? 'int' : from.type;
  const column: KqlColumn = {
    name: op.name,
    type: isNumericType(type) && type !== 'int' && type !== 'real' ? 'long' : type,
  };
  return {
    columns: [column],
    rows: () => {
      const out: Row[] = [];
      const push = (v: unknown) => {
        out.push({ [op.name]: v });
        if (out.length % 10_000 === 0) env.budget.spend(10_000, op.pos);
      };
      if (type === 'datetime') {
        const start = from.ev({}) as string | null;
        const end = coerce(to.ev({}), to.type, 'datetime') as string | null;
        const ticks = toTimespan(step.ev({}), step.type);
        if (start === null || end === null || ticks === null || ticks <= 0) return out;
        for (let d: string | null = start; d !== null && diffTicks(d, end) <= 0; d = addTicks(d, ticks)) push(d);
        return out;
      }
      if (type === 'timespan') {
        const start = from.ev({}) as number | null;
        const end = toTimespan(to.ev({}), to.type);
        const ticks = toTimespan(step.ev({}), step.type);
        if (start === null || end === null || ticks === null || ticks <= 0) return out;
        for (let t = start; t <= end; t += ticks) push(t);
        return out;
      }
      const start = toReal(from.ev({}), from.type);
      const end = toReal(to.ev({}), to.type);
      const by = toReal(step.ev({}), step.type);
      if (start === null || end === null || by === null || by === 0) return out;
      if (by > 0) for (let n = start; n <= end; n += by) push(n);
      else for (let n = start; n >= end; n += by) push(n);
      return out;
    },
  };
}

export function externalData(expr: Extract<Expr, { k: 'externaldata' }>, env: QueryEnv): Plan {
  const scope = EMPTY_SCOPE('externaldata');
  const urls = expr.urls.map((u) => {
    const c = compileExpr(u, scope, env);
    if (!c.constant || c.type !== 'string')
      throw semanticError(scope, 'externaldata URLs must be string literals', u.pos);
    return String(c.ev({}));
  });
  const columns = expr.columns.map((c) => ({ ...c }));
  return {
    columns,
    rows: () => {
      const out: Row[] = [];
      for (const url of urls) {
        const text = env.externalData(url);
        const rows = rowsFromText(text, url, columns, expr.format, env.now);
        env.budget.spend(rows.length, expr.pos);
        out.push(...rows);
      }
      return out;
    },
  };
}
