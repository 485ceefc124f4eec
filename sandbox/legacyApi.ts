// Legacy Defender XDR API under /api (defender-api.md §1): advancedhunting/run, incidents list/get/update.
import { actorOf, apiError, apiOk, apiRoute } from './apiCommon';
import { DEFAULT_TIMESPAN_MS } from './timespan';
import { runHunting } from './hunting';
import { isPlainObject, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import { legacyEnum, parseClassification, parseDetermination, parseStatus } from './incidents/enums';
import { legacyIncident } from './incidents/legacyView';
import type { StoredIncident } from './incidents/model';
import { applyChange, checkDetermination, type IncidentChange } from './incidents/update';
import { applyFilter, LEGACY_FILTER, nextLink, parsePaging } from './incidentQuery';
import type { Route } from './router';
import type { SandboxState } from './state';

const MAX_TOP = 100;
const ALLOWED_OPTIONS = new Set(['$filter', '$top', '$skip']);
const UPDATABLE = ['status', 'assignedTo', 'classification', 'determination', 'tags', 'comment'];

function findIncident(state: SandboxState, id: string): StoredIncident | undefined {
  return /^\d{1,15}$/.test(id) ? state.incidents.get(Number(id)) : undefined;
}

function notFound(state: SandboxState, req: SandboxRequest, id: string): Reply {
  return apiError(state, 'legacy', req, 404, 'ResourceNotFound', `Incident ${id} was not found.`);
}

function hunting(state: SandboxState, req: SandboxRequest): Reply {
  const body = jsonBody(req);
  // Body parameter names are case-sensitive; an unreadable body reads as a missing query (defender-api.md §1.2).
  const query = isPlainObject(body) ? body.Query : undefined;
  if (typeof query !== 'string' || query.trim() === '') {
    return apiError(state, 'legacy', req, 400, 'InvalidRequestBody', 'Missing query.');
  }
  state.recordHuntingQuery({ api: 'legacy', query });
  const now = state.now();
  // The legacy API only sees the last 30 days.
  const outcome = runHunting(query, state.huntingTables, now, {
    start: new Date(now.getTime() - DEFAULT_TIMESPAN_MS),
    end: now,
  });
  if (!outcome.ok) return apiError(state, 'legacy', req, 400, 'BadRequest', outcome.message);
  const seconds = outcome.elapsedMs / 1000;
  const cpu = `00:00:${seconds.toFixed(7).padStart(10, '0')}`;
  const size = Buffer.byteLength(JSON.stringify(outcome.rows));
  return apiOk(state, 'legacy', req, {
    Stats: {
      ExecutionTime: Math.round(seconds * 10_000) / 10_000,
      resource_usage: {
        cache: {
          memory: { hits: outcome.rows.length, misses: 0, total: outcome.rows.length },
          disk: { hits: 0, misses: 0, total: 0 },
        },
        cpu: { user: cpu, kernel: '00:00:00', 'total cpu': cpu },
        memory: { peak_per_node: 16_777_216 + size },
      },
      dataset_statistics: [{ table_row_count: outcome.rows.length, table_size: size }],
    },
    Schema: outcome.schema.map((c) => ({ Name: c.name, Type: c.type })),
    Results: outcome.rows,
  });
}

function list(state: SandboxState, req: SandboxRequest): Reply {
  const q = req.url.searchParams;
  for (const k of q.keys()) {
    if (k.startsWith('$') && !ALLOWED_OPTIONS.has(k)) {
      return apiError(
        state,
        'legacy',
        req,
        400,
        'ODataError',
        `Invalid OData URI query: Query option '${k}' is not allowed.`,
      );
    }
  }
  const paging = parsePaging(q, MAX_TOP);
  if (!paging.ok) return apiError(state, 'legacy', req, 400, 'BadRequest', paging.message);
  const filtered = applyFilter(state.incidents.list(), q.get('$filter'), LEGACY_FILTER);
  if (!filtered.ok) {
    const message = filtered.message.startsWith('Invalid OData URI query')
      ? filtered.message
      : `Invalid OData URI query: ${filtered.message}`;
    return apiError(state, 'legacy', req, 400, 'ODataError', message);
  }
  const pageSize = paging.top ?? MAX_TOP;
  const page = filtered.items.slice(paging.skip, paging.skip + pageSize);
  const body: Record<string, unknown> = { '@odata.context': `${state.url}/api/$metadata#Incidents` };
  body.value = page.map((i) => legacyIncident(i, state.tenantId));
  // Whether the real API sends a next link is UNCONFIRMED (defender-api.md §1.3): off unless a test asks for it.
  if (state.legacyNextLink && pageSize > 0 && paging.skip + pageSize < filtered.items.length) {
    body['@odata.nextLink'] = nextLink(`${state.url}/api/incidents`, q, paging.skip + pageSize);
  }
  return apiOk(state, 'legacy', req, body);
}

function get(state: SandboxState, req: SandboxRequest, id: string): Reply {
  const incident = findIncident(state, id);
  if (!incident) return notFound(state, req, id);
  return apiOk(state, 'legacy', req, {
    '@odata.context': `${state.url}/api/$metadata#Incidents/$entity`,
    ...legacyIncident(incident, state.tenantId),
  });
}

const invalid = (prop: string, value: unknown, allowed: readonly string[]): string =>
  `Invalid value '${String(value)}' for property '${prop}'. Allowed values: ${allowed.join(', ')}.`;

function legacyChange(body: Record<string, unknown>): IncidentChange | string {
  const change: IncidentChange = {};
  for (const [key, value] of Object.entries(body)) {
    if (!UPDATABLE.includes(key)) {
      return `The property '${key}' cannot be updated. Updatable properties (case-sensitive): ${UPDATABLE.join(', ')}.`;
    }
    const text = typeof value === 'string' ? value : undefined;
    switch (key) {
      case 'status': {
        const s = text === undefined ? undefined : parseStatus(text);
        if (!s || s === 'awaitingAction')
          return invalid(key, value, ['Active', 'InProgress', 'Resolved', 'Redirected']);
        change.status = s;
        break;
      }
      case 'classification': {
        const c = text === undefined ? undefined : parseClassification(text);
        if (!c || c === 'unknown')
          return invalid(key, value, ['TruePositive', 'InformationalExpectedActivity', 'FalsePositive']);
        change.classification = c;
        break;
      }
      case 'determination': {
        const d = text === undefined ? undefined : parseDetermination(text);
        if (!d || d === 'unknown') {
          return invalid(key, value, [
            'MultiStagedAttack',
            'MaliciousUserActivity',
            'CompromisedAccount',
            'Malware',
            'Phishing',
            'UnwantedSoftware',
            'SecurityTesting',
            'LineOfBusinessApplication',
            'ConfirmedActivity',
            'Clean',
            'NoEnoughDataToValidate',
            'Other',
          ]);
        }
        change.determination = d;
        break;
      }
      case 'assignedTo':
        if (value !== null && text === undefined) return `Invalid value for property 'assignedTo': expected a string.`;
        change.assignedTo = text ?? null;
        break;
      case 'tags':
        if (!Array.isArray(value) || !value.every((t) => typeof t === 'string'))
          return `Invalid value for property 'tags': expected an array of strings.`;
        change.customTags = value as string[];
        break;
      case 'comment':
        if (text === undefined) return `Invalid value for property 'comment': expected a string.`;
        change.comment = text;
        break;
    }
  }
  return change;
}

function update(state: SandboxState, req: SandboxRequest, id: string, by: string): Reply {
  const incident = findIncident(state, id);
  if (!incident) return notFound(state, req, id);
  const body = jsonBody(req);
  if (!isPlainObject(body))
    return apiError(state, 'legacy', req, 400, 'InvalidRequestBody', 'The request body must be a JSON object.');
  const change = legacyChange(body);
  if (typeof change === 'string') return apiError(state, 'legacy', req, 400, 'InvalidRequestBody', change);
  const conflict = checkDetermination(incident, change, {
    classification: legacyEnum.classification,
    determination: legacyEnum.determination,
  });
  if (conflict) return apiError(state, 'legacy', req, 400, 'InvalidRequestBody', conflict);
  applyChange(incident, change, by, state.now());
  return apiOk(state, 'legacy', req, {
    '@odata.context': `${state.url}/api/$metadata#Incidents/$entity`,
    ...legacyIncident(incident, state.tenantId),
  });
}

export function legacyRoutes(state: SandboxState): Route[] {
  return [
    apiRoute(state, 'legacy', 'hunting', ['POST'], /^\/api\/advancedhunting\/run\/?$/i, (req) => hunting(state, req)),
    apiRoute(state, 'legacy', 'incidentsList', ['GET'], /^\/api\/incidents\/?$/i, (req) => list(state, req)),
    apiRoute(state, 'legacy', 'incidentsGet', ['GET'], /^\/api\/incidents\/([^/]+)\/?$/i, (req, [id = '']) =>
      get(state, req, id),
    ),
    apiRoute(
      state,
      'legacy',
      'incidentsUpdate',
      ['PATCH'],
      /^\/api\/incidents\/([^/]+)\/?$/i,
      (req, [id = ''], claims) => update(state, req, id, actorOf(claims)),
    ),
  ];
}
