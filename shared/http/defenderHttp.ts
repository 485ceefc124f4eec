// The one HTTP path to the Defender / Graph APIs: client-side quota, bearer token per attempt, timeout, retry of
// transient failures, and typed errors. Axios stays inside this folder; callers see plain data or DefenderApiError.
import https from 'node:https';
import axios, { type AxiosInstance, type Method } from 'axios';
import { AppError, DefenderApiError, SecretError } from '../errors';
import { httpStatusFor } from '../httpStatus';
import { silentLogger, type Logger } from '../logger';
import { toDefenderApiError } from './defenderError';
import { RateLimitWaitError, type RateLimiter } from './rateLimiter';
import { decideRetry } from './retry';
import { activeRetryBudget } from './retryBudget';
import { attemptDeadline, bufferErrorBody, type AttemptDeadline } from './streamedBody';

export type ApiFamily = 'hunting' | 'incidents' | 'alerts' | 'machineActions' | 'identity' | 'riskyUsers';

export interface DefenderRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Relative to the base URL, e.g. "/security/incidents/42". A query string is allowed (from @odata.nextLink). */
  path: string;
  /** Query parameters; OData names keep their "$" unescaped. */
  params?: Record<string, string | number | undefined>;
  data?: unknown;
  /** Extra request headers (e.g. Graph's `Prefer`); Authorization is always the client's own. */
  headers?: Record<string, string>;
  family: ApiFamily;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /**
   * False when a repeat would do the work twice (adding a comment): such calls retry only when the request
   * certainly never reached the server (429, connection refused, DNS). Defaults to true.
   */
  idempotent?: boolean;
  /**
   * Reads a 2xx body as it arrives instead of buffering it whole (hunting results: up to 100,000 rows), once per
   * attempt; what it returns is what request() returns. A connection cut while it reads is retried like any network
   * failure; an AppError it throws (a body that cannot be used) ends the call as is. The attempt's timeout covers
   * the body too.
   */
  readBody?: (body: AsyncIterable<Buffer>) => Promise<unknown>;
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
  /** Retries per call outside a retry budget (queued and scheduled work, the CLI); HTTP invocations set their own. */
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

/** A token could not be had because Entra ID or Key Vault is down (503 in the contract), not because they refused us. */
function isTransientTokenFailure(e: AppError): boolean {
  const upstreamStatus = e instanceof SecretError ? e.status : undefined;
  return httpStatusFor({ code: e.code, upstreamStatus }).status === 503;
}

/**
 * Builds the client once per process.
 * @throws {DefenderApiError} from request(): status/apiCode/requestId of the failure, code DEFENDER_THROTTLED when
 *   the quota wait is longer than maxRetryAfterMs or retries ran out on 429.
 * @throws {AuthError} from request() when no token can be had.
 * @throws {AppError} DEADLINE_EXCEEDED from request() when the invocation's retry budget has no time left to start it.
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
    const budget = activeRetryBudget();
    const maxRetries = budget?.maxRetries ?? options.maxRetries;
    const deadline = budget?.deadline;
    const where = `${method} ${req.path.split('?')[0]}`;
    let attempt = 0;
    let refreshedAuth = false;
    for (;;) {
      signal?.throwIfAborted();
      const left = deadline === undefined ? Infinity : deadline - now();
      if (left <= 0) {
        throw new AppError(
          'DEADLINE_EXCEEDED',
          `Defender API ${where} not sent: the HTTP request's time budget (HTTP_DEADLINE_SECONDS) is spent`,
        );
      }
      // Every wait and attempt ends by the deadline, so the caller gets its answer in time.
      const timeout = Math.min(req.timeoutMs ?? options.timeoutMs, left);
      let release: () => void;
      try {
        release = await options.limiters[family].acquire({
          signal,
          maxWaitMs: Math.min(options.maxRetryAfterMs, left),
        });
      } catch (e) {
        if (e instanceof RateLimitWaitError) {
          throw new DefenderApiError(`Defender API ${where} not sent: ${e.message}`, {
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
      let unusableBody = false;
      const streamed: AttemptDeadline | undefined = req.readBody ? attemptDeadline(timeout, signal) : undefined;
      try {
        const token = await options.getToken();
        const res = await instance.request<T>({
          method: method as Method,
          url,
          data: req.data,
          timeout,
          signal: streamed?.signal ?? signal,
          headers: { ...req.headers, Authorization: `Bearer ${token}` },
          ...(streamed ? { responseType: 'stream' } : {}),
        });
        if (!streamed || !req.readBody) return res.data;
        try {
          const value = (await req.readBody(res.data as AsyncIterable<Buffer>)) as T;
          // A body ended by the deadline or the caller's stop can look like one that simply ended early.
          streamed.signal.throwIfAborted();
          return value;
        } catch (e) {
          unusableBody = e instanceof AppError && !streamed.signal.aborted;
          (res.data as { destroy?: () => void }).destroy?.();
          throw e;
        }
      } catch (e) {
        raw = streamed?.timedOut() ?? e;
        if (streamed && !unusableBody) await bufferErrorBody(raw);
      } finally {
        streamed?.dispose();
        // The slot counts from now for one window: the server saw the request at the latest now.
        release();
      }
      if (signal?.aborted) throw signal.reason;
      if (unusableBody) throw raw;
      // AuthError / SecretError from getToken (instanceof, not isAppError: its shape check also matches AxiosError):
      // Entra ID or Key Vault down is retried like a network failure (nothing was sent); a refusal passes through.
      if (raw instanceof AppError) {
        if (!isTransientTokenFailure(raw)) throw raw;
        const decision = decideRetry({
          attempt,
          maxRetries,
          status: undefined,
          failedBeforeSending: true,
          maxRetryAfterMs: options.maxRetryAfterMs,
          idempotent,
          deadline,
          now: now(),
          ...(options.random ? { random: options.random } : {}),
        });
        if (!decision.retry) throw raw;
        attempt++;
        logger.warn('[defenderHttp] no token yet, retrying', {
          attempt,
          delayMs: decision.delayMs,
          code: raw.code,
          path: req.path.split('?')[0],
        });
        await sleep(decision.delayMs, signal);
        continue;
      }
      const err = toDefenderApiError(raw, { method, path: url, now: now() });
      if (err.status === 429 && err.retryAfterMs !== undefined) {
        // The server's own quota said stop: with a shared quota every instance pauses until its reset, not just us.
        options.limiters[family].throttled?.(
          err.retryAfterMs,
          `429 from ${where} (wait ${Math.ceil(err.retryAfterMs / 1000)} s)`,
        );
      }
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
        maxRetries,
        status: err.status,
        networkCode: typeof networkCode === 'string' ? networkCode : undefined,
        networkMessage: raw instanceof Error ? raw.message : undefined,
        retryAfterMs: err.retryAfterMs,
        maxRetryAfterMs: options.maxRetryAfterMs,
        idempotent,
        deadline,
        now: now(),
        ...(options.random ? { random: options.random } : {}),
      });
      if (!decision.retry) {
        if (decision.reason === 'deadline')
          logger.warn('[defenderHttp] not retrying: the HTTP request would miss its deadline', {
            attempt,
            status: err.status ?? networkCode,
            path: req.path.split('?')[0],
          });
        throw err;
      }
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
