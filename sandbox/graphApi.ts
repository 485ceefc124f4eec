// Microsoft Graph security API under /v1.0 (defender-api.md §2): runHuntingQuery, incidents list/get/update, comments.
import { actorOf, apiError, apiOk, apiRoute } from './apiCommon';
import { DEFAULT_TIMESPAN_MS, parseTimespan } from './timespan';
import { runHunting } from './hunting';
import { isPlainObject, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import {
  CLASSIFICATIONS,
  graphEnum,
  parseClassification,
  parseDetermination,
  parseSeverity,
  parseStatus,
  SEVERITIES,
} from './incidents/enums';
import { graphComment, graphIncident } from './incidents/graphView';
import type { StoredIncident } from './incidents/model';
import { applyChange, checkDetermination, type IncidentChange } from './incidents/update';
import { applyFilter, GRAPH_FILTER, nextLink, parsePaging } from './incidentQuery';
import type { Route } from './router';
import type { SandboxState } from './state';

const MAX_TOP = 50;
const ALLOWED_OPTIONS = new Set(['$filter', '$top', '$skip', '$expand', '$count', '$select', '$orderby']);
const INCIDENT_PROPERTIES = [
  'id',
  'tenantId',
  'status',
  'incidentWebUrl',
  'redirectIncidentId',
  'displayName',
  'createdDateTime',
  'lastUpdateDateTime',
  'assignedTo',
  'classification',
  'determination',
  'severity',
  'customTags',
  'systemTags',
  'description',
  'lastModifiedBy',
  'resolvingComment',
  'summary',
  'priorityScore',
  'comments',
];
const UPDATABLE = new Set([
  'assignedTo',
  'classification',
  'customTags',
  'description',
  'determination',
  'displayName',
  'severity',
  'resolvingComment',
  'status',
  'summary',
]);
const SETTABLE_STATUSES = ['active', 'inProgress', 'resolved', 'redirected'];

const noSuchProperty = (name: string): string =>
  `Could not find a property named '${name}' on type 'microsoft.graph.security.incident'.`;

interface Shape {
  expand: boolean;
  select: string[] | undefined;
}

function parseShape(q: URLSearchParams): Shape | string {
  const expandRaw = q.get('$expand');
  let expand = false;
  if (expandRaw !== null) {
    for (const part of expandRaw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (part.toLowerCase() !== 'alerts') return `Parsing OData Select and Expand failed: ${noSuchProperty(part)}`;
      expand = true;
    }
  }
  const selectRaw = q.get('$select');
  let select: string[] | undefined;
  if (selectRaw !== null) {
    select = [];
    for (const part of selectRaw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const prop = INCIDENT_PROPERTIES.find((p) => p.toLowerCase() === part.toLowerCase());
      if (!prop) return `Parsing OData Select and Expand failed: ${noSuchProperty(part)}`;
      select.push(prop);
    }
  }
  return { expand, select };
}

function render(state: SandboxState, i: StoredIncident, shape: Shape): Record<string, unknown> {
  const full = graphIncident(i, state.tenantId, shape.expand);
  if (!shape.select) return full;
  const out: Record<string, unknown> = {};
  for (const k of shape.select) out[k] = full[k];
  if (shape.expand) out.alerts = full.alerts;
  return out;
}

function badRequest(state: SandboxState, req: SandboxRequest, message: string): Reply {
  return apiError(state, 'graph', req, 400, 'BadRequest', message);
}

function notFound(state: SandboxState, req: SandboxRequest, id: string): Reply {
  return apiError(state, 'graph', req, 404, 'NotFound', `Incident with id '${id}' was not found.`);
}

function findIncident(state: SandboxState, id: string): StoredIncident | undefined {
  return /^\d{1,15}$/.test(id) ? state.incidents.get(Number(id)) : undefined;
}

function hunting(state: SandboxState, req: SandboxRequest): Reply {
  const body = jsonBody(req);
  if (body instanceof Error) return badRequest(state, req, `Unable to read JSON request payload. ${body.message}`);
  if (!isPlainObject(body))
    return badRequest(state, req, "The request body must be a JSON object with a 'Query' string.");
  // Graph binds action parameters case-insensitively (a lowercase "query" is seen accepted, GD #1446).
  const param = (name: string): unknown =>
    body[Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase()) ?? ''];
  const query = param('Query');
  if (typeof query !== 'string' || query.trim() === '')
    return badRequest(state, req, "The parameter 'Query' is missing or empty.");
  const now = state.now();
  const timespan = param('Timespan');
  state.recordHuntingQuery({ api: 'graph', query, ...(typeof timespan === 'string' ? { timespan } : {}) });
  let window = { start: new Date(now.getTime() - DEFAULT_TIMESPAN_MS), end: now };
  if (timespan !== undefined && timespan !== null) {
    const parsed = typeof timespan === 'string' ? parseTimespan(timespan, now) : undefined;
    if (!parsed) {
      return badRequest(
        state,
        req,
        `The Timespan '${String(timespan)}' is not a valid ISO-8601 interval. Use forms like 'P30D', '2024-02-01T08:00:00Z/2024-02-15T08:00:00Z', 'P30D/2024-02-15T08:00:00Z', '2024-02-01T08:00:00Z/P30D' or '2024-02-01T08:00:00Z'.`,
      );
    }
    window = parsed;
  }
  const outcome = runHunting(query, state.huntingTables, now, window);
  if (!outcome.ok) return badRequest(state, req, outcome.message);
  return apiOk(state, 'graph', req, {
    '@odata.context': `${state.url}/v1.0/$metadata#microsoft.graph.security.huntingQueryResults`,
    // GD security-security-runhuntingquery.md: Example 1 writes name/type, another response Name/Type.
    schema:
      state.graphHuntingSchemaCase === 'pascal'
        ? outcome.schema.map((c) => ({ Name: c.name, Type: c.type }))
        : outcome.schema,
    results: outcome.rows,
  });
}

function list(state: SandboxState, req: SandboxRequest): Reply {
  const q = req.url.searchParams;
  for (const k of q.keys()) {
    if (k.startsWith('$') && !ALLOWED_OPTIONS.has(k)) {
      return badRequest(
        state,
        req,
        `Query option '${k}' is not allowed. Allowed query options: ${[...ALLOWED_OPTIONS].join(', ')}.`,
      );
    }
  }
  const paging = parsePaging(q, MAX_TOP);
  if (!paging.ok) return badRequest(state, req, paging.message);
  const shape = parseShape(q);
  if (typeof shape === 'string') return badRequest(state, req, shape);
  const countRaw = q.get('$count');
  if (countRaw !== null && !['true', 'false'].includes(countRaw.toLowerCase())) {
    return badRequest(state, req, `'${countRaw}' is not a valid count option.`);
  }
  const filtered = applyFilter(state.incidents.list(), q.get('$filter'), GRAPH_FILTER);
  if (!filtered.ok) {
    const message = filtered.message.startsWith('Invalid filter clause')
      ? filtered.message
      : `Invalid filter clause: ${filtered.message}`;
    return badRequest(state, req, message);
  }
  let items = filtered.items;
  const orderby = q.get('$orderby');
  if (orderby !== null) {
    const m = /^\s*(createdDateTime|lastUpdateDateTime)(?:\s+(asc|desc))?\s*$/i.exec(orderby);
    if (!m)
      return badRequest(
        state,
        req,
        `The $orderby '${orderby}' is not supported; order by createdDateTime or lastUpdateDateTime.`,
      );
    const key = m[1]?.toLowerCase() === 'createddatetime' ? 'createdDateTime' : 'lastUpdateDateTime';
    const dir = m[2]?.toLowerCase() === 'desc' ? -1 : 1;
    items = [...items].sort((a, b) => dir * (Date.parse(a[key]) - Date.parse(b[key])) || dir * (a.id - b.id));
  }
  const pageSize = paging.top ?? MAX_TOP;
  const page = items.slice(paging.skip, paging.skip + pageSize);
  const body: Record<string, unknown> = {
    '@odata.context': `${state.url}/v1.0/$metadata#security/incidents${shape.expand ? '(alerts())' : ''}`,
  };
  if (countRaw?.toLowerCase() === 'true') body['@odata.count'] = items.length;
  if (paging.skip + pageSize < items.length && pageSize > 0) {
    body['@odata.nextLink'] = nextLink(`${state.url}/v1.0/security/incidents`, q, paging.skip + pageSize);
  }
  body.value = page.map((i) => render(state, i, shape));
  return apiOk(state, 'graph', req, body);
}

function get(state: SandboxState, req: SandboxRequest, id: string): Reply {
  const shape = parseShape(req.url.searchParams);
  if (typeof shape === 'string') return badRequest(state, req, shape);
  const incident = findIncident(state, id);
  if (!incident) return notFound(state, req, id);
  return apiOk(state, 'graph', req, {
    '@odata.context': `${state.url}/v1.0/$metadata#security/incidents/$entity`,
    ...render(state, incident, shape),
  });
}

const invalidValue = (prop: string, value: unknown, allowed: readonly string[]): string =>
  `Invalid value '${String(value)}' for property '${prop}'. Allowed values: ${allowed.join(', ')}.`;

/** Validates a PATCH body into a change, or returns the 400 message naming the offending property. */
function graphChange(body: Record<string, unknown>): IncidentChange | string {
  const change: IncidentChange = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === '@odata.type') continue;
    if (!UPDATABLE.has(key)) {
      return INCIDENT_PROPERTIES.includes(key) || key === 'alerts'
        ? `The property '${key}' is read-only and cannot be updated. Updatable properties: ${[...UPDATABLE].join(', ')}.`
        : `The property '${key}' does not exist on type 'microsoft.graph.security.incident'. Make sure to only use property names that are defined by the type or mark the type as open type.`;
    }
    const text = typeof value === 'string' ? value : undefined;
    switch (key) {
      case 'status': {
        const s = text === undefined ? undefined : parseStatus(text);
        if (!s || !SETTABLE_STATUSES.includes(s)) return invalidValue(key, value, SETTABLE_STATUSES);
        change.status = s;
        break;
      }
      case 'severity': {
        const s = text === undefined ? undefined : parseSeverity(text);
        if (!s) return invalidValue(key, value, SEVERITIES);
        change.severity = s;
        break;
      }
      case 'classification': {
        const c = text === undefined ? undefined : parseClassification(text);
        if (!c) return invalidValue(key, value, CLASSIFICATIONS);
        change.classification = c;
        break;
      }
      case 'determination': {
        const d = text === undefined ? undefined : parseDetermination(text);
        if (!d) {
          return invalidValue(key, value, [
            'multiStagedAttack',
            'maliciousUserActivity',
            'compromisedAccount',
            'malware',
            'phishing',
            'unwantedSoftware',
            'securityTesting',
            'lineOfBusinessApplication',
            'confirmedActivity',
            'notMalicious',
            'notEnoughDataToValidate',
            'other',
          ]);
        }
        change.determination = d;
        break;
      }
      case 'customTags':
        if (!Array.isArray(value) || !value.every((t) => typeof t === 'string')) {
          return `Invalid value for property 'customTags': expected an array of strings.`;
        }
        change.customTags = value as string[];
        break;
      case 'displayName':
        if (text === undefined || text.trim() === '')
          return `Invalid value for property 'displayName': expected a non-empty string.`;
        change.displayName = text;
        break;
      case 'assignedTo':
      case 'description':
      case 'summary':
      case 'resolvingComment':
        if (value !== null && text === undefined)
          return `Invalid value for property '${key}': expected a string or null.`;
        change[key] = value as string | null;
        break;
    }
  }
  return change;
}

function update(state: SandboxState, req: SandboxRequest, id: string, by: string): Reply {
  const incident = findIncident(state, id);
  if (!incident) return notFound(state, req, id);
  const body = jsonBody(req);
  if (body instanceof Error) return badRequest(state, req, `Unable to read JSON request payload. ${body.message}`);
  if (!isPlainObject(body))
    return badRequest(state, req, 'The request body must be a JSON object (microsoft.graph.security.incident).');
  const change = graphChange(body);
  if (typeof change === 'string') return badRequest(state, req, change);
  const conflict = checkDetermination(incident, change, {
    classification: (c) => c,
    determination: graphEnum.determination,
  });
  if (conflict) return badRequest(state, req, conflict);
  applyChange(incident, change, by, state.now());
  return apiOk(state, 'graph', req, {
    '@odata.context': `${state.url}/v1.0/$metadata#security/incidents/$entity`,
    ...graphIncident(incident, state.tenantId, false),
  });
}

function addComment(state: SandboxState, req: SandboxRequest, id: string, by: string): Reply {
  const incident = findIncident(state, id);
  if (!incident) return notFound(state, req, id);
  const body = jsonBody(req);
  if (body instanceof Error) return badRequest(state, req, `Unable to read JSON request payload. ${body.message}`);
  if (!isPlainObject(body))
    return badRequest(state, req, "The request body must be a JSON object with a 'comment' string.");
  for (const key of Object.keys(body)) {
    if (key !== '@odata.type' && key !== 'comment') {
      return badRequest(
        state,
        req,
        `The property '${key}' does not exist on type 'microsoft.graph.security.alertComment'.`,
      );
    }
  }
  if (typeof body.comment !== 'string' || body.comment.trim() === '') {
    return badRequest(state, req, "The property 'comment' is required and must be a non-empty string.");
  }
  applyChange(incident, { comment: body.comment }, by, state.now());
  return apiOk(state, 'graph', req, {
    '@odata.context': `${state.url}/v1.0/$metadata#Collection(microsoft.graph.security.alertComment)`,
    value: incident.comments.map(graphComment),
  });
}

export function graphRoutes(state: SandboxState): Route[] {
  return [
    apiRoute(
      state,
      'graph',
      'hunting',
      ['POST'],
      /^\/v1\.0\/security\/(?:microsoft\.graph\.security\.)?runHuntingQuery\/?$/i,
      (req) => hunting(state, req),
    ),
    apiRoute(state, 'graph', 'incidentsList', ['GET'], /^\/v1\.0\/security\/incidents\/?$/i, (req) => list(state, req)),
    apiRoute(state, 'graph', 'incidentsGet', ['GET'], /^\/v1\.0\/security\/incidents\/([^/]+)\/?$/i, (req, [id = '']) =>
      get(state, req, id),
    ),
    apiRoute(
      state,
      'graph',
      'incidentsUpdate',
      ['PATCH'],
      /^\/v1\.0\/security\/incidents\/([^/]+)\/?$/i,
      (req, [id = ''], claims) => update(state, req, id, actorOf(claims)),
    ),
    apiRoute(
      state,
      'graph',
      'comments',
      ['POST'],
      /^\/v1\.0\/security\/incidents\/([^/]+)\/comments\/?$/i,
      (req, [id = ''], claims) => addComment(state, req, id, actorOf(claims)),
    ),
  ];
}
