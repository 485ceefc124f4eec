// Retry policy as pure data and functions (ky's normalize.ts, core-rest-pipeline's retry strategies), kept apart
// from I/O so every rule is table-tested. The HTTP wrapper (defenderHttp.ts) only asks these functions.

/** Statuses worth another attempt: timeouts, throttling and transient server faults. Never other 4xx (octokit's doNotRetry). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Network failures worth another attempt (axios reports its own timeout as ECONNABORTED, or ETIMEDOUT when clarified). */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EPIPE',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * Failures where the request certainly never reached the server: safe to retry even a non-idempotent call
 * (adding a comment). A reset or a timeout may come after the server acted, so they are not in this list.
 */
export const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 30_000;

export function isRetryableStatus(status: number | undefined): boolean {
  return status !== undefined && RETRYABLE_STATUSES.has(status);
}

/** Network error code (ECONNRESET…) or "socket hang up" text, as node and axios report them. */
export function isRetryableNetworkError(code: string | undefined, message = ''): boolean {
  if (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) return true;
  return /socket hang up/i.test(message);
}

/**
 * Parses a Retry-After header: delay-seconds (decimals tolerated) or an HTTP date.
 * @returns milliseconds to wait (never negative), or undefined when absent or unparsable.
 */
export function parseRetryAfter(
  headerValue: string | number | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (headerValue === undefined || headerValue === null) return undefined;
  const text = String(headerValue).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date has a weekday/month name; Date.parse alone would also accept "-5" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** "00:01:00" / "01:00:00" / "1.00:00:00" (.NET TimeSpan) → milliseconds. */
function parseTimeSpan(text: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (!m) return undefined;
  const [, days = '0', h = '0', min = '0', sec = '0'] = m;
  return ((Number(days) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Math.round(Number(sec) * 1000);
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body === null || body === undefined) return '';
  try {
    return JSON.stringify(body);
  } catch {
    return '';
  }
}

/**
 * Reads a wait hint from a throttling body (Defender says "the response body includes the time until the quota is
 * reset", defender-api.md §1.3): "Try again in 12 seconds." / "retry after 1.5 seconds" win; the legacy quota text
 * "maximum allowed 45 per 00:01:00" is a last resort and yields the whole window (the longest the quota can hold us).
 */
export function parseBodyRetryHint(body: unknown): number | undefined {
  const text = bodyText(body);
  if (!text) return undefined;
  const explicit =
    /(?:try again|retry(?: again)?)\s+(?:in|after)\s+(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b/i.exec(
      text,
    );
  if (explicit) {
    const n = Number(explicit[1]);
    const unit = (explicit[2] ?? 's').toLowerCase();
    if (unit.startsWith('m') && unit !== 'ms' && !unit.startsWith('milli')) return Math.round(n * 60_000);
    if (unit === 'ms' || unit.startsWith('milli')) return Math.round(n);
    return Math.round(n * 1000);
  }
  const window = /maximum allowed\s+\d+\s+per\s+((?:\d+\.)?\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)/i.exec(text);
  if (window?.[1]) return parseTimeSpan(window[1]);
  return undefined;
}

export interface RetryDelayOptions {
  /** What the server asked for (Retry-After or a body hint); used as is when present. */
  retryAfterMs?: number | undefined;
  baseMs?: number;
  capMs?: number;
  /** [0, 1), injected so tests are deterministic. */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry). The server's wait wins; otherwise exponential backoff
 * with "equal jitter", random in [c/2, c] for c = min(cap, base·2^attempt), as the Azure SDKs do (core-util
 * calculateRetryDelay). Clients that failed together still spread out, and unlike full jitter ([0, c]) the waits
 * add up to a known minimum: with the 500 ms base, six retries span at least 15.75 s, so a 10 s outage is ridden out.
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions = {}): number {
  const { retryAfterMs, baseMs = DEFAULT_BASE_DELAY_MS, capMs = DEFAULT_MAX_DELAY_MS, random = Math.random } = options;
  if (retryAfterMs !== undefined) return Math.max(0, retryAfterMs);
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** The least total wait of `retries` retries without server waits: what the schedule guarantees to ride out. */
export function minimumRetrySpanMs(retries: number, options: Omit<RetryDelayOptions, 'retryAfterMs'> = {}): number {
  let total = 0;
  for (let attempt = 0; attempt < retries; attempt++) total += retryDelayMs(attempt, { ...options, random: () => 0 });
  return total;
}

export interface RetryInput {
  /** Retries already made (0 before the first retry). */
  attempt: number;
  maxRetries: number;
  /** HTTP status, undefined for network errors. */
  status: number | undefined;
  /** Node/axios error code for network errors. */
  networkCode?: string | undefined;
  networkMessage?: string | undefined;
  retryAfterMs?: number | undefined;
  maxRetryAfterMs: number;
  /** False for calls that must not run twice (adding a comment): then only failures that never reached the server retry. */
  idempotent: boolean;
  /**
   * The failure came before the request was sent (no token: Entra ID or Key Vault down). Retryable whatever the
   * status says, and safe for a call that must not run twice.
   */
  failedBeforeSending?: boolean;
  /** The invocation's deadline (epoch ms) and the clock: no retry whose wait would end at or after the deadline. */
  deadline?: number | undefined;
  now?: number;
  random?: () => number;
  baseMs?: number;
  capMs?: number;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not-retryable' | 'not-idempotent' | 'exhausted' | 'retry-after-too-long' | 'deadline' };

/** One place that decides whether and when to retry (401 is handled by the caller: refresh the token once). */
export function decideRetry(input: RetryInput): RetryDecision {
  const retryable =
    input.failedBeforeSending === true ||
    (input.status !== undefined
      ? isRetryableStatus(input.status)
      : isRetryableNetworkError(input.networkCode, input.networkMessage));
  if (!retryable) return { retry: false, reason: 'not-retryable' };
  if (!input.idempotent && !input.failedBeforeSending) {
    // A 429 is refused before any work; connect-phase errors never sent the request. A 5xx or a timeout may have
    // happened after the comment was stored, so a second POST could add it twice.
    const notSent =
      input.status === 429 || (input.status === undefined && NOT_SENT_NETWORK_CODES.has(input.networkCode ?? ''));
    if (!notSent) return { retry: false, reason: 'not-idempotent' };
  }
  if (input.retryAfterMs !== undefined && input.retryAfterMs > input.maxRetryAfterMs) {
    return { retry: false, reason: 'retry-after-too-long' };
  }
  if (input.attempt >= input.maxRetries) return { retry: false, reason: 'exhausted' };
  const opts: RetryDelayOptions = { retryAfterMs: input.retryAfterMs };
  if (input.random) opts.random = input.random;
  if (input.baseMs !== undefined) opts.baseMs = input.baseMs;
  if (input.capMs !== undefined) opts.capMs = Math.min(input.capMs, input.maxRetryAfterMs);
  else opts.capMs = Math.min(DEFAULT_MAX_DELAY_MS, Math.max(input.maxRetryAfterMs, DEFAULT_BASE_DELAY_MS));
  const delayMs = retryDelayMs(input.attempt, opts);
  if (input.deadline !== undefined && (input.now ?? Date.now()) + delayMs >= input.deadline) {
    return { retry: false, reason: 'deadline' };
  }
  return { retry: true, delayMs };
}
