import { app, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { applyTicketEvent as apply, getAutomation as defaultGetAutomation } from './lib/lazy';
import { loggerFromContext } from '../shared/logger';

/** Queue trigger: applies a ticket event; throwing hands the message back to the queue for another attempt. */
export function makeApplyTicketEvent(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (message: unknown, ctx: InvocationContext): Promise<void> => {
    const dequeueCount = Number(ctx.triggerMetadata?.dequeueCount ?? 1);
    const logger = loggerFromContext(ctx);
    const outcome = await apply(await getAutomation(), message, { dequeueCount, logger });
    if (outcome.status === 'retry')
      throw new Error(`ticket event not applied yet (attempt ${dequeueCount}): ${outcome.reason}`);
    if (outcome.status === 'applied') {
      // No report when every field was stale and there was no comment: nothing ran (the stale line says why).
      logger.info(`[ticket-sync] ${outcome.report?.status ?? 'skipped'}`, {
        ...(outcome.report ? { runId: outcome.report.runId, durationMs: outcome.report.durationMs } : {}),
        ...(outcome.skippedFields.length > 0 ? { skippedFields: outcome.skippedFields } : {}),
      });
    }
  };
}

export const applyTicketEvent = makeApplyTicketEvent();

app.storageQueue('applyTicketEvent', {
  // Read at registration, like the host's %Setting% binding expressions; the default matches shared/config.
  queueName: process.env.TICKET_EVENTS_QUEUE || 'riposte-ticket-events',
  connection: 'AzureWebJobsStorage',
  handler: applyTicketEvent,
});
