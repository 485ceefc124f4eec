// hunt: runs a named query from the query library with bound parameters. Parameters are checked at load against
// the query's declaration (names, required, types of literal values) and bound by the library at run time, so
// values reach KQL only as encoded literals. A scheduled run's window (or the step's own timespan) becomes the Graph
// Timespan, or on the legacy API a filter written into the query (shared/queries/huntingRequest.ts).
import { InputError, isAppError } from '../errors';
import type { HuntingColumn } from '../defender/types';
import { huntingRequest } from '../queries/huntingRequest';
import { parseHuntingTimespan } from '../queries/huntingTimespan';
import type { QueryParamType } from '../queries/types';
import { isLiteral, literalValue, type CompiledValue } from '../workflows/expressions';
import { expectObject, isRecord, optionalString } from './common';
import type { ActionModule, LoadCheckContext, Report, StepResult, StepRuntime } from './types';

export interface HuntInput {
  query: string;
  params: Record<string, unknown>;
  timespan: string | undefined;
}

export interface HuntOutput {
  rowCount: number;
  columns: HuntingColumn[];
  rows: Record<string, unknown>[];
}

function entriesOf(v: CompiledValue): Map<string, CompiledValue> {
  return new Map(v.kind === 'object' ? v.entries : []);
}

function check(input: CompiledValue, ctx: LoadCheckContext, report: Report): void {
  const fields = entriesOf(input);
  const timespanField = fields.get('timespan');
  if (timespanField?.kind === 'literal' && typeof timespanField.value === 'string') {
    try {
      parseHuntingTimespan(timespanField.value, new Date());
    } catch (e) {
      if (e instanceof InputError) report('.timespan', e.message);
    }
  }
  const queryField = fields.get('query');
  if (!queryField || queryField.kind !== 'literal' || typeof queryField.value !== 'string') {
    if (queryField) report('.query', 'query must be the literal name of a query in the library (not a template)');
    return;
  }
  const name = queryField.value;
  const def = ctx.queries.get(name);
  if (!def) {
    report('.query', `unknown query '${name}'; the library has: ${ctx.queries.names().join(', ') || '(no queries)'}`);
    return;
  }
  const paramsField = fields.get('params');
  const given = entriesOf(paramsField ?? { kind: 'object', entries: [] });
  const declared = new Map(def.params.map((p) => [p.name, p]));
  for (const key of given.keys()) {
    if (!declared.has(key)) {
      report(
        `.params.${key}`,
        `query '${name}' has no parameter '${key}'; its parameters are: ${def.params.map((p) => p.name).join(', ') || '(none)'}`,
      );
    }
  }
  for (const p of def.params) {
    if (p.required && p.default === undefined && !given.has(p.name))
      report('.params', `missing required parameter '${p.name}' of query '${name}'`);
  }
  // Type-check the literal values with the library's own binder. Parameters given as templates get their example,
  // their default or a plain value of their type, so that only literal values can fail; each failing literal is
  // reported once and dropped, and binding is retried for the rest.
  const sample: Record<string, unknown> = {};
  const literals = new Set<string>();
  for (const p of def.params) {
    const g = given.get(p.name);
    if (g && isLiteral(g)) {
      sample[p.name] = literalValue(g);
      literals.add(p.name);
    } else if (g || p.required) {
      sample[p.name] = p.example ?? p.default ?? SAMPLE_BY_TYPE[p.type];
    }
  }
  for (let attempt = 0; attempt <= literals.size; attempt++) {
    try {
      ctx.queries.bind(name, sample);
      return;
    } catch (e) {
      const param = e instanceof InputError ? /^params\.([^.[]+)/.exec(e.field)?.[1] : undefined;
      if (!param || !literals.has(param) || !(e instanceof InputError)) return;
      report(`.${e.field}`, e.message);
      literals.delete(param);
      const def2 = declared.get(param);
      sample[param] = def2?.example ?? def2?.default ?? (def2 ? SAMPLE_BY_TYPE[def2.type] : undefined);
    }
  }
}

const SAMPLE_BY_TYPE: Record<QueryParamType, unknown> = {
  string: 'x',
  int: 0,
  long: 0,
  real: 0,
  bool: false,
  datetime: '2000-01-01T00:00:00Z',
  timespan: '1h',
  dynamic: [],
};

function parse(value: unknown): HuntInput {
  const obj = expectObject(value, ['query', 'params', 'timespan']);
  const query = optionalString(obj, 'query');
  if (!query) throw new InputError('query', 'query is required');
  const params = obj.params ?? {};
  if (!isRecord(params)) throw new InputError('params', 'params must be an object of parameter values');
  const timespan = optionalString(obj, 'timespan');
  if (timespan !== undefined) parseHuntingTimespan(timespan, new Date()); // the same forms on both APIs
  return { query, params, timespan };
}

async function run(input: HuntInput, rt: StepRuntime): Promise<StepResult> {
  let kql: string;
  try {
    kql = rt.queries.bind(input.query, input.params);
  } catch (e) {
    if (isAppError(e)) throw e;
    throw new InputError('query', `query '${input.query}' could not be bound: ${(e as Error).message}`, { cause: e });
  }
  // Runs closer together than the ingestion delay get an empty window: there is nothing to look at yet.
  if (input.timespan === undefined && rt.window && rt.window.start === rt.window.end) {
    return {
      output: { rowCount: 0, columns: [], rows: [] } satisfies HuntOutput,
      counts: { rows: 0, emptyWindow: 1 },
      changes: [],
    };
  }
  const request = huntingRequest(rt.defender.backend, kql, { timespan: input.timespan, window: rt.window }, new Date());
  const result = await rt.defender.runHuntingQuery(request.query, {
    ...(request.timespan !== undefined ? { timespan: request.timespan } : {}),
    ...(rt.signal ? { signal: rt.signal } : {}),
  });
  const output: HuntOutput = { rowCount: result.rows.length, columns: result.schema, rows: result.rows };
  return { output, counts: { rows: result.rows.length }, changes: [] };
}

export const hunt: ActionModule<HuntInput> = { check, parse, run };
