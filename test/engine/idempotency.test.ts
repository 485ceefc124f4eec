// Idempotent writes: re-runs and redeliveries add nothing twice, and a run that dies midway is finished by the
// next one with every change made exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWorkflow, type EngineDeps, type RunOptions } from '../../shared/engine';
import { createMemoryStateStore, type MemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { isRiposteComment, markComment } from '../../shared/steps';
import type { Workflow } from '../../shared/workflows/types';
import { createFakeDefender, createFakeQueries, incident, workflowOf, type FakeDefender } from './fakes';

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
    s.defender.before = (call) => {
      if (call.method === 'addComment' && call.id === '2') throw new Error('process died');
    };
    const crashed = await runWorkflow(STALE, { trigger: 'timer' }, s.deps);
    assert.equal(crashed.status, 'failed');
    assert.deepEqual(s.defender.incidents.get('2')?.tags, ['stale']);
    assert.equal(comments(s.defender, '2').length, 0);
    assert.equal(comments(s.defender, '3').length, 0);

    s.defender.before = undefined;
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
    let failDone = true;
    const state: StateStore = {
      ...inner,
      async replaceWrite(workflow, record, version) {
        if (failDone && record.state === 'done' && record.incidentId === '2') {
          failDone = false;
          throw new Error('process died');
        }
        return inner.replaceWrite(workflow, record, version);
      },
    };
    const s = setup(['1', '2', '3'].map(old), state);
    const crashed = await runWorkflow(STALE, { trigger: 'timer' }, s.deps);
    assert.equal(crashed.status, 'failed');
    assert.equal(comments(s.defender, '2').length, 1);
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
    s.defender.before = (call) => {
      if (call.method === 'addComment') throw new Error('process died');
    };
    await s.run(NOTE, { runId: 'other' });
    s.defender.before = undefined;
    const blocked = await s.run(NOTE, { runId: 'mine' });
    assert.equal(blocked.status, 'failed');
    assert.equal(blocked.steps[0]?.error?.code, 'WRITE_IN_PROGRESS');
    // 409 with a Retry-After of the lease's remaining ten minutes (shared/httpStatus.ts).
    assert.equal(blocked.error?.retryAfterMs, 10 * MIN);
    assert.match(
      blocked.steps[0]?.error?.message ?? '',
      /^another run \(other\) is applying this change to incident 1; it is retried by the next run once that run finishes or its lease ends at 2026-03-01T12:10:00.000Z$/,
    );
    assert.equal(comments(s.defender, '1').length, 0);

    s.at(T0 + 11 * MIN);
    const later = await s.run(NOTE, { runId: 'later' });
    assert.equal(later.status, 'succeeded');
    assert.equal(later.resumedWrites?.[0]?.outcome, 'applied');
    assert.deepEqual(comments(s.defender, '1'), [
      markComment('hello', later.resumedWrites?.[0]?.comment?.match(/riposte:([0-9a-f]{8})/)?.[1] ?? ''),
    ]);
    assert.equal(later.steps[0]?.changes[0]?.outcome, 'alreadyDone');
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
