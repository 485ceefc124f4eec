// How each HTTP API endpoint authenticates its caller (HTTP_AUTH_MODE) and what a caller's bearer token must be
// (API_CLIENT_ID, API_ALLOWED_TENANTS, API_REQUIRED_SCOPE). Read twice: by each function's registration (which only
// needs the mode, and must never throw: a bad setting must not break indexing) and by loadConfig (which reports it).

/** functionKey: today's function key, Riposte acts as its app. bearer: an Entra ID token, Riposte acts on behalf of the caller. */
export type HttpAuthMode = 'functionKey' | 'bearer';

/** The endpoints HTTP_AUTH_MODE governs (function names). Webhooks, approvals and health keep their own schemes. */
export const CALLER_AUTH_ENDPOINTS = [
  'listIncidents',
  'getIncident',
  'updateIncident',
  'runHuntingQuery',
  'runWorkflow',
] as const;
export type CallerAuthEndpoint = (typeof CALLER_AUTH_ENDPOINTS)[number];

export interface CallerAuthConfig {
  modes: Record<CallerAuthEndpoint, HttpAuthMode>;
  /** Riposte API's app registration (the `aud` of callers' tokens, also as api://{id}); default CLIENT_ID. */
  apiClientId: string;
  /** Tenants whose users may call (`tid`); default TENANT_ID. */
  allowedTenants: readonly string[];
  /** The delegated scope a user token must carry in `scp` (default access_as_user). */
  requiredScope: string;
  /** App Service authentication is on (WEBSITE_AUTH_ENABLED): the bearer still comes in Authorization and is validated. */
  easyAuth: boolean;
}

type Env = Record<string, string | undefined>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * HTTP_AUTH_MODE: `functionKey` (default) | `bearer` | a default followed by per-endpoint overrides,
 * e.g. `functionKey;updateIncident=bearer;getIncident=bearer`.
 */
export function parseHttpAuthMode(value: string | undefined): {
  modes: Record<CallerAuthEndpoint, HttpAuthMode>;
  problems: string[];
} {
  const problems: string[] = [];
  const mode = (v: string): HttpAuthMode | undefined => {
    const m = v.trim().toLowerCase();
    return m === 'functionkey' ? 'functionKey' : m === 'bearer' ? 'bearer' : undefined;
  };
  const parts = (value ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  let fallback: HttpAuthMode = 'functionKey';
  const overrides: Partial<Record<CallerAuthEndpoint, HttpAuthMode>> = {};
  parts.forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0) {
      const m = mode(part);
      if (i !== 0 || !m)
        problems.push(`HTTP_AUTH_MODE: '${part}' must be functionKey or bearer (first) or endpoint=mode`);
      else fallback = m;
      return;
    }
    const name = part.slice(0, eq).trim();
    const m = mode(part.slice(eq + 1));
    const endpoint = CALLER_AUTH_ENDPOINTS.find((e) => e.toLowerCase() === name.toLowerCase());
    if (!endpoint)
      problems.push(`HTTP_AUTH_MODE: unknown endpoint '${name}' (one of ${CALLER_AUTH_ENDPOINTS.join(', ')})`);
    else if (!m) problems.push(`HTTP_AUTH_MODE: ${name} must be functionKey or bearer`);
    else overrides[endpoint] = m;
  });
  const modes = Object.fromEntries(CALLER_AUTH_ENDPOINTS.map((e) => [e, overrides[e] ?? fallback])) as Record<
    CallerAuthEndpoint,
    HttpAuthMode
  >;
  return { modes, problems };
}

/**
 * The Functions-level auth of an endpoint at registration: `anonymous` in bearer mode (Riposte checks the token),
 * `function` otherwise, and `function` when the setting is broken (the invocation then answers CONFIG_INVALID).
 */
export function authLevelFor(endpoint: CallerAuthEndpoint, env: Env = process.env): 'anonymous' | 'function' {
  const { modes, problems } = parseHttpAuthMode(env.HTTP_AUTH_MODE);
  return problems.length === 0 && modes[endpoint] === 'bearer' ? 'anonymous' : 'function';
}

/** The caller-auth part of the settings; problems name the setting, never a value. */
export function loadCallerAuthConfig(
  env: Env,
  defaults: { tenantId: string; clientId: string },
): { config: CallerAuthConfig; problems: string[] } {
  const text = (name: string): string | undefined => env[name]?.trim() || undefined;
  const { modes, problems } = parseHttpAuthMode(env.HTTP_AUTH_MODE);
  const apiClientId = text('API_CLIENT_ID') ?? defaults.clientId;
  if (text('API_CLIENT_ID') && !GUID.test(apiClientId)) problems.push('API_CLIENT_ID must be a GUID');
  const allowedTenants = (text('API_ALLOWED_TENANTS') ?? defaults.tenantId)
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map((t) => t.toLowerCase());
  // A broken TENANT_ID (the default) is reported as TENANT_ID already.
  if (text('API_ALLOWED_TENANTS') && allowedTenants.some((t) => !GUID.test(t)))
    problems.push('API_ALLOWED_TENANTS must be tenant GUIDs, comma-separated');
  const requiredScope = text('API_REQUIRED_SCOPE') ?? 'access_as_user';
  if (!/^[A-Za-z0-9._-]+$/.test(requiredScope))
    problems.push('API_REQUIRED_SCOPE must be one scope name (e.g. access_as_user)');
  const easyAuth = (text('WEBSITE_AUTH_ENABLED') ?? '').toLowerCase() === 'true';
  return { config: { modes, apiClientId, allowedTenants, requiredScope, easyAuth }, problems };
}
