import { app, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { continueAsyncRun, getAutomation as defaultGetAutomation } from './lib/lazy';

/** Queue trigger: runs an asynchronous workflow run (answered 202 over HTTP); throwing hands the message back. */
export function makeContinueWorkflowRun(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (message: unknown, ctx: InvocationContext): Promise<void> => {
    const dequeueCount = Number(ctx.triggerMetadata?.dequeueCount ?? 1);
    const logger = loggerFromContext(ctx);
    const outcome = await continueAsyncRun(await getAutomation(), message, { dequeueCount, logger });
    if (outcome.status === 'skipped') logger.info(`[async-run] message skipped: ${outcome.reason}`);
  };
}

export const continueWorkflowRun = makeContinueWorkflowRun();

app.storageQueue('continueWorkflowRun', {
  // Read at registration, like the host's %Setting% binding expressions; the default matches shared/config.
  queueName: process.env.WORKFLOW_RUNS_QUEUE || 'riposte-workflow-runs',
  connection: 'AzureWebJobsStorage',
  handler: continueWorkflowRun,
});
