// The one place errors become HTTP answers; the status comes from the one contract (shared/httpStatus.ts). Bodies
// are JSON with a stable code, a message and, for input errors, the field; for upstream failures the upstream's
// status and request id (what Microsoft support asks for). Never a stack trace, a path on disk, a token or a secret.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { DefenderApiError, isAppError, SecretError, toError } from '../../shared/errors';
import { httpStatusFor, type OutcomeForStatus } from '../../shared/httpStatus';
import { redact } from '../../shared/logger';

/** An edge-only failure (size limits, media type, unknown routes, conflicts): its status comes from its code. */
export class HttpProblem extends Error {
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly code: string,
    message: string,
    options: { field?: string | undefined; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
    this.field = options.field;
    this.retryAfterMs = options.retryAfterSeconds === undefined ? undefined : options.retryAfterSeconds * 1000;
  }

  get status(): number {
    return httpStatusFor({ code: this.code }).status;
  }
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    field?: string;
    invocationId?: string;
    /** The status the upstream (Defender API, Key Vault) answered, when one did. */
    upstreamStatus?: number;
    /** The Defender API's request id, to quote to Microsoft support. */
    requestId?: string;
  };
}

export interface ErrorBodyExtras {
  field?: string | undefined;
  invocationId?: string | undefined;
  upstreamStatus?: number | undefined;
  requestId?: string | undefined;
}

export function errorBody(code: string, message: string, extras: ErrorBodyExtras = {}): ErrorBody {
  const { field, invocationId, upstreamStatus, requestId } = extras;
  return {
    error: {
      code,
      message: redact(message),
      ...(field ? { field } : {}),
      ...(invocationId ? { invocationId } : {}),
      ...(upstreamStatus !== undefined ? { upstreamStatus } : {}),
      ...(requestId ? { requestId: redact(requestId) } : {}),
    },
  };
}

/** What the contract needs to know about a thrown error, and what the body adds to its code and message. */
function describe(thrown: HttpProblem | (Error & { code: string })): OutcomeForStatus & ErrorBodyExtras {
  const field = (thrown as { field?: unknown }).field;
  const named = typeof field === 'string' ? { field } : {};
  if (thrown instanceof HttpProblem) return { code: thrown.code, retryAfterMs: thrown.retryAfterMs, ...named };
  if (thrown instanceof DefenderApiError) {
    return {
      code: thrown.code,
      upstreamStatus: thrown.status,
      retryAfterMs: thrown.retryAfterMs,
      requestId: thrown.requestId,
      ...named,
    };
  }
  if (thrown instanceof SecretError) return { code: thrown.code, upstreamStatus: thrown.status, ...named };
  const wait = (thrown as { retryAfterMs?: unknown }).retryAfterMs;
  return { code: thrown.code, ...(typeof wait === 'number' ? { retryAfterMs: wait } : {}), ...named };
}

/** Maps anything thrown by a handler to a response, logging it once (here, at the edge). */
export function toHttpResponse(thrown: unknown, ctx: InvocationContext): HttpResponseInit {
  if (thrown instanceof HttpProblem || isAppError(thrown)) {
    const outcome = describe(thrown);
    const { status, retryAfterSeconds } = httpStatusFor(outcome);
    const log = status >= 500 ? ctx.error.bind(ctx) : ctx.warn.bind(ctx);
    log(`[http] ${status} ${outcome.code}: ${redact(thrown.message)}`);
    return {
      status,
      headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
      jsonBody: errorBody(outcome.code, thrown.message, { ...outcome, invocationId: ctx.invocationId }),
    };
  }
  const err = toError(thrown);
  ctx.error(`[http] 500 INTERNAL: ${redact(err.name)}: ${redact(err.message)}`);
  // Unknown errors may hold internals: the caller gets the invocation id to quote, not the message.
  return { status: 500, jsonBody: errorBody('INTERNAL', 'Internal error', { invocationId: ctx.invocationId }) };
}
