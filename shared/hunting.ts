// Running a named library query for an HTTP caller: the body's shape is checked here, parameter values by the
// library's binder (typed `let` literals), so no caller text ever reaches the query unescaped.
import type { DefenderClient, HuntingColumn } from './defender/types';
import { InputError } from './errors';
import type { QueryLibrary } from './queries';

export interface NamedQueryResult {
  query: string;
  rowCount: number;
  columns: HuntingColumn[];
  rows: Record<string, unknown>[];
}

const BODY_KEYS = ['params', 'timespan'];

export async function runNamedQuery(
  defender: DefenderClient,
  queries: QueryLibrary,
  name: string,
  body: Record<string, unknown>,
): Promise<NamedQueryResult> {
  if (!queries.get(name)) {
    throw new InputError('query', `Unknown query '${name}'; available: ${queries.names().join(', ')}`);
  }
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.includes(key)) throw new InputError(key, `Unknown field '${key}'; allowed: ${BODY_KEYS.join(', ')}`);
  }
  const params = body.params ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new InputError('params', 'params must be an object of parameter values');
  }
  if (
    body.timespan !== undefined &&
    (typeof body.timespan !== 'string' || !/^[0-9PTDHMSZ:.\-/W]{2,64}$/i.test(body.timespan))
  ) {
    throw new InputError('timespan', 'timespan must be an ISO-8601 duration or interval, e.g. P7D');
  }
  const text = queries.bind(name, params as Record<string, unknown>);
  const result = await defender.runHuntingQuery(text, body.timespan ? { timespan: body.timespan as string } : {});
  return { query: name, rowCount: result.rows.length, columns: result.schema, rows: result.rows };
}
