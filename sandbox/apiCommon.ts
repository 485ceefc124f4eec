// What the Graph and legacy APIs share: their error envelopes, bearer-token checks (audience, tenant, revocation),
// application-role checks, quotas, and injected-fault replies.
import { randomBytes } from 'node:crypto';
import type { FaultSpec } from './faults';
import { formatSeconds } from './faults';
import { json, type Reply, type SandboxRequest } from './httpUtil';
import { checkBearer, type TokenClaims } from './jwt';
import { formatTimeSpan, quotaWindows } from './rateLimiter';
import { API_AUDIENCES, canonicalResource } from './resources';
import type { Route } from './router';
import type { ApiFamily, SandboxState } from './state';
import { delegatedVerdict } from './delegated';
import { userOf } from './users';

/** mde: the Defender for Endpoint API (its own host and token audience; legacy's error envelope). */
export type ApiName = 'graph' | 'legacy' | 'mde';

const GRAPH_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const LEGACY_CONTENT_TYPE = 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8';

/** Per-request tracking id in the legacy API's `|xxxxxxxx-xxxxxxxxxxxxxxxx.` form. */
function legacyTarget(): string {
  return `|${randomBytes(4).toString('hex')}-${randomBytes(8).toString('hex')}.`;
}

function graphHeaders(state: SandboxState, req: SandboxRequest): Record<string, string> {
  return {
    'request-id': req.requestId,
    'client-request-id': req.clientRequestId ?? req.requestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: { DataCenter: 'Sandbox', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: state.url },
    }),
  };
}

export function apiOk(state: SandboxState, api: ApiName, req: SandboxRequest, body: unknown, status = 200): Reply {
  return api === 'graph'
    ? json(status, body, { ...graphHeaders(state, req), 'content-type': GRAPH_CONTENT_TYPE, 'odata-version': '4.0' })
    : json(status, body, { 'content-type': LEGACY_CONTENT_TYPE, 'odata-version': '4.0' });
}

/** Graph `{error:{code,message,innerError:{date,request-id,client-request-id}}}` or legacy `{error:{code,message,target}}`. */
export function apiError(
  state: SandboxState,
  api: ApiName,
  req: SandboxRequest,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  if (api === 'graph') {
    const innerError = {
      date: state.now().toISOString().slice(0, 19),
      'request-id': req.requestId,
      'client-request-id': req.clientRequestId ?? req.requestId,
    };
    return json(status, { error: { code, message, innerError } }, { ...graphHeaders(state, req), ...headers });
  }
  return json(status, { error: { code, message, target: legacyTarget() } }, headers);
}

const REQUIRED_ROLES: Record<ApiName, Partial<Record<ApiFamily, string[]>>> = {
  graph: {
    hunting: ['ThreatHunting.Read.All'],
    incidentsList: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
    incidentsGet: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
    incidentsUpdate: ['SecurityIncident.ReadWrite.All'],
    comments: ['SecurityIncident.ReadWrite.All'],
    // security-list-alerts_v2.md (permissions include): least SecurityAlert.Read.All, higher ReadWrite; update and
    // comments: SecurityAlert.ReadWrite.All (response-actions.md §5). Get: taken as List's (its include page could not
    // be checked: UNCONFIRMED).
    alertsList: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
    alertsGet: ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
    alertsUpdate: ['SecurityAlert.ReadWrite.All'],
    alertComments: ['SecurityAlert.ReadWrite.All'],
    // response-actions.md §6: user-get (User.Read.All least), revokeSignInSessions (User.RevokeSessions.All least),
    // PATCH accountEnabled (User.EnableDisableAccount.All per the beta list, higher User.ReadWrite.All), riskyUsers
    // actions (IdentityRiskyUser.ReadWrite.All).
    usersGet: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    usersUpdate: ['User.EnableDisableAccount.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    usersRevoke: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    riskyUsersAction: ['IdentityRiskyUser.ReadWrite.All'],
  },
  legacy: {
    hunting: ['AdvancedHunting.Read.All'],
    incidentsList: ['Incident.Read.All', 'Incident.ReadWrite.All'],
    incidentsGet: ['Incident.Read.All', 'Incident.ReadWrite.All'],
    incidentsUpdate: ['Incident.ReadWrite.All'],
    comments: ['Incident.ReadWrite.All'],
    // The legacy API has no alerts endpoint: these families are never routed there.
    alertsList: [],
    alertsGet: [],
    alertsUpdate: [],
    alertComments: [],
    usersGet: [],
    usersUpdate: [],
    usersRevoke: [],
    riskyUsersAction: [],
  },
  // WindowsDefenderATP application permissions per page (response-actions.md §1.2, §4): reads take Machine.Read.All
  // or Machine.ReadWrite.All; each action its own.
  mde: {
    mdeRead: ['Machine.Read.All', 'Machine.ReadWrite.All'],
    mdeIsolate: ['Machine.Isolate'],
    mdeScan: ['Machine.Scan'],
    mdeCollect: ['Machine.CollectForensics'],
    mdeRestrict: ['Machine.RestrictExecution'],
    mdeQuarantine: ['Machine.StopAndQuarantine'],
    // post-ti-indicator.md, get-ti-indicators-collection.md, delete-ti-indicator-by-id.md,
    // batch-delete-ti-indicators.md: application Ti.ReadWrite or Ti.ReadWrite.All.
    indicatorsSubmit: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
    indicatorsList: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
    indicatorsDelete: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
    indicatorsBatch: ['Ti.ReadWrite', 'Ti.ReadWrite.All'],
  },
};

const UNAUTHORIZED_TEXT: Record<string, string> = {
  missing: 'Access token is empty.',
  malformed: 'Access token validation failure. The token is not a well-formed JWT.',
  signature: 'Access token validation failure. Invalid signature.',
  expired: 'Lifetime validation failed, the token is expired.',
  notYetValid: 'Lifetime validation failed, the token is not yet valid.',
  revoked: 'Access token validation failure. The token has been revoked.',
  audience: 'Access token validation failure. Invalid audience.',
  tenant: 'Access token validation failure. Invalid issuer or tenant.',
};

function unauthorized(state: SandboxState, api: ApiName, req: SandboxRequest, problem: string): Reply {
  const text = UNAUTHORIZED_TEXT[problem] ?? 'Access token validation failure.';
  if (api === 'graph') {
    return apiError(state, api, req, 401, 'InvalidAuthenticationToken', text, {
      'www-authenticate': `Bearer realm="", authorization_uri="${state.url}/${state.tenantId}/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    });
  }
  return apiError(state, api, req, 401, 'Unauthorized', `Unauthorized request - reason of failure: ${text}`);
}

export type Guarded = { ok: true; claims: TokenClaims } | { ok: false; reply: Reply };

/** Token (401), application roles (403) and quota (429) checks, in that order; a passing call uses quota. */
export function guard(state: SandboxState, api: ApiName, req: SandboxRequest, family: ApiFamily): Guarded {
  const auth = req.headers.authorization;
  const check = checkBearer(state.key, Array.isArray(auth) ? auth[0] : auth, state.nowSeconds(), state.isRevoked);
  if (!check.ok) return { ok: false, reply: unauthorized(state, api, req, check.problem) };
  const audience = canonicalResource(String(check.claims.aud));
  if (!audience || !(API_AUDIENCES[api] as readonly string[]).includes(audience))
    return { ok: false, reply: unauthorized(state, api, req, 'audience') };
  if (check.claims.tid !== state.tenantId) return { ok: false, reply: unauthorized(state, api, req, 'tenant') };

  const user = userOf(check.claims);
  if (user) {
    // A delegated token: its scopes, then the user's own Defender role (delegated.ts).
    const verdict = delegatedVerdict(api, family, check.claims, state.users.find(user.oid)?.role);
    if (!verdict.ok) return { ok: false, reply: apiError(state, api, req, 403, verdict.code, verdict.message) };
  }
  const required = REQUIRED_ROLES[api][family] ?? [];
  const have = Array.isArray(check.claims.roles) ? check.claims.roles : [];
  if (!user && !required.some((r) => have.includes(r))) {
    const message = `Missing application roles. API required roles: ${required.join(',')}, application roles: ${have.join(',')}.`;
    return { ok: false, reply: apiError(state, api, req, 403, 'Forbidden', message) };
  }

  if (state.rateLimitsOn) {
    const decision = state.limiter.take(quotaWindows(api, family));
    if (!decision.ok) {
      state.counters.throttled += 1;
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      const message =
        api === 'graph'
          ? `Too many requests. Try again in ${seconds} seconds.`
          : `API calls quota exceeded! maximum allowed ${decision.window.limit} per ${formatTimeSpan(decision.scaledWindowMs)}`;
      return {
        ok: false,
        // Identity protection's 429 carries no Retry-After (response-actions.md §7.2): callers back off on their own.
        reply: apiError(
          state,
          api,
          req,
          429,
          'TooManyRequests',
          message,
          family === 'riskyUsersAction' ? {} : { 'retry-after': String(seconds) },
        ),
      };
    }
  }
  if (user) {
    const appId = check.claims.azp ?? check.claims.appid;
    state.users.record({
      at: state.now().toISOString(),
      oid: user.oid,
      upn: user.upn,
      appId: typeof appId === 'string' ? appId : '',
      api,
      family,
      method: req.method,
      path: req.url.pathname,
    });
  }
  return { ok: true, claims: check.claims };
}

const FAULT_CODES: Record<number, Record<'graph' | 'legacy', [string, string]>> = {
  500: { graph: ['UnknownError', ''], legacy: ['InternalServerError', 'An internal server error occurred.'] },
  502: { graph: ['BadGateway', 'Bad gateway.'], legacy: ['BadGateway', 'Bad gateway.'] },
  503: {
    graph: ['ServiceUnavailable', 'The service is temporarily unavailable. Try again later.'],
    legacy: ['ServiceUnavailable', 'The service is temporarily unavailable. Try again later.'],
  },
  504: { graph: ['GatewayTimeout', 'The request timed out.'], legacy: ['GatewayTimeout', 'The request timed out.'] },
};

const PER_MINUTE: Record<ApiFamily, number> = {
  hunting: 45,
  incidentsList: 50,
  incidentsGet: 100,
  incidentsUpdate: 50,
  comments: 50,
  alertsList: 150,
  alertsGet: 150,
  alertsUpdate: 150,
  alertComments: 150,
  mdeRead: 100,
  mdeIsolate: 100,
  mdeScan: 100,
  mdeCollect: 100,
  mdeRestrict: 100,
  mdeQuarantine: 100,
  indicatorsSubmit: 100,
  indicatorsList: 100,
  indicatorsDelete: 100,
  indicatorsBatch: 30,
  usersGet: 1200,
  usersUpdate: 1200,
  usersRevoke: 1200,
  riskyUsersAction: 60,
};

/** The reply for an injected fault with a status, shaped like the API's own errors. */
export function apiFaultReply(
  state: SandboxState,
  api: ApiName,
  req: SandboxRequest,
  family: ApiFamily,
  spec: FaultSpec,
): Reply {
  const status = spec.status ?? 500;
  const headers: Record<string, string> = {};
  const bodyOnly = status === 429 && spec.retryAfterInBodyOnly === true;
  if (spec.retryAfterSeconds !== undefined && !bodyOnly && (status === 429 || status === 503)) {
    headers['retry-after'] = String(Math.max(0, Math.ceil(spec.retryAfterSeconds)));
  }
  if (status === 429) {
    const hint = bodyOnly ? ` Try again in ${formatSeconds(spec.retryAfterSeconds ?? 1)} seconds.` : '';
    const message =
      api === 'graph'
        ? `Too many requests.${hint}`
        : `API calls quota exceeded! maximum allowed ${PER_MINUTE[family]} per 00:01:00${bodyOnly ? '.' + hint : ''}`;
    return apiError(state, api, req, 429, 'TooManyRequests', message, headers);
  }
  const [code, message] =
    FAULT_CODES[status]?.[api === 'graph' ? 'graph' : 'legacy'] ??
    (status >= 500 ? ['InternalServerError', 'Injected fault.'] : ['BadRequest', 'Injected fault.']);
  return apiError(state, api, req, status, code, message, headers);
}

/** A Graph or legacy API route: counts the call, guards it (401/403/429), answers faults in the API's own shape. */
export function apiRoute(
  state: SandboxState,
  api: ApiName,
  family: ApiFamily,
  methods: string[],
  pattern: RegExp,
  handler: (req: SandboxRequest, params: string[], claims: TokenClaims) => Reply,
): Route {
  return {
    methods,
    pattern,
    family,
    api,
    target:
      family === 'hunting'
        ? 'hunting'
        : family.startsWith('alert')
          ? 'alerts'
          : family.startsWith('mde')
            ? 'machineActions'
            : family.startsWith('indicators')
              ? 'indicators'
              : family.startsWith('users') || family.startsWith('risky')
                ? 'identity'
                : 'incidents',
    count: () => void (state.counters.api[family] += 1),
    faultReply: (req, spec) => apiFaultReply(state, api, req, family, spec),
    handle: (req, params) => {
      const g = guard(state, api, req, family);
      return g.ok ? handler(req, params, g.claims) : g.reply;
    },
  };
}

/**
 * Who an update is attributed to (Graph `lastModifiedBy` style): the app, or for a delegated call the user's UPN
 * (as a change made in the portal shows; UNCONFIRMED for API calls).
 */
export function actorOf(claims: TokenClaims): string {
  return userOf(claims)?.upn ?? `API-App:${claims.appid}`;
}
