// Graph security alerts_v2 (response-actions.md §5): list with $filter and @odata.nextLink paging, get, PATCH, and
// the comments POST. Sources (microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/api/):
// security-list-alerts_v2.md ($count, $filter, $skip, $top; $filter on assignedTo, classification, determination,
// createdDateTime, lastUpdateDateTime, severity, serviceSource, status; "Use @odata.nextLink for pagination"),
// security-alert-get.md, security-alert-update.md (200 + the updated alert), security-alert-post-comments.md
// (200 + every comment of the alert). Every call goes through the `alerts` quota family, except the read of an
// incident's alerts (GET /security/incidents/{id}?$expand=alerts, the incidents family): alerts_v2 documents no
// incidentId filter.
import { InputError } from '../errors';
import type { DefenderHttp } from '../http/defenderHttp';
import type { Alert, AlertFilter, AlertsClient, AlertUpdate } from './alertTypes';
import { incidentPath } from './backendCommon';
import { mapGraphAlert } from './mapAlert';
import { graphComments } from './mapIncident';
import { paginate, type ODataPage } from './paging';

/**
 * Page size. The v1.0 list page's own example asks `$top=100`; the largest `$top` alerts_v2 accepts is not
 * documented (the 1,000 cap is the legacy /security/alerts one), so 100 is what is known to work.
 */
export const ALERT_PAGE_SIZE = 100;

/**
 * security-alert.md: serviceSource `microsoftDefenderForCloud` (and detectionSource's Defender for Cloud values) are
 * sent only to callers that ask with this header; without it they read `unknownFutureValue`, and a serviceSource
 * filter on them could not match.
 */
export const UNKNOWN_ENUM_MEMBERS = { Prefer: 'include-unknown-enum-members' } as const;

/** Alert ids look like "da637551227677560813_-961444813" (docs examples): word characters and dashes only. */
export function alertPath(id: unknown): string {
  if (typeof id !== 'string' || !/^[\w-]{1,200}$/.test(id))
    throw new InputError('alertId', `alert id '${String(id)}' is not valid`);
  return `/security/alerts_v2/${encodeURIComponent(id)}`;
}

/** An OData string literal: single quotes doubled (OData ABNF), so no input can end the literal early. */
const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;

const anyOf = (prop: string, values: readonly string[] | undefined): string | undefined =>
  values && values.length > 0 ? `(${values.map((v) => `${prop} eq ${literal(v)}`).join(' or ')})` : undefined;

/** The $filter alerts_v2 takes for `f`, or undefined for none. */
export function alertFilterExpression(f: AlertFilter): string | undefined {
  const parts = [
    anyOf('status', f.status),
    anyOf('severity', f.severity),
    anyOf('serviceSource', f.serviceSource),
    f.assignedTo !== undefined ? `assignedTo eq ${literal(f.assignedTo)}` : undefined,
    f.createdAfter !== undefined ? `createdDateTime ge ${f.createdAfter}` : undefined,
    f.createdBefore !== undefined ? `createdDateTime lt ${f.createdBefore}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

/** The same filter applied locally: to an incident's expanded alerts, and as a check on what the server sent. */
export function alertMatches(a: Alert, f: AlertFilter): boolean {
  const created = Date.parse(a.createdDateTime);
  return (
    (!f.status?.length || (f.status as readonly string[]).includes(a.status)) &&
    (!f.severity?.length || (f.severity as readonly string[]).includes(a.severity)) &&
    (!f.serviceSource?.length || (f.serviceSource as readonly string[]).includes(a.serviceSource ?? '')) &&
    (f.assignedTo === undefined || (a.assignedTo ?? '').toLowerCase() === f.assignedTo.toLowerCase()) &&
    (f.createdAfter === undefined || created >= Date.parse(f.createdAfter)) &&
    (f.createdBefore === undefined || created < Date.parse(f.createdBefore)) &&
    (f.incidentId === undefined || a.incidentId === f.incidentId)
  );
}

/** The PATCH body for `u`: only the fields given; an empty assignedTo unassigns (the update page: "or null"). */
export function alertPatchBody(u: AlertUpdate): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (u.status !== undefined) body.status = u.status;
  if (u.assignedTo !== undefined) body.assignedTo = u.assignedTo === '' ? null : u.assignedTo;
  if (u.classification !== undefined) body.classification = u.classification;
  if (u.determination !== undefined) body.determination = u.determination;
  return body;
}

export function createAlertsClient(http: DefenderHttp): AlertsClient {
  async function* listAlerts(
    filter: AlertFilter,
    call: { signal?: AbortSignal | undefined } = {},
  ): AsyncIterable<Alert> {
    let yielded = 0;
    const done = (): boolean => filter.limit !== undefined && ++yielded >= filter.limit;
    if (filter.incidentId !== undefined) {
      const wire = await http.request<{ alerts?: unknown }>({
        method: 'GET',
        path: incidentPath('/security/incidents', filter.incidentId, false),
        params: { $expand: 'alerts' },
        headers: UNKNOWN_ENUM_MEMBERS,
        family: 'incidents',
        signal: call.signal,
      });
      for (const raw of Array.isArray(wire?.alerts) ? wire.alerts : []) {
        const alert = mapGraphAlert(raw);
        if (!alertMatches(alert, filter)) continue;
        yield alert;
        if (done()) return;
      }
      return;
    }
    const pages = paginate<unknown>({
      path: '/security/alerts_v2',
      params: { $filter: alertFilterExpression(filter) },
      pageSize: ALERT_PAGE_SIZE,
      baseURL: http.baseURL,
      idOf: (w) => mapGraphAlert(w).id,
      fetchPage: (req) =>
        http.request<ODataPage<unknown>>({
          method: 'GET',
          ...req,
          headers: UNKNOWN_ENUM_MEMBERS,
          family: 'alerts',
          signal: call.signal,
        }),
    });
    for await (const raw of pages) {
      const alert = mapGraphAlert(raw);
      if (!alertMatches(alert, filter)) continue;
      yield alert;
      if (done()) return;
    }
  }

  return {
    listAlerts,

    async getAlert(id, call = {}) {
      const wire = await http.request<unknown>({
        method: 'GET',
        path: alertPath(id),
        headers: UNKNOWN_ENUM_MEMBERS,
        family: 'alerts',
        signal: call.signal,
      });
      return mapGraphAlert(wire);
    },

    async updateAlert(id, update, call = {}) {
      const body = alertPatchBody(update);
      if (Object.keys(body).length === 0) throw new InputError('update', 'an alert update must change something');
      // PATCH sets fields to values: repeating it after a timeout or 5xx is safe.
      const wire = await http.request<unknown>({
        method: 'PATCH',
        path: alertPath(id),
        data: body,
        headers: UNKNOWN_ENUM_MEMBERS,
        family: 'alerts',
        signal: call.signal,
      });
      return mapGraphAlert(wire);
    },

    async addAlertComment(id, comment, call = {}) {
      if (typeof comment !== 'string' || comment.trim() === '')
        throw new InputError('comment', 'comment must not be empty');
      // Each POST appends a comment: retried only when the request certainly never reached Graph.
      const res = await http.request<ODataPage<unknown>>({
        method: 'POST',
        path: `${alertPath(id)}/comments`,
        data: { '@odata.type': 'microsoft.graph.security.alertComment', comment },
        family: 'alerts',
        signal: call.signal,
        idempotent: false,
      });
      return graphComments(res?.value);
    },
  };
}
