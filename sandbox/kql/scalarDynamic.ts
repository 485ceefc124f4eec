// Functions over dynamic arrays and property bags (data-explorer/kusto/query/array-*.md, set-*.md, bag-*.md,
// zip-function.md, gettype-function.md).
import { arg, realArg, type ScalarFunction } from './functionHelpers';
import type { Compiled } from './compiled';
import type { KqlType } from './types';
import { compareNonNull, toDynamic, toKqlString, valueKey, type Row } from './values';

function dyn(a: Compiled): (row: Row) => unknown {
  const ev = a.ev;
  const t = a.type;
  return (row) => toDynamic(ev(row), t);
}

function arrayFunction(
  f: (a: unknown[], row: Row, rest: ((row: Row) => unknown)[]) => unknown,
  min = 1,
  max = 1,
): ScalarFunction {
  return {
    minArgs: min,
    maxArgs: max,
    compile: (args) => {
      const [first, ...rest] = args.map(dyn);
      return {
        type: 'dynamic',
        ev: (row) => {
          const a = first ? first(row) : null;
          return Array.isArray(a) ? f(a, row, rest) : null;
        },
      };
    },
  };
}

/** A function of its arguments' dynamic values (each argument evaluated for the row, then `f` of them all). */
function dynamicFunction(
  type: KqlType,
  minArgs: number,
  maxArgs: number,
  f: (values: unknown[]) => unknown,
): ScalarFunction {
  return {
    minArgs,
    maxArgs,
    compile: (args) => {
      const evs = args.map(dyn);
      return { type, ev: (row) => f(evs.map((ev) => ev(row))) };
    },
  };
}

/** A function of two to 64 arrays: null when any argument is not an array. */
function sets(op: (lists: unknown[][]) => unknown[]): ScalarFunction {
  return dynamicFunction('dynamic', 2, 64, (lists) =>
    lists.every((l) => Array.isArray(l)) ? op(lists as unknown[][]) : null,
  );
}

/** The index of `value` in `list` (-1 when absent), or null when `list` is not an array. */
function indexIn(list: unknown, value: unknown): number | null {
  if (!Array.isArray(list)) return null;
  const key = valueKey(value);
  return list.findIndex((x) => valueKey(x) === key);
}

function distinct(values: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  return values.filter((v) => {
    const k = valueKey(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function isBag(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'dictionary';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'real';
  return 'string';
}

const SORT_NUMBER = (sign: 1 | -1) => (a: unknown, b: unknown) => {
  if (a === null) return 1;
  if (b === null) return -1;
  const type = typeof a === 'number' && typeof b === 'number' ? 'real' : 'string';
  return (
    sign *
    compareNonNull(
      type === 'real' ? a : toKqlString(a, 'dynamic'),
      type === 'real' ? b : toKqlString(b, 'dynamic'),
      type,
    )
  );
};

export const DYNAMIC_FUNCTIONS: Record<string, ScalarFunction> = {
  array_index_of: dynamicFunction('long', 2, 2, ([list, value]) => indexIn(list, value)),
  array_concat: sets((lists) => lists.flat()),
  array_slice: arrayFunction(
    (a, row, [start, end]) => {
      const s = Number(start?.(row) ?? 0);
      const e = Number(end?.(row) ?? a.length - 1);
      const from = s < 0 ? a.length + s : s;
      const to = e < 0 ? a.length + e : e;
      return a.slice(Math.max(0, from), Math.max(0, to + 1));
    },
    3,
    3,
  ),
  array_sort_asc: arrayFunction((a) => [...a].sort(SORT_NUMBER(1)), 1, 2),
  array_sort_desc: arrayFunction((a) => [...a].sort(SORT_NUMBER(-1)), 1, 2),
  array_reverse: arrayFunction((a) => [...a].reverse()),
  array_sum: dynamicFunction('real', 1, 1, ([list]) =>
    Array.isArray(list) ? list.reduce<number>((s, x) => s + (typeof x === 'number' ? x : 0), 0) : null,
  ),
  array_split: arrayFunction(
    (a, row, [at]) => {
      const cuts = [at?.(row)]
        .flat()
        .map(Number)
        .filter((n) => Number.isFinite(n));
      const out: unknown[][] = [];
      let from = 0;
      for (const c of cuts) {
        out.push(a.slice(from, c));
        from = c;
      }
      out.push(a.slice(from));
      return out;
    },
    2,
    2,
  ),
  set_union: sets((lists) => distinct(lists.flat())),
  set_intersect: sets((lists) => {
    const [first = [], ...rest] = lists;
    const keys = rest.map((l) => new Set(l.map(valueKey)));
    return distinct(first.filter((v) => keys.every((k) => k.has(valueKey(v)))));
  }),
  set_difference: sets((lists) => {
    const [first = [], ...rest] = lists;
    const other = new Set(rest.flat().map(valueKey));
    return distinct(first.filter((v) => !other.has(valueKey(v))));
  }),
  set_has_element: dynamicFunction('bool', 2, 2, ([list, value]) => {
    const at = indexIn(list, value);
    return at === null ? null : at >= 0;
  }),
  bag_keys: dynamicFunction('dynamic', 1, 1, ([bag]) => (isBag(bag) ? Object.keys(bag) : null)),
  bag_has_key: dynamicFunction('bool', 2, 2, ([bag, key]) =>
    isBag(bag) ? Object.prototype.hasOwnProperty.call(bag, String(key)) : null,
  ),
  bag_merge: dynamicFunction('dynamic', 2, 64, (bags) => {
    const out: Record<string, unknown> = {};
    for (const bag of bags.filter(isBag)) for (const [k, x] of Object.entries(bag)) if (!(k in out)) out[k] = x;
    return out;
  }),
  bag_remove_keys: dynamicFunction('dynamic', 2, 2, ([bag, drop]) => {
    if (!isBag(bag)) return null;
    const out = { ...bag };
    if (Array.isArray(drop)) for (const k of drop) delete out[String(k)];
    return out;
  }),
  zip: sets((lists) => {
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i] ?? null));
  }),
  gettype: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const a = arg(args, 0);
      const ev = a.ev;
      if (a.type !== 'dynamic') {
        const name = a.type === 'long' ? 'long' : a.type === 'real' ? 'real' : a.type;
        return { type: 'string', ev: (row) => (ev(row) === null ? 'null' : name) };
      }
      return { type: 'string', ev: (row) => typeName(ev(row)) };
    },
  },
  repeat: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const v = dyn(arg(args, 0));
      const n = realArg(fx, 'repeat', arg(args, 1), 1);
      return {
        type: 'dynamic',
        ev: (row) => Array.from({ length: Math.min(10_000, Math.max(0, n(row) ?? 0)) }, () => v(row)),
      };
    },
  },
};
