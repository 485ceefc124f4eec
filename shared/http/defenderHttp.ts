// The one HTTP path to the Defender / Graph APIs: client-side quota, bearer token per attempt, timeout, retry of
// transient failures, and typed errors. Axios stays inside this folder; callers see plain data or DefenderApiError.
import https from 'node:https';
import axios, { type AxiosInstance, type Method } from 'axios';
import { AppError, DefenderApiError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { toDefenderApiError } from './defenderError';
import { RateLimitWaitError, type RateLimiter } from './rateLimiter';
import { decideRetry } from './retry';

export type ApiFamily = 'hunting' | 'incidents';

export interface DefenderRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Relative to the base URL, e.g. "/security/incidents/42". A query string is allowed (from @odata.nextLink). */
  path: string;
  /** Query parameters; OData names keep their "$" unescaped. */
  params?: Record<string, string | number | undefined>;
  data?: unknown;
  family: ApiFamily;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /**
   * False when a repeat would do the work twice (adding a comment): such calls retry only when the request
   * certainly never reached the server (429, connection refused, DNS). Defaults to true.
   */
  idempotent?: boolean;
}

export interface DefenderHttp {
  readonly baseURL: string;
  request<T>(req: DefenderRequest): Promise<T>;
}

export interface CreateDefenderHttpOptions {
  baseURL: string;
  getToken: () => Promise<string>;
  /** Called after the API answered 401: the next getToken must fetch a new token. */
  invalidateToken: () => void;
  limiters: Record<ApiFamily, RateLimiter>;
  timeoutMs: number;
  maxRetries: number;
  /** Longest server-requested (or client-quota) wait we accept; longer fails at once with DEFENDER_THROTTLED. */
  maxRetryAfterMs: number;
  logger?: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  httpsAgent?: https.Agent;
  now?: () => number;
}

/** setTimeout as a promise that an AbortSignal can cut short. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** encodeURIComponent, but OData's "$" (and "," ":" for readable logs) stay as they are; spaces become %20, not "+". */
function encodeQueryPart(v: string): string {
  return encodeURIComponent(v).replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

export function buildPath(path: string, params?: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
  if (entries.length === 0) return path;
  const query = entries.map(([k, v]) => `${encodeQueryPart(k)}=${encodeQueryPart(String(v))}`).join('&');
  return `${path}${path.includes('?') ? '&' : '?'}${query}`;
}

/**
 * Builds the client once per process.
 * @throws {DefenderApiError} from request(): status/apiCode/requestId of the failure, code DEFENDER_THROTTLED when
 *   the quota wait is longer than maxRetryAfterMs or retries ran out on 429.
 * @throws {AuthError} from request() when no token can be had.
 */
export function createDefenderHttp(options: CreateDefenderHttpOptions): DefenderHttp {
  const logger = options.logger ?? silentLogger;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const baseURL = options.baseURL.replace(/\/+$/, '');
  const instance: AxiosInstance = axios.create({
    baseURL,
    timeout: options.timeoutMs,
    httpsAgent: options.httpsAgent ?? new https.Agent({ keepAlive: true }),
    // A redirect could carry the bearer token to another host; the APIs do not redirect.
    maxRedirects: 0,
    headers: { Accept: 'application/json' },
  });

  async function request<T>(req: DefenderRequest): Promise<T> {
    const { method, family, signal, idempotent = true } = req;
    const url = buildPath(req.path, req.params);
    const timeout = req.timeoutMs ?? options.timeoutMs;
    let attempt = 0;
    let refreshedAuth = false;
    for (;;) {
      signal?.throwIfAborted();
      let release: () => void;
      try {
        release = await options.limiters[family].acquire({ signal, maxWaitMs: options.maxRetryAfterMs });
      } catch (e) {
        if (e instanceof RateLimitWaitError) {
          throw new DefenderApiError(`Defender API ${method} ${req.path.split('?')[0]} not sent: ${e.message}`, {
            // 429 so the edge answers 503 + Retry-After exactly as for the server's own throttling.
            status: 429,
            method,
            path: url,
            apiCode: 'ClientRateLimit',
            retryAfterMs: e.waitMs,
          });
        }
        throw e;
      }
      let raw: unknown;
      try {
        const token = await options.getToken();
        const res = await instance.request<T>({
          method: method as Method,
          url,
          data: req.data,
          timeout,
          signal,
          headers: { Authorization: `Bearer ${token}` },
        });
        return res.data;
      } catch (e) {
        raw = e;
      } finally {
        // The slot counts from now for one window: the server saw the request at the latest now.
        release();
      }
      if (signal?.aborted) throw signal.reason;
      // AuthError / SecretError from getToken pass through (instanceof, not isAppError: its shape check also matches
      // AxiosError); anything from axios is converted and sanitised.
      if (raw instanceof AppError) throw raw;
      const err = toDefenderApiError(raw, { method, path: url, now: now() });
      if (err.status === 401 && !refreshedAuth) {
        // An expired or revoked token: get a fresh one once. The server refused before doing anything, so this
        // is safe for every method.
        refreshedAuth = true;
        options.invalidateToken();
        logger.warn('[defenderHttp] 401 from the API, refreshing the token once', { path: req.path, family });
        continue;
      }
      const networkCode = (raw as { code?: unknown } | undefined)?.code;
      const decision = decideRetry({
        attempt,
        maxRetries: options.maxRetries,
        status: err.status,
        networkCode: typeof networkCode === 'string' ? networkCode : undefined,
        networkMessage: raw instanceof Error ? raw.message : undefined,
        retryAfterMs: err.retryAfterMs,
        maxRetryAfterMs: options.maxRetryAfterMs,
        idempotent,
        ...(options.random ? { random: options.random } : {}),
      });
      if (!decision.retry) throw err;
      attempt++;
      logger.warn('[defenderHttp] retrying', {
        attempt,
        delayMs: decision.delayMs,
        status: err.status ?? networkCode,
        path: req.path.split('?')[0],
      });
      await sleep(decision.delayMs, signal);
    }
  }

  return { baseURL, request };
}
