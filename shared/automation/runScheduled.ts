// A timer tick for one scheduled workflow. Throttling ends the run cleanly (the watermark stays, so the next tick
// covers the rest); a failed run is thrown so the invocation shows as failed and host retry policies apply. A tick
// that finds another live run covering the window (a CLI run, or a late tick elsewhere) leaves it to that run.
import { InProgressError, runWorkflow, type RunReport } from '../engine';
import type { Logger } from '../logger';
import type { Automation } from '.';
import { parkScheduledRun } from './parkScheduledRun';

export class ScheduledRunFailed extends Error {
  constructor(readonly report: RunReport) {
    super(`workflow ${report.workflow} run ${report.runId} failed`);
    this.name = 'ScheduledRunFailed';
  }
}

export async function runScheduled(
  automation: Pick<Automation, 'workflows' | 'engine' | 'asyncRuns' | 'approvals'>,
  name: string,
  tick: { isPastDue: boolean; logger: Logger },
): Promise<RunReport | undefined> {
  const workflow = automation.workflows.get(name);
  if (!workflow) throw new Error(`scheduled workflow '${name}' is not loaded (see the load error above)`);
  if (tick.isPastDue) tick.logger.warn(`[timer] ${name} is running late; its window covers the missed time`);
  let report: RunReport;
  try {
    report = await runWorkflow(workflow, { trigger: 'timer' }, { ...automation.engine, logger: tick.logger });
  } catch (e) {
    if (!(e instanceof InProgressError) || e.code !== 'WINDOW_IN_PROGRESS') throw e;
    tick.logger.warn(`[timer] ${name} skipped: ${e.message}`, { retryAfterMs: e.retryAfterMs });
    return undefined;
  }
  const summary = { runId: report.runId, status: report.status, durationMs: report.durationMs, window: report.window };
  if (report.status === 'failed') throw new ScheduledRunFailed(report);
  if (report.status === 'throttled')
    tick.logger.warn(`[timer] ${name} throttled; the next run resumes its window`, summary);
  else if (report.status === 'awaitingApproval') {
    // Parked: the window stays pending (its lease released), and its continuation waits on the workflow-runs queue
    // for the decision or the expiry (parkScheduledRun.ts); a tick before then finds the approval pending and parks
    // on it again. The pending window's run id is the write owner the continuation resumes under.
    const pending = (await automation.engine.state.getWatermark(name)).pending;
    if (pending && pending.end === report.window?.end)
      await parkScheduledRun(automation, report, pending.runId, tick.logger);
    tick.logger.info(`[timer] ${name} awaits approval; its decision or expiry resumes the window from the queue`, {
      ...summary,
      approvals: report.approvals?.map((a) => ({ id: a.id, state: a.state, expiresAt: a.expiresAt })),
    });
  } else tick.logger.info(`[timer] ${name} ${report.status}`, summary);
  return report;
}
