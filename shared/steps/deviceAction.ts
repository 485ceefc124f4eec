// Device actions on Defender for Endpoint (response-actions.md §1): each step names a device (its MDE machine id, or
// a name or Entra device id resolved to one), posts one machine action with Riposte's marker in its `Comment`, and
// follows it (GET machineactions/{id}) for up to `wait` seconds; an action still open then is recorded in storage
// and checked later (shared/mde/actionFollowUp.ts), which records its outcome.
// Once only, three ways: the write guard (target `device:<id>`) skips a write a run already made; before posting,
// the device's actions of the same type are read and an open one is adopted instead of posting again (issue #5903:
// a duplicate can stay Pending and land after a later release), as is one carrying this write's marker (an earlier
// attempt's POST that landed though its answer was lost); and the API's 400 "already in progress"
// (ActiveRequestAlreadyExists, UNCONFIRMED) adopts the pending action, never a blind retry. The POST itself is never
// retried once it may have reached the server (machineActionsClient.ts).
import { AppError, InputError } from '../errors';
import {
  actionToAdopt,
  createMachineActionsClient,
  isAlreadyInProgress,
  plannedRequest,
  sameAction,
  type MachineActionsClient,
} from '../mde/machineActionsClient';
import { followAction } from '../mde/followAction';
import { deviceRefOf, resolveDevice, type DeviceRef } from '../mde/resolveDevice';
import { isFinalStatus, type MachineAction, type MachineActionRequest } from '../mde/types';
import { expectObject } from './common';
import { settleFailedWrite } from './settleWrite';
import { withChanges, type ActionModule, type StepChange, type StepResult, type StepRuntime } from './types';

export interface DeviceActionInput {
  device: DeviceRef;
  comment: string;
  waitMs: number;
  request: MachineActionRequest;
}

/** Seconds a step follows its action by default: most finish (or fail) within this when the device is online. */
export const DEFAULT_WAIT_SECONDS = 30;
export const MAX_WAIT_SECONDS = 600;

const COMMON = ['deviceId', 'deviceName', 'aadDeviceId', 'comment', 'wait'];

/** The write guard's target for a device (kept apart from incident ids by its prefix). */
export const deviceTarget = (machineId: string): string => `device:${machineId}`;

export interface DeviceActionSpec {
  /** Fields of this action besides the common ones. */
  fields?: readonly string[];
  /** The action request from the step's input object (its own fields). @throws {InputError} naming the field. */
  request(obj: Record<string, unknown>): MachineActionRequest;
  /** For the approval gate: what the approver is asked to allow. */
  destructive?: string;
}

function waitOf(obj: Record<string, unknown>): number {
  const v = obj.wait;
  if (v === undefined || v === null) return DEFAULT_WAIT_SECONDS * 1000;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_WAIT_SECONDS)
    throw new InputError('wait', `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
  return v * 1000;
}

/** The MDE client, or a CONFIG_INVALID naming what is missing (an engine built without deps.apis). */
function clientOf(rt: StepRuntime): MachineActionsClient {
  const http = rt.apis?.mde;
  if (!http)
    throw new AppError('CONFIG_INVALID', 'device actions need the Defender for Endpoint API client (deps.apis.mde)');
  return createMachineActionsClient(http);
}

const isOpen = (a: MachineAction): boolean => !isFinalStatus(a.status);

async function run(input: DeviceActionInput, rt: StepRuntime): Promise<StepResult> {
  const client = clientOf(rt);
  const call = rt.signal ? { signal: rt.signal } : {};
  const { machine, resolvedFrom } = await resolveDevice(client, input.device, call);
  const machineId = machine.id;
  const target = { kind: 'device' as const, id: machineId };
  const counts = { requested: 0, adopted: 0, alreadyDone: 0, wouldRequest: 0, followUps: 0 };
  const write = await rt.writes.prepare(deviceTarget(machineId), {
    kind: input.request.type,
    ...input.request,
    comment: input.comment,
  });
  const comment = rt.markComment(input.comment, write.markerId);
  const planned = plannedRequest(machineId, input.request, comment);
  const ours = (a: MachineAction): boolean =>
    sameAction(a, input.request) && (a.requestorComment ?? '').includes(comment);
  const result = async (
    outcome: StepChange['outcome'],
    action: MachineAction | undefined,
    how: 'requested' | 'adopted' | 'earlier' | 'dryRun',
  ): Promise<StepResult> => {
    let followed = action;
    let followUp: 'none' | 'queued' | 'unavailable' = 'none';
    let checkAt: string | undefined;
    if (action && how !== 'dryRun') {
      followed = await followAction(client, action, input.waitMs, { signal: rt.signal });
      if (!isFinalStatus(followed.status)) {
        if (rt.followUps) {
          ({ checkAt } = await rt.followUps.track({
            actionId: followed.id,
            machineId,
            type: followed.type,
            status: followed.status,
            workflow: rt.workflow,
            runId: rt.runId ?? '',
            stepId: rt.stepId,
            requestedAt: followed.creationDateTimeUtc ?? new Date().toISOString(),
          }));
          followUp = 'queued';
          counts.followUps++;
        } else {
          followUp = 'unavailable';
          rt.logger.warn('[device] action still open and no storage to follow it later', {
            actionId: followed.id,
            status: followed.status,
          });
        }
      }
    }
    const change: StepChange = {
      incidentId: '',
      target,
      patch: planned.body,
      request: planned,
      outcome,
      ...(followed ? { machineAction: { id: followed.id, type: followed.type, status: followed.status } } : {}),
    };
    if (followed && isFinalStatus(followed.status) && followed.status !== 'Succeeded')
      // The request was taken and the device did not carry it out: the step fails (onError: continue goes on),
      // and the report still shows the action it requested.
      throw withChanges(
        new AppError(
          'DEVICE_ACTION_FAILED',
          `${followed.type} on device ${machineId} ended ${followed.status} (machine action ${followed.id})`,
        ),
        [change],
      );
    return {
      output: {
        deviceId: machineId,
        deviceName: machine.computerDnsName ?? null,
        resolvedFrom,
        actionId: followed?.id ?? null,
        type: input.request.type,
        status: followed?.status ?? null,
        final: followed ? isFinalStatus(followed.status) : false,
        how,
        outcome,
        followUp,
        ...(checkAt ? { checkAt } : {}),
        request: planned,
      },
      counts,
      changes: [change],
    };
  };

  const actionsOnDevice = (): Promise<MachineAction[]> => client.listActions(machineId, input.request.type, call);
  if (write.done) {
    counts.alreadyDone++;
    const earlier = (await actionsOnDevice()).find(ours);
    return result('alreadyDone', earlier, 'earlier');
  }
  return rt.withIncidentLock(deviceTarget(machineId), async () => {
    const claim = rt.dryRun ? undefined : await write.claim({ device: { machineId, request: input.request, comment } });
    if (claim === 'done') {
      counts.alreadyDone++;
      return result('alreadyDone', (await actionsOnDevice()).find(ours), 'earlier');
    }
    // This write's own action (an earlier attempt's POST landed), else any open one of the same kind.
    const adopt = actionToAdopt(await actionsOnDevice(), input.request, comment);
    if (rt.dryRun) {
      if (adopt) return result('unchanged', adopt.action, 'dryRun');
      counts.wouldRequest++;
      return result('wouldApply', undefined, 'dryRun');
    }
    if (adopt) {
      await write.complete();
      counts.adopted++;
      return result(adopt.ours ? 'alreadyDone' : 'unchanged', adopt.action, 'adopted');
    }
    let action: MachineAction;
    try {
      action = await client.requestAction(machineId, input.request, comment, call);
    } catch (e) {
      if (isAlreadyInProgress(e)) {
        // Another request got there between our read and our POST: adopt it rather than post again.
        const pending = (await actionsOnDevice()).find((a) => sameAction(a, input.request) && isOpen(a));
        if (pending) {
          await write.complete();
          counts.adopted++;
          return result('unchanged', pending, 'adopted');
        }
      }
      let found: MachineAction | undefined;
      const applied = await settleFailedWrite(write, e, {
        sent: true,
        partial: claim === 'resumed',
        incidentId: deviceTarget(machineId),
        logger: rt.logger,
        readBack: async () => {
          found = (await actionsOnDevice()).find(ours);
          return found !== undefined;
        },
      });
      if (!applied || !found) throw e;
      action = found;
    }
    await write.complete();
    counts.requested++;
    return result('applied', action, 'requested');
  });
}

/** Builds the step module for one machine action. */
export function deviceActionStep(spec: DeviceActionSpec): ActionModule<DeviceActionInput> {
  return {
    ...(spec.destructive ? { destructive: spec.destructive } : {}),
    // For the approver: the device as the step names it (a name or Entra id is resolved only when the step runs).
    subject: (input: DeviceActionInput) => ({
      target: { kind: 'device' as const, id: Object.values(input.device)[0] as string },
    }),
    parse(value: unknown): DeviceActionInput {
      const obj = expectObject(value, [...COMMON, ...(spec.fields ?? [])]);
      if (typeof obj.comment !== 'string' || obj.comment.trim() === '')
        throw new InputError('comment', 'comment must be a non-empty string (the action center shows it)');
      return { device: deviceRefOf(obj), comment: obj.comment.trim(), waitMs: waitOf(obj), request: spec.request(obj) };
    },
    run,
  };
}
