import { app, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { followDeviceAction as check, getAutomation as defaultGetAutomation } from './lib/lazy';

/**
 * Queue trigger: the later check of a device action still open when its step ended; it records the action's final
 * status (and queues the next check while it is open). Throwing hands the message back for a retry.
 */
export function makeFollowDeviceAction(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (message: unknown, ctx: InvocationContext): Promise<void> => {
    const logger = loggerFromContext(ctx);
    const outcome = await check(await getAutomation(), message, { logger });
    if (outcome.status === 'skipped') logger.info(`[device] check skipped: ${outcome.reason}`);
  };
}

export const followDeviceAction = makeFollowDeviceAction();

app.storageQueue('followDeviceAction', {
  // Read at registration, like the host's %Setting% binding expressions; the default matches shared/config.
  queueName: process.env.DEVICE_ACTIONS_QUEUE || 'riposte-device-actions',
  connection: 'AzureWebJobsStorage',
  handler: followDeviceAction,
});
