// Turns whatever axios threw into a DefenderApiError. Axios errors carry the request config, and with it the
// Authorization header, so they must never leave shared/http: nothing of them is kept but plain, redacted facts.
import { isAxiosError } from 'axios';
import { DefenderApiError } from '../errors';
import { redact } from '../logger';
import { parseBodyRetryHint, parseRetryAfter } from './retry';

export const BODY_EXCERPT_MAX = 2048;

export interface RequestContext {
  method: string;
  /** Path (and query) relative to the API base URL. */
  path: string;
  /** Clock for Retry-After dates (tests). */
  now?: number;
}

interface ErrorEnvelope {
  code?: string;
  message?: string;
  target?: string;
  innerError?: Record<string, unknown>;
  innererror?: Record<string, unknown>;
}

function envelopeOf(data: unknown): ErrorEnvelope | undefined {
  let body = data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (e && typeof e === 'object') return e as ErrorEnvelope;
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  const v = typeof h.get === 'function' ? h.get(name) : h[name];
  return Array.isArray(v) ? str(v[0]) : str(v);
}

function excerpt(data: unknown): string | undefined {
  if (data === undefined || data === null || data === '') return undefined;
  let text: string;
  if (typeof data === 'string') text = data;
  else if (Buffer.isBuffer(data)) text = data.toString('utf8');
  else {
    try {
      text = JSON.stringify(data);
    } catch {
      return undefined;
    }
  }
  const clean = redact(text);
  return clean.length > BODY_EXCERPT_MAX ? `${clean.slice(0, BODY_EXCERPT_MAX - 1)}…` : clean;
}

/** Wait the server asked for: Retry-After header first, then a hint in the body. */
export function serverRetryAfterMs(headers: unknown, data: unknown, now = Date.now()): number | undefined {
  return parseRetryAfter(header(headers, 'retry-after'), now) ?? parseBodyRetryHint(data);
}

/** A sanitised stand-in for a network error: name, code and a redacted message, nothing else. */
function networkCause(e: { name?: string; code?: string; message?: string }): Error {
  const cause = new Error(redact(e.message ?? 'network error'));
  cause.name = e.name && e.name !== 'AxiosError' ? e.name : 'NetworkError';
  if (e.code) Object.defineProperty(cause, 'code', { value: e.code, enumerable: true });
  return cause;
}

/**
 * @param err - anything axios (or the code around it) threw.
 * @returns a DefenderApiError with status, API error code, request id, retry hint and a redacted 2 KB body excerpt.
 */
export function toDefenderApiError(err: unknown, ctx: RequestContext): DefenderApiError {
  const method = ctx.method.toUpperCase();
  const where = `Defender API ${method} ${ctx.path.split('?')[0]}`;
  if (isAxiosError(err) && err.response) {
    const { status, statusText, headers, data } = err.response;
    const env = envelopeOf(data);
    const inner = env?.innerError ?? env?.innererror;
    const apiCode = str(env?.code);
    const apiMessage = str(env?.message);
    const requestId =
      header(headers, 'request-id') ??
      header(headers, 'x-ms-request-id') ??
      str(inner?.['request-id']) ??
      str(inner?.['requestId']) ??
      str(env?.target);
    const retryAfterMs = serverRetryAfterMs(headers, data, ctx.now);
    const label = apiCode ?? (str(statusText) || undefined);
    const text = [`${status}`, label].filter(Boolean).join(' ') + (apiMessage ? `: ${apiMessage}` : '');
    return new DefenderApiError(redact(`${where} failed: ${text}`), {
      status,
      method,
      path: redact(ctx.path),
      apiCode,
      requestId,
      retryAfterMs,
      bodyExcerpt: excerpt(data),
    });
  }
  const e = (err ?? {}) as { name?: string; code?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const isTimeout = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '');
  const detail = isTimeout ? `timed out (${code ?? 'timeout'})` : [code, e.message].filter(Boolean).join(' ');
  return new DefenderApiError(
    redact(`${where} failed: ${detail || 'network error'}`),
    { status: undefined, method, path: redact(ctx.path) },
    { cause: networkCause(e) },
  );
}
