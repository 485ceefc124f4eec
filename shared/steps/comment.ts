// comment: adds a comment, at most once per incident and distinct text (or per delivery). Adding a comment is not
// idempotent, so a write that an earlier attempt left pending is checked against the incident's comments (by the
// marker id) before the comment is added again.
import { InputError } from '../errors';
import type { ApiBackend } from '../defender/types';
import { expectObject, incidentIdOf } from './common';
import { settleFailedWrite } from './settleWrite';
import type { ActionModule, StepChange, StepResult, StepRuntime } from './types';

export interface CommentInput {
  incidentId: string;
  text: string;
}

function parse(value: unknown, backend: ApiBackend): CommentInput {
  const obj = expectObject(value, ['incidentId', 'text']);
  const incidentId = incidentIdOf(obj.incidentId, 'incidentId', backend);
  if (typeof obj.text !== 'string' || obj.text.trim() === '')
    throw new InputError('text', 'text must be a non-empty string');
  return { incidentId, text: obj.text };
}

async function run(input: CommentInput, rt: StepRuntime): Promise<StepResult> {
  const { incidentId } = input;
  const counts = { comments: 0, alreadyDone: 0, wouldComment: 0 };
  const result = (change: StepChange): StepResult => ({
    output: { incidentId, outcome: change.outcome },
    counts,
    changes: [change],
  });
  const write = await rt.writes.prepare(incidentId, { kind: 'comment', text: input.text });
  const text = rt.markComment(input.text, write.markerId);
  if (write.done) {
    counts.alreadyDone++;
    return result({ incidentId, patch: {}, outcome: 'alreadyDone' });
  }
  return rt.withIncidentLock(incidentId, async () => {
    const call = rt.signal ? { signal: rt.signal } : {};
    const claim = rt.dryRun ? (write.pending ? 'resumed' : 'fresh') : await write.claim({ comment: text });
    if (claim === 'done') {
      counts.alreadyDone++;
      return result({ incidentId, patch: {}, outcome: 'alreadyDone' });
    }
    const marked = async (): Promise<boolean> =>
      rt.hasMarker((await rt.defender.getIncident(incidentId, call)).comments, write.markerId);
    let sent = false;
    try {
      // Only a write an earlier attempt left pending needs the extra read.
      if (claim === 'resumed' && (await marked())) {
        if (!rt.dryRun) await write.complete();
        counts.alreadyDone++;
        return result({ incidentId, patch: {}, outcome: 'alreadyDone', ...(rt.dryRun ? {} : { replayed: true }) });
      }
      if (rt.dryRun) {
        counts.wouldComment++;
        return result({ incidentId, patch: {}, comment: text, outcome: 'wouldApply' });
      }
      sent = true;
      await rt.defender.addComment(incidentId, text, call);
      await write.complete();
    } catch (e) {
      if (rt.dryRun) throw e;
      const applied = await settleFailedWrite(write, e, {
        sent,
        partial: claim === 'resumed',
        incidentId,
        logger: rt.logger,
        readBack: marked,
      });
      if (!applied) throw e;
      if (!sent) {
        counts.alreadyDone++;
        return result({ incidentId, patch: {}, outcome: 'alreadyDone', replayed: true });
      }
    }
    counts.comments++;
    return result({
      incidentId,
      patch: {},
      comment: text,
      outcome: 'applied',
      ...(claim === 'resumed' ? { replayed: true as const } : {}),
    });
  });
}

export const comment: ActionModule<CommentInput> = { parse, run };
