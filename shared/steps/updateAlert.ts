// updateAlert: sets a Graph alert's status, assignment, classification and determination (the alert update page's
// PATCH table, api-reference/v1.0/api/security-alert-update.md). The alert is read first and only fields that
// differ are sent, so a re-run sends nothing and a dry run shows the exact PATCH body. A PATCH sets values, so a
// repeat is harmless; the write guard still records it once, like updateIncident.
import {
  ALERT_CLASSIFICATIONS,
  ALERT_DETERMINATIONS,
  ALERT_STATUSES,
  type Alert,
  type AlertUpdate,
} from '../defender/alertTypes';
import { alertPatchBody } from '../defender/alertsClient';
import { InputError } from '../errors';
import type { CompiledValue } from '../workflows/expressions';
import { ALERTS_API, alertIdOf, alertsOf, alertTarget, enumOf } from './alertCommon';
import { expectObject, optionalString } from './common';
import { settleFailedWrite } from './settleWrite';
import {
  withChanges,
  type ActionModule,
  type Report,
  type StepChange,
  type StepResult,
  type StepRuntime,
} from './types';

const CHANGE_FIELDS = ['status', 'assignedTo', 'classification', 'determination'] as const;

export interface UpdateAlertInput {
  alertId: string;
  update: AlertUpdate;
}

function check(input: CompiledValue, _ctx: unknown, report: Report): void {
  if (input.kind !== 'object') return;
  const fields = new Set(input.entries.map(([k]) => k));
  if (!CHANGE_FIELDS.some((f) => fields.has(f)))
    report('', `updateAlert changes nothing: set at least one of ${CHANGE_FIELDS.join(', ')}`);
}

function parse(value: unknown): UpdateAlertInput {
  const obj = expectObject(value, ['alertId', ...CHANGE_FIELDS]);
  const update: AlertUpdate = {};
  const status = enumOf(obj, 'status', ALERT_STATUSES);
  if (status) update.status = status;
  const classification = enumOf(obj, 'classification', ALERT_CLASSIFICATIONS);
  if (classification) update.classification = classification;
  const determination = enumOf(obj, 'determination', ALERT_DETERMINATIONS);
  if (determination) update.determination = determination;
  const assignedTo = optionalString(obj, 'assignedTo');
  if (assignedTo !== undefined) {
    if (assignedTo.length > 256) throw new InputError('assignedTo', 'assignedTo must be at most 256 characters');
    update.assignedTo = assignedTo.trim();
  }
  return { alertId: alertIdOf(obj.alertId), update };
}

/** The fields of `u` that differ from the alert now (an empty assignedTo means unassigned, as null does). */
export function computeAlertPatch(current: Alert, u: AlertUpdate): AlertUpdate {
  const patch: AlertUpdate = {};
  if (u.status !== undefined && u.status !== current.status) patch.status = u.status;
  if (u.assignedTo !== undefined && u.assignedTo.toLowerCase() !== (current.assignedTo ?? '').toLowerCase())
    patch.assignedTo = u.assignedTo;
  if (u.classification !== undefined && u.classification !== current.classification)
    patch.classification = u.classification;
  if (u.determination !== undefined && u.determination !== current.determination) patch.determination = u.determination;
  return patch;
}

async function run(input: UpdateAlertInput, rt: StepRuntime): Promise<StepResult> {
  const { alertId, update } = input;
  const client = alertsOf(rt);
  const call = rt.signal ? { signal: rt.signal } : {};
  const counts = { updated: 0, unchanged: 0, alreadyDone: 0, wouldUpdate: 0 };
  let incidentId = '';
  const done = (change: Omit<StepChange, 'incidentId' | 'alertId'>): StepResult => {
    const full: StepChange = { incidentId, alertId, ...change };
    return { output: { alertId, incidentId, patch: full.patch, outcome: full.outcome }, counts, changes: [full] };
  };
  if (Object.keys(update).length === 0) {
    counts.unchanged++;
    return done({ patch: {}, outcome: 'unchanged' });
  }
  // Read first: the report names the alert's incident, and only what differs is sent.
  let current = await client.getAlert(alertId, call);
  incidentId = current.incidentId ?? '';
  const write = await rt.writes.prepare(alertTarget(alertId), { kind: 'updateAlert', ...update });
  if (write.done) {
    counts.alreadyDone++;
    return done({ patch: {}, outcome: 'alreadyDone' });
  }
  return rt.withIncidentLock(alertTarget(alertId), async () => {
    const claim = rt.dryRun ? undefined : await write.claim({ alertId, alertUpdate: update });
    if (claim === 'done') {
      counts.alreadyDone++;
      return done({ patch: {}, outcome: 'alreadyDone' });
    }
    // Another run may have changed it between the first read and the claim.
    if (claim === 'resumed') current = await client.getAlert(alertId, call);
    const patch = computeAlertPatch(current, update);
    const body = alertPatchBody(patch);
    const nothing = Object.keys(body).length === 0;
    const replayed = claim === 'resumed' ? { replayed: true as const } : {};
    if (rt.dryRun) {
      if (nothing) counts.unchanged++;
      else counts.wouldUpdate++;
      return done({ patch: body, outcome: nothing ? 'unchanged' : 'wouldApply' });
    }
    let sent = false;
    try {
      if (!nothing) {
        sent = true;
        await client.updateAlert(alertId, patch, call);
      }
      await write.complete();
    } catch (e) {
      const applied = await settleFailedWrite(write, e, {
        sent,
        partial: claim === 'resumed',
        incidentId: incidentId || alertTarget(alertId),
        logger: rt.logger,
        readBack: async () => Object.keys(computeAlertPatch(await client.getAlert(alertId, call), update)).length === 0,
      });
      if (!applied) throw withChanges(e, []);
    }
    if (nothing) counts.unchanged++;
    else counts.updated++;
    return done({ patch: body, outcome: nothing ? 'unchanged' : 'applied', ...replayed });
  });
}

export const updateAlert: ActionModule<UpdateAlertInput> = { graphOnly: ALERTS_API, check, parse, run };
