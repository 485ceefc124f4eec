// Per-endpoint caller authentication (HTTP_AUTH_MODE, shared/auth/callerAuthConfig.ts). functionKey: the host checked
// the key, Riposte acts as its app. bearer: the function is anonymous at the Functions level and Riposte validates the
// caller's Entra ID token itself, then calls the APIs on behalf of the caller. A request carrying the other mode's
// credential, or both, is refused (400) so a caller never silently gets a different identity than they meant.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { CallerAuthEndpoint } from '../../shared/auth/callerAuthConfig';
import { CallerAuthError, type Caller } from '../../shared/auth/bearerToken';
import type { AppDeps } from '../../shared/deps';
import { AppError } from '../../shared/errors';
import { toHttpResponse } from './httpErrors';
import { getDeps as defaultGetDeps } from './lazy';

type Handler = (req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>;

const CHALLENGE_CODES = new Set(['TOKEN_INVALID', 'INSUFFICIENT_SCOPE']);

/** The RFC 6750 challenge for a refused bearer, from the error's own or built from its code. */
function challenge(err: unknown): string | undefined {
  const e = err as { code?: unknown; wwwAuthenticate?: unknown; message?: unknown };
  if (typeof e?.wwwAuthenticate === 'string') return e.wwwAuthenticate;
  if (typeof e?.code !== 'string' || !CHALLENGE_CODES.has(e.code)) return undefined;
  const error = e.code === 'TOKEN_INVALID' ? 'invalid_token' : 'insufficient_scope';
  const description = String(e.message ?? '').replace(/[^\x20-\x7e]|["\\]/g, ' ');
  return `Bearer error="${error}", error_description="${description}"`;
}

function refuse(err: unknown, ctx: InvocationContext): HttpResponseInit {
  const res = toHttpResponse(err, ctx);
  const www = res.status === 401 || res.status === 403 ? challenge(err) : undefined;
  return www ? { ...res, headers: { ...(res.headers as Record<string, string>), 'WWW-Authenticate': www } } : res;
}

/**
 * @param make - builds the endpoint's handler from a deps getter: the app's deps (functionKey) or the caller's
 *   on-behalf-of deps (bearer), fixed for this one request.
 */
export function withCallerAuth(
  endpoint: CallerAuthEndpoint,
  make: (getDeps: () => AppDeps, caller?: Caller) => Handler,
  getDeps: () => AppDeps = defaultGetDeps,
): Handler {
  const asApp = make(getDeps);
  return async (req, ctx) => {
    let deps: AppDeps;
    try {
      deps = getDeps();
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
    const { callerAuth } = deps.config;
    const authorization = req.headers.get('authorization');
    const bearer = /^\s*bearer\b/i.test(authorization ?? '');
    const functionKey = req.headers.has('x-functions-key') || new URL(req.url).searchParams.has('code');
    if (callerAuth.modes[endpoint] === 'functionKey') {
      if (bearer)
        return refuse(
          new AppError(
            'AUTH_MODE_MIXED',
            `${endpoint} authenticates callers with a function key (HTTP_AUTH_MODE functionKey): it does not take an access token in the Authorization header; send the function key alone`,
          ),
          ctx,
        );
      return asApp(req, ctx);
    }
    if (functionKey)
      return refuse(
        new AppError(
          'AUTH_MODE_MIXED',
          bearer
            ? `${endpoint} got both a function key and an access token: it acts on behalf of the caller (HTTP_AUTH_MODE bearer) and takes the access token only`
            : `${endpoint} acts on behalf of the caller (HTTP_AUTH_MODE bearer): send an Entra ID access token in the Authorization header, not a function key`,
        ),
        ctx,
      );
    // App Service authentication may add X-MS-CLIENT-PRINCIPAL; it is never trusted alone (identity-modes.md §3.4):
    // the token itself comes in Authorization and is validated here like any other.
    if (!authorization?.trim() && req.headers.has('x-ms-client-principal'))
      return refuse(
        new CallerAuthError(
          'TOKEN_INVALID',
          `X-MS-CLIENT-PRINCIPAL alone is not trusted${callerAuth.easyAuth ? '' : ' (App Service authentication is off here: WEBSITE_AUTH_ENABLED)'}: send the Entra ID access token in the Authorization header`,
        ),
        ctx,
      );
    try {
      const caller = await deps.bearer.validate(authorization);
      ctx.log(`[http] ${endpoint} on behalf of ${caller.user.upn} (${caller.user.oid}, tenant ${caller.user.tid})`);
      const asCaller = make(() => deps.forCaller(caller), caller);
      const res = await asCaller(req, ctx);
      return res.status === 401 || res.status === 403 ? withChallenge(res) : res;
    } catch (err) {
      return refuse(err, ctx);
    }
  };
}

/** A 401/403 the handler answered from an on-behalf-of failure gets the challenge built from its body's code. */
function withChallenge(res: HttpResponseInit): HttpResponseInit {
  const body = res.jsonBody as { error?: { code?: string; message?: string } } | undefined;
  const www = body?.error ? challenge(body.error) : undefined;
  return www ? { ...res, headers: { ...(res.headers as Record<string, string>), 'WWW-Authenticate': www } } : res;
}
