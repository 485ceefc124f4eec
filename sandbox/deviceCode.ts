// Entra ID's device authorization grant for public clients (the CLI's `riposte run --user`): the /devicecode
// endpoint, the token endpoint's device code and refresh token grants, and the page where the user "goes" to approve
// or decline a code as a sandbox user. Protocol and errors: identity-modes.md §5.1 (entra-docs
// docs/identity-platform/v2-oauth2-device-code.md, reference-error-codes.md). Times (interval, expiry) follow the
// sandbox's time scale (rateLimitScale), so a test does not wait Entra's 5 s polls and 15 minutes.
import { randomBytes, randomUUID } from 'node:crypto';
import { aadError, appNotFound, credentialMissing, invalidScope, parameterMissing } from './aadErrors';
import { tenantProblem } from './entra';
import { formBody, json, type Reply, type SandboxRequest } from './httpUtil';
import { signJwt, type TokenClaims } from './jwt';
import { delegatedScopesOf } from './delegated';
import { apiOfResource, canonicalResource } from './resources';
import type { Route } from './router';
import { SANDBOX_CLIENT_ID } from './seed/entities';
import type { SandboxState } from './state';
import { issueUserToken, type SandboxUser } from './users';

/** The sandbox tenant's CLI app registration: a public client ("Allow public client flows" on). */
export const SANDBOX_CLI_CLIENT_ID = 'c4a8e2f1-6b3d-4e9a-8f7c-2d5b1a9e6c34';

/** Entra's own defaults (identity-modes.md §5.1): poll every 5 s, the code lives 15 minutes. */
const DEFAULT_INTERVAL_SECONDS = 5;
const DEFAULT_EXPIRES_IN_SECONDS = 900;

export interface DeviceCodeTiming {
  intervalSeconds: number;
  expiresInSeconds: number;
  /**
   * Polls closer together than this are answered slow_down (RFC 8628 §3.5). Default: the interval given out. A test
   * sets it above the interval to stand for a service that wants slower polling than it advertised.
   */
  minPollSeconds?: number;
}

interface PendingCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  resource: string;
  /** Sandbox clock, ms. */
  expiresAt: number;
  minPollMs: number;
  lastPollAt?: number;
  status: 'pending' | 'approved' | 'declined' | 'redeemed';
  user?: SandboxUser;
}

interface DeviceCodeStore {
  timing: DeviceCodeTiming;
  byDeviceCode: Map<string, PendingCode>;
  refreshTokens: Map<string, { oid: string; clientId: string }>;
}

const stores = new WeakMap<SandboxState, DeviceCodeStore>();

function defaultTiming(state: SandboxState): DeviceCodeTiming {
  return {
    intervalSeconds: DEFAULT_INTERVAL_SECONDS * state.rateLimitScale,
    expiresInSeconds: DEFAULT_EXPIRES_IN_SECONDS * state.rateLimitScale,
  };
}

function storeOf(state: SandboxState): DeviceCodeStore {
  let s = stores.get(state);
  if (!s) {
    s = { timing: defaultTiming(state), byDeviceCode: new Map(), refreshTokens: new Map() };
    stores.set(state, s);
  }
  return s;
}

/** The sandbox control's view: timing, forgetting codes, and back to defaults on reset. */
export function deviceCodeControl(state: SandboxState) {
  return {
    setTiming: (t: Partial<DeviceCodeTiming>): void => {
      const s = storeOf(state);
      s.timing = { ...s.timing, ...t };
    },
    /** Drops every issued device code, as a code issued by another datacenter or already used would be unknown. */
    forgetCodes: (): void => storeOf(state).byDeviceCode.clear(),
    reset: (): void => {
      stores.delete(state);
    },
  };
}

export const isDeviceCodeGrant = (grant: string): boolean =>
  grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'device_code';

/** Grants for the public CLI app (device code, and the refresh token it got) answered here; entra.ts dispatches. */
export const isUserSignInGrant = (grant: string): boolean => isDeviceCodeGrant(grant) || grant === 'refresh_token';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** The one API resource a delegated request's scopes name (`<resource>/.default` or `<resource>/<permission>`). */
function resourceOf(scope: string): string | undefined {
  const resources = new Set<string>();
  for (const s of scope.split(/\s+/).filter((x) => x && !OIDC_SCOPES.has(x.toLowerCase()))) {
    const cut = s.lastIndexOf('/');
    if (cut <= 0) return undefined;
    const r = canonicalResource(s.slice(0, cut));
    if (!r) return undefined;
    resources.add(r);
  }
  return resources.size === 1 ? [...resources][0] : undefined;
}

const nowMs = (state: SandboxState): number => state.now().getTime();

/** Only the two apps of the sandbox tenant exist; only the CLI one is a public client. */
function unknownClient(state: SandboxState, req: SandboxRequest, clientId: string): Reply | undefined {
  const id = clientId.toLowerCase();
  if (id === SANDBOX_CLI_CLIENT_ID || id === SANDBOX_CLIENT_ID.toLowerCase()) return undefined;
  return appNotFound(state, req, clientId);
}

function userCode(): string {
  const letters = 'BCDFGHJKLMNPQRSTVWXZ23456789';
  return [...randomBytes(9)].map((b) => letters[b % letters.length]).join('');
}

function deviceCodeRequest(state: SandboxState, req: SandboxRequest, tenant: string): Reply {
  const bad = tenantProblem(state, req, tenant, 'invalid_request');
  if (bad) return bad;
  const form = formBody(req);
  const clientId = form.get('client_id');
  if (!clientId) return parameterMissing(state, req, 'client_id');
  const unknown = unknownClient(state, req, clientId);
  if (unknown) return unknown;
  const scope = form.get('scope');
  if (!scope) return parameterMissing(state, req, 'scope');
  const resource = resourceOf(scope);
  if (!resource) {
    return invalidScope(state, req, scope);
  }
  const store = storeOf(state);
  const { intervalSeconds, expiresInSeconds, minPollSeconds } = store.timing;
  const code: PendingCode = {
    deviceCode: randomBytes(48).toString('base64url'),
    userCode: userCode(),
    clientId: clientId.toLowerCase(),
    resource,
    expiresAt: nowMs(state) + expiresInSeconds * 1000,
    minPollMs: (minPollSeconds ?? intervalSeconds) * 1000,
    status: 'pending',
  };
  store.byDeviceCode.set(code.deviceCode, code);
  const verificationUri = `${state.url}/devicelogin`;
  return json(200, {
    user_code: code.userCode,
    device_code: code.deviceCode,
    verification_uri: verificationUri,
    expires_in: expiresInSeconds,
    interval: intervalSeconds,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code.userCode} to authenticate.`,
  });
}

/** The id token MSAL builds its account from (oid, tid, preferred_username), with client_info's uid.utid. */
function idToken(state: SandboxState, user: SandboxUser, clientId: string): string {
  const iat = state.nowSeconds();
  const claims = {
    aud: clientId,
    iss: state.issuer(),
    iat,
    nbf: iat,
    exp: iat + 3600,
    tid: state.tenantId,
    oid: user.oid,
    sub: user.oid,
    preferred_username: user.upn,
    name: user.name,
    ver: '2.0',
    jti: randomUUID(),
  } as unknown as TokenClaims;
  return signJwt(state.key, claims);
}

function userTokenReply(state: SandboxState, user: SandboxUser, clientId: string, resource: string): Reply {
  const store = storeOf(state);
  // What `/.default` yields: every delegated permission consented for the app on that API (the sandbox's CLI app
  // has them all, as obo's Riposte app does).
  const api = apiOfResource(resource);
  const scopes = api ? delegatedScopesOf(api) : [];
  const issued = issueUserToken(state, user, { audience: resource, scopes, clientAppId: clientId });
  const refreshToken = randomBytes(48).toString('base64url');
  store.refreshTokens.set(refreshToken, { oid: user.oid, clientId });
  return json(
    200,
    {
      token_type: 'Bearer',
      scope: `${scopes.map((sc) => `${resource}/${sc}`).join(' ')} openid profile offline_access`,
      expires_in: state.tokenLifetimeSeconds,
      ext_expires_in: state.tokenLifetimeSeconds,
      access_token: issued.token,
      refresh_token: refreshToken,
      id_token: idToken(state, user, clientId),
      client_info: Buffer.from(JSON.stringify({ uid: user.oid, utid: state.tenantId })).toString('base64url'),
    },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
  );
}

/** The token endpoint's answer to a device code or refresh token grant (entra.ts has checked the tenant). */
export function userSignInGrant(state: SandboxState, req: SandboxRequest, grant: string): Reply {
  const form = formBody(req);
  const clientId = form.get('client_id');
  if (!clientId) return parameterMissing(state, req, 'client_id');
  const unknown = unknownClient(state, req, clientId);
  if (unknown) return unknown;
  if (clientId.toLowerCase() !== SANDBOX_CLI_CLIENT_ID) {
    // A confidential client must prove itself: the Function App's registration is not marked as a public client.
    return credentialMissing(state, req);
  }
  const store = storeOf(state);
  if (grant === 'refresh_token') {
    const rt = form.get('refresh_token');
    if (!rt) return parameterMissing(state, req, 'refresh_token');
    const held = store.refreshTokens.get(rt);
    const user = held && held.clientId === clientId.toLowerCase() ? state.users.find(held.oid) : undefined;
    const resource = resourceOf(form.get('scope') ?? '');
    if (!user)
      return aadError(state, req, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (!resource) return invalidScope(state, req);
    return userTokenReply(state, user, clientId.toLowerCase(), resource);
  }
  const deviceCode = form.get('device_code');
  if (!deviceCode) return parameterMissing(state, req, 'device_code');
  const code = store.byDeviceCode.get(deviceCode);
  // Error numbers for the device code answers beyond 70016 (pending) and 70019 (expired) are UNCONFIRMED: the
  // `error` strings are the documented contract (v2-oauth2-device-code.md).
  if (!code || code.clientId !== clientId.toLowerCase() || code.status === 'redeemed') {
    return aadError(state, req, 400, 'bad_verification_code', 70018, 'The device code was not recognized.');
  }
  const now = nowMs(state);
  if (now >= code.expiresAt) {
    store.byDeviceCode.delete(deviceCode);
    return aadError(state, req, 400, 'expired_token', 70019, 'Verification code expired.');
  }
  const tooSoon = code.lastPollAt !== undefined && now - code.lastPollAt < code.minPollMs;
  code.lastPollAt = now;
  if (tooSoon) {
    return aadError(
      state,
      req,
      400,
      'slow_down',
      70016,
      'The client is polling too quickly. Poll at the interval given.',
    );
  }
  if (code.status === 'declined') {
    store.byDeviceCode.delete(deviceCode);
    return aadError(state, req, 400, 'authorization_declined', 70000, 'The end user denied the authorization request.');
  }
  if (code.status === 'pending' || !code.user) {
    return aadError(
      state,
      req,
      400,
      'authorization_pending',
      70016,
      'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
    );
  }
  code.status = 'redeemed';
  return userTokenReply(state, code.user, code.clientId, code.resource);
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(status: number, body: string): Reply {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: `<!doctype html><html><head><title>Sandbox sign-in</title></head><body>${body}</body></html>`,
  };
}

const FORM = `<h1>Sign in to the Riposte sandbox</h1>
<form method="post"><label>Code <input name="user_code" autofocus></label>
<label>User <input name="user" value="alex.analyst@contoso.com"></label>
<button name="action" value="approve">Approve</button> <button name="action" value="decline">Decline</button></form>`;

/**
 * POST /devicelogin: user_code, user (UPN, object id or seed key of sandbox/users.ts), action approve|decline, as the
 * user would in the browser after signing in.
 */
function signIn(state: SandboxState, req: SandboxRequest): Reply {
  const form = formBody(req);
  const typed = (form.get('user_code') ?? '').trim().toUpperCase();
  const action = form.get('action') ?? 'approve';
  if (action !== 'approve' && action !== 'decline') return page(400, `<p>Unknown action.</p>${FORM}`);
  const code = [...storeOf(state).byDeviceCode.values()].find((c) => c.userCode === typed);
  if (!code || code.status !== 'pending' || nowMs(state) >= code.expiresAt) {
    return page(400, `<p>That code is not valid or has expired. Check it and try again.</p>${FORM}`);
  }
  const user = state.users.find((form.get('user') ?? '').trim());
  if (!user) return page(400, `<p>No such user in the sandbox tenant.</p>${FORM}`);
  code.user = user;
  code.status = action === 'approve' ? 'approved' : 'declined';
  return page(
    200,
    action === 'approve'
      ? `<p>${escapeHtml(user.upn)} signed in. You can close this window and return to the application.</p>`
      : `<p>Sign-in declined for ${escapeHtml(user.upn)}.</p>`,
  );
}

export function deviceCodeRoutes(state: SandboxState): Route[] {
  const fault = (req: SandboxRequest): Reply =>
    aadError(state, req, 503, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.');
  return [
    {
      methods: ['POST'],
      pattern: /^\/([^/]+)\/oauth2\/v2\.0\/devicecode\/?$/,
      family: 'devicecode',
      target: 'token',
      faultReply: fault,
      handle: (req, [tenant = '']) => deviceCodeRequest(state, req, tenant),
    },
    {
      methods: ['GET', 'POST'],
      pattern: /^\/devicelogin\/?$/,
      family: 'devicelogin',
      target: 'other',
      faultReply: fault,
      handle: (req) => (req.method === 'GET' ? page(200, FORM) : signIn(state, req)),
    },
  ];
}
