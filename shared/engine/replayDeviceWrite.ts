// Finishes a device action an earlier attempt claimed and did not confirm (replayWrites.ts): the device's actions of
// that type are read; one carrying the write's marked Comment means the POST landed, an open one of the same kind
// is adopted (never a second request beside it, issue #5903); only when neither exists is the action requested.
import type { DefenderHttp } from '../http/defenderHttp';
import { AppError } from '../errors';
import { actionToAdopt, createMachineActionsClient, plannedRequest } from '../mde/machineActionsClient';
import type { MachineActionRequest } from '../mde/types';
import type { StepChange } from '../steps/types';

export async function replayDeviceWrite(
  http: DefenderHttp | undefined,
  device: { machineId: string; request: MachineActionRequest; comment: string },
  call: { signal?: AbortSignal },
): Promise<StepChange> {
  if (!http)
    throw new AppError('CONFIG_INVALID', 'replaying a device action needs the Defender for Endpoint API client');
  const client = createMachineActionsClient(http);
  const planned = plannedRequest(device.machineId, device.request, device.comment);
  const base = {
    incidentId: '',
    target: { kind: 'device' as const, id: device.machineId },
    patch: planned.body,
    request: planned,
  };
  const found = actionToAdopt(
    await client.listActions(device.machineId, device.request.type, call),
    device.request,
    device.comment,
  );
  const action = found?.action ?? (await client.requestAction(device.machineId, device.request, device.comment, call));
  return {
    ...base,
    outcome: found ? (found.ours ? 'alreadyDone' : 'unchanged') : 'applied',
    replayed: true,
    machineAction: { id: action.id, type: action.type, status: action.status },
  };
}
