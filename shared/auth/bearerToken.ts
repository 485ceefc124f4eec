// Validates a caller's Entra ID access token with jose (identity-modes.md §3): signature against the authority's
// published keys (fetched over the project's TLS agent, cached, refetched for an unknown kid: key rollover), issuer
// per tenant and version, audience (the API's client id or api://{id}), lifetime with a small clock tolerance, an
// allowed tenant, and the required delegated scope in `scp`. App-only tokens are refused: on-behalf-of needs a user.
import https from 'node:https';
import { AppError } from '../errors';
import type { CallerAuthConfig } from './callerAuthConfig';

/** The user a request acts for (display fields from the token are for reports only, never for authorization). */
export interface ActingUser {
  oid: string;
  tid: string;
  /** preferred_username (v2) or upn / unique_name (v1); the oid when the token has none. */
  upn: string;
  name?: string | undefined;
  /** The client app the user signed in with (azp / appid). */
  appId?: string | undefined;
}

/** A validated caller: who, and the raw token (kept in memory only, for the on-behalf-of exchange). */
export interface Caller {
  user: ActingUser;
  token: string;
}

/** 401 / 403 for a caller's token, with the RFC 6750 WWW-Authenticate challenge to send. */
export class CallerAuthError extends AppError {
  readonly wwwAuthenticate: string;
  constructor(code: 'TOKEN_INVALID' | 'INSUFFICIENT_SCOPE', message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    const error = code === 'TOKEN_INVALID' ? 'invalid_token' : 'insufficient_scope';
    // RFC 6750 §3: error_description is quoted; keep it to printable ASCII without quotes.
    const description = message.replace(/[^\x20-\x7e]|["\\]/g, ' ');
    this.wwwAuthenticate = `Bearer error="${error}", error_description="${description}"`;
  }
}

export interface BearerValidatorOptions {
  config: CallerAuthConfig;
  /** The login host of the cloud (or the sandbox's AUTHORITY_HOST), no trailing slash. */
  authorityHost: string;
  /** The home tenant: its JWKS document is the authority's signing keys (the same set for every tenant). */
  homeTenantId: string;
  httpsAgent?: https.Agent;
  /** Seconds of clock skew accepted on exp/nbf (default 120). */
  clockToleranceSeconds?: number;
  /** For tests: the validation clock. */
  currentDate?: () => Date;
}

export interface BearerValidator {
  /** @throws {CallerAuthError} naming what is wrong with the token (never echoing it). */
  validate(authorization: string | null | undefined): Promise<Caller>;
}

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
let josePromise: Promise<Jose> | undefined;
// jose 6 is ESM-only: loaded with a dynamic import (kept as such by module Node16) on first use.
const loadJose = (): Promise<Jose> => (josePromise ??= import('jose'));

/** fetch over node:https with the project's agent (it trusts TLS_CA_FILE): global fetch cannot take an agent. */
function agentFetch(agent: https.Agent | undefined): (url: string, init: RequestInit) => Promise<Response> {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const req = https.get(
        url,
        { agent, headers: init.headers as Record<string, string>, signal: init.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 502,
                headers: Object.entries(res.headers).flatMap(([k, v]) =>
                  v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, x]),
                ),
              }),
            ),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createBearerValidator(options: BearerValidatorOptions): BearerValidator {
  const { config, authorityHost } = options;
  const tolerance = options.clockToleranceSeconds ?? 120;
  let jwks: ReturnType<Jose['createRemoteJWKSet']> | undefined;
  const keys = async (jose: Jose): Promise<ReturnType<Jose['createRemoteJWKSet']>> => {
    jwks ??= jose.createRemoteJWKSet(new URL(`${authorityHost}/${options.homeTenantId}/discovery/v2.0/keys`), {
      // Entra: checking for new keys about every 24 h is reasonable; an unknown kid refetches after the cooldown.
      cacheMaxAge: 24 * 3600_000,
      cooldownDuration: 30_000,
      timeoutDuration: 5000,
      [jose.customFetch]: agentFetch(options.httpsAgent),
    });
    return jwks;
  };
  const invalid = (message: string, cause?: unknown): CallerAuthError =>
    new CallerAuthError('TOKEN_INVALID', message, cause === undefined ? {} : { cause });

  return {
    async validate(authorization) {
      const m = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i.exec(authorization?.trim() ?? '');
      if (!authorization?.trim())
        throw invalid('No access token: send an Entra ID access token in the Authorization header (scheme Bearer)');
      if (!m?.[1]) throw invalid('The Authorization header does not carry an access token (scheme Bearer)');
      const token = m[1];
      const jose = await loadJose();
      let unverified: Record<string, unknown>;
      try {
        unverified = jose.decodeJwt(token);
      } catch (e) {
        throw invalid('The access token is not a well-formed JWT', e);
      }
      // The tenant picks the expected issuer; it must be allowed before anything is fetched for it.
      const tid = typeof unverified.tid === 'string' ? unverified.tid.toLowerCase() : '';
      if (!GUID.test(tid)) throw invalid('The access token has no tenant (tid)');
      if (!config.allowedTenants.includes(tid))
        throw invalid(`Tenant ${tid} is not allowed to call this API (API_ALLOWED_TENANTS)`);
      const issuers = [`${authorityHost}/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jose.jwtVerify(token, await keys(jose), {
          algorithms: ['RS256'],
          audience: [config.apiClientId, `api://${config.apiClientId}`],
          issuer: issuers,
          clockTolerance: tolerance,
          requiredClaims: ['tid', 'oid', 'exp'],
          ...(options.currentDate ? { currentDate: options.currentDate() } : {}),
        }));
      } catch (e) {
        throw invalid(describeJoseError(e), e);
      }
      if (String(payload.tid).toLowerCase() !== tid) throw invalid('The access token tenant changed under validation');
      const scp = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
      if (scp.length === 0) {
        throw new CallerAuthError(
          'INSUFFICIENT_SCOPE',
          Array.isArray(payload.roles)
            ? 'An app-only token cannot be used here: this endpoint acts on behalf of a signed-in user (delegated token with scp)'
            : `The access token has no delegated scopes: it needs scope ${config.requiredScope}`,
        );
      }
      if (!scp.includes(config.requiredScope))
        throw new CallerAuthError('INSUFFICIENT_SCOPE', `The access token lacks the scope ${config.requiredScope}`);
      const upn = [payload.preferred_username, payload.upn, payload.unique_name].find((v) => typeof v === 'string');
      const appId = [payload.azp, payload.appid].find((v) => typeof v === 'string');
      return {
        token,
        user: {
          oid: String(payload.oid),
          tid,
          upn: typeof upn === 'string' ? upn : String(payload.oid),
          name: typeof payload.name === 'string' ? payload.name : undefined,
          appId: typeof appId === 'string' ? appId : undefined,
        },
      };
    },
  };
}

/** What jose's error says, in words a caller can act on (never the token). */
function describeJoseError(e: unknown): string {
  const err = e as { code?: string; claim?: string; message?: string };
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'The access token has expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return "The access token's signature does not verify against the authority's published keys";
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The access token is not signed with RS256';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (err.claim === 'aud') return 'The access token is for another audience (not this API: API_CLIENT_ID)';
      if (err.claim === 'iss') return "The access token's issuer is not its tenant's Entra ID issuer";
      if (err.claim === 'nbf') return 'The access token is not valid yet';
      return `The access token's ${err.claim ?? 'claims'} did not validate`;
    case 'ERR_JWKS_TIMEOUT':
      return "The authority's signing keys could not be fetched in time";
    default:
      return `The access token did not validate (${err.code ?? 'error'})`;
  }
}
