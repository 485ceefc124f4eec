// Pieces both backend clients share: their options, and input checks made before anything reaches a URL.
import { InputError } from '../errors';
import type { DefenderHttp } from '../http/defenderHttp';
import type { Logger } from '../logger';
import { classificationToWire, determinationToWire, statusToWire } from './enums';
import { buildIncidentQuery, normaliseFilter } from './incidentQuery';
import { readHuntingResult } from './huntingStream';
import { paginate, type ODataPage } from './paging';
import type { ApiBackend, CallOptions, HuntingResult, Incident, IncidentFilter, IncidentUpdate } from './types';

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

/**
 * Runs a hunting POST (a read, so retrying it is safe) and maps the answer to the common result. The body is parsed
 * as it arrives (up to 100,000 rows), never held whole beside its rows.
 */
export async function postHunting(
  o: BackendClientOptions & { backend: ApiBackend; path: string; body: Record<string, string>; signal?: AbortSignal },
): Promise<HuntingResult> {
  const result = await o.http.request<HuntingResult>({
    method: 'POST',
    path: o.path,
    data: o.body,
    family: 'hunting',
    timeoutMs: o.huntingTimeoutMs,
    signal: o.signal,
    readBody: readHuntingResult,
  });
  o.logger?.debug(`[${o.backend}Client] hunting query done`, { rowCount: result.rows.length });
  return result;
}

/** The PATCH fields both APIs take, in each one's spelling. */
export function commonPatchFields(u: IncidentUpdate, backend: ApiBackend): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (u.status) body.status = statusToWire(u.status, backend);
  if (u.assignedTo !== undefined) body.assignedTo = u.assignedTo;
  if (u.classification) body.classification = classificationToWire(u.classification, backend);
  if (u.determination) body.determination = determinationToWire(u.determination, backend);
  return body;
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

export interface IncidentListSpec {
  backend: ApiBackend;
  path: string;
  pageSize: number;
  map: (wire: unknown) => Incident;
}

/**
 * Lists incidents page by page (nextLink when the API sends one, else $skip), applies the part of the filter the
 * backend cannot express server-side, and stops at the filter's limit.
 */
export async function* listIncidentsWith(
  http: DefenderHttp,
  spec: IncidentListSpec,
  filter: IncidentFilter,
  call: CallOptions,
): AsyncIterable<Incident> {
  const f = normaliseFilter(filter);
  if (filter.expandAlerts !== undefined && typeof filter.expandAlerts !== 'boolean')
    throw new InputError('filter.expandAlerts', 'filter.expandAlerts must be true or false');
  const q = buildIncidentQuery(f, spec.backend);
  let yielded = 0;
  const pages = paginate<unknown>({
    path: spec.path,
    // Legacy incidents always carry their alerts; Graph sends them only when expanded.
    params: { $filter: q.filter, $expand: spec.backend === 'graph' && filter.expandAlerts ? 'alerts' : undefined },
    pageSize: spec.pageSize,
    baseURL: http.baseURL,
    idOf: (w) => spec.map(w).id,
    fetchPage: (req) =>
      http.request<ODataPage<unknown>>({ method: 'GET', ...req, family: 'incidents', signal: call.signal }),
  });
  for await (const wire of pages) {
    const incident = spec.map(wire);
    if (!q.matches(incident)) continue;
    yield incident;
    if (f.limit !== undefined && ++yielded >= f.limit) return;
  }
}
