// Microsoft Graph security alerts_v2 under /v1.0 (response-actions.md §5), over the same store as the incidents:
// every alert belongs to a seeded incident and carries the id that incident's $expand=alerts shows. Sources
// (microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/api/): security-list-alerts_v2.md ($count,
// $filter, $skip, $top; filterable: assignedTo, classification, determination, createdDateTime, lastUpdateDateTime,
// severity, serviceSource, status; @odata.nextLink paging; newest first), security-alert-get.md,
// security-alert-update.md (status, classification, determination, assignedTo; 200 + the updated alert),
// security-alert-post-comments.md (appends; 200 + every comment). Errors use Graph's envelope (apiCommon.ts).
import { actorOf, apiError, apiOk, apiRoute } from './apiCommon';
import { isPlainObject, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import { graphAlert, graphComment } from './incidents/graphView';
import type { AlertStatus, Classification, Determination, StoredAlert, StoredIncident } from './incidents/model';
import { nextLink, parsePaging } from './incidentQuery';
import { compileFilter, FilterError, parseFilter, type FilterSchema } from './odataFilter';
import type { Route } from './router';
import type { SandboxState } from './state';
import { defenderTime } from './timeFormat';

/**
 * The largest $top alerts_v2 accepts is not documented (response-actions.md §8.6); the sandbox takes the 1,000 the
 * older /security/alerts documents, and pages 100 at a time without $top (the list page's example asks for 100).
 */
const MAX_TOP = 1000;
const DEFAULT_PAGE = 100;
const ALLOWED_OPTIONS = new Set(['$filter', '$top', '$skip', '$count']);

/** security-alert-update.md's PATCH table (the evolvable-enum sentinel unknownFutureValue is refused). */
const PATCH_VALUES = {
  status: ['new', 'inProgress', 'resolved'],
  classification: ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity'],
  determination: [
    'unknown',
    'apt',
    'malware',
    'securityPersonnel',
    'securityTesting',
    'unwantedSoftware',
    'other',
    'multiStagedAttack',
    'compromisedUser',
    'phishing',
    'maliciousUserActivity',
    'clean',
    'insufficientData',
    'confirmedUserActivity',
    'lineOfBusinessApplication',
  ],
} as const;

/** The store keeps the incident spelling of the two renamed determinations; alerts_v2 writes the PATCH table's. */
const ALERT_DETERMINATION: Partial<Record<Determination, string>> = {
  compromisedAccount: 'compromisedUser',
  confirmedActivity: 'confirmedUserActivity',
};
const STORED_DETERMINATION: Record<string, Determination> = {
  compromisedUser: 'compromisedAccount',
  confirmedUserActivity: 'confirmedActivity',
};

interface Row {
  alert: StoredAlert;
  incident: StoredIncident;
}

const inList =
  (values: readonly string[]) =>
  (v: string): string | undefined =>
    values.find((x) => x.toLowerCase() === v.toLowerCase());

const FILTER: FilterSchema<Row> = {
  properties: {
    status: { kind: 'enum', get: (r) => r.alert.status, parse: inList(PATCH_VALUES.status) },
    severity: {
      kind: 'enum',
      get: (r) => r.alert.severity,
      parse: inList(['unknown', 'informational', 'low', 'medium', 'high']),
    },
    classification: { kind: 'enum', get: (r) => r.alert.classification, parse: inList(PATCH_VALUES.classification) },
    determination: {
      kind: 'enum',
      get: (r) => ALERT_DETERMINATION[r.alert.determination] ?? r.alert.determination,
      parse: inList(PATCH_VALUES.determination),
    },
    serviceSource: {
      kind: 'enum',
      get: (r) => r.alert.serviceSource,
      parse: inList([
        'unknown',
        'microsoftDefenderForEndpoint',
        'microsoftDefenderForIdentity',
        'microsoftDefenderForCloudApps',
        'microsoftDefenderForOffice365',
        'microsoft365Defender',
        'azureAdIdentityProtection',
        'microsoftAppGovernance',
        'dataLossPrevention',
        'microsoftDefenderForCloud',
        // The seed's own value for XDR-correlated alerts.
        'microsoftDefenderXdr',
      ]),
    },
    assignedTo: { kind: 'string', get: (r) => r.alert.assignedTo },
    createdDateTime: { kind: 'datetime', get: (r) => r.alert.createdDateTime },
    lastUpdateDateTime: { kind: 'datetime', get: (r) => r.alert.lastUpdateDateTime },
  },
  notFilterable: (name) =>
    `Invalid filter clause: Could not find a filterable property named '${name}' on type 'microsoft.graph.security.alert'. Filterable properties: assignedTo, classification, createdDateTime, determination, lastUpdateDateTime, serviceSource, severity, status.`,
};

/** Every alert, newest first (the list page: "The most recent alerts are displayed at the top of the list"). */
function allRows(state: SandboxState): Row[] {
  const rows = state.incidents.list().flatMap((incident) => incident.alerts.map((alert) => ({ alert, incident })));
  return rows.sort(
    (a, b) =>
      Date.parse(b.alert.createdDateTime) - Date.parse(a.alert.createdDateTime) || (a.alert.id < b.alert.id ? 1 : -1),
  );
}

function findRow(state: SandboxState, id: string): Row | undefined {
  return allRows(state).find((r) => r.alert.id === id);
}

/** The alert as alerts_v2 sends it: graphView's alert, with its comments and the PATCH table's determinations. */
function render(state: SandboxState, r: Row): Record<string, unknown> {
  const out = graphAlert(r.alert, r.incident.id, state.tenantId);
  const det = ALERT_DETERMINATION[r.alert.determination];
  if (det) out.determination = det;

  return out;
}

const badRequest = (state: SandboxState, req: SandboxRequest, message: string): Reply =>
  apiError(state, 'graph', req, 400, 'BadRequest', message);

const notFound = (state: SandboxState, req: SandboxRequest, id: string): Reply =>
  apiError(state, 'graph', req, 404, 'NotFound', `Alert with id '${id}' was not found.`);

function list(state: SandboxState, req: SandboxRequest): Reply {
  const q = req.url.searchParams;
  for (const k of q.keys()) {
    if (k.startsWith('$') && !ALLOWED_OPTIONS.has(k))
      return badRequest(
        state,
        req,
        `Query option '${k}' is not allowed. Allowed query options: ${[...ALLOWED_OPTIONS].join(', ')}.`,
      );
  }
  const paging = parsePaging(q, MAX_TOP);
  if (!paging.ok) return badRequest(state, req, paging.message);
  let rows = allRows(state);
  const filter = q.get('$filter');
  if (filter !== null && filter.trim() !== '') {
    try {
      rows = rows.filter(compileFilter(parseFilter(filter), FILTER));
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      return badRequest(
        state,
        req,
        e.message.startsWith('Invalid filter clause') ? e.message : `Invalid filter clause: ${e.message}`,
      );
    }
  }
  const size = paging.top ?? DEFAULT_PAGE;
  const body: Record<string, unknown> = { '@odata.context': `${state.url}/v1.0/$metadata#security/alerts_v2` };
  if (q.get('$count')?.toLowerCase() === 'true') body['@odata.count'] = rows.length;
  if (size > 0 && paging.skip + size < rows.length)
    body['@odata.nextLink'] = nextLink(`${state.url}/v1.0/security/alerts_v2`, q, paging.skip + size);
  body.value = rows.slice(paging.skip, paging.skip + size).map((r) => render(state, r));
  return apiOk(state, 'graph', req, body);
}

function get(state: SandboxState, req: SandboxRequest, id: string): Reply {
  const row = findRow(state, id);
  if (!row) return notFound(state, req, id);
  return apiOk(state, 'graph', req, {
    '@odata.context': `${state.url}/v1.0/$metadata#security/alerts_v2/$entity`,
    ...render(state, row),
  });
}

const invalidValue = (prop: string, value: unknown, allowed: readonly string[]): string =>
  `Invalid value '${String(value)}' for property '${prop}'. Allowed values: ${allowed.join(', ')}.`;

function update(state: SandboxState, req: SandboxRequest, id: string): Reply {
  const row = findRow(state, id);
  if (!row) return notFound(state, req, id);
  const body = jsonBody(req);
  if (body instanceof Error) return badRequest(state, req, `Unable to read JSON request payload. ${body.message}`);
  if (!isPlainObject(body))
    return badRequest(state, req, 'The request body must be a JSON object (microsoft.graph.security.alert).');
  // Validate everything before changing anything: a refused PATCH leaves the alert as it was.
  const change: {
    status?: AlertStatus;
    classification?: Classification;
    determination?: Determination;
    assignedTo?: string | null;
  } = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === '@odata.type') continue;
    if (key === 'status' || key === 'classification' || key === 'determination') {
      const allowed: readonly string[] = PATCH_VALUES[key];
      if (typeof value !== 'string' || !allowed.includes(value))
        return badRequest(state, req, invalidValue(key, value, allowed));
      if (key === 'status') change.status = value as AlertStatus;
      else if (key === 'classification') change.classification = value as Classification;
      else change.determination = STORED_DETERMINATION[value] ?? (value as Determination);
    } else if (key === 'assignedTo') {
      if (value !== null && typeof value !== 'string')
        return badRequest(state, req, `Invalid value for property 'assignedTo': expected a string or null.`);
      change.assignedTo = value === '' ? null : value;
    } else {
      return badRequest(
        state,
        req,
        `The property '${key}' is not updatable on type 'microsoft.graph.security.alert'. Updatable properties: status, classification, determination, assignedTo.`,
      );
    }
  }
  const a = row.alert;
  const at = defenderTime(state.now());
  if (change.status !== undefined && change.status !== a.status) {
    a.status = change.status;
    a.resolvedDateTime = change.status === 'resolved' ? at : null;
  }
  if (change.classification !== undefined) a.classification = change.classification;
  if (change.determination !== undefined) a.determination = change.determination;
  if (change.assignedTo !== undefined) a.assignedTo = change.assignedTo;
  if (Object.keys(change).length > 0) a.lastUpdateDateTime = at;
  return apiOk(state, 'graph', req, {
    '@odata.context': `${state.url}/v1.0/$metadata#security/alerts_v2/$entity`,
    ...render(state, row),
  });
}

function addComment(state: SandboxState, req: SandboxRequest, id: string, by: string): Reply {
  const row = findRow(state, id);
  if (!row) return notFound(state, req, id);
  const body = jsonBody(req);
  if (body instanceof Error) return badRequest(state, req, `Unable to read JSON request payload. ${body.message}`);
  if (!isPlainObject(body))
    return badRequest(state, req, "The request body must be a JSON object with a 'comment' string.");
  for (const key of Object.keys(body)) {
    if (key !== '@odata.type' && key !== 'comment')
      return badRequest(
        state,
        req,
        `The property '${key}' does not exist on type 'microsoft.graph.security.alertComment'.`,
      );
  }
  if (typeof body.comment !== 'string' || body.comment.trim() === '')
    return badRequest(state, req, "The property 'comment' is required and must be a non-empty string.");
  const at = defenderTime(state.now());
  row.alert.comments.push({ comment: body.comment, createdBy: by, createdDateTime: at });
  row.alert.lastUpdateDateTime = at;
  return apiOk(state, 'graph', req, {
    '@odata.context': `${state.url}/v1.0/$metadata#security/alerts_v2('${id}')/comments`,
    value: row.alert.comments.map(graphComment),
  });
}

export function alertRoutes(state: SandboxState): Route[] {
  return [
    apiRoute(state, 'graph', 'alertsList', ['GET'], /^\/v1\.0\/security\/alerts_v2\/?$/i, (req) => list(state, req)),
    apiRoute(state, 'graph', 'alertsGet', ['GET'], /^\/v1\.0\/security\/alerts_v2\/([^/]+)\/?$/i, (req, [id = '']) =>
      get(state, req, id),
    ),
    apiRoute(
      state,
      'graph',
      'alertsUpdate',
      ['PATCH'],
      /^\/v1\.0\/security\/alerts_v2\/([^/]+)\/?$/i,
      (req, [id = '']) => update(state, req, id),
    ),
    apiRoute(
      state,
      'graph',
      'alertComments',
      ['POST'],
      /^\/v1\.0\/security\/alerts_v2\/([^/]+)\/comments\/?$/i,
      (req, [id = ''], claims) => addComment(state, req, id, actorOf(claims)),
    ),
  ];
}
