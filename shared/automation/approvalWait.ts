// A run whose destructive step awaits approval (RunReport status 'awaitingApproval') is parked, never held in
// memory: its continuation record (the asynchronous-run record, asyncRuns.ts) is stored with the approvals it waits
// for, and a continuation message is queued for the earliest expiry, so a run nobody decides ends as rejected then.
// A decision queues the continuation at once (shared/approval/decide.ts). The continuation re-runs the workflow under
// the same run id, idempotency key and start time: what it did before is found done, and the gate answers with the
// decision.
import type { RunHandoff, RunReport } from '../engine';
import type { StepChange } from '../steps/types';

/** Past the expiry, so the continuation finds the approval expired rather than a second early. */
const AFTER_EXPIRY_MS = 1000;

/** The pending approvals of a parked run. */
export const pendingApprovals = (report: RunReport) => (report.approvals ?? []).filter((a) => a.state === 'pending');

/** When the continuation should look again without a decision: just after the earliest pending expiry. */
export function expiryDelayMs(report: RunReport, now: Date): number {
  const earliest = Math.min(...pendingApprovals(report).map((a) => Date.parse(a.expiresAt)));
  return Number.isFinite(earliest) ? Math.max(1000, earliest - now.getTime() + AFTER_EXPIRY_MS) : 60_000;
}

/** The handoff a parked run's record carries (shown in its 202s). */
export function approvalHandoff(report: RunReport, changes: StepChange[]): RunHandoff {
  return { reason: 'approval', at: report.finishedAt, changes, approvals: pendingApprovals(report) };
}
