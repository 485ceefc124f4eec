// mv-expand and mv-apply (mv-expand-operator.md, mv-apply-operator.md): arrays and property bags become rows,
// several expressions are expanded in parallel (missing items are null), a null value gives one row and an empty
// array or bag none; `to typeof(T)` casts, `with_itemindex=` numbers the items, `limit` caps rows per input row
// (128 for the legacy `mvexpand`).
import type { MvExpandItem, QueryOp } from './ast';
import { compileExpr, expressionResultName, semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import { ProjectionBuilder } from './projection';
import type { KqlColumn, KqlType } from './types';
import { coerce, toLong, type Row } from './values';

type MvExpandOp = Extract<QueryOp, { k: 'mv-expand' }>;
type MvApplyOp = Extract<QueryOp, { k: 'mv-apply' }>;

interface Expansion {
  name: string;
  type: KqlType;
  ev: (row: Row) => unknown;
}

function expansions(items: MvExpandItem[], scope: Scope, env: QueryEnv, operator: string): Expansion[] {
  return items.map((item) => {
    const c = compileExpr(item.expr, scope, env);
    if (c.type !== 'dynamic' && item.expr.k !== 'name')
      throw semanticError(scope, `${operator} expects a dynamic array or property bag, not ${c.type}`, item.pos);
    const name = item.name ?? expressionResultName(item.expr, scope, env, null) ?? `Column${env.columnCounter.next++}`;
    return { name, type: item.toType ?? 'dynamic', ev: c.ev };
  });
}

/** The items one value expands to. */
function elements(value: unknown, bagAsArray: boolean): unknown[] {
  if (value === null || value === undefined) return [null];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => (bagAsArray ? [k, v] : { [k]: v }));
  return [value];
}

function cast(value: unknown, type: KqlType): unknown {
  if (type === 'dynamic' || value === null || value === undefined) return value ?? null;
  return coerce(value, 'dynamic', type);
}

/** For each input row, its expanded rows: the listed columns replaced by their items. */
function expandRow(
  row: Row,
  exps: readonly Expansion[],
  bagAsArray: boolean,
  limit: number,
  itemIndex: string | null,
): Row[] {
  const lists = exps.map((e) => elements(e.ev(row), bagAsArray));
  const count = Math.min(limit, Math.max(0, ...lists.map((l) => l.length)));
  const out: Row[] = [];
  for (let i = 0; i < count; i++) {
    const o: Row = { ...row };
    exps.forEach((e, j) => {
      o[e.name] = cast((lists[j] as unknown[])[i], e.type);
    });
    if (itemIndex) o[itemIndex] = i;
    out.push(o);
  }
  return out;
}

function outputColumns(input: readonly KqlColumn[], exps: readonly Expansion[], itemIndex: string | null): KqlColumn[] {
  const builder = new ProjectionBuilder();
  for (const c of input) builder.add(c.name, c.type, () => null);
  for (const e of exps) builder.add(e.name, e.type, () => null, true);
  if (itemIndex) builder.add(itemIndex, 'long', () => null, true);
  return builder.columns.map((c) => ({ name: c.name, type: c.type }));
}

export function mvExpand(input: Plan, op: MvExpandOp, scope: Scope, env: QueryEnv): Plan {
  const exps = expansions(op.items, scope, env, 'mv-expand');
  let limit = op.legacy ? 128 : 2_147_483_647;
  if (op.limit) {
    const c = compileExpr(op.limit, scope, env);
    const n = c.constant ? toLong(c.ev({}), c.type) : null;
    if (n === null || n < 0) throw semanticError(scope, 'The row limit must be a constant number', op.limit.pos);
    limit = n;
  }
  return {
    columns: outputColumns(input.columns, exps, op.itemIndex),
    rows: () => {
      const out: Row[] = [];
      for (const row of input.rows()) {
        const rows = expandRow(row, exps, op.bagAsArray, limit, op.itemIndex);
        env.budget.spend(rows.length, op.pos);
        for (const r of rows) out.push(r);
      }
      return out;
    },
  };
}

export function mvApply(input: Plan, op: MvApplyOp, scope: Scope, env: QueryEnv): Plan {
  const exps = expansions(op.items, scope, env, 'mv-apply');
  const subColumns: KqlColumn[] = exps.map((e) => ({ name: e.name, type: e.type }));
  if (op.itemIndex) subColumns.push({ name: op.itemIndex, type: 'long' });
  let current: Row[] = [];
  const lets = new Map(env.lets);
  lets.set('$input', { kind: 'tabular', plan: { columns: subColumns, rows: () => current } });
  const sub = env.scoped(lets).compileTabular(op.subquery, null);
  const subNames = new Set(sub.columns.map((c) => c.name));
  const expanded = new Set(op.items.map((i) => (i.expr.k === 'name' ? i.expr.name : null)));
  const kept = input.columns.filter((c) => !subNames.has(c.name) && !expanded.has(c.name));
  return {
    columns: [...kept, ...sub.columns],
    rows: () => {
      const out: Row[] = [];
      for (const row of input.rows()) {
        current = expandRow(
          {},
          exps.map((e) => ({ ...e, ev: () => e.ev(row) })),
          op.bagAsArray,
          2_147_483_647,
          op.itemIndex,
        );
        const results = sub.rows();
        env.budget.spend(results.length + current.length, op.pos);
        for (const r of results) {
          const o: Row = {};
          for (const c of kept) o[c.name] = row[c.name] ?? null;
          for (const c of sub.columns) o[c.name] = r[c.name] ?? null;
          out.push(o);
        }
      }
      return out;
    },
  };
}
