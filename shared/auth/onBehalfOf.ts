// Tokens for the Defender / Graph / MDE APIs on behalf of a validated caller, through @azure/identity's
// OnBehalfOfCredential (identity-modes.md §4.3): one credential per user token (its assertion is fixed per
// instance), kept in a small bounded cache keyed by a hash of the token so a caller's repeated calls reuse MSAL's
// token cache. Entra's refusals become the caller's 401/403, its outages 503.
import { createHash } from 'node:crypto';
import { AppError, AuthError } from '../errors';
import { redact } from '../logger';
import { isTransientTokenError, parseTokenError, type TokenCredentialLike } from '../credentials/tokenProvider';
import type { Caller } from './bearerToken';
import type { ClientAuthProvider } from '../credentials/clientAuth';


export interface OboTokenSourceOptions {
  clientId: string;
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  /** How Riposte's app proves itself in the OBO request to a tenant (AppDeps.clientAuth: CREDENTIAL_SOURCE). */
  clientAuth: ClientAuthProvider;
  /** Extra credential options (tlsOptions with the sandbox CA). */
  credentialOptions?: Record<string, unknown>;
  /** Credentials kept (least recently used dropped first); default 200. */
  maxCached?: number;
}

/** The token source one DefenderHttp needs: a token for a scope, and forgetting it after a 401. */
export interface UserTokens {
  getToken(scope: string): Promise<string>;
  invalidate(scope: string): void;
}

export interface OboTokenSource {
  forCaller(caller: Caller): UserTokens;
  /** Credentials alive in the cache (tests check it stays bounded). */
  readonly size: number;
}

export function createOboTokenSource(options: OboTokenSourceOptions): OboTokenSource {
  const max = options.maxCached ?? 200;
  // Insertion-ordered: re-inserting on use makes the first key the least recently used.
  const cache = new Map<string, Map<string, TokenCredentialLike>>();

  const credentialFor = async (caller: Caller, scope: string): Promise<TokenCredentialLike> => {
    const key = createHash('sha256').update(caller.token).digest('hex');
    let perScope = cache.get(key);
    if (perScope) cache.delete(key);
    perScope ??= new Map();
    cache.set(key, perScope);
    while (cache.size > max) cache.delete(cache.keys().next().value as string);
    let credential = perScope.get(scope);
    if (!credential) {
      const auth = await options.clientAuth(caller.user.tid);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { OnBehalfOfCredential } = require('@azure/identity') as typeof import('@azure/identity');
      const common = {
        // The caller's own tenant (identity-modes.md §4.3, MSSP: use the incoming token's tid).
        tenantId: caller.user.tid,
        clientId: options.clientId,
        userAssertionToken: caller.token,
        ...options.credentialOptions,
        authorityHost: options.authorityHost,
        disableInstanceDiscovery: options.disableInstanceDiscovery,
      };
      credential =
        'clientSecret' in auth
          ? new OnBehalfOfCredential({ ...common, clientSecret: auth.clientSecret })
          : new OnBehalfOfCredential({ ...common, getAssertion: auth.getAssertion });
      perScope.set(scope, credential);
    }
    return credential;
  };

  return {
    get size() {
      return cache.size;
    },
    forCaller(caller) {
      return {
        async getToken(scope) {
          try {
            const t = await (await credentialFor(caller, scope)).getToken(scope);
            if (!t?.token) throw new AuthError(`Entra ID returned no on-behalf-of token for scope ${scope}`);
            return t.token;
          } catch (e) {
            throw oboError(e, caller, scope);
          }
        },
        invalidate(scope) {
          cache.get(createHash('sha256').update(caller.token).digest('hex'))?.delete(scope);
        },
      };
    },
  };
}

/** Entra's answer to the exchange, for the caller: consent and CA need the user (403/401), outages are 503. */
function oboError(e: unknown, caller: Caller, scope: string): AppError {
  if (e instanceof AppError) return e;
  const info = parseTokenError(e);
  const has = (c: number): boolean => info.errorCodes.includes(c);
  const what = [info.error, ...info.errorCodes.map((c) => `AADSTS${c}`)].filter(Boolean).join(' ');
  const who = `${caller.user.upn} (${caller.user.oid})`;
  if (isTransientTokenError(info))
    return new AuthError(`Entra ID is temporarily unavailable for the on-behalf-of exchange (${what})`, {
      transient: true,
    });
  if (has(65001) || /consent_required/.test(String((e as Error)?.message)))
    return new AppError(
      'USER_FORBIDDEN',
      `No consent for Riposte to call ${scope} on behalf of ${who} (${what}): an administrator grants the delegated permissions (README, "On behalf of the caller")`,
    );
  if (info.error === 'interaction_required' || has(50079) || has(50076))
    return new AppError(
      'TOKEN_INVALID',
      `Entra ID needs ${who} to sign in again (${what}): conditional access on the downstream API`,
    );
  if (info.error === 'invalid_grant')
    return new AppError('TOKEN_INVALID', `Entra ID refused the caller's token for on-behalf-of (${what})`);
  if (info.error === 'invalid_scope')
    return new AppError('CONFIG_INVALID', `Entra ID refused the delegated scope ${scope} (${what})`);
  // invalid_client and the rest: our own app's credentials.
  return new AuthError(redact(`Entra ID refused the on-behalf-of exchange for app credentials (${what})`), {
    ...(info.error ? { error: info.error } : {}),
    errorCodes: info.errorCodes,
  });
}
