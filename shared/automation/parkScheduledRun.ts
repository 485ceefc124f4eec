// A timer run whose destructive step awaits approval is parked like an HTTP or webhook run (approvalWait.ts): an
// asynchronous-run record under the id of the run that asked (the id the approval's decision queues), marked as a
// timer run of its window, and a continuation queued for the expiry. The decision (or the expiry) resumes the window
// from the workflow-runs queue at once instead of at the next tick. The window's lease keeps the two apart: the
// continuation and a tick never cover the window together, and whichever completes it advances the watermark once.
import type { RunReport } from '../engine';
import { DEFAULT_LEASE_MS } from '../engine';
import type { Logger } from '../logger';
import type { Automation } from '.';
import { approvalHandoff, expiryDelayMs, pendingApprovals } from './approvalWait';
import { newRunToken, type AsyncRunMessage, type AsyncRunRequest } from './asyncRuns';

export type Parking = Pick<Automation, 'engine' | 'asyncRuns' | 'approvals'>;

/**
 * Records the parked run's continuation, once per run that asked (a later tick that parks on the same approval finds
 * the record there and adds nothing). @throws storage errors (the tick fails; the next one parks it again).
 */
export async function parkScheduledRun(
  a: Parking,
  report: RunReport,
  windowRunId: string,
  logger: Logger,
): Promise<void> {
  const { engine, asyncRuns } = a;
  const now = (engine.now ?? ((): Date => new Date()))();
  const delayMs = expiryDelayMs(report, now);
  // The approval keeps the id of the run that first asked: its decision queues that id.
  const askers = new Set<string>();
  for (const p of pendingApprovals(report)) askers.add((await a.approvals.get(p.id))?.record.runId ?? report.runId);
  for (const runId of askers) {
    const request: AsyncRunRequest = {
      input: {},
      startedAt: report.startedAt,
      timerWindow: windowRunId,
      ...(report.tenant !== undefined ? { tenant: report.tenant } : {}),
    };
    // Nobody polls a timer run: the token is made (the record needs its hash) and forgotten.
    const created = await engine.state.createRun({
      runId,
      workflow: report.workflow,
      tokenHash: newRunToken().hash,
      state: 'queued',
      request: JSON.stringify(request),
      handoff: JSON.stringify(approvalHandoff(report, [])),
      attempts: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(
        now.getTime() + asyncRuns.retentionMs + (engine.leaseMs ?? DEFAULT_LEASE_MS) + delayMs,
      ).toISOString(),
    });
    if (created === undefined) continue;
    await asyncRuns.queue.send({ kind: 'workflowRun', runId } satisfies AsyncRunMessage, { delayMs });
    logger.info('[timer] parked for approval; the decision or the expiry resumes the window from the queue', {
      runId,
      workflow: report.workflow,
      window: report.window,
    });
  }
}
