// commentAlert: adds a comment to a Graph alert at most once per alert and distinct text (or per delivery). Each
// POST …/comments appends (security-alert-post-comments.md), so before posting, the alert's comments are searched
// for this write's marker — a comment an earlier, crashed attempt added is found and not added again, even when the
// state store lost its record. The POST answers every comment of the alert: that list is the step's output.
import type { IncidentComment } from '../defender/types';
import { InputError } from '../errors';
import { ALERTS_API, alertIdOf, alertsOf, alertTarget } from './alertCommon';
import { expectObject } from './common';
import { settleFailedWrite } from './settleWrite';
import type { ActionModule, StepChange, StepResult, StepRuntime } from './types';

export interface CommentAlertInput {
  alertId: string;
  text: string;
}

function parse(value: unknown): CommentAlertInput {
  const obj = expectObject(value, ['alertId', 'text']);
  const alertId = alertIdOf(obj.alertId);
  if (typeof obj.text !== 'string' || obj.text.trim() === '')
    throw new InputError('text', 'text must be a non-empty string');
  return { alertId, text: obj.text };
}

async function run(input: CommentAlertInput, rt: StepRuntime): Promise<StepResult> {
  const { alertId } = input;
  const client = alertsOf(rt);
  const call = rt.signal ? { signal: rt.signal } : {};
  const counts = { comments: 0, alreadyDone: 0, wouldComment: 0 };
  const current = await client.getAlert(alertId, call);
  const incidentId = current.incidentId ?? '';
  const result = (change: Omit<StepChange, 'incidentId' | 'alertId' | 'patch'>, comments: IncidentComment[]) => {
    const full: StepChange = { incidentId, alertId, patch: {}, ...change };
    return { output: { alertId, incidentId, outcome: full.outcome, comments }, counts, changes: [full] } as StepResult;
  };
  const write = await rt.writes.prepare(alertTarget(alertId), { kind: 'commentAlert', text: input.text });
  const text = rt.markComment(input.text, write.markerId);
  if (write.done) {
    counts.alreadyDone++;
    return result({ outcome: 'alreadyDone' }, current.comments);
  }
  return rt.withIncidentLock(alertTarget(alertId), async () => {
    const claim = rt.dryRun ? undefined : await write.claim({ alertId, comment: text });
    if (claim === 'done') {
      counts.alreadyDone++;
      return result({ outcome: 'alreadyDone' }, current.comments);
    }
    const replayed = claim === 'resumed' ? { replayed: true as const } : {};
    if (rt.hasMarker(current.comments, write.markerId)) {
      if (!rt.dryRun) await write.complete();
      counts.alreadyDone++;
      return result({ outcome: 'alreadyDone', ...replayed }, current.comments);
    }
    if (rt.dryRun) {
      counts.wouldComment++;
      return result({ comment: text, outcome: 'wouldApply' }, current.comments);
    }
    let sent = false;
    let comments: IncidentComment[] | undefined;
    try {
      sent = true;
      comments = await client.addAlertComment(alertId, text, call);
      await write.complete();
    } catch (e) {
      const applied = await settleFailedWrite(write, e, {
        sent,
        partial: claim === 'resumed',
        incidentId: incidentId || alertTarget(alertId),
        logger: rt.logger,
        readBack: async () => {
          comments = (await client.getAlert(alertId, call)).comments;
          return rt.hasMarker(comments, write.markerId);
        },
      });
      if (!applied) throw e;
    }
    counts.comments++;
    return result({ comment: text, outcome: 'applied', ...replayed }, comments ?? []);
  });
}

export const commentAlert: ActionModule<CommentAlertInput> = { graphOnly: ALERTS_API, parse, run };
