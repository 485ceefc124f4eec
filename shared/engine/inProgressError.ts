// "Someone else is doing this right now": a live run holds the write's lease (WRITE_IN_PROGRESS) or the scheduled
// window's (WINDOW_IN_PROGRESS), or the first request with an Idempotency-Key is still running
// (IDEMPOTENCY_IN_PROGRESS). All are answered 409 with a Retry-After of `retryAfterMs` (shared/httpStatus.ts), so
// the caller's retry lands once the holder is done.
import { AppError, type AppErrorOptions } from '../errors';

export class InProgressError extends AppError {
  /** How long until the holder is done or presumed dead (its lease ends). */
  readonly retryAfterMs: number;
  constructor(
    code: 'WRITE_IN_PROGRESS' | 'WINDOW_IN_PROGRESS' | 'IDEMPOTENCY_IN_PROGRESS',
    message: string,
    retryAfterMs: number,
    options: AppErrorOptions = {},
  ) {
    super(code, message, options);
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}
