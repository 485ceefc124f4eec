// summarize (summarize-operator.md): group by the `by` expressions and aggregate. An aggregate may be named
// (`n = count()`), give several columns names (`(t, f) = arg_max(Timestamp, FileName)`; `x = arg_max(...)` names the
// first), or sit inside a scalar expression (`tostring(make_set(x))`, `round(100.0 * countif(p) / count(), 1)`):
// each aggregate inside is computed per group, then the expression over the results.
import { AGGREGATES, type Accumulator, type CompiledAggregate } from './aggregates';
import type { Expr } from './ast';
import type { Evaluator } from './compiled';
import { compileExpr, expressionResultName, semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import { isKnownKustoAggregate, isKnownKustoFunction } from './kustoParser';
import { ProjectionBuilder } from './projection';
import { KqlError, type KqlColumn, type KqlType } from './types';
import { compositeKey, valueKey, type Row } from './values';

type Call = Extract<Expr, { k: 'call' }>;

/** One computed aggregate: its accumulator factory and where its results go in the group row. */
interface AggregateSlot {
  compiled: CompiledAggregate;
  names: string[];
}

/** An output column computed from aggregate results (a scalar wrapped around aggregates). */
interface Wrapper {
  name: string;
  ev: Evaluator;
}

function unsupportedAggregate(call: Call, scope: Scope): KqlError {
  if (isKnownKustoAggregate(call.name)) {
    return new KqlError(
      'unsupported',
      `The '${call.name}' aggregation function is not supported by the sandbox (supported: ${Object.keys(AGGREGATES).sort().join(', ')})`,
      call.pos,
    );
  }
  const what = isKnownKustoFunction(call.name)
    ? `'${call.name}' is not an aggregation function`
    : `Unknown function: '${call.name}'.`;
  return semanticError(scope, what, call.pos);
}

function aggregateCall(e: Expr): Call | null {
  return e.k === 'call' && (AGGREGATES[e.name] !== undefined || isKnownKustoAggregate(e.name)) ? e : null;
}

/** Replaces every aggregate call inside `e` by a reference to a hidden column, collecting the calls. */
function extractAggregates(e: Expr, found: { call: Call; name: string }[], counter: { n: number }): Expr {
  const call = aggregateCall(e);
  if (call) {
    const name = `\u0001agg${counter.n++}`;
    found.push({ call, name });
    return { k: 'name', pos: e.pos, name };
  }
  const sub = (x: Expr) => extractAggregates(x, found, counter);
  switch (e.k) {
    case 'binary':
      return { ...e, left: sub(e.left), right: sub(e.right) };
    case 'strop':
      return { ...e, left: sub(e.left), right: sub(e.right) };
    case 'list':
      return { ...e, left: sub(e.left), items: e.items.map(sub) };
    case 'between':
      return { ...e, left: sub(e.left), low: sub(e.low), high: sub(e.high) };
    case 'unary':
      return { ...e, operand: sub(e.operand) };
    case 'call':
      return { ...e, args: e.args.map(sub) };
    case 'member':
      return { ...e, target: sub(e.target) };
    case 'index':
      return { ...e, target: sub(e.target), index: sub(e.index) };
    case 'paren':
      return { ...e, expr: sub(e.expr) };
    default:
      return e;
  }
}

export function summarize(input: Plan, aggregateExprs: Expr[], byExprs: Expr[], scope: Scope, env: QueryEnv): Plan {
  const builder = new ProjectionBuilder();
  for (const e of byExprs) addByColumn(builder, e, scope, env);
  const byColumns = [...builder.columns];
  const byNames = new Set(byColumns.map((c) => c.name));
  const slots: AggregateSlot[] = [];
  const wrappers: Wrapper[] = [];
  const noValue: Evaluator = () => null;
  const counter = { n: 0 };

  const compileAggregate = (call: Call): CompiledAggregate => {
    const def = AGGREGATES[call.name];
    if (!def) throw unsupportedAggregate(call, scope);
    if (call.args.length < def.minArgs || call.args.length > def.maxArgs)
      throw semanticError(scope, `${call.name}(): wrong number of arguments (${call.args.length})`, call.pos);
    return def.compile(call.name, call.args, {
      compile: (x) => compileExpr(x, scope, env),
      resultName: (x, d) => expressionResultName(x, scope, env, d),
      inputColumns: input.columns,
      byColumnNames: byNames,
      fail: (message) => {
        throw semanticError(scope, message, call.pos);
      },
    });
  };

  for (const e of aggregateExprs) {
    const body = e.k === 'assign' || e.k === 'assignMany' ? e.expr : e;
    const direct = aggregateCall(body);
    if (direct) {
      const compiled = compileAggregate(direct);
      const outputs = compiled.outputs;
      let names: string[];
      if (e.k === 'assign' || e.k === 'assignMany') {
        const given = e.k === 'assign' ? [e.name] : e.names;
        if (given.length > outputs.length)
          throw semanticError(
            scope,
            `'${direct.name}' returns ${outputs.length} column(s), ${given.length} names given`,
            e.pos,
          );
        names = outputs.map((o, i) => {
          const name = given[i];
          if (name === undefined) return builder.add(o.name, o.type, noValue);
          if (!builder.declare(name, o.type, noValue))
            throw semanticError(scope, `A column with the name '${name}' is already declared.`, e.pos);
          return name;
        });
      } else {
        names = outputs.map((o) => builder.add(o.name, o.type, noValue));
      }
      slots.push({ compiled, names });
      continue;
    }
    if (e.k === 'assignMany')
      throw semanticError(scope, 'Several names need an aggregation with several results', e.pos);
    // A scalar expression over aggregates.
    const found: { call: Call; name: string }[] = [];
    const rewritten = extractAggregates(body, found, counter);
    if (found.length === 0) {
      if (body.k === 'call') throw unsupportedAggregate(body, scope);
      throw semanticError(scope, 'Expected an aggregation function call', body.pos);
    }
    const hidden = new Map<string, KqlType>(byColumns.map((c) => [c.name, c.type]));
    for (const f of found) {
      const compiled = compileAggregate(f.call);
      const output = compiled.outputs[0];
      if (!output || compiled.outputs.length !== 1)
        throw semanticError(scope, `'${f.call.name}' cannot be used inside an expression here`, f.call.pos);
      hidden.set(f.name, output.type);
      slots.push({ compiled, names: [f.name] });
    }
    const c = compileExpr(rewritten, { columns: hidden, operator: scope.operator }, env);
    let name: string;
    if (e.k === 'assign') {
      if (!builder.declare(e.name, c.type, noValue))
        throw semanticError(scope, `A column with the name '${e.name}' is already declared.`, e.pos);
      name = e.name;
    } else {
      const base = expressionResultName(body, scope, env, null) ?? `Column${env.columnCounter.next++}`;
      name = builder.add(base, c.type, noValue);
    }
    wrappers.push({ name, ev: c.ev });
  }

  const byEvs = byColumns.map((c) => c.ev);
  const byList = byColumns.map((c) => c.name);
  const columns: KqlColumn[] = builder.columns.map((c) => ({ name: c.name, type: c.type }));
  return {
    columns,
    rows: () => {
      const groups = new Map<unknown, { keys: unknown[]; accumulators: Accumulator[] }>();
      const start = () => slots.map((a) => a.compiled.create());
      const inputRows = input.rows();
      env.budget.spend(inputRows.length);
      for (const row of inputRows) {
        const keys = byEvs.map((ev) => ev(row));
        const key = keys.length === 1 ? valueKey(keys[0]) : compositeKey(keys);
        let group = groups.get(key);
        if (!group) {
          group = { keys, accumulators: start() };
          groups.set(key, group);
        }
        for (const acc of group.accumulators) acc.add(row);
      }
      // Without `by`, summarize always yields one row (count() of nothing is 0).
      if (groups.size === 0 && byEvs.length === 0) groups.set('', { keys: [], accumulators: start() });
      const out: Row[] = [];
      for (const { keys, accumulators } of groups.values()) {
        const row: Row = {};
        byList.forEach((name, i) => (row[name] = keys[i]));
        slots.forEach((a, i) => {
          const results = (accumulators[i] as Accumulator).results();
          a.names.forEach((name, j) => (row[name] = results[j]));
        });
        for (const w of wrappers) row[w.name] = w.ev(row);
        const visible: Row = {};
        for (const c of columns) visible[c.name] = row[c.name];
        out.push(visible);
      }
      return out;
    },
  };
}

function addByColumn(builder: ProjectionBuilder, e: Expr, scope: Scope, env: QueryEnv): void {
  if (e.k === 'star') throw semanticError(scope, "'*' is not allowed here", e.pos);
  const target = e.k === 'assign' ? e.expr : e;
  const c = compileExpr(target, scope, env);
  if (e.k === 'assign' || e.k === 'name') {
    const name = e.name;
    if (!builder.declare(name, c.type, c.ev))
      throw semanticError(scope, `A column with the name '${name}' is already declared.`, e.pos);
    return;
  }
  let name = expressionResultName(e, scope, env, null);
  if (name === null) {
    name = `Column${env.columnCounter.next++}`;
    while (builder.has(name) || env.lets.has(name)) name = `Column${env.columnCounter.next++}`;
  }
  builder.add(name, c.type, c.ev);
}
