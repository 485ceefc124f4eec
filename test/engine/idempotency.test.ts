// Idempotent writes: re-runs and redeliveries add nothing twice, and a run that dies midway is finished by the
// next one with every change made exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWorkflow, type EngineDeps, type RunOptions } from '../../shared/engine';
import { DefenderApiError } from '../../shared/errors';
import { createMemoryStateStore, type MemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { isRiposteComment, markComment } from '../../shared/steps';
import type { Workflow } from '../../shared/workflows/types';
import { crashing, createFakeDefender, createFakeQueries, incident, workflowOf, type FakeDefender } from './fakes';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MIN = 60_000;

function setup<S extends StateStore = MemoryStateStore>(
  incidents = [incident('1'), incident('2'), incident('3')],
  state: S = createMemoryStateStore() as StateStore as S,
) {
  let now = T0;
  const defender = createFakeDefender(incidents);
  defender.updateTime = new Date(T0).toISOString();
  const deps: EngineDeps = { defender, queries: createFakeQueries(), state, now: () => new Date(now) };
  return {
    defender,
    state,
    deps,
    at: (ms: number) => (now = ms),
    run: (wf: Workflow, options: Partial<RunOptions> = {}) => runWorkflow(wf, { trigger: 'http', ...options }, deps),
  };
}

const comments = (d: FakeDefender, id: string): string[] => d.incidents.get(id)?.comments.map((c) => c.comment) ?? [];

const TAG_AND_NOTE = workflowOf(`name: tag-and-note
triggers: { http: true }
input: { note: { type: string, default: 'Seen by the sweep' } }
steps:
  - { id: list, kind: listIncidents, input: { status: active } }
  - id: each
    kind: forEach
    input:
      items: $steps.list.incidents
      steps:
        - { id: tag, kind: updateIncident, input: { incidentId: '\${ $item.id }', tags: { add: [seen] }, comment: '\${ $input.note }' } }
`);

describe('re-runs', () => {
  it('a second run of the same finding writes nothing and does not even read the incidents again', async () => {
    const s = setup();
    await s.run(TAG_AND_NOTE);
    const before = s.defender.calls.length;
    const again = await s.run(TAG_AND_NOTE);
    assert.equal(again.status, 'succeeded');
    assert.deepEqual(again.steps[2]?.counts, { updated: 0, unchanged: 0, alreadyDone: 3, wouldUpdate: 0, comments: 0 });
    assert.deepEqual(
      s.defender.calls.slice(before).map((c) => c.method),
      ['listIncidents'],
    );
    for (const id of ['1', '2', '3']) assert.equal(comments(s.defender, id).length, 1);
  });

  it('a different finding on the same incident is a new change', async () => {
    const s = setup([incident('1')]);
    await s.run(TAG_AND_NOTE);
    await s.run(TAG_AND_NOTE, { input: { note: 'Seen again, new activity' } });
    assert.deepEqual(
      comments(s.defender, '1').map((c) => c.replace(/ — .*$/, '')),
      ['Seen by the sweep', 'Seen again, new activity'],
    );
    assert.deepEqual(s.defender.incidents.get('1')?.tags, ['seen']);
  });

  it('a dry run after a real one reports the writes as already done', async () => {
    const s = setup();
    await s.run(TAG_AND_NOTE);
    const dry = await s.run(TAG_AND_NOTE, { dryRun: true });
    assert.deepEqual(
      dry.steps[2]?.changes.map((c) => c.outcome),
      ['alreadyDone', 'alreadyDone', 'alreadyDone'],
    );
  });
});

describe('deliveries', () => {
  const NOTE_WITH_TIME = workflowOf(`name: note-time
triggers: { webhook: { sources: [generic] } }
input: { incidentId: { type: string, required: true } }
steps:
  - { id: note, kind: comment, input: { incidentId: '\${ $input.incidentId }', text: 'Ticket updated at \${ $now() }' } }
`);

  it('a redelivery adds nothing even when the text would differ; another delivery does', async () => {
    const s = setup([incident('7')]);
    await s.run(NOTE_WITH_TIME, { trigger: 'webhook', idempotencyKey: 'delivery-1', input: { incidentId: '7' } });
    s.at(T0 + 5 * MIN);
    const redelivered = await s.run(NOTE_WITH_TIME, {
      trigger: 'webhook',
      idempotencyKey: 'delivery-1',
      input: { incidentId: '7' },
    });
    assert.equal(redelivered.steps[0]?.changes[0]?.outcome, 'alreadyDone');
    assert.equal(comments(s.defender, '7').length, 1);
    await s.run(NOTE_WITH_TIME, { trigger: 'webhook', idempotencyKey: 'delivery-2', input: { incidentId: '7' } });
    assert.equal(comments(s.defender, '7').length, 2);
    assert.deepEqual(
      s.state
        .writes()
        .map((w) => w.key)
        .sort(),
      ['note-time/d/delivery-1/note/7', 'note-time/d/delivery-2/note/7'],
    );
  });
});

describe('crash and resume', () => {
  // Stale triage in miniature: once an incident is updated it is no longer "stale", so the resumed run's listing
  // no longer contains it. Only the pending record can finish its write.
  const STALE = workflowOf(`name: stale
triggers: { schedule: '0 0 7 * * *' }
steps:
  - { id: stale, kind: listIncidents, input: { status: active, updatedBefore: '\${ $fromMillis($millis() - 7 * 86400000) }' } }
  - id: each
    kind: forEach
    input:
      items: $steps.stale.incidents
      concurrency: 1
      steps:
        - { id: mark, kind: updateIncident, input: { incidentId: '\${ $item.id }', assignedTo: triage@contoso.com, tags: { add: [stale] }, comment: 'Stale since \${ $item.lastUpdateDateTime }' } }
`);
  const old = (id: string) => incident(id, { lastUpdateDateTime: '2026-01-15T00:00:00.000Z' });

  function assertExactlyOnce(d: FakeDefender, ids: string[]): void {
    for (const id of ids) {
      const i = d.incidents.get(id);
      assert.deepEqual(i?.tags, ['stale'], `tags of ${id}`);
      assert.equal(i?.assignedTo, 'triage@contoso.com');
      assert.equal(i?.comments.length, 1, `comments of ${id}: ${JSON.stringify(i?.comments)}`);
      assert.ok(isRiposteComment(i?.comments[0]?.comment ?? ''));
    }
  }

  it('dies between the PATCH and the comment: the next run adds the missing comment, once, and goes on', async () => {
    const s = setup(['1', '2', '3', '4'].map(old));
    const crash = crashing(s.defender, s.state, (call) => call.method === 'addComment' && call.id === '2');
    const crashed = await runWorkflow(STALE, { trigger: 'timer' }, { ...s.deps, state: crash.state });
    assert.equal(crashed.status, 'failed');
    assert.deepEqual(s.defender.incidents.get('2')?.tags, ['stale']);
    assert.equal(comments(s.defender, '2').length, 0);
    assert.equal(comments(s.defender, '3').length, 0);

    crash.revive();
    s.at(T0 + 60 * MIN);
    const resumed = await runWorkflow(STALE, { trigger: 'timer' }, s.deps);
    assert.equal(resumed.status, 'succeeded');
    assert.equal(resumed.window?.resumed, true);
    assert.deepEqual(
      resumed.resumedWrites?.map((c) => [c.incidentId, c.patch, c.outcome]),
      [['2', {}, 'applied']],
    );
    assert.match(
      resumed.resumedWrites?.[0]?.comment ?? '',
      /^Stale since 2026-01-15T00:00:00.000Z — \[riposte:[0-9a-f]{8}\]$/,
    );
    assertExactlyOnce(s.defender, ['1', '2', '3', '4']);
    assert.deepEqual(
      s.state.writes().map((w) => w.state),
      ['done', 'done', 'done', 'done'],
    );
    // A third run finds nothing stale and writes nothing.
    const writesBefore = s.defender.writes().length;
    await runWorkflow(STALE, { trigger: 'timer' }, s.deps);
    assert.equal(s.defender.writes().length, writesBefore);
  });

  it('dies after the comment but before recording it: the marker stops a second comment', async () => {
    const inner = createMemoryStateStore();
    const s = setup(['1', '2', '3'].map(old), inner);
    const crash = crashing(s.defender, inner, () => false);
    const state: StateStore = {
      ...crash.state,
      async replaceWrite(workflow, record, version) {
        if (record.state === 'done' && record.incidentId === '2') crash.die();
        return crash.state.replaceWrite(workflow, record, version);
      },
    };
    const crashed = await runWorkflow(STALE, { trigger: 'timer' }, { ...s.deps, state });
    assert.equal(crashed.status, 'failed');
    assert.equal(comments(s.defender, '2').length, 1);
    crash.revive();
    s.at(T0 + 60 * MIN);
    const resumed = await runWorkflow(STALE, { trigger: 'timer' }, s.deps);
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(
      resumed.resumedWrites?.map((c) => [c.incidentId, c.outcome]),
      [['2', 'alreadyDone']],
    );
    assertExactlyOnce(s.defender, ['1', '2', '3']);
  });

  it("does not touch another run's live pending write, and takes it over once its lease has ended", async () => {
    const s = setup([incident('1')]);
    const NOTE = workflowOf(`name: note
triggers: { http: true }
steps:
  - { id: note, kind: comment, input: { incidentId: '1', text: hello } }
`);
    // Another run claimed the write and is (as far as anyone can tell) still working on it.
    const crash = crashing(s.defender, s.state, (call) => call.method === 'addComment');
    await runWorkflow(NOTE, { trigger: 'http', runId: 'other' }, { ...s.deps, state: crash.state });
    crash.revive();
    const blocked = await s.run(NOTE, { runId: 'mine' });
    assert.equal(blocked.status, 'failed');
    assert.equal(blocked.steps[0]?.error?.code, 'WRITE_IN_PROGRESS');
    // 409 with a Retry-After of the lease's remaining minute (shared/httpStatus.ts; LEASE_SECONDS, at most 60).
    assert.equal(blocked.error?.retryAfterMs, MIN);
    assert.match(
      blocked.steps[0]?.error?.message ?? '',
      /^another run \(other\) is applying this change to incident 1; it is retried by the next run once that run finishes or its lease ends at 2026-03-01T12:01:00.000Z$/,
    );
    assert.equal(comments(s.defender, '1').length, 0);

    s.at(T0 + MIN);
    const later = await s.run(NOTE, { runId: 'later' });
    assert.equal(later.status, 'succeeded');
    assert.equal(later.resumedWrites?.[0]?.outcome, 'applied');
    assert.deepEqual(comments(s.defender, '1'), [
      markComment('hello', later.resumedWrites?.[0]?.comment?.match(/riposte:([0-9a-f]{8})/)?.[1] ?? ''),
    ]);
    assert.equal(later.steps[0]?.changes[0]?.outcome, 'alreadyDone');
  });
});

describe('failed writes leave no lease in the way', () => {
  const NOTE = workflowOf(`name: note
triggers: { http: true }
steps:
  - { id: mark, kind: updateIncident, input: { incidentId: '1', assignedTo: soc@contoso.com, comment: triaged } }
`);
  const apiError = (status: number | undefined, method = 'PATCH') =>
    new DefenderApiError(
      `Defender API ${method} /security/incidents/1 failed: ${status ?? 'timed out (ECONNABORTED)'}`,
      {
        status,
        method,
        path: '/security/incidents/1',
      },
    );

  it('refused (400) with nothing applied: the claim is deleted and the next run, without a key, goes through', async () => {
    const s = setup([incident('1')]);
    s.defender.before = (c) => {
      if (c.method === 'updateIncident') throw apiError(400);
    };
    const refused = await s.run(NOTE);
    assert.equal(refused.error?.code, 'DEFENDER_HTTP');
    assert.deepEqual(s.state.writes(), [], 'released');
    s.defender.before = undefined;
    const retry = await s.run(NOTE);
    assert.equal(retry.status, 'succeeded');
    assert.equal(s.defender.incidents.get('1')?.assignedTo, 'soc@contoso.com');
    assert.equal(comments(s.defender, '1').length, 1);
  });

  it('timed out but landed: the incident is read back, the write is done and reported applied', async () => {
    const s = setup([incident('1')]);
    const addComment = s.defender.addComment.bind(s.defender);
    s.defender.addComment = async (id, text) => {
      await addComment(id, text);
      throw apiError(undefined, 'POST');
    };
    const report = await s.run(NOTE);
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.equal(report.steps[0]?.changes[0]?.outcome, 'applied');
    assert.deepEqual(
      s.state.writes().map((w) => w.state),
      ['done'],
    );
    assert.equal(comments(s.defender, '1').length, 1);
  });

  it('timed out and the read-back fails too: pending with its intent, lease ended, finished by the next run at once', async () => {
    const s = setup([incident('1')]);
    let reads = 0;
    s.defender.before = (c) => {
      if (c.method === 'updateIncident') throw apiError(undefined);
      if (c.method === 'getIncident' && ++reads > 1) throw apiError(503, 'GET');
    };
    const failed = await s.run(NOTE, { runId: 'first' });
    assert.equal(failed.error?.code, 'DEFENDER_UNAVAILABLE');
    const [pending] = s.state.writes();
    assert.equal(pending?.state, 'pending');
    assert.equal(pending?.leaseUntil, new Date(T0).toISOString(), 'lease ended at once');
    assert.match(pending?.intent ?? '', /soc@contoso.com/);
    s.defender.before = undefined;
    // No key, another run id, no time passed: nothing blocks it, and replay finishes the write first.
    const next = await s.run(NOTE, { runId: 'second' });
    assert.equal(next.status, 'succeeded');
    assert.deepEqual(
      next.resumedWrites?.map((c) => [c.incidentId, c.outcome]),
      [['1', 'applied']],
    );
    assert.equal(s.defender.incidents.get('1')?.assignedTo, 'soc@contoso.com');
    assert.equal(comments(s.defender, '1').length, 1);
  });

  it('the PATCH landed and the comment was refused: kept pending (lease ended) so the rest is not dropped', async () => {
    const s = setup([incident('1')]);
    s.defender.before = (c) => {
      if (c.method === 'addComment') throw apiError(400, 'POST');
    };
    const failed = await s.run(NOTE);
    assert.equal(failed.error?.code, 'DEFENDER_HTTP');
    assert.equal(s.defender.incidents.get('1')?.assignedTo, 'soc@contoso.com');
    assert.deepEqual(
      s.state.writes().map((w) => [w.state, w.leaseUntil]),
      [['pending', new Date(T0).toISOString()]],
    );
    s.defender.before = undefined;
    const next = await s.run(NOTE);
    assert.equal(next.status, 'succeeded');
    assert.equal(comments(s.defender, '1').length, 1);
  });

  it("a delivery's unsettled write is left to the delivery's own retry, never taken over by another delivery's run", async () => {
    // Found under load: event A's write was left pending (lease ended) after a timeout; event B's run replayed it and
    // took ownership with a fresh lease, so A's own retries met WRITE_IN_PROGRESS until A was poisoned.
    const s = setup([incident('1')]);
    let reads = 0;
    s.defender.before = (c) => {
      if (c.method === 'updateIncident') throw apiError(undefined);
      if (c.method === 'getIncident' && ++reads > 1) throw apiError(503, 'GET');
    };
    const first = await s.run(NOTE, { trigger: 'queue', idempotencyKey: 'event-a', runId: 'a1' });
    assert.equal(first.error?.code, 'DEFENDER_UNAVAILABLE');
    s.defender.before = undefined;
    const other = await s.run(NOTE, { trigger: 'queue', idempotencyKey: 'event-b', runId: 'b1' });
    assert.equal(other.status, 'succeeded');
    assert.equal(other.resumedWrites, undefined, "event B's run finishes nothing of event A's");
    const a = s.state.writes().find((w) => w.key.includes('/d/event-a/'));
    assert.deepEqual([a?.state, a?.owner], ['pending', 'd:event-a']);
    const retried = await s.run(NOTE, { trigger: 'queue', idempotencyKey: 'event-a', runId: 'a2' });
    assert.equal(retried.status, 'succeeded', JSON.stringify(retried.error));
    assert.deepEqual(
      retried.resumedWrites?.map((c) => [c.incidentId, c.outcome, c.replayed]),
      [['1', 'applied', true]],
    );
    assert.equal(s.state.writes().find((w) => w.key.includes('/d/event-a/'))?.state, 'done');
  });

  it("another run's write that fails on replay is left pending with its lease ended, not re-leased for ten minutes", async () => {
    const s = setup([incident('1')]);
    const crash = crashing(s.defender, s.state, (c) => c.method === 'addComment');
    await runWorkflow(NOTE, { trigger: 'http', runId: 'dead' }, { ...s.deps, state: crash.state });
    crash.revive();
    s.at(T0 + 11 * MIN);
    s.defender.before = (c) => {
      if (c.method === 'getIncident') throw apiError(503, 'GET');
    };
    await s.run(NOTE, { runId: 'unlucky' });
    // Replay handed it back to its owner, then the step's own attempt failed on it too: pending, lease ended.
    assert.deepEqual(
      s.state.writes().map((w) => [w.state, w.leaseUntil]),
      [['pending', new Date(T0 + 11 * MIN).toISOString()]],
    );
    s.defender.before = undefined;
    const next = await s.run(NOTE, { runId: 'next' });
    assert.equal(next.status, 'succeeded');
    assert.equal(comments(s.defender, '1').length, 1);
  });
});

describe('the report lists every change the run made', () => {
  const TWO = workflowOf(`name: two
triggers: { http: true }
input: { ids: { type: array } }
steps:
  - id: each
    kind: forEach
    input:
      items: $input.ids
      concurrency: 1
      steps:
        - { id: mark, kind: updateIncident, onError: continue, input: { incidentId: '\${ $item }', assignedTo: soc@contoso.com, comment: triaged } }
`);
  const unavailable = (method: string) =>
    new DefenderApiError(`Defender API ${method} failed: 503`, { status: 503, method, path: '/security/incidents' });

  /** Leaves the writes to 1 and 2 pending (PATCH made, comment not) under the delivery key "d-1". */
  async function halfDone(s: ReturnType<typeof setup>): Promise<void> {
    const crash = crashing(s.defender, s.state, (c) => c.method === 'addComment' && c.id === '2');
    s.defender.before = ((inner) => (c: Parameters<NonNullable<typeof inner>>[0]) => {
      if (c.method === 'addComment' && c.id === '1') throw new Error('first comment lost');
      return inner?.(c);
    })(s.defender.before);
    await runWorkflow(
      TWO,
      { trigger: 'http', input: { ids: ['1', '2'] }, idempotencyKey: 'd-1' },
      {
        ...s.deps,
        state: crash.state,
      },
    ).catch(() => undefined);
    crash.revive();
  }

  it('writes replayed from the earlier attempt are in resumedWrites, marked replayed, even when a later one fails', async () => {
    const s = setup([incident('1'), incident('2')]);
    await halfDone(s);
    assert.equal(s.state.writes().filter((w) => w.state === 'pending').length, 2);
    // The retry (same delivery) finishes 1, then the API fails on 2: 1 was still changed by this run.
    s.defender.before = (c) => {
      if (c.method === 'addComment' && c.id === '2') throw unavailable('POST');
    };
    const retry = await s.run(TWO, { input: { ids: ['1', '2'] }, idempotencyKey: 'd-1' });
    assert.equal(retry.status, 'failed');
    assert.deepEqual(
      retry.resumedWrites?.map((c) => [c.incidentId, c.outcome, c.comment !== undefined, c.replayed]),
      [['1', 'applied', true, true]],
    );
  });

  it('a step that resumes an earlier attempt marks its change replayed', async () => {
    const s = setup([incident('1')]);
    const ONE = workflowOf(`name: one
triggers: { http: true }
steps:
  - { id: note, kind: comment, input: { incidentId: '1', text: hello } }
`);
    const crash = crashing(s.defender, s.state, (c) => c.method === 'addComment');
    await runWorkflow(ONE, { trigger: 'http', idempotencyKey: 'k' }, { ...s.deps, state: crash.state });
    crash.revive();
    // Replay is skipped here so the step meets the pending write itself.
    const pending = s.state.listPendingWrites.bind(s.state);
    s.state.listPendingWrites = async () => [];
    const retry = await s.run(ONE, { idempotencyKey: 'k' });
    s.state.listPendingWrites = pending;
    assert.deepEqual(
      retry.steps[0]?.changes.map((c) => [c.outcome, c.replayed]),
      [['applied', true]],
    );
  });

  it('a step that failed after its PATCH landed reports the PATCH', async () => {
    const s = setup([incident('1')]);
    s.defender.before = (c) => {
      if (c.method === 'addComment') throw unavailable('POST');
    };
    const failed = await s.run(TWO, { input: { ids: ['1'] } });
    const mark = failed.steps.find((st) => st.id === 'mark');
    assert.equal(mark?.status, 'failed');
    assert.deepEqual(mark?.changes, [
      { incidentId: '1', patch: { assignedTo: 'soc@contoso.com' }, outcome: 'applied' },
    ]);
  });
});

describe('markers', () => {
  it('recognises Riposte comments by their trailing marker only', () => {
    assert.equal(isRiposteComment('Tagged stale — [riposte:0a1b2c3d]'), true);
    assert.equal(isRiposteComment('Tagged stale — [riposte:0a1b2c3d]  \n'), true);
    assert.equal(isRiposteComment('Tagged stale — [acme:0a1b2c3d]', 'acme'), true);
    assert.equal(isRiposteComment('I saw "[riposte:0a1b2c3d]" in the other ticket, please check'), false);
    assert.equal(isRiposteComment('Tagged stale — [riposte:xyz]'), false);
    assert.equal(isRiposteComment('Plain analyst note'), false);
  });
});
