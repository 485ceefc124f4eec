// DefenderClient over the legacy Defender XDR API (api.security.microsoft.com, retiring 2027-02-01):
// /api/advancedhunting/run and /api/incidents (defender-api.md §1).
import { InputError } from '../errors';
import {
  checkQuery,
  commonPatchFields,
  incidentPath,
  listIncidentsWith,
  postHunting,
  type BackendClientOptions,
} from './backendCommon';
import { mapLegacyIncident } from './mapIncident';
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

/** `$top` is capped at 100 on /api/incidents (api-list-incidents.md). */
export const LEGACY_INCIDENT_PAGE_SIZE = 100;

export function createLegacyClient(options: BackendClientOptions): DefenderClient {
  const { http } = options;
  // incidentId is a long on this API.
  const path = (id: string): string => incidentPath('/api/incidents', id, true);

  async function getIncident(id: string, call: CallOptions = {}): Promise<Incident> {
    const wire = await http.request<unknown>({
      method: 'GET',
      path: path(id),
      family: 'incidents',
      signal: call.signal,
    });
    return mapLegacyIncident(wire);
  }

  async function patch(id: string, body: Record<string, unknown>, call: CallOptions): Promise<Incident> {
    const wire = await http.request<unknown>({
      method: 'PATCH',
      path: path(id),
      data: body,
      family: 'incidents',
      signal: call.signal,
      // A PATCH that only sets fields is safe to repeat; one carrying `comment` appends to comments[] each time,
      // so it retries only when the request certainly never reached the API.
      idempotent: body.comment === undefined,
    });
    return mapLegacyIncident(wire);
  }

  return {
    backend: 'legacy',

    async runHuntingQuery(query: string, opts: HuntingOptions = {}): Promise<HuntingResult> {
      const q = checkQuery(query);
      if (opts.timespan !== undefined) {
        // The legacy API has no Timespan parameter. The hunt step and the hunting endpoint write the window into the
        // query (shared/queries/huntingRequest.ts) and never pass one here; this guards direct callers.
        throw new InputError(
          'timespan',
          'timespan is not supported by the legacy Defender API: put the window into the query (shared/queries huntingRequest does this) or use DEFENDER_API=graph',
        );
      }
      return postHunting({
        ...options,
        backend: 'legacy',
        path: '/api/advancedhunting/run',
        body: { Query: q },
        signal: opts.signal,
      });
    },

    listIncidents(filter: IncidentFilter = {}, call: CallOptions = {}): AsyncIterable<Incident> {
      return listIncidentsWith(
        http,
        { backend: 'legacy', path: '/api/incidents', pageSize: LEGACY_INCIDENT_PAGE_SIZE, map: mapLegacyIncident },
        filter,
        call,
      );
    },

    getIncident,

    async updateIncident(id: string, update: IncidentUpdate, call: CallOptions = {}): Promise<Incident> {
      const u = validateUpdate(update, 'legacy');
      path(id);
      const body = commonPatchFields(u, 'legacy');
      if (u.comment !== undefined) body.comment = u.comment;
      let current: Incident | undefined;
      if (u.tags) {
        // Whether legacy `tags` replaces or merges is undocumented; sending the whole merged list is right either way
        // for add, and is the only way a remove can work.
        current = u.tags.replace ? undefined : await getIncident(id, call);
        const tags = applyTagChange(current?.tags ?? [], u.tags);
        if (!current || !sameTags(current.tags, tags) || Object.keys(body).length > 0) body.tags = tags;
      }
      if (Object.keys(body).length === 0 && current) return current;
      return patch(id, body, call);
    },

    async addComment(id: string, comment: string, call: CallOptions = {}): Promise<void> {
      if (typeof comment !== 'string' || comment.trim() === '')
        throw new InputError('comment', 'comment must not be empty');
      await patch(id, { comment }, call);
    },
  };
}
