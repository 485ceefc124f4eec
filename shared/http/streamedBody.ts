// What a streamed response (axios responseType 'stream') needs beyond a buffered one: a deadline over the whole
// body, since axios's own timeout stops counting once the headers are in, and an error body read into text, so
// toDefenderApiError sees the same envelope and excerpt as for a buffered call.
import type { Readable } from 'node:stream';
import { isAxiosError } from 'axios';
import { BODY_EXCERPT_MAX } from './defenderError';

/** An error body is read up to this much: the envelope and the excerpt need far less. */
const ERROR_BODY_MAX_BYTES = 16 * BODY_EXCERPT_MAX;

export interface AttemptDeadline {
  /** Aborts when the caller's signal does or when the time is up. */
  readonly signal: AbortSignal;
  /** The failure to report instead of the abort, when the time ran out (not the caller's stop). */
  timedOut(): Error | undefined;
  dispose(): void;
}

/** One attempt's wall-clock limit, request and body together, as a buffered call has it. */
export function attemptDeadline(timeoutMs: number, callerSignal: AbortSignal | undefined): AttemptDeadline {
  const controller = new AbortController();
  let expired: Error | undefined;
  const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = setTimeout(() => {
    // Shaped like a network timeout (code ETIMEDOUT) so the retry policy and the error text treat it as one.
    expired = Object.assign(new Error(`timeout of ${timeoutMs}ms exceeded while reading the response`), {
      code: 'ETIMEDOUT',
    });
    controller.abort(expired);
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

function isReadable(v: unknown): v is Readable {
  return typeof (v as { pipe?: unknown } | null)?.pipe === 'function' && Symbol.asyncIterator in (v as object);
}

/**
 * Replaces a streamed error response's body by its text (at most ERROR_BODY_MAX_BYTES; the rest is not read), so
 * the error mapping reads the API's error envelope as usual. A body that cannot be read becomes empty: the status
 * still says what happened.
 */
export async function bufferErrorBody(err: unknown): Promise<void> {
  if (!isAxiosError(err) || !err.response || !isReadable(err.response.data)) return;
  const body = err.response.data;
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer | string>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      parts.push(b);
      size += b.length;
      if (size >= ERROR_BODY_MAX_BYTES) break;
    }
  } catch {
    // Cut off or timed out: keep what arrived.
  } finally {
    body.destroy();
  }
  err.response.data = Buffer.concat(parts).subarray(0, ERROR_BODY_MAX_BYTES).toString('utf8');
}
