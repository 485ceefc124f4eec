// Running a named library query for an HTTP caller: the body's shape is checked here, parameter values by the
// library's binder (typed `let` literals), so no caller text ever reaches the query unescaped.
import type { DefenderClient, HuntingColumn } from './defender/types';
import { InputError, NotFoundError } from './errors';
import type { QueryLibrary } from './queries';

export interface NamedQueryResult {
  query: string;
  rowCount: number;
  columns: HuntingColumn[];
  rows: Record<string, unknown>[];
}

const BODY_KEYS = ['params', 'timespan'];

const DURATION = /^P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/i;
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * The Graph `Timespan` forms (a duration, a start time, or an interval of two instants or an instant and a
 * duration). Checked here so a caller's typo is a 400 naming the field, not the API's 400 relayed as a 502.
 */
export function isTimespan(text: string): boolean {
  const instant = (t: string): number | undefined => {
    if (!INSTANT.test(t)) return undefined;
    const ms = Date.parse(/T/i.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? `${t}Z` : t);
    return Number.isNaN(ms) ? undefined : ms;
  };
  const parts = text.split('/');
  if (parts.length === 1) return DURATION.test(text) || instant(text) !== undefined;
  if (parts.length !== 2) return false;
  const [a = '', b = ''] = parts;
  const [ia, ib] = [instant(a), instant(b)];
  if (ia !== undefined && ib !== undefined) return ia <= ib;
  return (DURATION.test(a) && ib !== undefined) || (ia !== undefined && DURATION.test(b));
}

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
  if (body.timespan !== undefined && (typeof body.timespan !== 'string' || !isTimespan(body.timespan))) {
    throw new InputError(
      'timespan',
      'timespan must be an ISO-8601 duration, start time or interval: P7D, 2025-01-01T00:00:00Z, start/end, P7D/end or start/P7D',
    );
  }
  const text = queries.bind(name, params as Record<string, unknown>);
  const result = await defender.runHuntingQuery(text, body.timespan ? { timespan: body.timespan as string } : {});
  return { query: name, rowCount: result.rows.length, columns: result.schema, rows: result.rows };
}
