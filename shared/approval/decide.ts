// Deciding an approval, exactly once: pending → approved | rejected with who and when, through the record's ETag, so
// of two decisions at once (two approvers, a replayed POST) one wins and the other is told the first (409). Then the
// parked run's continuation is queued (the workflow-runs queue: shared/automation/continueAsyncRun.ts), which re-runs
// it under the same run id; its gate check now answers with the decision.
// Links are checked before anything is read (a forged or tampered token: 403, the same answer whether the approval
// exists or not); an expired approval answers 410 (and is marked expired, which also resumes its run as rejected).
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { verifyApprovalToken } from './token';
import { APPROVAL_ID, type ApprovalRecord, type ApprovalStore } from './types';

export type Decision = 'approve' | 'reject';

export interface DecideDeps {
  store: ApprovalStore;
  /** Queues the continuation of run `runId` (the workflow-runs queue's message). */
  resume(runId: string): Promise<void>;
  now: () => Date;
  logger: Logger;
}

/** The approval a link names, once its token checks out. @throws {AppError} APPROVAL_LINK_INVALID (403), NOT_FOUND. */
export async function approvalForLink(
  deps: Pick<DecideDeps, 'store'>,
  id: string,
  token: string | undefined,
): Promise<{ record: ApprovalRecord; version: string }> {
  const invalid = (): AppError =>
    new AppError(
      'APPROVAL_LINK_INVALID',
      'This approval link is not valid: it was changed, or was never issued by Riposte',
    );
  if (!APPROVAL_ID.test(id)) throw invalid();
  const check = verifyApprovalToken(await deps.store.signingKey(), id, token);
  if (!check.ok) throw invalid();
  const found = await deps.store.get(id);
  if (!found) throw new AppError('NOT_FOUND', 'This approval no longer exists');
  // The token names the expiry it was issued with: one signed for another expiry is not this approval's link.
  if (check.expiresAtMs !== Math.ceil(Date.parse(found.record.expiresAt) / 1000) * 1000) throw invalid();
  return found;
}

const decidedError = (r: ApprovalRecord): AppError =>
  r.state === 'expired'
    ? new AppError(
        'APPROVAL_EXPIRED',
        `This approval expired at ${r.expiresAt} without a decision; it counts as rejected`,
      )
    : new AppError(
        'APPROVAL_DECIDED',
        `This approval was already ${r.state} by ${r.decidedBy ?? 'someone'} at ${r.decidedAt ?? '?'}; nothing changed`,
      );

/** The error for a decided or expired approval, with the record (for the page and the 409 body). */
export class ApprovalClosedError extends AppError {
  constructor(readonly record: ApprovalRecord) {
    const e = decidedError(record);
    super(e.code, e.message);
  }
}

/**
 * Decides the approval (already found through approvalForLink, or by id for an authenticated caller).
 * @throws {ApprovalClosedError} APPROVAL_DECIDED (409) or APPROVAL_EXPIRED (410); storage errors (503).
 */
export async function decideApproval(
  deps: DecideDeps,
  found: { record: ApprovalRecord; version: string },
  decision: Decision,
  by: string,
): Promise<ApprovalRecord> {
  let { record, version } = found;
  for (let round = 0; round < 3; round++) {
    if (record.state !== 'pending') throw new ApprovalClosedError(record);
    const now = deps.now();
    const expired = Date.parse(record.expiresAt) <= now.getTime();
    const next: ApprovalRecord = expired
      ? { ...record, state: 'expired', decidedBy: 'timeout (no decision before expiry)', decidedAt: record.expiresAt }
      : {
          ...record,
          state: decision === 'approve' ? 'approved' : 'rejected',
          decidedBy: by,
          decidedAt: now.toISOString(),
        };
    if ((await deps.store.replace(next, version)) !== undefined) {
      deps.logger.info(`[approval] ${next.state}`, { approvalId: next.id, runId: next.runId, workflow: next.workflow });
      await deps.resume(next.runId).catch((e: unknown) =>
        // The decision stands; the run's continuation queued at expiry resumes it then.
        deps.logger.warn('[approval] could not queue the run now; it resumes at the approval expiry', {
          approvalId: next.id,
          runId: next.runId,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
      if (expired) throw new ApprovalClosedError(next);
      return next;
    }
    const again = await deps.store.get(record.id);
    if (!again) throw new AppError('NOT_FOUND', 'This approval no longer exists');
    ({ record, version } = again);
  }
  throw new AppError('STORAGE_UNAVAILABLE', 'the approval kept changing under concurrent decisions; retry');
}

/** A name given by a person or a caller, kept short and printable. @throws {AppError} INPUT_INVALID naming `field`. */
export function approverName(value: unknown, field: string): string {
  const v = typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '';
  // Whitespace runs (control characters included) were collapsed above; other control characters are refused.
  if (v === '' || v.length > 100 || [...v].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127))
    throw Object.assign(new AppError('INPUT_INVALID', `${field}: your name (1-100 characters) is required`), { field });
  return v;
}
