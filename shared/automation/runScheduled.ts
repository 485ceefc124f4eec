// A timer tick for one scheduled workflow. Throttling ends the run cleanly (the watermark stays, so the next tick
// covers the rest); a failed run is thrown so the invocation shows as failed and host retry policies apply. A tick
// that finds another live run covering the window (a CLI run, or a late tick elsewhere) leaves it to that run.
import { InProgressError, runWorkflow, type RunReport } from '../engine';
import type { Logger } from '../logger';
import type { Automation } from '.';
import { parkScheduledRun } from './parkScheduledRun';
import { toError } from '../errors';
import { selectTenants } from '../tenants/selectTenants';
import { tenantEngine, type TenantScoped } from '../tenants/tenantEngine';
import type { TenantRegistry } from '../tenants/registry';
import type { AppDeps } from '../deps';

export class ScheduledRunFailed extends Error {
  constructor(readonly report: RunReport) {
    super(`workflow ${report.workflow} run ${report.runId} failed`);
    this.name = 'ScheduledRunFailed';
  }
}

type Scheduling = Pick<Automation, 'workflows' | 'engine' | 'asyncRuns' | 'approvals'> & {
  deps?: { config: { tenants?: TenantRegistry; queueMaxDequeueCount?: number }; tenant?: AppDeps['tenant'] };
};

/** A tick's outcome in one tenant (several tenants: TENANTS). */
export interface TenantTick {
  tenant: string;
  report?: RunReport;
  error?: Error;
}

export async function runScheduled(
  automation: Scheduling,
  name: string,
  tick: { isPastDue: boolean; logger: Logger },
): Promise<RunReport | undefined> {
  const registry = automation.deps?.config.tenants;
  const tenant = automation.deps?.tenant;
  if (!registry?.explicit || !tenant) return runScheduledIn(automation, name, tick);
  const outcomes = await runScheduledTenants(
    { ...automation, deps: { config: { tenants: registry }, tenant } },
    name,
    tick,
  );
  const failed = outcomes.filter((o) => o.error);
  if (failed.length === 1 && failed[0]?.error) throw failed[0].error;
  if (failed.length > 1)
    throw new Error(
      `workflow ${name} failed in ${failed.length} tenants: ${failed.map((o) => `${o.tenant} (${o.error?.message ?? ''})`).join('; ')}`,
    );
  return undefined;
}

/**
 * One tick in every tenant the workflow runs for, side by side: each tenant has its own window (state partition),
 * clients and quota, so one tenant's throttling or failure neither delays nor stops another's.
 */
export async function runScheduledTenants(
  automation: Pick<Automation, 'workflows' | 'engine' | 'asyncRuns' | 'approvals'> & TenantScoped,
  name: string,
  tick: { isPastDue: boolean; logger: Logger },
): Promise<TenantTick[]> {
  const workflow = automation.workflows.get(name);
  if (!workflow) throw new Error(`scheduled workflow '${name}' is not loaded (see the load error above)`);
  const tenants = selectTenants(automation.deps.config.tenants, workflow.tenants, undefined, name);
  return Promise.all(
    tenants.map(async ({ key }): Promise<TenantTick> => {
      const engine = tenantEngine(automation, key, tick.logger);
      const logger = engine.logger ?? tick.logger;
      try {
        const report = await runScheduledIn({ ...automation, engine }, name, { ...tick, logger });
        return { tenant: key, ...(report ? { report } : {}) };
      } catch (e) {
        const error = toError(e);
        logger.error(`[timer] ${name} failed`, { error: error.message });
        return { tenant: key, error };
      }
    }),
  );
}

async function runScheduledIn(
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
