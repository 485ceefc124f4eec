// Entra ID v2 (and v1) for one tenant and one app: OpenID discovery, JWKS, and the client-credentials token endpoint,
// with the error bodies and AADSTS codes of defender-api.md §4 and the discovery rules of local-azure.md §2.
import { aadError, appNotFound, invalidScope, noCache, parameterMissing } from './aadErrors';
import { formBody, header, json, type Reply, type SandboxRequest } from './httpUtil';
import { clientAuthProblem } from './clientAssertion';
import { jwks } from './jwt';
import { isUserSignInGrant, userSignInGrant } from './deviceCode';
import { OBO_GRANT, oboGrant } from './oboGrant';
import { canonicalResource, rolesFor } from './resources';
import type { Route } from './router';
import type { SandboxState } from './state';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/** The app's service principal object id in the sandbox tenant (the `oid` of its tokens). */
export const APP_OBJECT_ID = '0c5b7a3e-9f21-4d6e-8a4b-2e7f1c9d3a56';

/** undefined when the tenant is ours; otherwise the Entra error for it (90002 unknown, 900023 malformed). */
export function tenantProblem(
  state: SandboxState,
  req: SandboxRequest,
  tenant: string,
  error: string,
): Reply | undefined {
  if (tenant.toLowerCase() === state.tenantId.toLowerCase()) return undefined;
  if (GUID.test(tenant) || DNS_NAME.test(tenant)) {
    return aadError(
      state,
      req,
      400,
      error,
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }
  return aadError(
    state,
    req,
    400,
    'invalid_request',
    900023,
    `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`,
  );
}

function discovery(state: SandboxState, tenant: string): Record<string, unknown> {
  const base = `${state.url}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    // MSAL requires the issuer's origin to equal the authority host's (local-azure.md §2).
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${state.url}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'email'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** The client id and secret from the form body or an HTTP Basic header. */
function clientAuth(req: SandboxRequest, form: URLSearchParams): { clientId: string | null; secret: string | null } {
  const basic = /^Basic\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  if (basic?.[1]) {
    const [id = '', secret = ''] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return { clientId: decodeURIComponent(id), secret: decodeURIComponent(secret) };
  }
  return { clientId: form.get('client_id'), secret: form.get('client_secret') };
}

function token(state: SandboxState, req: SandboxRequest, tenant: string, v2: boolean): Reply {
  const bad = tenantProblem(state, req, tenant, 'invalid_request');
  if (bad) return bad;
  const form = formBody(req);
  const missing = (p: string): Reply => parameterMissing(state, req, p);

  const grant = form.get('grant_type');
  if (!grant) return missing('grant_type');
  if (v2 && form.has('resource')) {
    return aadError(state, req, 400, 'invalid_request', 901002, "The 'resource' request parameter is not supported.");
  }
  if (isUserSignInGrant(grant)) return userSignInGrant(state, req, grant);
  if (grant === OBO_GRANT) return oboGrant(state, req, tenant, form);
  if (grant !== 'client_credentials') {
    return aadError(
      state,
      req,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant}'.`,
    );
  }
  const { clientId } = clientAuth(req, form);
  if (!clientId) return missing('client_id');
  if (clientId.toLowerCase() !== state.clientId.toLowerCase()) {
    return appNotFound(state, req, clientId);
  }

  let resource: string | undefined;
  if (v2) {
    const scopeParam = form.get('scope');
    if (!scopeParam) return missing('scope');
    const scopes = scopeParam.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
    const single = scopes.length === 1 ? scopes[0] : undefined;
    if (!single || !single.toLowerCase().endsWith('/.default')) {
      return invalidScope(state, req, scopeParam);
    }
    resource = single.slice(0, -'/.default'.length);
  } else {
    resource = form.get('resource') ?? undefined;
    if (!resource) return missing('resource');
  }
  const canonical = canonicalResource(resource);
  if (!canonical) {
    return aadError(
      state,
      req,
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${state.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }

  const refused = clientAuthProblem(state, req, tenant, form);
  if (refused) return refused;

  const minted = state.mintToken(canonical, state.clientId, APP_OBJECT_ID, rolesFor(canonical, state.roles));
  const lifetime = state.tokenLifetimeSeconds;
  if (v2) {
    return json(
      200,
      { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: minted.token },
      noCache(req),
    );
  }
  // v1 answers with numbers as strings (defender-api.md §4).
  return json(
    200,
    {
      token_type: 'Bearer',
      expires_in: String(lifetime),
      ext_expires_in: String(lifetime),
      expires_on: String(minted.expiresOn),
      not_before: String(minted.claims.nbf),
      resource,
      access_token: minted.token,
    },
    noCache(req),
  );
}

export function entraRoutes(state: SandboxState): Route[] {
  const entraFault = (req: SandboxRequest, spec: { status?: number; retryAfterSeconds?: number }): Reply => {
    const reply = aadError(
      state,
      req,
      spec.status ?? 503,
      'temporarily_unavailable',
      90033,
      'A transient error has occurred. Please try again.',
    );
    if (spec.retryAfterSeconds !== undefined)
      reply.headers = { ...reply.headers, 'retry-after': String(Math.ceil(spec.retryAfterSeconds)) };
    return reply;
  };
  return [
    {
      methods: ['GET'],
      pattern: /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/,
      family: 'discovery',
      target: 'other',
      count: () => void (state.counters.discoveryRequests += 1),
      faultReply: entraFault,
      handle: (req, [tenant = '']) =>
        tenantProblem(state, req, tenant, 'invalid_tenant') ??
        json(200, discovery(state, tenant), { 'cache-control': 'max-age=86400, private' }),
    },
    {
      methods: ['GET'],
      pattern: /^\/([^/]+)\/discovery\/v2\.0\/keys\/?$/,
      family: 'jwks',
      target: 'other',
      faultReply: entraFault,
      handle: () => json(200, { keys: [state.key, ...state.retiredKeys].flatMap((k) => jwks(k).keys) }),
    },
    {
      methods: ['POST'],
      pattern: /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/,
      family: 'token',
      target: 'token',
      count: () => void (state.counters.tokenRequests += 1),
      faultReply: entraFault,
      handle: (req, [tenant = '']) => token(state, req, tenant, true),
    },
    {
      methods: ['POST'],
      pattern: /^\/([^/]+)\/oauth2\/token\/?$/,
      family: 'token',
      target: 'token',
      count: () => void (state.counters.tokenRequests += 1),
      faultReply: entraFault,
      handle: (req, [tenant = '']) => token(state, req, tenant, false),
    },
  ];
}
