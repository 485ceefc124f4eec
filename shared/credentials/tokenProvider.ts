// App-only tokens for the Defender / Graph API. The credential source (CREDENTIAL_SOURCE: the client secret in Key
// Vault by default, a Key Vault certificate, or the managed identity as a federated credential) says how the app
// proves itself; @azure/identity (MSAL) caches and refreshes the token; this module adds what MSAL cannot know: where
// the proof comes from, so a rotated secret or certificate heals itself (re-read Key Vault once), and errors that
// say what to fix.
import { AuthError } from '../errors';
import { redact, silentLogger, type Logger } from '../logger';
import type { CredentialProof, CredentialSource, SourceAppOptions, TokenCredentialLike } from './credentialSource';
import type { SecretProvider } from './secretProvider';

export type { TokenCredentialLike } from './credentialSource';

/** Builds a credential for one secret value (default: ClientSecretCredential, loaded lazily). */
export type CredentialFactory = (secret: string) => TokenCredentialLike;

export interface TokenProvider {
  /** A valid access token for `scope` (default: the incident backend's scope given at creation). */
  getToken(scope?: string): Promise<string>;
  /**
   * Drops the cached credential of `scope` (default: the backend's) after its API answered 401, so the next getToken
   * for that scope requests a new token; other scopes keep theirs.
   */
  invalidate(scope?: string): void;
  /** Credentials built so far (each one costs a discovery and a token request). */
  readonly credentialsBuilt: number;
}

export interface CreateTokenProviderOptions {
  tenantId: string;
  clientId: string;
  authorityHost: string;
  /** True for any authority but the cloud's own login host: instance discovery would call login.microsoftonline.com. */
  disableInstanceDiscovery: boolean;
  /** The default scope (the incident backend's); getToken(scope) asks for any other. */
  scope: string;
  /** The client secret (CREDENTIAL_SOURCE keyVaultSecret); ignored when `source` is given. */
  secrets?: SecretProvider;
  /** How the app proves itself; default: the client secret in `secrets` with ClientSecretCredential. */
  source?: CredentialSource;
  /** Extra ClientSecretCredential options (tlsOptions with the sandbox CA, retryOptions…). */
  credentialOptions?: Record<string, unknown>;
  logger?: Logger;
  createCredential?: CredentialFactory;
}

/** What an Entra ID token failure said, from whichever form the SDK surfaced it in. */
export interface TokenErrorInfo {
  error: string | undefined;
  errorCodes: number[];
  correlationId: string | undefined;
  description: string | undefined;
}

interface ErrorLike {
  name?: string;
  message?: string;
  cause?: unknown;
  errorResponse?: {
    error?: string;
    errorDescription?: string;
    error_codes?: number[];
    errorCodes?: number[];
    correlationId?: string;
  };
  errorCode?: string;
  errorNo?: string | number;
  correlationId?: string;
  errorMessage?: string;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * Reads the OAuth error from: the MSAL ServerError in `cause` (identity ≥ 4.14: errorCode, errorNo, correlationId),
 * an identity AuthenticationError's `errorResponse`, or the message text
 * ("invalid_client: Error(s): 7000215 - Timestamp: … - Description: AADSTS7000215: … - Correlation ID: … - Trace ID: …").
 */
export function parseTokenError(err: unknown): TokenErrorInfo {
  const e = (err ?? {}) as ErrorLike;
  const cause = (e.cause ?? {}) as ErrorLike;
  const codes = new Set<number>();
  const addCodes = (v: unknown): void => {
    for (const part of String(v ?? '').split(/[^\d]+/)) if (part) codes.add(Number(part));
  };
  let error: string | undefined;
  let correlationId: string | undefined;
  let description: string | undefined;
  if (typeof cause.errorCode === 'string' && cause.errorCode) {
    error = cause.errorCode;
    addCodes(cause.errorNo);
    correlationId = cause.correlationId || undefined;
    description = cause.errorMessage;
  }
  if (e.errorResponse) {
    error ??= e.errorResponse.error;
    addCodes((e.errorResponse.errorCodes ?? e.errorResponse.error_codes ?? []).join(','));
    correlationId ??= e.errorResponse.correlationId;
    description ??= e.errorResponse.errorDescription;
  }
  const text = [e.message, cause.message, description].filter((t) => typeof t === 'string').join('\n');
  const head = /(?:^|\s)([a-z_]+): Error\(s\): ([\d, ]+) -/.exec(text);
  if (head) {
    error ??= head[1];
    addCodes(head[2]);
  }
  for (const m of text.matchAll(/AADSTS(\d+)/g)) codes.add(Number(m[1]));
  const corr = /Correlation ID: ([0-9a-f-]{36})/i.exec(text);
  if (corr) correlationId ??= corr[1];
  if (!error) {
    const known =
      /\b(invalid_client|unauthorized_client|invalid_request|invalid_scope|invalid_grant|invalid_resource|endpoints_resolution_error|temporarily_unavailable|server_error|network_error)\b/.exec(
        text,
      );
    if (known) error = known[1];
  }
  if (description === undefined) {
    const d = /Description: (.*?)(?: - Correlation ID:|\r?\n|$)/.exec(text);
    description = d?.[1];
  }
  if (correlationId !== undefined && !GUID.test(correlationId)) correlationId = undefined;
  return { error, errorCodes: [...codes], correlationId, description: description ? redact(description) : undefined };
}

/**
 * Entra ID down or out of reach rather than refusing us: MSAL's `network_error` (no answer) and
 * `endpoints_resolution_error` (the authority's metadata could not be fetched), the OAuth `temporarily_unavailable`
 * and `server_error` (entra-docs reference-error-codes.md lists the former for the token endpoint; RFC 6749
 * §4.1.2.1 defines both), and AADSTS90033 ("A transient error has occurred"). Retrying may work: 503, not 502.
 */
const TRANSIENT_TOKEN_ERRORS: ReadonlySet<string> = new Set([
  'network_error',
  'endpoints_resolution_error',
  'temporarily_unavailable',
  'server_error',
]);

export function isTransientTokenError(info: TokenErrorInfo): boolean {
  return (info.error !== undefined && TRANSIENT_TOKEN_ERRORS.has(info.error)) || info.errorCodes.includes(90033);
}

/** AADSTS7000215 (wrong value) and 7000222 (expired): the secret itself is rejected, so a re-read may heal it. */
export function isSecretRejected(info: TokenErrorInfo): boolean {
  return info.errorCodes.includes(7000215) || info.errorCodes.includes(7000222);
}

export function sanitisedCause(err: unknown): Error {
  const e = (err ?? {}) as ErrorLike;
  const cause = new Error(redact(String(e.message ?? err).split('\n')[0] ?? '').slice(0, 500));
  cause.name = e.name ?? 'Error';
  return cause;
}

interface SecretProof extends CredentialProof {
  readonly secret: string;
}

export interface SecretSourceOptions extends SourceAppOptions {
  secrets: SecretProvider;
  createCredential?: CredentialFactory;
}

/** CREDENTIAL_SOURCE keyVaultSecret (the default): the client secret in Key Vault with ClientSecretCredential. */
export function createSecretSource(options: SecretSourceOptions): CredentialSource<SecretProof> {
  const { tenantId, clientId, authorityHost, secrets } = options;
  const secretRef = `Key Vault secret '${secrets.secretName}' in ${secrets.vaultUrl}`;
  const createCredential: CredentialFactory =
    options.createCredential ??
    ((secret) => {
      // Loaded on first use: @azure/identity is heavy and most cold starts of other functions never need it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ClientSecretCredential } = require('@azure/identity') as typeof import('@azure/identity');
      return new ClientSecretCredential(tenantId, clientId, secret, {
        ...options.credentialOptions,
        authorityHost,
        disableInstanceDiscovery: options.disableInstanceDiscovery,
      });
    });
  const proof = (secret: string): SecretProof => ({ key: secret, secret });
  return {
    kind: 'keyVaultSecret',
    label: 'client secret',
    current: async () => proof(await secrets.get()),
    refresh: async () => proof(await secrets.refresh()),
    createCredential: (p) => createCredential(p.secret),
    isRejected: isSecretRejected,
    rejectedError: (err, info, reRead) => {
      const corr = info.correlationId ? ` (correlation id ${info.correlationId})` : '';
      const afterReRead =
        reRead === 'unchanged'
          ? 'It was re-read from Key Vault and is unchanged.'
          : 'It was re-read from Key Vault and the new value is rejected too.';
      const message = info.errorCodes.includes(7000222)
        ? `The client secret of app ${clientId} has expired (AADSTS7000222): create a new client secret for the app registration and store its value in ${secretRef}. ${afterReRead}`
        : `Entra ID rejects the client secret of app ${clientId} (AADSTS7000215): the value of ${secretRef} is not a valid client secret for this app. ${afterReRead} Put the client secret's VALUE, not its secret ID, into that Key Vault secret; if the secret was rotated in Entra ID, store the new value there.`;
      return new AuthError(
        message + corr,
        {
          error: info.error ?? 'invalid_client',
          errorCodes: info.errorCodes,
          ...(info.correlationId ? { correlationId: info.correlationId } : {}),
        },
        { cause: sanitisedCause(err) },
      );
    },
    describe: () => ({ CLIENT_SECRET_NAME: secrets.secretName, KEY_VAULT_URL: secrets.vaultUrl }),
  };
}

/** @throws {AuthError} from getToken(), naming the app, the credential (secret, certificate, identity) and what to do. */
export function createTokenProvider(options: CreateTokenProviderOptions): TokenProvider {
  const { tenantId, clientId, authorityHost } = options;
  const logger = options.logger ?? silentLogger;
  const source: CredentialSource =
    options.source ??
    createSecretSource({
      tenantId,
      clientId,
      authorityHost,
      disableInstanceDiscovery: options.disableInstanceDiscovery,
      secrets: requireSecrets(options.secrets),
      ...(options.credentialOptions ? { credentialOptions: options.credentialOptions } : {}),
      ...(options.createCredential ? { createCredential: options.createCredential } : {}),
    });

  // One credential per scope (and proof): MSAL's token cache lives inside a credential, so each API's token
  // is cached and refreshed on its own, and a 401 from one API drops only that API's token.
  const current = new Map<string, { key: string; credential: TokenCredentialLike }>();
  const inFlight = new Map<string, Promise<string>>();
  let built = 0;

  const credentialFor = (scope: string, proof: CredentialProof): TokenCredentialLike => {
    let entry = current.get(scope);
    if (entry?.key !== proof.key) {
      entry = { key: proof.key, credential: source.createCredential(proof) };
      current.set(scope, entry);
      built++;
    }
    return entry.credential;
  };

  const tokenFrom = async (credential: TokenCredentialLike, scope: string): Promise<string> => {
    const t = await credential.getToken(scope);
    if (!t?.token) throw new AuthError(`Entra ID returned no access token for app ${clientId} and scope ${scope}`);
    return t.token;
  };

  const toAuthError = (err: unknown, info: TokenErrorInfo, scope: string): AuthError => {
    if (err instanceof AuthError) return err;
    const specific = source.explain?.(err, info, scope);
    if (specific) return specific;
    const codes = info.errorCodes;
    const corr = info.correlationId ? ` (correlation id ${info.correlationId})` : '';
    const has = (c: number): boolean => codes.includes(c);
    let message: string;
    if (has(700016)) {
      message = `Application ${clientId} was not found in tenant ${tenantId} (AADSTS700016): check CLIENT_ID and TENANT_ID, and that the app registration exists in that tenant and cloud`;
    } else if (has(90002) || has(900023)) {
      message = `Tenant ${tenantId} was not found at ${authorityHost} (AADSTS${has(90002) ? 90002 : 900023}): check TENANT_ID and DEFENDER_CLOUD (or AUTHORITY_HOST)`;
    } else if (has(70011)) {
      message = `Entra ID rejected the scope ${scope} (AADSTS70011): check DEFENDER_API and DEFENDER_CLOUD`;
    } else if (has(500011)) {
      message = `The API resource for ${scope} is not in tenant ${tenantId} (AADSTS500011): the tenant has no Defender / Graph service principal for it, or DEFENDER_CLOUD is wrong`;
    } else if (has(7000112)) {
      message = `Application ${clientId} is disabled in tenant ${tenantId} (AADSTS7000112): enable the app registration's service principal`;
    } else if (
      info.error === 'endpoints_resolution_error' ||
      info.error === 'network_error' ||
      (err as ErrorLike)?.name === 'CredentialUnavailableError'
    ) {
      message = `Could not reach the Entra ID authority ${authorityHost} for tenant ${tenantId}: retried later; if it persists check AUTHORITY_HOST / DEFENDER_CLOUD, the network path, and that its TLS certificate is trusted (TLS_CA_FILE)`;
    } else if (isTransientTokenError(info)) {
      const what = [info.error, ...codes.map((c) => `AADSTS${c}`)].filter(Boolean).join(' ');
      message = `Entra ID is temporarily unavailable for app ${clientId} in tenant ${tenantId} (${what}): retried later`;
    } else {
      const what = [info.error, ...codes.map((c) => `AADSTS${c}`)].filter(Boolean).join(' ');
      const detail = info.description ?? sanitisedCause(err).message;
      message = `Entra ID refused a token for app ${clientId} in tenant ${tenantId}${what ? ` (${what})` : ''}: ${detail}`;
    }
    return new AuthError(
      redact(message + corr),
      {
        ...(info.error ? { error: info.error } : {}),
        errorCodes: codes,
        ...(info.correlationId ? { correlationId: info.correlationId } : {}),
        transient: isTransientTokenError(info) || (err as ErrorLike)?.name === 'CredentialUnavailableError',
      },
      { cause: sanitisedCause(err) },
    );
  };

  const acquire = async (scope: string): Promise<string> => {
    const proof = await source.current();
    let first: unknown;
    try {
      return await tokenFrom(credentialFor(scope, proof), scope);
    } catch (err) {
      first = err;
    }
    const info = parseTokenError(first);
    if (!source.refresh || !source.isRejected(info)) throw toAuthError(first, info, scope);
    // Rotated (or expired): Key Vault may already hold the new secret or certificate. Read it once and retry.
    logger.warn(`[tokenProvider] ${source.label} rejected, re-reading it from Key Vault`, {
      errorCodes: info.errorCodes,
      ...source.describe(),
    });
    const fresh = await source.refresh();
    if (fresh.key === proof.key) throw source.rejectedError(first, info, 'unchanged', proof);
    try {
      const token = await tokenFrom(credentialFor(scope, fresh), scope);
      logger.info(`[tokenProvider] new ${source.label} from Key Vault accepted`, source.describe());
      return token;
    } catch (err) {
      const again = parseTokenError(err);
      throw source.isRejected(again)
        ? source.rejectedError(err, again, 'changed', fresh)
        : toAuthError(err, again, scope);
    }
  };

  return {
    getToken(scope = options.scope): Promise<string> {
      // Concurrent callers share one acquisition per scope: one token request, and at most one Key Vault re-read.
      const running = inFlight.get(scope);
      if (running) return running;
      const p = acquire(scope);
      inFlight.set(scope, p);
      p.then(
        () => (inFlight.get(scope) === p ? inFlight.delete(scope) : undefined),
        (err: unknown) => {
          if (inFlight.get(scope) === p) inFlight.delete(scope);
          // MSAL remembers a 429/5xx from the token endpoint and answers every request from that memory for 60 s
          // when Entra named no Retry-After (msal-common ThrottlingUtils, DEFAULT_THROTTLE_TIME_SECONDS), so a
          // retry after a 10 s blip would fail without asking. The caller's retry has its own backoff: start clean.
          if (err instanceof AuthError && err.code === 'AUTH_UNAVAILABLE') current.delete(scope);
        },
      );
      return p;
    },
    invalidate(scope = options.scope): void {
      current.delete(scope);
    },
    get credentialsBuilt() {
      return built;
    },
  };
}

function requireSecrets(secrets: SecretProvider | undefined): SecretProvider {
  if (!secrets) throw new TypeError('createTokenProvider needs `secrets` or `source`');
  return secrets;
}
