// updateIncident: sets status, assignment, classification/determination, severity and tags, and optionally adds a
// comment. The incident is read first and only fields that differ are sent; tags are merged into the current list
// (both APIs replace the whole list), so a re-run sends nothing and a dry run can show the exact PATCH.
// A PATCH sets fields to values, so repeating it is harmless; the comment is not, so before adding it the
// incident's comments are searched for this write's marker (it may have been added by a run that then crashed).
import { InputError } from '../errors';
import { applyTagChange, sameTags } from '../defender/tags';
import type { Incident, IncidentUpdate } from '../defender/types';
import { DETERMINATIONS_BY_CLASSIFICATION, validateUpdate } from '../defender/validateUpdate';
import type { CompiledValue } from '../workflows/expressions';
import { canonicalList, expectObject, incidentIdOf, isRecord } from './common';
import { settleFailedWrite } from './settleWrite';
import {
  withChanges,
  type ActionModule,
  type Report,
  type StepChange,
  type StepResult,
  type StepRuntime,
} from './types';

const CHANGE_FIELDS = [
  'status',
  'assignedTo',
  'classification',
  'determination',
  'severity',
  'tags',
  'comment',
] as const;

export interface UpdateIncidentInput {
  incidentId: string;
  /** Validated and normalised; empty when templates produced nothing to change. */
  update: IncidentUpdate;
}

function check(input: CompiledValue, _ctx: unknown, report: Report): void {
  if (input.kind !== 'object') return;
  const fields = new Map(input.entries);
  if (!CHANGE_FIELDS.some((f) => fields.has(f))) {
    report('', `updateIncident changes nothing: set at least one of ${CHANGE_FIELDS.join(', ')}`);
  }
  const det = fields.get('determination');
  const cls = fields.get('classification');
  if (det && !cls) {
    report(
      '.determination',
      'determination needs classification in the same step (truePositive, informationalExpectedActivity or falsePositive)',
    );
  }
  if (det?.kind === 'literal' && cls?.kind === 'literal') {
    const allowed = DETERMINATIONS_BY_CLASSIFICATION[cls.value as keyof typeof DETERMINATIONS_BY_CLASSIFICATION] as
      readonly string[] | undefined;
    if (allowed && !allowed.includes(String(det.value))) {
      report(
        '.determination',
        `determination '${String(det.value)}' is not allowed with classification '${String(cls.value)}'; use one of: ${allowed.join(', ')}`,
      );
    }
  }
}

/** A template may yield one tag, a list, or nothing; an empty list means "no change". */
function tagListOf(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length === 0) return undefined;
  return v;
}

function parse(value: unknown, backend: 'graph' | 'legacy'): UpdateIncidentInput {
  const obj = expectObject(value, ['incidentId', ...CHANGE_FIELDS]);
  const incidentId = incidentIdOf(obj.incidentId, 'incidentId', backend);
  const raw: Record<string, unknown> = {};
  for (const f of CHANGE_FIELDS) if (obj[f] !== undefined && obj[f] !== null && f !== 'tags') raw[f] = obj[f];
  if (obj.tags !== undefined && obj.tags !== null) {
    if (!isRecord(obj.tags)) throw new InputError('tags', 'tags must be an object with add and/or remove');
    const add = tagListOf(obj.tags.add);
    const remove = tagListOf(obj.tags.remove);
    if (add !== undefined || remove !== undefined)
      raw.tags = { ...(add !== undefined ? { add } : {}), ...(remove !== undefined ? { remove } : {}) };
  }
  if (Object.keys(raw).length === 0) return { incidentId, update: {} };
  return { incidentId, update: validateUpdate(raw, backend) };
}

/** The fields to send: only what differs from the incident now; tags as the full merged list. */
export function computePatch(current: Incident, update: IncidentUpdate): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (update.status !== undefined && update.status !== current.status) patch.status = update.status;
  if (update.assignedTo !== undefined && update.assignedTo !== (current.assignedTo ?? ''))
    patch.assignedTo = update.assignedTo;
  if (update.severity !== undefined && update.severity !== current.severity) patch.severity = update.severity;
  const classChanges = update.classification !== undefined && update.classification !== current.classification;
  const detChanges = update.determination !== undefined && update.determination !== current.determination;
  // Both APIs want determination together with its classification, so a change to either sends both.
  if (classChanges || detChanges) {
    if (update.classification !== undefined) patch.classification = update.classification;
    if (update.determination !== undefined) patch.determination = update.determination;
  }
  if (update.tags) {
    const merged = applyTagChange(current.tags, update.tags);
    if (!sameTags(current.tags, merged)) patch.tags = merged;
  }
  return patch;
}

/** The patch as the client takes it: the merged tag list replaces the incident's list. */
export function toClientUpdate(patch: Record<string, unknown>): IncidentUpdate {
  const { tags, ...fields } = patch;
  return { ...(fields as IncidentUpdate), ...(Array.isArray(tags) ? { tags: { replace: tags as string[] } } : {}) };
}

async function run(input: UpdateIncidentInput, rt: StepRuntime): Promise<StepResult> {
  const { incidentId } = input;
  const { comment, ...fields } = input.update;
  const counts = { updated: 0, unchanged: 0, alreadyDone: 0, wouldUpdate: 0, comments: 0 };
  const done = (change: StepChange): StepResult => ({
    output: { incidentId, patch: change.patch, outcome: change.outcome },
    counts,
    changes: [change],
  });
  if (comment === undefined && Object.keys(fields).length === 0) {
    counts.unchanged++;
    return done({ incidentId, patch: {}, outcome: 'unchanged' });
  }
  const intent = {
    kind: 'updateIncident',
    ...fields,
    ...(fields.tags
      ? { tags: { add: canonicalList(fields.tags.add), remove: canonicalList(fields.tags.remove) } }
      : {}),
    comment,
  };
  const write = await rt.writes.prepare(incidentId, intent);
  if (write.done) {
    counts.alreadyDone++;
    return done({ incidentId, patch: {}, outcome: 'alreadyDone' });
  }
  return rt.withIncidentLock(incidentId, async () => {
    const marked = comment !== undefined ? rt.markComment(comment, write.markerId) : undefined;
    const claim = rt.dryRun
      ? undefined
      : await write.claim({ update: fields, ...(marked !== undefined ? { comment: marked } : {}) });
    if (claim === 'done') {
      counts.alreadyDone++;
      return done({ incidentId, patch: {}, outcome: 'alreadyDone' });
    }
    const call = rt.signal ? { signal: rt.signal } : {};
    const text = marked;
    let change: StepChange | undefined;
    let sent = false;
    let landed = false;
    try {
      const current = await rt.defender.getIncident(incidentId, call);
      const patch = computePatch(current, fields);
      // The marker check makes the comment safe to retry even if the state store lost the record.
      const addComment = text !== undefined && !rt.hasMarker(current.comments, write.markerId);
      const nothing = Object.keys(patch).length === 0 && !addComment;
      change = { incidentId, patch, ...(addComment ? { comment: text } : {}), outcome: 'unchanged' };
      if (rt.dryRun) {
        change.outcome = nothing ? 'unchanged' : 'wouldApply';
        if (nothing) counts.unchanged++;
        else counts.wouldUpdate++;
        return done(change);
      }
      if (claim === 'resumed') change.replayed = true;
      if (Object.keys(patch).length > 0) {
        sent = true;
        await rt.defender.updateIncident(incidentId, toClientUpdate(patch), call);
        landed = true;
      }
      if (addComment && text !== undefined) {
        sent = true;
        await rt.defender.addComment(incidentId, text, call);
        counts.comments++;
      }
      await write.complete();
      change.outcome = nothing ? 'unchanged' : 'applied';
      if (nothing) counts.unchanged++;
      else counts.updated++;
      return done(change);
    } catch (e) {
      if (rt.dryRun) throw e;
      const applied = await settleFailedWrite(write, e, {
        sent,
        partial: landed || claim === 'resumed',
        incidentId,
        logger: rt.logger,
        readBack: async () => {
          const now = await rt.defender.getIncident(incidentId, call);
          const rest = computePatch(now, fields);
          return Object.keys(rest).length === 0 && (text === undefined || rt.hasMarker(now.comments, write.markerId));
        },
      });
      if (!applied) {
        // The PATCH landed before the failure: it is a change this run made, reported with the failure.
        const made: StepChange[] =
          landed && change
            ? [{ incidentId, patch: change.patch, outcome: 'applied', ...(change.replayed ? { replayed: true } : {}) }]
            : [];
        throw withChanges(e, made);
      }
      // The call failed but the incident shows the whole change: it was made (by this call or an earlier attempt).
      if (!change || !sent) {
        counts.alreadyDone++;
        return done({
          incidentId,
          patch: {},
          outcome: 'alreadyDone',
          ...(claim === 'resumed' ? { replayed: true as const } : {}),
        });
      }
      change.outcome = 'applied';
      counts.updated++;
      return done(change);
    }
  });
}

export const updateIncident: ActionModule<UpdateIncidentInput> = { check, parse, run };
