// The one HTTP path to Teams Workflows, Jira Cloud and ServiceNow: the target's client-side quota, a timeout, retries
// of transient failures (429 and 5xx honouring Retry-After, a non-idempotent POST only when it certainly was not
// acted on) and typed errors (NotifyApiError). Built apart from defenderHttp because these calls carry their own
// credentials (basic, OAuth, a SAS in the URL) rather than Riposte's Entra token; the retry rules are the same
// functions (shared/http/retry.ts). Axios errors hold the URL and the Authorization header: nothing of them leaves
// this file but plain, redacted facts, and `label` (never the URL) names the call in errors and logs.
import https from 'node:https';
import axios, { isAxiosError, type AxiosResponse } from 'axios';
import { AppError } from '../errors';
import { redact, silentLogger, type Logger } from '../logger';
import { RateLimitWaitError, type RateLimiter } from '../http/rateLimiter';
import { decideRetry, parseRetryAfter } from '../http/retry';
import { activeRetryBudget } from '../http/retryBudget';
import { NotifyApiError, type NotifyTarget } from './notifyError';

export interface NotifyRequest {
  target: NotifyTarget;
  method: 'GET' | 'POST' | 'PATCH';
  /** Absolute URL. May hold a secret (the Teams SAS `sig=`): it is never logged nor put in an error. */
  url: string;
  /** What errors and logs call the request: "POST Teams webhook 1a2b3c4d", "PATCH /api/now/table/incident/…". */
  label: string;
  headers?: Record<string, string>;
  data?: unknown;
  limiter: RateLimiter;
  /** False for a comment or a message: then only a 429 or a connection never made is retried. */
  idempotent: boolean;
  signal?: AbortSignal | undefined;
  /** Called once after a 401: the next headers() must carry fresh credentials (a rotated Key Vault secret). */
  onUnauthorized?: () => Promise<void>;
  /** Built per attempt (credentials may be refreshed after a 401). */
  auth?: () => Promise<Record<string, string>>;
}

export interface NotifyResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

export interface NotifyHttp {
  request<T = unknown>(req: NotifyRequest): Promise<NotifyResponse<T>>;
}

export interface CreateNotifyHttpOptions {
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  httpsAgent?: https.Agent;
  logger?: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

const TARGET_NAMES: Record<NotifyTarget, string> = {
  teams: 'Teams',
  jira: 'Jira',
  servicenow: 'ServiceNow',
  callback: 'Approval callback',
};

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  const v = typeof h.get === 'function' ? h.get(name) : h[name];
  const one = Array.isArray(v) ? (v[0] as unknown) : v;
  return typeof one === 'string' ? one : typeof one === 'number' ? String(one) : undefined;
}

/**
 * The wait a refusal asked for: Retry-After (Jira, Teams, ServiceNow), else X-RateLimit-Reset, which Jira sends as an
 * ISO 8601 instant (developer.atlassian.com/cloud/jira/platform/rate-limiting) and ServiceNow as Unix seconds
 * (ServiceNow docs, inbound REST API rate limiting).
 */
export function refusalWaitMs(headers: unknown, now: number): number | undefined {
  const after = parseRetryAfter(headerOf(headers, 'retry-after'), now);
  if (after !== undefined) return after;
  const reset = headerOf(headers, 'x-ratelimit-reset')?.trim();
  if (!reset) return undefined;
  const at = /^\d{9,11}$/.test(reset)
    ? Number(reset) * 1000
    : /^\d{4}-\d{2}-\d{2}T/.test(reset)
      ? Date.parse(reset)
      : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A short, redacted message from a Jira ({errorMessages, errors}) or ServiceNow ({error:{message,detail}}) body. */
function apiMessageOf(data: unknown): string | undefined {
  if (!data || typeof data !== 'object')
    return typeof data === 'string' && data.trim() ? data.slice(0, 200) : undefined;
  const d = data as { errorMessages?: unknown; errors?: unknown; error?: { message?: unknown; detail?: unknown } };
  const parts: string[] = [];
  if (Array.isArray(d.errorMessages)) parts.push(...d.errorMessages.filter((m): m is string => typeof m === 'string'));
  if (d.errors && typeof d.errors === 'object')
    for (const [k, v] of Object.entries(d.errors)) if (typeof v === 'string') parts.push(`${k}: ${v}`);
  if (d.error && typeof d.error === 'object') {
    if (typeof d.error.message === 'string') parts.push(d.error.message);
    if (typeof d.error.detail === 'string') parts.push(d.error.detail);
  }
  return parts.length > 0 ? parts.join('; ').slice(0, 300) : undefined;
}

export function createNotifyHttp(options: CreateNotifyHttpOptions): NotifyHttp {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
      }));
  const instance = axios.create({
    timeout: options.timeoutMs,
    httpsAgent: options.httpsAgent ?? new https.Agent({ keepAlive: true }),
    // A redirect would carry credentials to another host; none of these APIs redirects a write.
    maxRedirects: 0,
    headers: { Accept: 'application/json' },
  });

  async function request<T>(req: NotifyRequest): Promise<NotifyResponse<T>> {
    const { target, method, label, signal, idempotent } = req;
    const name = TARGET_NAMES[target];
    const budget = activeRetryBudget();
    const maxRetries = budget?.maxRetries ?? options.maxRetries;
    const deadline = budget?.deadline;
    let attempt = 0;
    let refreshedAuth = false;
    for (;;) {
      signal?.throwIfAborted();
      const left = deadline === undefined ? Infinity : deadline - now();
      if (left <= 0)
        throw new AppError('DEADLINE_EXCEEDED', `${name} ${label} not sent: the HTTP request's time budget is spent`);
      let release: () => void;
      try {
        release = await req.limiter.acquire({ signal, maxWaitMs: Math.min(options.maxRetryAfterMs, left) });
      } catch (e) {
        if (!(e instanceof RateLimitWaitError)) throw e;
        throw new NotifyApiError(target, `${name} ${label} not sent: ${e.message}`, {
          status: 429,
          method,
          path: label,
          apiCode: 'ClientRateLimit',
          retryAfterMs: e.waitMs,
        });
      }
      let res: AxiosResponse<T> | undefined;
      let raw: unknown;
      try {
        const auth = req.auth ? await req.auth() : {};
        res = await instance.request<T>({
          method,
          url: req.url,
          data: req.data,
          timeout: Math.min(options.timeoutMs, left),
          signal,
          headers: { ...req.headers, ...auth },
        });
      } catch (e) {
        raw = e;
      } finally {
        release();
      }
      if (res) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
        return { status: res.status, data: res.data, headers };
      }
      if (signal?.aborted) throw signal.reason;
      if (raw instanceof AppError) throw raw; // a credential could not be read (SecretError): nothing was sent
      const response = isAxiosError(raw) ? raw.response : undefined;
      const status = response?.status;
      const retryAfterMs = response ? refusalWaitMs(response.headers, now()) : undefined;
      if (status === 429 && retryAfterMs !== undefined)
        req.limiter.throttled?.(retryAfterMs, `429 from ${name} (wait ${Math.ceil(retryAfterMs / 1000)} s)`);
      if (status === 401 && !refreshedAuth && req.onUnauthorized) {
        // A rotated secret: read it again once. The server refused before acting, so this is safe for a POST.
        refreshedAuth = true;
        await req.onUnauthorized();
        continue;
      }
      const networkCode = (raw as { code?: unknown } | undefined)?.code;
      const decision = decideRetry({
        attempt,
        maxRetries,
        status,
        networkCode: typeof networkCode === 'string' ? networkCode : undefined,
        networkMessage: raw instanceof Error ? raw.message : undefined,
        retryAfterMs,
        maxRetryAfterMs: options.maxRetryAfterMs,
        idempotent,
        deadline,
        now: now(),
        ...(options.random ? { random: options.random } : {}),
      });
      if (!decision.retry) {
        const reason =
          response !== undefined
            ? `${status}${apiMessageOf(response.data) ? `: ${apiMessageOf(response.data)}` : ''}`
            : typeof networkCode === 'string'
              ? networkCode
              : 'network error';
        const rateLimitReason = response ? headerOf(response.headers, 'ratelimit-reason') : undefined;
        throw new NotifyApiError(target, redact(`${name} ${label} failed: ${reason}`), {
          status,
          method,
          path: label,
          ...(rateLimitReason ? { apiCode: rateLimitReason } : {}),
          retryAfterMs,
        });
      }
      attempt++;
      logger.warn('[notify] retrying', {
        target,
        call: label,
        attempt,
        delayMs: decision.delayMs,
        status: status ?? networkCode,
      });
      await sleep(decision.delayMs, signal);
    }
  }
  return { request };
}
