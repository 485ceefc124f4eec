// The queue consumer's side of the device-action follow-up (shared/mde/actionFollowUp.ts): one check per message.
import type { Logger } from '../logger';
import { checkDeviceAction, type CheckOutcome } from '../mde/actionFollowUp';
import { createMachineActionsClient } from '../mde/machineActionsClient';
import type { Automation } from './index';
import { deviceActions } from './index';
import { createStorageClients } from './storageClients';

const built = new WeakMap<Automation, ReturnType<typeof deviceActions>>();

export async function followDeviceAction(
  automation: Automation,
  message: unknown,
  o: { logger: Logger },
): Promise<CheckOutcome> {
  let storage = built.get(automation);
  if (!storage) {
    storage = deviceActions(createStorageClients(automation.deps.config), automation.deps.config);
    built.set(automation, storage);
  }
  return checkDeviceAction(message, {
    ...storage,
    client: createMachineActionsClient(automation.deps.apis.mde),
    state: automation.state,
    logger: o.logger,
  });
}
