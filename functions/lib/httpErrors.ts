// The one place errors become HTTP answers. Bodies are JSON with a stable code, a message and, for input errors,
// the field; never a stack trace, a path on disk, a token or a secret.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { DefenderApiError, InputError, isAppError, toError, type AppError } from '../../shared/errors';
import { httpStatusFor } from '../../shared/httpStatus';
import { redact } from '../../shared/logger';

/** An edge-only failure with its own status (size limits, media type, conflicts, unknown routes). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string; invocationId?: string };
}

const DEFAULT_RETRY_AFTER_S = 30;

function retryAfterSeconds(err: AppError): string {
  const ms = err instanceof DefenderApiError ? err.retryAfterMs : undefined;
  return String(Math.max(1, Math.ceil((ms ?? DEFAULT_RETRY_AFTER_S * 1000) / 1000)));
}

function statusFor(err: AppError): { status: number; headers: Record<string, string> } {
  switch (err.code) {
    case 'INPUT_INVALID':
      return { status: 400, headers: {} };
    case 'UNAUTHENTICATED':
      return { status: 401, headers: {} };
    case 'NOT_FOUND':
      return { status: 404, headers: {} };
    case 'DEFENDER_THROTTLED':
      return { status: 429, headers: { 'Retry-After': retryAfterSeconds(err) } };
    case 'DEFENDER_UNAVAILABLE':
    case 'STORAGE_UNAVAILABLE':
      return { status: 503, headers: { 'Retry-After': retryAfterSeconds(err) } };
    case 'CONFIG_INVALID':
      return { status: 500, headers: {} };
    // receiveWebhook answers this itself with the delivery log's Retry-After; a few seconds is right for any other.
    case 'DELIVERY_IN_PROGRESS':
      return { status: 409, headers: { 'Retry-After': '5' } };
    // Idempotency misuse and in-flight conflicts: the contract's status, with the holder's wait as Retry-After.
    case 'IDEMPOTENCY_KEY_REUSED':
    case 'IDEMPOTENCY_IN_PROGRESS':
    case 'WRITE_IN_PROGRESS': {
      const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
      const d = httpStatusFor({ code: err.code, retryAfterMs: typeof wait === 'number' ? wait : undefined });
      return {
        status: d.status,
        headers: d.retryAfterSeconds !== undefined ? { 'Retry-After': String(d.retryAfterSeconds) } : {},
      };
    }
    // The caller did nothing wrong: our upstream (Entra, Key Vault, Defender) refused us.
    default:
      return { status: 502, headers: {} };
  }
}

export function errorBody(code: string, message: string, field?: string, invocationId?: string): ErrorBody {
  return {
    error: {
      code,
      message: redact(message),
      ...(field ? { field } : {}),
      ...(invocationId ? { invocationId } : {}),
    },
  };
}

/** Maps anything thrown by a handler to a response, logging it once (here, at the edge). */
export function toHttpResponse(thrown: unknown, ctx: InvocationContext): HttpResponseInit {
  if (thrown instanceof HttpProblem) {
    ctx.warn(`[http] ${thrown.status} ${thrown.code}: ${redact(thrown.message)}`);
    return {
      status: thrown.status,
      headers: thrown.headers,
      jsonBody: errorBody(thrown.code, thrown.message, thrown.field, ctx.invocationId),
    };
  }
  if (isAppError(thrown)) {
    const { status, headers } = statusFor(thrown);
    const field = thrown instanceof InputError ? thrown.field : (thrown as { field?: string }).field;
    const log = status >= 500 ? ctx.error.bind(ctx) : ctx.warn.bind(ctx);
    log(`[http] ${status} ${thrown.code}: ${redact(thrown.message)}`);
    return { status, headers, jsonBody: errorBody(thrown.code, thrown.message, field, ctx.invocationId) };
  }
  const err = toError(thrown);
  ctx.error(`[http] 500 INTERNAL: ${redact(err.name)}: ${redact(err.message)}`);
  // Unknown errors may hold internals: the caller gets the invocation id to quote, not the message.
  return { status: 500, jsonBody: errorBody('INTERNAL', 'Internal error', undefined, ctx.invocationId) };
}
