// Typed errors: raised where a failure happens, turned into HTTP answers or log lines only at the edge (functions/).
// None of them ever carries a secret, a token or an Authorization header.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SECRET_UNAVAILABLE'
  | 'AUTH_FAILED'
  /** Entra ID could not be reached, or answered 5xx / temporarily_unavailable: answered 503 with Retry-After. */
  | 'AUTH_UNAVAILABLE'
  | 'UNAUTHENTICATED'
  | 'DEFENDER_HTTP'
  | 'DEFENDER_THROTTLED'
  | 'DEFENDER_UNAVAILABLE'
  | 'STORAGE_UNAVAILABLE'
  /** An HTTP invocation's deadline passed before a call could be made or retried: answered 503 with Retry-After. */
  | 'DEADLINE_EXCEEDED'
  /** Another instance is accepting the same webhook event right now: answered 409 with Retry-After. */
  | 'DELIVERY_IN_PROGRESS'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'INPUT_INVALID'
  /** An Idempotency-Key was reused with a different request body: answered 422 (IETF Idempotency-Key draft). */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** The first request with this Idempotency-Key is still running: answered 409 with Retry-After. */
  | 'IDEMPOTENCY_IN_PROGRESS'
  /** Another live run holds the lease on this very write: answered 409 with Retry-After. */
  | 'WRITE_IN_PROGRESS'
  /** Another live run is covering the scheduled workflow's pending window: answered 409 with Retry-After. */
  | 'WINDOW_IN_PROGRESS'
  /** A workflow's own expression failed at run time on input that passed its declaration: the author's bug (500). */
  | 'WORKFLOW_ERROR'
  /**
   * A Defender for Endpoint machine action ended Failed, TimeOut or Cancelled on the device: the API took the
   * request and the device did not carry it out (502: the upstream's outcome, nothing the caller can change).
   */
  | 'DEVICE_ACTION_FAILED'
  /** An approval link's token is missing, forged or for another approval: answered 403. */
  | 'APPROVAL_LINK_INVALID'
  /** The approval was already decided: answered 409 with the first decision. */
  | 'APPROVAL_DECIDED'
  /** The approval expired (a timeout counts as rejection): answered 410. */
  | 'APPROVAL_EXPIRED'
  /** The tenant is in the registry (TENANTS) with `enabled: false`: answered 403 naming it. */
  | 'TENANT_DISABLED'
  | 'STEP_FAILED'
  /** The caller's bearer token is missing, forged, expired, for another audience or tenant (shared/auth): 401. */
  | 'TOKEN_INVALID'
  /** The caller's token is valid but lacks the required delegated scope, or is app-only where a user is needed: 403. */
  | 'INSUFFICIENT_SCOPE'
  /** Defender (or Entra's on-behalf-of consent) refused the acting user: their own role decides, 403. */
  | 'USER_FORBIDDEN'
  /** A request carries both a function key and a bearer token, or the credential the endpoint's mode does not take: 400. */
  | 'AUTH_MODE_MIXED'
  /**
   * A run on behalf of a caller reached a step that needs approval: a parked run is finished by the Function App,
   * which cannot act as the user, so such a step never runs in that mode (nor unasked): 403.
   */
  | 'APPROVAL_NEEDS_APP_CONTEXT';

export interface AppErrorOptions {
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Settings are missing or malformed. Lists setting names, never their values. */
export class ConfigError extends AppError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Reading the client secret from Key Vault failed. */
export class SecretError extends AppError {
  readonly status: number | undefined;
  readonly vaultUrl: string;
  readonly secretName: string;
  constructor(
    message: string,
    details: { vaultUrl: string; secretName: string; status?: number },
    options: AppErrorOptions = {},
  ) {
    super('SECRET_UNAVAILABLE', message, options);
    this.vaultUrl = details.vaultUrl;
    this.secretName = details.secretName;
    this.status = details.status;
  }
}

/**
 * No token from Entra ID (parsed OAuth error, as identity's AuthenticationError). AUTH_FAILED when Entra refused the
 * app's credentials (the deployment must change); AUTH_UNAVAILABLE when Entra was down or unreachable (`transient`).
 */
export class AuthError extends AppError {
  readonly error: string | undefined;
  readonly errorCodes: readonly number[];
  readonly correlationId: string | undefined;
  constructor(
    message: string,
    details: { error?: string; errorCodes?: readonly number[]; correlationId?: string; transient?: boolean } = {},
    options: AppErrorOptions = {},
  ) {
    super(details.transient ? 'AUTH_UNAVAILABLE' : 'AUTH_FAILED', message, options);
    this.error = details.error;
    this.errorCodes = details.errorCodes ?? [];
    this.correlationId = details.correlationId;
  }
}

export interface DefenderErrorDetails {
  status: number | undefined;
  method: string;
  /** Path and query only: never the host's credentials, never a token. */
  path: string;
  apiCode?: string | undefined;
  requestId?: string | undefined;
  /** Milliseconds the server asked us to wait (429/503), when it said. */
  retryAfterMs?: number | undefined;
  /** A short, redacted excerpt of the response body (at most 2 KB). */
  bodyExcerpt?: string | undefined;
  /** The call was made on behalf of a user (delegated token): a 403 is the user's role, not our deployment. */
  delegated?: boolean | undefined;
}

/** A Defender / Graph API call failed. Message in ky style: "Defender API PATCH /security/incidents/1 failed: 404 NotFound: ...". */
export class DefenderApiError extends AppError {
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;
  readonly apiCode: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly bodyExcerpt: string | undefined;
  constructor(message: string, details: DefenderErrorDetails, options: AppErrorOptions = {}) {
    super(
      details.delegated && details.status === 403 ? 'USER_FORBIDDEN' : codeForStatus(details.status),
      message,
      options,
    );
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
    this.apiCode = details.apiCode;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.bodyExcerpt = details.bodyExcerpt;
  }
}

function codeForStatus(status: number | undefined): ErrorCode {
  if (status === 429) return 'DEFENDER_THROTTLED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 403) return 'FORBIDDEN';
  // 408 is retried like a 5xx; when retries run out it is the API being slow, not our request being wrong.
  if (status === undefined || status === 408 || status >= 500) return 'DEFENDER_UNAVAILABLE';
  return 'DEFENDER_HTTP';
}

/** Caller input is wrong. `field` names the offending field (JSON path style, e.g. "patch.determination"). */
export class InputError extends AppError {
  readonly field: string;
  constructor(field: string, message: string, options: AppErrorOptions = {}) {
    super('INPUT_INVALID', message, options);
    this.field = field;
  }
}

/** The thing the caller named does not exist (a query, a workflow): 404, naming the field that named it. */
export class NotFoundError extends AppError {
  readonly field: string;
  constructor(field: string, message: string, options: AppErrorOptions = {}) {
    super('NOT_FOUND', message, options);
    this.field = field;
  }
}

const APP_ERROR_NAMES = new Set([
  'AppError',
  'ConfigError',
  'SecretError',
  'AuthError',
  'DefenderApiError',
  'InputError',
  'NotFoundError',
  'WebhookAuthError',
]);

export function isAppError(e: unknown): e is AppError {
  if (e instanceof AppError) return true;
  // A duplicated module copy (different realm) still names its class: trust only our own names, so an AxiosError or
  // a Node system error (which also carry a string `code`) is never mistaken for one.
  return e instanceof Error && APP_ERROR_NAMES.has(e.name) && typeof (e as { code?: unknown }).code === 'string';
}

/** Normalise anything thrown into an Error (as @azure/functions' ensureErrorType does). */
export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  let text: string;
  try {
    text = typeof e === 'string' ? e : JSON.stringify(e);
  } catch {
    text = String(e);
  }
  return new Error(text);
}
