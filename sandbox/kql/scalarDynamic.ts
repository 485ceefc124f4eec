// Functions over dynamic arrays and property bags (data-explorer/kusto/query/array-*.md, set-*.md, bag-*.md,
// zip-function.md, gettype-function.md).
import { arg, realArg, type ScalarFunction } from './functionHelpers';
import type { Compiled } from './compiled';
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

function sets(op: (lists: unknown[][]) => unknown[]): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 64,
    compile: (args) => {
      const evs = args.map(dyn);
      return {
        type: 'dynamic',
        ev: (row) => {
          const lists = evs.map((ev) => ev(row));
          if (lists.some((l) => !Array.isArray(l))) return null;
          return op(lists as unknown[][]);
        },
      };
    },
  };
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
  array_index_of: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const [a, v] = args.map(dyn) as [(r: Row) => unknown, (r: Row) => unknown];
      return {
        type: 'long',
        ev: (row) => {
          const list = a(row);
          if (!Array.isArray(list)) return null;
          const key = valueKey(v(row));
          return list.findIndex((x) => valueKey(x) === key);
        },
      };
    },
  },
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
  array_sum: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const a = dyn(arg(args, 0));
      return {
        type: 'real',
        ev: (row) => {
          const list = a(row);
          return Array.isArray(list) ? list.reduce<number>((s, x) => s + (typeof x === 'number' ? x : 0), 0) : null;
        },
      };
    },
  },
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
  set_has_element: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const [a, v] = args.map(dyn) as [(r: Row) => unknown, (r: Row) => unknown];
      return {
        type: 'bool',
        ev: (row) => {
          const list = a(row);
          if (!Array.isArray(list)) return null;
          const key = valueKey(v(row));
          return list.some((x) => valueKey(x) === key);
        },
      };
    },
  },
  bag_keys: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const a = dyn(arg(args, 0));
      return {
        type: 'dynamic',
        ev: (row) => {
          const v = a(row);
          return isBag(v) ? Object.keys(v) : null;
        },
      };
    },
  },
  bag_has_key: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const [a, k] = args.map(dyn) as [(r: Row) => unknown, (r: Row) => unknown];
      return {
        type: 'bool',
        ev: (row) => {
          const v = a(row);
          return isBag(v) ? Object.prototype.hasOwnProperty.call(v, String(k(row))) : null;
        },
      };
    },
  },
  bag_merge: {
    minArgs: 2,
    maxArgs: 64,
    compile: (args) => {
      const evs = args.map(dyn);
      return {
        type: 'dynamic',
        ev: (row) => {
          const out: Record<string, unknown> = {};
          for (const ev of evs) {
            const v = ev(row);
            if (!isBag(v)) continue;
            for (const [k, x] of Object.entries(v)) if (!(k in out)) out[k] = x;
          }
          return out;
        },
      };
    },
  },
  bag_remove_keys: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const [a, keys] = args.map(dyn) as [(r: Row) => unknown, (r: Row) => unknown];
      return {
        type: 'dynamic',
        ev: (row) => {
          const v = a(row);
          const drop = keys(row);
          if (!isBag(v)) return null;
          const out = { ...v };
          if (Array.isArray(drop)) for (const k of drop) delete out[String(k)];
          return out;
        },
      };
    },
  },
  zip: {
    minArgs: 2,
    maxArgs: 64,
    compile: (args) => {
      const evs = args.map(dyn);
      return {
        type: 'dynamic',
        ev: (row) => {
          const lists = evs.map((ev) => ev(row));
          if (lists.some((l) => !Array.isArray(l))) return null;
          const n = Math.max(...lists.map((l) => (l as unknown[]).length));
          return Array.from({ length: n }, (_, i) => lists.map((l) => (l as unknown[])[i] ?? null));
        },
      };
    },
  },
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
