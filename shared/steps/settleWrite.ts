// What happens to a claimed write when its API call fails, so that a failure never leaves a ten-minute lease in the
// way of the next attempt:
// - nothing of the change is in (no earlier attempt started it, no call of this one succeeded) and the API
//   definitely refused it (a 4xx other than 408/429, or our client refused the input before sending) or nothing
//   was sent → the claim is released;
// - the outcome is unknown (timeout, reset connection, 5xx or 429 after the retries: an earlier try of the retry
//   loop may have landed) → the incident is read back at once: it shows the whole change → the write is done; it
//   does not and nothing of it was in → released;
// - part of the change is in (the PATCH landed and the comment failed, or an earlier attempt went part way), or the
//   read-back fails too → kept pending with its intent but its lease ended, so the very next attempt finishes the
//   rest through replay, without waiting. Releasing it would drop the rest: a finding that the first half changed
//   (a stale incident just updated) is not found again.
// 408 and 429 count as unknown because the client retried: the last answer says nothing about the earlier tries.
import { DefenderApiError, InputError, toError } from '../errors';
import type { Logger } from '../logger';
import type { PreparedWrite } from './types';

/** True when the change cannot have been made by this call. */
export function refusedChange(e: unknown): boolean {
  if (e instanceof InputError) return true;
  if (!(e instanceof DefenderApiError) || e.status === undefined) return false;
  return e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
}

export interface SettleOptions {
  /** A write call (PATCH or comment POST) was started by this attempt. */
  sent: boolean;
  /** Part of the change may be in: a call of this attempt succeeded, or an earlier attempt had started the write. */
  partial: boolean;
  /** Reads the incident: true when it shows the whole change (fields and comment marker). */
  readBack: () => Promise<boolean>;
  logger: Logger;
  incidentId: string;
}

/**
 * Settles a write whose call failed with `error` (which the caller rethrows unless this returns true).
 * @returns true when the incident shows the change after all: the write is then marked done.
 */
export async function settleFailedWrite(write: PreparedWrite, error: unknown, o: SettleOptions): Promise<boolean> {
  const log = (outcome: string, extra: Record<string, unknown> = {}): void =>
    o.logger.info('[engine] failed write settled', { incidentId: o.incidentId, outcome, ...extra });
  try {
    const letGo = async (): Promise<false> => {
      if (o.partial) {
        await write.suspend();
        log('pending, lease ended', { reason: 'part of the change is in' });
      } else {
        await write.release();
        log('released');
      }
      return false;
    };
    if (!o.sent && !o.partial) return await letGo();
    if (refusedChange(error)) return await letGo();
    let applied: boolean;
    try {
      applied = await o.readBack();
    } catch (readError) {
      await write.suspend();
      log('pending, lease ended', { readBack: toError(readError).message });
      return false;
    }
    if (!applied) return await letGo();
    await write.complete();
    log('done');
    return true;
  } catch (stateError) {
    // Storage failed while settling: the original failure is what the caller reports; the lease stays as it was.
    o.logger.warn('[engine] could not settle a failed write', {
      incidentId: o.incidentId,
      error: toError(stateError).message,
    });
    return false;
  }
}
