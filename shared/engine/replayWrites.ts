// Finishes writes that an earlier attempt claimed but did not complete (the process died between "pending" and
// "done"). Steps alone cannot always do this: the write changed the incident, so the incident may no longer match
// the step that chose it (a stale incident that was just updated is no longer stale). Each pending record carries
// its intent; replay re-reads the incident, sends what still differs, adds the comment unless its marker is
// already there, and marks the write done. Only this attempt's own writes, or the writes of a keyless run whose
// lease has ended (see abandonable), are replayed, so a live run or a returning attempt is never raced.
import type { ApiTarget } from '../clouds';
import type { AlertUpdate } from '../defender/alertTypes';
import type { DefenderHttp } from '../http/defenderHttp';
import type { MachineActionRequest } from '../mde/types';
import type { DefenderClient, IncidentComment, IncidentUpdate } from '../defender/types';
import { DefenderApiError } from '../errors';
import type { Logger } from '../logger';
import type { StepChange } from '../steps/types';
import { computePatch, toClientUpdate } from '../steps/updateIncident';
import type { Heartbeat } from '../state/heartbeat';
import { holdRecord } from '../state/heldRecord';
import type { StateStore, WriteRecord } from '../state/types';
import { replayAlertWrite } from './replayAlertWrite';
import { replayDeviceWrite } from './replayDeviceWrite';
import { markerIdOf } from './writeGuard';

export interface ReplayOptions {
  state: StateStore;
  defender: DefenderClient;
  /** The per-API clients: device writes are finished through the MDE one. */
  apis?: Readonly<Record<ApiTarget, DefenderHttp>> | undefined;
  workflow: string;
  owner: string;
  runId: string;
  now: () => Date;
  leaseMs: number;
  hasMarker: (comments: readonly IncidentComment[], markerId: string) => boolean;
  logger: Logger;
  signal: AbortSignal | undefined;
  /** Renews the lease of the write being finished (a replay may wait for quota as long as any write). */
  heartbeat?: Heartbeat | undefined;
}

interface Intent {
  update?: IncidentUpdate;
  comment?: string;
  /** An alert write: the update and comment go to this Graph alert. */
  alertId?: string;
  alertUpdate?: AlertUpdate;
  /** A device action (MDE). */
  device?: { machineId: string; request: MachineActionRequest; comment: string };
}

function parseIntent(json: string | undefined): Intent | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' ? (v as Intent) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a run other than the write's own may finish it once its lease has ended. A window (`w:`) and a delivery
 * (`d:`, a webhook event or a caller's idempotency key) come back for their own writes under the same owner: the
 * next timer run resumes the window, the queue retries the event until it is poisoned (and `riposte poison replay`
 * resumes it), a caller retries with its key. Taking their writes over would race that return (the returning
 * attempt meets a live lease it does not hold, and a queued event can be poisoned by it under load), and a ticket
 * event's write finished outside its incident's ticket lease could land out of order. Only a run without a key
 * (`r:`) never comes back, so only its writes are finished by whoever runs next.
 */
const abandonable = (owner: string): boolean => owner.startsWith('r:');

/**
 * Finishes pending writes, appending each change made (or found already made) to `changes` as it goes, so the
 * ones finished before a failure are still reported.
 * @returns `changes`.
 */
export async function replayPendingWrites(changes: StepChange[], o: ReplayOptions): Promise<StepChange[]> {
  for (const { record, version } of await o.state.listPendingWrites(o.workflow)) {
    const now = o.now();
    if (record.owner !== o.owner && !(abandonable(record.owner) && Date.parse(record.leaseUntil) <= now.getTime()))
      continue;
    const intent = parseIntent(record.intent);
    if (!intent) continue;
    const claimedAt = (t: Date): WriteRecord => ({
      ...record,
      owner: o.owner,
      runId: o.runId,
      leaseUntil: new Date(t.getTime() + o.leaseMs).toISOString(),
      updatedAt: t.toISOString(),
    });
    const claimed = claimedAt(now);
    const v = await o.state.replaceWrite(o.workflow, claimed, version);
    if (v === undefined) continue;
    const held = holdRecord(
      {
        label: `the pending write to incident ${record.incidentId}`,
        leaseMs: o.leaseMs,
        heartbeat: o.heartbeat,
        renew: (at) => o.state.replaceWrite(o.workflow, claimedAt(o.now()), at),
      },
      v,
    );
    const call = o.signal ? { signal: o.signal } : {};
    let patch: Record<string, unknown> = {};
    let patched = false;
    let addComment: boolean;
    // An alert write reports the alert's incident and the alert; an incident write its incident.
    let target: { incidentId: string; alertId?: string } = { incidentId: record.incidentId };
    try {
      if (intent.device !== undefined) {
        const change = await replayDeviceWrite(o.apis?.mde, intent.device, call);
        const done: WriteRecord = { ...claimed, state: 'done', updatedAt: o.now().toISOString() };
        delete done.intent;
        held.letGo();
        await held.change((at) => o.state.replaceWrite(o.workflow, done, at));
        changes.push(change);
        o.logger.info('[engine] pending device action finished', {
          workflow: o.workflow,
          runId: o.runId,
          deviceId: intent.device.machineId,
          outcome: change.outcome,
        });
        continue;
      }
      if (intent.alertId !== undefined) {
        const progress = { incidentId: '', patched: false, patch: {} as Record<string, unknown> };
        target = { incidentId: '', alertId: intent.alertId };
        try {
          addComment = await replayAlertWrite(
            o.defender.alerts,
            { ...intent, alertId: intent.alertId },
            markerIdOf(record.key),
            o.hasMarker,
            call,
            progress,
          );
        } finally {
          ({ patch, patched } = progress);
          target.incidentId = progress.incidentId;
        }
      } else {
        const incident = await o.defender.getIncident(record.incidentId, call);
        patch = intent.update ? computePatch(incident, intent.update) : {};
        if (Object.keys(patch).length > 0) {
          await o.defender.updateIncident(record.incidentId, toClientUpdate(patch), call);
          patched = true;
        }
        addComment = intent.comment !== undefined && !o.hasMarker(incident.comments, markerIdOf(record.key));
        if (addComment && intent.comment !== undefined)
          await o.defender.addComment(record.incidentId, intent.comment, call);
      }
    } catch (e) {
      // The PATCH landed before the failure: a change this run made, reported like any other.
      if (patched) changes.push({ ...target, patch, outcome: 'applied', replayed: true });
      // Never leave a lease behind (steps/settleWrite.ts): the incident is gone (404) → nothing can ever finish the
      // write, it is dropped; any other failure → it stays pending for its owner, lease ended, so the next attempt
      // retries it at once. This attempt's own write fails the run (its retries apply); another run's abandoned
      // write must not (it may never succeed), so it is logged and the run goes on.
      const gone = e instanceof DefenderApiError && e.status === 404;
      held.letGo();
      await held
        .change(async (at) => {
          if (!gone) return o.state.replaceWrite(o.workflow, { ...record, leaseUntil: o.now().toISOString() }, at);
          await o.state.deleteWrite(o.workflow, record.key, at);
          return undefined;
        })
        .catch(() => undefined);
      if (record.owner === o.owner) throw e;
      o.logger.warn(
        gone
          ? "[engine] another run's pending write dropped: its incident no longer exists"
          : "[engine] could not finish another run's pending write; left for the next run",
        {
          workflow: o.workflow,
          runId: o.runId,
          incidentId: record.incidentId,
          error: e instanceof Error ? e.message : String(e),
        },
      );
      continue;
    }
    const done: WriteRecord = { ...claimed, state: 'done', updatedAt: o.now().toISOString() };
    delete done.intent;
    held.letGo();
    await held.change((at) => o.state.replaceWrite(o.workflow, done, at));
    const nothing = Object.keys(patch).length === 0 && !addComment;
    changes.push({
      ...target,
      patch,
      ...(addComment ? { comment: intent.comment } : {}),
      outcome: nothing ? 'alreadyDone' : 'applied',
      replayed: true,
    });
    o.logger.info('[engine] pending write finished', {
      workflow: o.workflow,
      runId: o.runId,
      incidentId: record.incidentId,
      outcome: nothing ? 'alreadyDone' : 'applied',
    });
  }
  return changes;
}
