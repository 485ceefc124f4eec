// Running a named library query for an HTTP caller: the body's shape is checked here, parameter values by the
// library's binder (typed `let` literals), so no caller text ever reaches the query unescaped; the timespan is
// parsed into instants and re-encoded, never spliced.
import type { DefenderClient, HuntingColumn } from './defender/types';
import { InputError, NotFoundError } from './errors';
import type { QueryLibrary } from './queries';
import { huntingRequest } from './queries/huntingRequest';

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
    throw new NotFoundError('query', `Unknown query '${name}'; available: ${queries.names().join(', ')}`);
  }
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.includes(key)) throw new InputError(key, `Unknown field '${key}'; allowed: ${BODY_KEYS.join(', ')}`);
  }
  const params = body.params ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new InputError('params', 'params must be an object of parameter values');
  }
  if (body.timespan !== undefined && typeof body.timespan !== 'string') {
    throw new InputError(
      'timespan',
      'timespan must be a string: P7D, 2025-01-01T00:00:00Z, start/end, P7D/end or start/P7D',
    );
  }
  const text = queries.bind(name, params as Record<string, unknown>);
  // Graph gets the Timespan; the legacy API gets the same window written into the query.
  const request = huntingRequest(defender.backend, text, { timespan: body.timespan }, new Date());
  const result = await defender.runHuntingQuery(
    request.query,
    request.timespan !== undefined ? { timespan: request.timespan } : {},
  );
  return { query: name, rowCount: result.rows.length, columns: result.schema, rows: result.rows };
}
