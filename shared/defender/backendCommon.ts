// Pieces both backend clients share: their options, and input checks made before anything reaches a URL.
import { InputError } from '../errors';
import type { DefenderHttp } from '../http/defenderHttp';
import type { Logger } from '../logger';

export interface BackendClientOptions {
  http: DefenderHttp;
  huntingTimeoutMs: number;
  logger?: Logger;
}

export function checkQuery(query: unknown): string {
  if (typeof query !== 'string' || query.trim() === '')
    throw new InputError('query', 'query must be a non-empty KQL string');
  return query;
}

/** Legacy ids are longs; Graph ids are digit strings in practice, so only word characters pass (no "/", "..", "?"). */
export function incidentPath(prefix: string, id: unknown, digitsOnly: boolean): string {
  const text = typeof id === 'number' ? String(id) : id;
  if (typeof text !== 'string' || text.trim() === '' || !(digitsOnly ? /^\d+$/ : /^[\w-]+$/).test(text)) {
    throw new InputError(
      'id',
      `incident id '${String(id)}' is not valid${digitsOnly ? ' (a number is expected)' : ''}`,
    );
  }
  return `${prefix}/${encodeURIComponent(text)}`;
}
