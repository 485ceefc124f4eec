// DefenderClient over the Microsoft Graph security API (v1.0): runHuntingQuery, /security/incidents and the
// incident comments endpoint (defender-api.md §2).
import { InputError } from '../errors';
import { createAlertsClient } from './alertsClient';
import {
  checkQuery,
  commonPatchFields,
  incidentPath,
  listIncidentsWith,
  postHunting,
  type BackendClientOptions,
} from './backendCommon';
import { severityToWire } from './enums';
import { graphComments, mapGraphIncident } from './mapIncident';
import type { ODataPage } from './paging';
import { applyTagChange, sameTags } from './tags';
import type {
  CallOptions,
  DefenderClient,
  HuntingOptions,
  HuntingResult,
  Incident,
  IncidentFilter,
  IncidentUpdate,
} from './types';
import { validateUpdate } from './validateUpdate';

/** `$top` above 50 is refused on /security/incidents (third-party reports, defender-api.md §2.2). */
export const GRAPH_INCIDENT_PAGE_SIZE = 50;

export function createGraphClient(options: BackendClientOptions): DefenderClient {
  const { http } = options;
  const path = (id: string): string => incidentPath('/security/incidents', id, false);

  async function getIncident(id: string, call: CallOptions = {}): Promise<Incident> {
    const wire = await http.request<unknown>({
      method: 'GET',
      path: path(id),
      params: { $expand: 'alerts' },
      family: 'incidents',
      signal: call.signal,
    });
    return mapGraphIncident(wire);
  }

  async function postComment(id: string, comment: string, call: CallOptions): Promise<Incident['comments']> {
    // Not idempotent: defenderHttp retries it only when the request certainly never reached Graph (429, refused
    // connection). A timeout or 5xx fails instead of risking the same comment twice.
    const res = await http.request<ODataPage<unknown>>({
      method: 'POST',
      path: `${path(id)}/comments`,
      data: { '@odata.type': 'microsoft.graph.security.alertComment', comment },
      family: 'incidents',
      signal: call.signal,
      idempotent: false,
    });
    return graphComments(res?.value);
  }

  return {
    backend: 'graph',
    alerts: createAlertsClient(http),

    async runHuntingQuery(query: string, opts: HuntingOptions = {}): Promise<HuntingResult> {
      const body: Record<string, string> = { Query: checkQuery(query) };
      if (opts.timespan !== undefined) {
        if (typeof opts.timespan !== 'string' || opts.timespan.trim() === '') {
          throw new InputError('timespan', 'timespan must be an ISO-8601 duration or interval, e.g. P7D');
        }
        body.Timespan = opts.timespan;
      }
      return postHunting({
        ...options,
        backend: 'graph',
        path: '/security/runHuntingQuery',
        body,
        signal: opts.signal,
      });
    },

    listIncidents(filter: IncidentFilter = {}, call: CallOptions = {}): AsyncIterable<Incident> {
      return listIncidentsWith(
        http,
        { backend: 'graph', path: '/security/incidents', pageSize: GRAPH_INCIDENT_PAGE_SIZE, map: mapGraphIncident },
        filter,
        call,
      );
    },

    getIncident,

    async updateIncident(id: string, update: IncidentUpdate, call: CallOptions = {}): Promise<Incident> {
      const u = validateUpdate(update, 'graph');
      path(id);
      const body = commonPatchFields(u, 'graph');
      if (u.severity) body.severity = severityToWire(u.severity, 'graph');
      for (const k of ['displayName', 'description', 'summary', 'resolvingComment'] as const) {
        if (u[k] !== undefined) body[k] = u[k];
      }
      let incident: Incident | undefined;
      if (u.tags) {
        // Graph replaces customTags: read the current list so add/remove keep the rest.
        const current = u.tags.replace ? undefined : await getIncident(id, call);
        const tags = applyTagChange(current?.tags ?? [], u.tags);
        if (!current || !sameTags(current.tags, tags) || Object.keys(body).length > 0) body.customTags = tags;
        incident = current;
      }
      if (Object.keys(body).length > 0) {
        // PATCH sets fields to given values, so a retry after a timeout or 5xx is safe.
        const wire = await http.request<unknown>({
          method: 'PATCH',
          path: path(id),
          data: body,
          family: 'incidents',
          signal: call.signal,
        });
        incident = mapGraphIncident(wire);
      }
      if (u.comment !== undefined) {
        const comments = await postComment(id, u.comment, call);
        incident = incident ? { ...incident, comments } : { ...(await getIncident(id, call)), comments };
      }
      return incident ?? getIncident(id, call);
    },

    async addComment(id: string, comment: string, call: CallOptions = {}): Promise<void> {
      if (typeof comment !== 'string' || comment.trim() === '')
        throw new InputError('comment', 'comment must not be empty');
      await postComment(id, comment, call);
    },
  };
}
