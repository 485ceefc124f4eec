// make-series (make-series-operator.md): per group, one array per aggregation with a value for each step of the
// axis from `from` (inclusive) to `to` (exclusive), `default` (0 unless given) where a step has no rows, and the
// axis itself as an array; the output is the `by` columns, the series, then the axis column. Without `from`/`to`
// the axis spans the data.
import { AGGREGATES, type Accumulator, type CompiledAggregate } from './aggregates';
import type { QueryOp } from './ast';
import { addTicks, binDatetime, diffTicks } from './datetime';
import { compileExpr, expressionResultName, semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import { ProjectionBuilder } from './projection';
import type { KqlType } from './types';
import { compositeKey, toDynamic, toReal, toTimespan, type Row } from './values';

type MakeSeriesOp = Extract<QueryOp, { k: 'make-series' }>;

const MAX_STEPS = 100_000;

interface Axis {
  /** Step index of a value, or null when it is null. */
  index(v: unknown, start: unknown): number | null;
  at(start: unknown, i: number): unknown;
  bin(v: unknown): unknown;
  count(start: unknown, end: unknown): number;
}

function axisFor(type: KqlType, step: unknown, stepType: KqlType, scope: Scope, pos: number): Axis {
  if (type === 'datetime') {
    const ticks = toTimespan(step, stepType);
    if (ticks === null || ticks <= 0)
      throw semanticError(scope, 'make-series: the step must be a positive timespan', pos);
    return {
      index: (v, start) => (v === null ? null : Math.floor(diffTicks(v as string, start as string) / ticks)),
      at: (start, i) => addTicks(start as string, i * ticks),
      bin: (v) => binDatetime(v as string, ticks),
      count: (start, end) => Math.ceil(diffTicks(end as string, start as string) / ticks),
    };
  }
  const size = type === 'timespan' ? toTimespan(step, stepType) : toReal(step, stepType);
  if (size === null || !(size > 0)) throw semanticError(scope, 'make-series: the step must be a positive number', pos);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    index: (v, start) => {
      const n = num(v);
      return n === null ? null : Math.floor((n - (start as number)) / size);
    },
    at: (start, i) => (start as number) + i * size,
    bin: (v) => {
      const n = num(v);
      return n === null ? null : Math.floor(n / size) * size;
    },
    count: (start, end) => Math.ceil(((end as number) - (start as number)) / size),
  };
}

export function makeSeries(input: Plan, op: MakeSeriesOp, scope: Scope, env: QueryEnv): Plan {
  const on = compileExpr(op.on, scope, env);
  if (!['datetime', 'long', 'int', 'real', 'timespan'].includes(on.type))
    throw semanticError(scope, `make-series: the axis must be a datetime or a number, not ${on.type}`, op.on.pos);
  const step = compileExpr(op.step, scope, env);
  const from = op.from ? compileExpr(op.from, scope, env) : null;
  const to = op.to ? compileExpr(op.to, scope, env) : null;
  for (const bound of [step, from, to]) {
    if (bound && !bound.constant)
      throw semanticError(scope, 'make-series: from, to and step must be constants', op.pos);
  }
  const axis = axisFor(on.type, step.ev({}), step.type, scope, op.step.pos);
  const builder = new ProjectionBuilder();
  const byColumns = op.by.map((e) => {
    const c = compileExpr(e.k === 'assign' ? e.expr : e, scope, env);
    const name =
      e.k === 'assign' ? e.name : (expressionResultName(e, scope, env, null) ?? `Column${env.columnCounter.next++}`);
    builder.add(name, c.type, c.ev);
    return { name, ev: c.ev };
  });
  const series = op.aggregates.map((a) => {
    if (a.call.k !== 'call') throw semanticError(scope, 'make-series expects an aggregation function call', a.pos);
    const def = AGGREGATES[a.call.name];
    if (!def) throw semanticError(scope, `'${a.call.name}' is not an aggregation function make-series supports`, a.pos);
    const compiled: CompiledAggregate = def.compile(a.call.name, a.call.args, {
      compile: (x) => compileExpr(x, scope, env),
      resultName: (x, d) => expressionResultName(x, scope, env, d),
      inputColumns: input.columns,
      byColumnNames: new Set(),
      fail: (message) => {
        throw semanticError(scope, message, a.pos);
      },
    });
    const output = compiled.outputs[0];
    if (!output) throw semanticError(scope, 'make-series: the aggregation has no result', a.pos);
    const d = a.defaultValue ? compileExpr(a.defaultValue, scope, env) : null;
    const defaultValue = d ? toDynamic(d.ev({}), d.type) : 0;
    const name = builder.add(a.name ?? output.name, 'dynamic', () => null);
    return { name, compiled, defaultValue, type: output.type };
  });
  const axisName = builder.add(expressionResultName(op.on, scope, env, null) ?? 'Column', 'dynamic', () => null, true);
  return {
    columns: builder.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: () => {
      const rows = input.rows();
      let start = from ? from.ev({}) : null;
      let end = to ? to.ev({}) : null;
      if (start === null || end === null) {
        const values = rows.map((r) => on.ev(r)).filter((v) => v !== null && v !== undefined);
        const sorted = [...values].sort((x, y) => (x === y ? 0 : (x as number) < (y as number) ? -1 : 1));
        if (start === null) start = sorted.length ? axis.bin(sorted[0]) : null;
        if (end === null) {
          const last = sorted[sorted.length - 1];
          end = last === undefined || start === null ? null : axis.at(start, (axis.index(last, start) ?? 0) + 1);
        }
      }
      if (start === null || end === null) return [];
      const steps = Math.max(0, axis.count(start, end));
      if (steps > MAX_STEPS) throw semanticError(scope, `make-series: more than ${MAX_STEPS} steps`, op.pos);
      const groups = new Map<string, { keys: unknown[]; cells: Accumulator[][] }>();
      for (const row of rows) {
        const i = axis.index(on.ev(row), start);
        if (i === null || i < 0 || i >= steps) continue;
        const keys = byColumns.map((b) => b.ev(row));
        const key = compositeKey(keys);
        let group = groups.get(key);
        if (!group) {
          group = { keys, cells: series.map(() => new Array<Accumulator>(steps)) };
          groups.set(key, group);
        }
        series.forEach((s, j) => {
          const cells = group.cells[j] as Accumulator[];
          (cells[i] ??= s.compiled.create()).add(row);
        });
      }
      env.budget.spend(groups.size * Math.max(1, steps), op.pos);
      const axisValues = Array.from({ length: steps }, (_, i) => toDynamic(axis.at(start, i), on.type));
      const out: Row[] = [];
      for (const group of groups.values()) {
        const row: Row = {};
        byColumns.forEach((b, i) => (row[b.name] = group.keys[i]));
        series.forEach((s, j) => {
          const cells = group.cells[j] as Accumulator[];
          row[s.name] = Array.from({ length: steps }, (_, i) => {
            const cell = cells[i];
            return cell ? toDynamic(cell.results()[0], s.type) : s.defaultValue;
          });
        });
        row[axisName] = axisValues;
        out.push(row);
      }
      return out;
    },
  };
}
