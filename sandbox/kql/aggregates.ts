// Aggregation functions for `summarize`, with Kusto's result types and column names (count_, dcount_X, set_X, ...).
import type { Expr } from './ast';
import type { Compiled } from './compiled';
import type { KqlColumn, KqlType } from './types';
import { compareNonNull, isNullValue, toBool, toDynamic, toLong, toReal, valueKey, type Row } from './values';

export interface Accumulator {
  add(row: Row): void;
  results(): unknown[];
}

export interface AggregateOutput {
  name: string;
  type: KqlType;
}

export interface CompiledAggregate {
  outputs: AggregateOutput[];
  create(): Accumulator;
}

/** What the summarize compiler lends an aggregate while compiling it. */
export interface AggregateTools {
  compile(expr: Expr): Compiled;
  /** Kusto's GetExpressionResultName(expr, defaultName). */
  resultName(expr: Expr, defaultName: string | null): string | null;
  inputColumns: readonly KqlColumn[];
  byColumnNames: ReadonlySet<string>;
  fail(message: string): never;
}

interface AggregateDefinition {
  minArgs: number;
  maxArgs: number;
  compile(name: string, args: Expr[], tools: AggregateTools): CompiledAggregate;
}

function single(
  prefix: string,
  type: (args: Compiled[], tools: AggregateTools) => KqlType,
  create: (args: Compiled[]) => Accumulator,
): (name: string, args: Expr[], tools: AggregateTools) => CompiledAggregate {
  return (_name, args, tools) => {
    const compiled = args.map((a) => tools.compile(a));
    const first = args[0];
    const outputName = first ? `${prefix}_${tools.resultName(first, null) ?? ''}` : `${prefix}_`;
    return { outputs: [{ name: outputName, type: type(compiled, tools) }], create: () => create(compiled) };
  };
}

function at(args: Compiled[], i: number): Compiled {
  const a = args[i];
  if (!a) throw new Error(`missing aggregate argument ${i}`);
  return a;
}

function predicate(args: Compiled[], i: number): (row: Row) => boolean {
  const ev = at(args, i).ev;
  return (row) => toBool(ev(row)) === true;
}

function constantLimit(args: Compiled[], i: number, fallback: number): number {
  const a = args[i];
  if (!a) return fallback;
  const n = toLong(a.ev({}), a.type);
  return n === null || n <= 0 ? fallback : n;
}

function counter(pred?: (row: Row) => boolean): Accumulator {
  let n = 0;
  return {
    add: (row) => {
      if (!pred || pred(row)) n++;
    },
    results: () => [n],
  };
}

function distinctCounter(value: Compiled, pred?: (row: Row) => boolean): Accumulator {
  const seen = new Set<unknown>();
  const ev = value.ev;
  const type = value.type;
  return {
    add: (row) => {
      if (pred && !pred(row)) return;
      const v = ev(row);
      if (!isNullValue(v, type)) seen.add(valueKey(v));
    },
    results: () => [seen.size],
  };
}

function collector(value: Compiled, distinct: boolean, limit: number, pred?: (row: Row) => boolean): Accumulator {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  const ev = value.ev;
  const type = value.type;
  return {
    add: (row) => {
      if (out.length >= limit || (pred && !pred(row))) return;
      const v = ev(row);
      if (isNullValue(v, type)) return;
      if (distinct) {
        const key = valueKey(v);
        if (seen.has(key)) return;
        seen.add(key);
      }
      out.push(toDynamic(v, type));
    },
    results: () => [out],
  };
}

function extreme(value: Compiled, sign: 1 | -1, pred?: (row: Row) => boolean): Accumulator {
  let best: unknown = null;
  const ev = value.ev;
  const type = value.type;
  return {
    add: (row) => {
      if (pred && !pred(row)) return;
      const v = ev(row);
      if (isNullValue(v, type) || (type === 'string' && v === '')) return;
      if (best === null || sign * compareNonNull(v, best, type) > 0) best = v;
    },
    results: () => [best],
  };
}

function sumType(args: Compiled[], tools: AggregateTools): KqlType {
  const t = at(args, 0).type;
  if (t === 'int' || t === 'long') return 'long';
  if (t === 'real' || t === 'dynamic') return 'real';
  if (t === 'timespan') return 'timespan';
  return tools.fail(`sum(): argument has type '${t}', expected a number or timespan`);
}

function summer(value: Compiled, average: boolean, pred?: (row: Row) => boolean): Accumulator {
  let total = 0;
  let n = 0;
  const ev = value.ev;
  const type = value.type;
  return {
    add: (row) => {
      if (pred && !pred(row)) return;
      const v = toReal(ev(row), type === 'timespan' ? 'long' : type);
      if (v === null || Number.isNaN(v)) return;
      total += v;
      n++;
    },
    results: () => [n === 0 ? null : average ? total / n : total],
  };
}

/** arg_max / arg_min: the row with the extreme first argument, projected to the other arguments (or `*`). */
function argExtreme(prefix: 'max' | 'min', args: Expr[], tools: AggregateTools): CompiledAggregate {
  const primary = args[0] as Expr;
  const primaryCompiled = tools.compile(primary);
  const primaryName = tools.resultName(primary, '') ?? '';
  const anyStar = args.some((a) => a.k === 'star');
  const outputs: AggregateOutput[] = [];
  const evs: Compiled['ev'][] = [];
  const added = new Set<string>();
  args.forEach((a, i) => {
    if (a.k === 'star') {
      for (const c of tools.inputColumns) {
        if (added.has(c.name) || tools.byColumnNames.has(c.name)) continue;
        added.add(c.name);
        outputs.push({ name: c.name, type: c.type });
        evs.push((row) => row[c.name] ?? null);
      }
      return;
    }
    const compiled = i === 0 ? primaryCompiled : tools.compile(a.k === 'assign' ? a.expr : a);
    let name: string;
    if (a.k === 'assign') name = a.name;
    else if (a.k === 'name') name = a.name;
    else name = tools.resultName(a, null) ?? (i === 0 ? `${prefix}_` : `${prefix}_${primaryName}_arg${i}`);
    const source = a.k === 'assign' ? a.expr : a;
    if (i > 0 && anyStar && source.k === 'name' && (added.has(source.name) || tools.byColumnNames.has(source.name)))
      return;
    if (source.k === 'name') added.add(source.name);
    outputs.push({ name, type: compiled.type });
    evs.push(compiled.ev);
  });
  const sign = prefix === 'max' ? 1 : -1;
  return {
    outputs,
    create: () => {
      let bestRow: Row | undefined;
      let best: unknown = null;
      const ev = primaryCompiled.ev;
      const type = primaryCompiled.type;
      return {
        add: (row) => {
          const v = ev(row);
          if (bestRow === undefined) {
            bestRow = row;
            best = v;
            return;
          }
          if (isNullValue(v, type)) return;
          if (isNullValue(best, type) || sign * compareNonNull(v, best, type) > 0) {
            bestRow = row;
            best = v;
          }
        },
        results: () => (bestRow === undefined ? evs.map(() => null) : evs.map((e) => e(bestRow as Row))),
      };
    },
  };
}

function firstWhere(value: Compiled, pred: (row: Row) => boolean): Accumulator {
  let found = false;
  let result: unknown = null;
  return {
    add: (row) => {
      if (found || !pred(row)) return;
      found = true;
      result = value.ev(row);
    },
    results: () => [result],
  };
}

/** take_any / any: one arbitrary (here: the first) row, projected to the arguments. */
function anyRow(prefix: string | null, args: Expr[], tools: AggregateTools): CompiledAggregate {
  const outputs: AggregateOutput[] = [];
  const evs: Compiled['ev'][] = [];
  args.forEach((a, i) => {
    if (a.k === 'star') {
      for (const c of tools.inputColumns) {
        outputs.push({ name: prefix ? `${prefix}_${c.name}` : c.name, type: c.type });
        evs.push((row) => row[c.name] ?? null);
      }
      return;
    }
    const compiled = tools.compile(a.k === 'assign' ? a.expr : a);
    const base = a.k === 'assign' ? a.name : tools.resultName(a, '') || `arg${i}`;
    outputs.push({ name: prefix && a.k !== 'assign' ? `${prefix}_${base}` : base, type: compiled.type });
    evs.push(compiled.ev);
  });
  return {
    outputs,
    create: () => {
      let first: Row | undefined;
      return {
        add: (row) => {
          first ??= row;
        },
        results: () => (first === undefined ? evs.map(() => null) : evs.map((e) => e(first as Row))),
      };
    },
  };
}

const MAX_SET = 1_048_576;

/** percentile/percentiles: the nearest-rank value (Kusto estimates with a t-digest; exact here). */
function percentilesOf(prefix: string, args: Expr[], tools: AggregateTools): CompiledAggregate {
  const [valueExpr, ...rest] = args;
  if (!valueExpr) return tools.fail(`${prefix}(): expects a value`);
  const value = tools.compile(valueExpr);
  const base = tools.resultName(valueExpr, '') ?? '';
  const ps = rest.map((p) => {
    const c = tools.compile(p);
    const n = toReal(c.ev({}), c.type);
    if (!c.constant || n === null || n < 0 || n > 100)
      tools.fail(`${prefix}(): percentiles must be constants from 0 to 100`);
    return n as number;
  });
  const type = value.type === 'int' || value.type === 'dynamic' ? 'real' : value.type;
  return {
    outputs: ps.map((p) => ({ name: `percentile_${base}_${String(p).replace('.', '_')}`, type })),
    create: () => {
      const values: unknown[] = [];
      const ev = value.ev;
      return {
        add: (row) => {
          const v = ev(row);
          if (!isNullValue(v, value.type)) values.push(v);
        },
        results: () => {
          const sorted = [...values].sort((a, b) =>
            compareNonNull(a, b, value.type === 'dynamic' ? 'real' : value.type),
          );
          return ps.map((p) => {
            if (sorted.length === 0) return null;
            const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
            return sorted[Math.min(sorted.length, rank) - 1] ?? null;
          });
        },
      };
    },
  };
}

function spread(value: Compiled, sample: boolean, root: boolean, pred?: (row: Row) => boolean): Accumulator {
  const xs: number[] = [];
  const ev = value.ev;
  const type = value.type;
  return {
    add: (row) => {
      if (pred && !pred(row)) return;
      const v = toReal(ev(row), type);
      if (v !== null && !Number.isNaN(v)) xs.push(v);
    },
    results: () => {
      const n = xs.length;
      if (n === 0 || (sample && n === 1)) return [n === 1 ? 0 : null];
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      const sq = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (sample ? n - 1 : n);
      return [root ? Math.sqrt(sq) : sq];
    },
  };
}

function bagMaker(value: Compiled, pred?: (row: Row) => boolean): Accumulator {
  const bag: Record<string, unknown> = {};
  const ev = value.ev;
  return {
    add: (row) => {
      if (pred && !pred(row)) return;
      const v = ev(row);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, x] of Object.entries(v)) if (!(k in bag)) bag[k] = x;
      }
    },
    results: () => [bag],
  };
}

const AGGREGATE_DEFINITIONS: Record<string, AggregateDefinition> = {
  count: {
    minArgs: 0,
    maxArgs: 0,
    compile: single(
      'count',
      () => 'long',
      () => counter(),
    ),
  },
  countif: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'countif',
      () => 'long',
      (a) => counter(predicate(a, 0)),
    ),
  },
  dcount: {
    minArgs: 1,
    maxArgs: 2,
    compile: single(
      'dcount',
      () => 'long',
      (a) => distinctCounter(at(a, 0)),
    ),
  },
  count_distinct: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'count_distinct',
      () => 'long',
      (a) => distinctCounter(at(a, 0)),
    ),
  },
  dcountif: {
    minArgs: 2,
    maxArgs: 3,
    compile: single(
      'dcountif',
      () => 'long',
      (a) => distinctCounter(at(a, 0), predicate(a, 1)),
    ),
  },
  make_set: {
    minArgs: 1,
    maxArgs: 2,
    compile: single(
      'set',
      () => 'dynamic',
      (a) => collector(at(a, 0), true, constantLimit(a, 1, MAX_SET)),
    ),
  },
  make_set_if: {
    minArgs: 2,
    maxArgs: 3,
    compile: single(
      'set',
      () => 'dynamic',
      (a) => collector(at(a, 0), true, constantLimit(a, 2, MAX_SET), predicate(a, 1)),
    ),
  },
  make_list: {
    minArgs: 1,
    maxArgs: 2,
    compile: single(
      'list',
      () => 'dynamic',
      (a) => collector(at(a, 0), false, constantLimit(a, 1, MAX_SET)),
    ),
  },
  make_list_if: {
    minArgs: 2,
    maxArgs: 3,
    compile: single(
      'list',
      () => 'dynamic',
      (a) => collector(at(a, 0), false, constantLimit(a, 2, MAX_SET), predicate(a, 1)),
    ),
  },
  min: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'min',
      (a) => at(a, 0).type,
      (a) => extreme(at(a, 0), -1),
    ),
  },
  max: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'max',
      (a) => at(a, 0).type,
      (a) => extreme(at(a, 0), 1),
    ),
  },
  minif: {
    minArgs: 2,
    maxArgs: 2,
    compile: single(
      'minif',
      (a) => at(a, 0).type,
      (a) => extreme(at(a, 0), -1, predicate(a, 1)),
    ),
  },
  maxif: {
    minArgs: 2,
    maxArgs: 2,
    compile: single(
      'maxif',
      (a) => at(a, 0).type,
      (a) => extreme(at(a, 0), 1, predicate(a, 1)),
    ),
  },
  sum: { minArgs: 1, maxArgs: 1, compile: single('sum', sumType, (a) => summer(at(a, 0), false)) },
  sumif: { minArgs: 2, maxArgs: 2, compile: single('sumif', sumType, (a) => summer(at(a, 0), false, predicate(a, 1))) },
  avg: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'avg',
      (a, tools) =>
        at(a, 0).type === 'timespan'
          ? 'timespan'
          : isNumericOrDynamic(at(a, 0).type)
            ? 'real'
            : tools.fail('avg(): expects a number'),
      (a) => summer(at(a, 0), true),
    ),
  },
  avgif: {
    minArgs: 2,
    maxArgs: 2,
    compile: single(
      'avgif',
      (a, tools) => (isNumericOrDynamic(at(a, 0).type) ? 'real' : tools.fail('avgif(): expects a number')),
      (a) => summer(at(a, 0), true, predicate(a, 1)),
    ),
  },
  arg_max: { minArgs: 1, maxArgs: 64, compile: (_n, args, tools) => argExtreme('max', args, tools) },
  arg_min: { minArgs: 1, maxArgs: 64, compile: (_n, args, tools) => argExtreme('min', args, tools) },
  take_any: { minArgs: 1, maxArgs: 64, compile: (_n, args, tools) => anyRow(null, args, tools) },
  take_anyif: {
    minArgs: 2,
    maxArgs: 2,
    compile: single(
      'take_anyif',
      (a) => at(a, 0).type,
      (a) => firstWhere(at(a, 0), predicate(a, 1)),
    ),
  },
  anyif: {
    minArgs: 2,
    maxArgs: 2,
    compile: single(
      'anyif',
      (a) => at(a, 0).type,
      (a) => firstWhere(at(a, 0), predicate(a, 1)),
    ),
  },
  count_distinctif: {
    minArgs: 2,
    maxArgs: 2,
    compile: single(
      'count_distinctif',
      () => 'long',
      (a) => distinctCounter(at(a, 0), predicate(a, 1)),
    ),
  },
  percentile: { minArgs: 2, maxArgs: 2, compile: (_n, args, tools) => percentilesOf('percentile', args, tools) },
  percentiles: { minArgs: 2, maxArgs: 64, compile: (_n, args, tools) => percentilesOf('percentiles', args, tools) },
  stdev: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'stdev',
      () => 'real',
      (a) => spread(at(a, 0), true, true),
    ),
  },
  stdevp: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'stdevp',
      () => 'real',
      (a) => spread(at(a, 0), false, true),
    ),
  },
  stdevif: {
    minArgs: 2,
    maxArgs: 2,
    compile: single(
      'stdevif',
      () => 'real',
      (a) => spread(at(a, 0), true, true, predicate(a, 1)),
    ),
  },
  variance: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'variance',
      () => 'real',
      (a) => spread(at(a, 0), true, false),
    ),
  },
  variancep: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'variancep',
      () => 'real',
      (a) => spread(at(a, 0), false, false),
    ),
  },
  make_bag: {
    minArgs: 1,
    maxArgs: 2,
    compile: single(
      'bag',
      () => 'dynamic',
      (a) => bagMaker(at(a, 0)),
    ),
  },
  make_bag_if: {
    minArgs: 2,
    maxArgs: 3,
    compile: single(
      'bag',
      () => 'dynamic',
      (a) => bagMaker(at(a, 0), predicate(a, 1)),
    ),
  },
  make_list_with_nulls: {
    minArgs: 1,
    maxArgs: 1,
    compile: single(
      'list',
      () => 'dynamic',
      (a) => {
        const out: unknown[] = [];
        const v = at(a, 0);
        return { add: (row) => void out.push(toDynamic(v.ev(row), v.type)), results: () => [out] };
      },
    ),
  },
  any: { minArgs: 1, maxArgs: 64, compile: (_n, args, tools) => anyRow('any', args, tools) },
};

/** Supported aggregation functions, with the legacy spellings makeset/makelist still common in public queries. */
export const AGGREGATES: Record<string, AggregateDefinition> = {
  ...AGGREGATE_DEFINITIONS,
  makeset: AGGREGATE_DEFINITIONS['make_set'] as AggregateDefinition,
  makelist: AGGREGATE_DEFINITIONS['make_list'] as AggregateDefinition,
};

function isNumericOrDynamic(t: KqlType): boolean {
  return t === 'int' || t === 'long' || t === 'real' || t === 'dynamic';
}

/** The result-name prefix of a single-output aggregate (for naming nested calls such as `max(count_)`). */
export const AGGREGATE_PREFIXES: Record<string, string> = {
  count: 'count',
  countif: 'countif',
  dcount: 'dcount',
  dcountif: 'dcountif',
  make_set: 'set',
  makeset: 'set',
  make_set_if: 'set',
  make_list: 'list',
  makelist: 'list',
  count_distinct: 'count_distinct',
  minif: 'minif',
  maxif: 'maxif',
  avgif: 'avgif',
  make_list_if: 'list',
  min: 'min',
  max: 'max',
  sum: 'sum',
  sumif: 'sumif',
  avg: 'avg',
  take_anyif: 'take_anyif',
  anyif: 'anyif',
  count_distinctif: 'count_distinctif',
  stdev: 'stdev',
  stdevif: 'stdevif',
  stdevp: 'stdevp',
  variance: 'variance',
  variancep: 'variancep',
  make_bag: 'bag',
  make_bag_if: 'bag',
  make_list_with_nulls: 'list',
};
