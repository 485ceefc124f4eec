// The on-behalf-of grant of the sandbox's Entra token endpoint (identity-modes.md §4; ED
// v2-oauth2-on-behalf-of-flow.md): Riposte's app trades a user's token for its API (the assertion) for a delegated
// token for a downstream API, carrying the same user and the consented delegated scopes.
import { clientAuthProblem } from './clientAssertion';
import { aadError, appNotFound, invalidScope, parameterMissing } from './aadErrors';
import { header, json, type Reply, type SandboxRequest } from './httpUtil';
import { checkBearer } from './jwt';
import { delegatedScopesOf } from './delegated';
import { apiOfResource, canonicalResource } from './resources';
import type { SandboxState } from './state';
import { issueUserToken, userOf } from './users';

/** The conditional access policy a challenged user meets (its id in the claims challenge). */
const MFA_POLICY_ID = '5d0c6b7e-3f1a-4c2b-9e8d-7a6f5e4d3c2b';

export const OBO_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** Client id and secret from the form or HTTP Basic (client_secret_basic). */
function clientOf(req: SandboxRequest, form: URLSearchParams): { clientId: string | null; secret: string | null } {
  const basic = /^Basic\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  if (basic?.[1]) {
    const [id = '', secret = ''] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return { clientId: decodeURIComponent(id), secret: decodeURIComponent(secret) };
  }
  return { clientId: form.get('client_id'), secret: form.get('client_secret') };
}

/** Answers a token request whose grant_type is the jwt-bearer grant (on-behalf-of). */
export function oboGrant(state: SandboxState, req: SandboxRequest, tenant: string, form: URLSearchParams): Reply {
  const err = (status: number, error: string, code: number, message: string): Reply =>
    aadError(state, req, status, error, code, message);
  const missing = (p: string): Reply => parameterMissing(state, req, p);

  if (form.get('requested_token_use') !== 'on_behalf_of') return missing('requested_token_use');
  const assertion = form.get('assertion');
  if (!assertion) return missing('assertion');
  const scopeParam = form.get('scope');
  if (!scopeParam) return missing('scope');

  // The client: Riposte's app.
  const { clientId } = clientOf(req, form);
  if (!clientId) return missing('client_id');
  if (clientId.toLowerCase() !== state.clientId.toLowerCase()) {
    return appNotFound(state, req, clientId);
  }
  // Secret (post or Basic) or a client assertion: certificate or federated credential (clientAssertion.ts).
  const refused = clientAuthProblem(state, req, tenant, form);
  if (refused) return refused;

  // The assertion: signed by this tenant, in its lifetime, for Riposte's API, from a user.
  const check = checkBearer(state.key, `Bearer ${assertion}`, state.nowSeconds(), state.isRevoked);
  if (!check.ok) {
    // 500133 for an expired assertion is UNCONFIRMED (identity-modes.md §4.2); 50013 is InvalidAssertion.
    return check.problem === 'expired'
      ? err(
          400,
          'invalid_grant',
          500133,
          'Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token.',
        )
      : err(400, 'invalid_grant', 50013, 'Assertion failed signature validation.');
  }
  const claims = check.claims;
  const aud = String(claims.aud).toLowerCase();
  const ownAudiences = [state.clientId.toLowerCase(), `api://${state.clientId.toLowerCase()}`];
  if (!ownAudiences.includes(aud)) {
    // The assertion must be for the middle tier itself (a Graph token cannot be redeemed).
    return err(
      400,
      'invalid_grant',
      50013,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${String(claims.aud)}' and the expected audience is '${state.clientId}' or one of the Application Ids of the application principal.`,
    );
  }
  if (claims.tid !== state.tenantId) {
    return err(400, 'invalid_grant', 50013, 'Assertion contains an invalid issuer or tenant.');
  }
  const user = userOf(claims);
  if (!user) {
    // Only user principals: an app-only token goes through client credentials (identity-modes.md §4.1).
    return err(
      400,
      'invalid_grant',
      7000114,
      `Application '${state.clientId}' is not allowed to make application on-behalf-of calls.`,
    );
  }
  if (!state.users.find(user.oid)) {
    return err(400, 'invalid_grant', 50034, `The user account ${user.oid} does not exist in the directory.`);
  }

  // The requested scopes: one downstream resource, `.default` or named delegated permissions it has.
  const scopes = scopeParam.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
  const badScope = (): Reply => invalidScope(state, req, scopeParam);
  const parsed = scopes.map((s) => {
    const cut = s.lastIndexOf('/');
    return cut > 0 ? { resource: s.slice(0, cut), name: s.slice(cut + 1) } : undefined;
  });
  if (parsed.length === 0 || parsed.some((p) => !p)) return badScope();
  const resources = new Set(parsed.map((p) => canonicalResource(p!.resource) ?? p!.resource));
  if (resources.size > 1) {
    return err(
      400,
      'invalid_scope',
      700022,
      `The provided value for the input parameter 'scope' is not valid because it contains more than one resource. The scope ${scopeParam} is not valid.`,
    );
  }
  const resource = canonicalResource(parsed[0]!.resource);
  const api = resource ? apiOfResource(resource) : undefined;
  if (!resource || !api) {
    return err(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${parsed[0]!.resource} was not found in the tenant named ${state.tenantId}.`,
    );
  }
  const consentedSet = delegatedScopesOf(api);
  const names = parsed.map((p) => p!.name);
  const granted = names.includes('.default') ? consentedSet : names;
  if (granted.some((n) => !consentedSet.includes(n))) return badScope();

  if (!state.users.hasConsented(user.oid, state.clientId)) {
    // MicrosoftDocs/azure-docs#39189 and ED v2-oauth2-on-behalf-of-flow.md (error response example).
    const reply = err(
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${state.clientId}' named 'Riposte'. Send an interactive authorization request for this user and resource.`,
    );
    reply.body = { ...(reply.body as Record<string, unknown>), suberror: 'consent_required' };
    return reply;
  }

  if (state.users.mfaRequired(user.oid)) {
    // ED v2-oauth2-on-behalf-of-flow.md, "Error response example": a conditional access policy on the downstream API.
    const reply = err(
      400,
      'interaction_required',
      50079,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${resource}'.`,
    );
    reply.body = {
      ...(reply.body as Record<string, unknown>),
      claims: JSON.stringify({ access_token: { polids: { essential: true, values: [MFA_POLICY_ID] } } }),
    };
    return reply;
  }

  const target = state.users.find(user.oid)!;
  // Microsoft's own APIs get v1-format tokens (identity-modes.md §4.1: the format follows the resource).
  const minted = issueUserToken(state, target, {
    audience: resource,
    scopes: granted,
    clientAppId: state.clientId,
    ver: '1.0',
  });
  return json(
    200,
    {
      token_type: 'Bearer',
      scope: granted.map((n) => `${resource}/${n}`).join(' '),
      expires_in: state.tokenLifetimeSeconds,
      ext_expires_in: state.tokenLifetimeSeconds,
      access_token: minted.token,
    },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': req.requestId },
  );
}
