import { app, type InvocationContext, type Timer } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { getAutomation as defaultGetAutomation } from './lib/lazy';

/**
 * Hourly: deletes asynchronous runs whose report has expired (RUN_REPORT_RETENTION_HOURS). A poll of an expired run
 * answers 404 and deletes it anyway; this removes the ones nobody polls.
 */
export function makePurgeWorkflowRuns(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (_timer: Timer, ctx: InvocationContext): Promise<void> => {
    const automation = await getAutomation();
    const purged = await automation.engine.state.purgeRuns(new Date());
    loggerFromContext(ctx).info('[async-run] expired runs purged', { purged });
  };
}

export const purgeWorkflowRuns = makePurgeWorkflowRuns();

app.timer('purgeWorkflowRuns', {
  // Minute 17 of every hour: away from the top of the hour, when scheduled workflows cluster.
  schedule: '0 17 * * * *',
  handler: purgeWorkflowRuns,
});
