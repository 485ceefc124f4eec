// RunOptions.stopSignal (the CLI's Ctrl-C): once aborted, no step, forEach item or write claim starts; a call in
// flight finishes; a call that fails with the signal's reason (its wait for a quota slot was cut) ends its step as
// interrupted, and its claimed write is settled as any failed write is (let go when nothing was sent, kept pending
// when it may have landed). The run ends 'interrupted' and lists the writes left pending.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWorkflow, type EngineDeps } from '../../shared/engine';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { createFakeDefender, createFakeQueries, incident, workflowOf } from './fakes';

const TRIAGE = workflowOf(`name: triage
triggers: { http: true }
steps:
  - { id: list, kind: listIncidents, input: { status: active } }
  - id: each
    kind: forEach
    input:
      items: $steps.list.incidents
      concurrency: 1
      steps:
        - id: mark
          kind: updateIncident
          input: { incidentId: '\${ $item.id }', tags: { add: [triaged] }, comment: looked at }
  - { id: after, kind: listIncidents, input: { status: resolved } }
`);

function setup() {
  const defender = createFakeDefender(['1', '2', '3', '4'].map((id) => incident(id)));
  const state = createMemoryStateStore();
  const deps: EngineDeps = { defender, queries: createFakeQueries(), state };
  const stop = new AbortController();
  return { defender, state, deps, stop };
}

const changed = (d: ReturnType<typeof createFakeDefender>) =>
  [...d.incidents.values()].filter((i) => i.tags.includes('triaged')).map((i) => i.id);

describe('runWorkflow stopSignal', () => {
  it('stops between items: the write in flight finishes, later items and steps do not start', async () => {
    const { defender, deps, stop } = setup();
    defender.before = (call) => {
      // Ctrl-C while incident 2's PATCH is on the wire.
      if (call.method === 'updateIncident' && call.id === '2') stop.abort(new Error('interrupted by SIGINT'));
    };
    const report = await runWorkflow(TRIAGE, { trigger: 'cli', stopSignal: stop.signal }, deps);

    assert.equal(report.status, 'interrupted');
    assert.deepEqual(report.error, { code: 'RUN_INTERRUPTED', message: 'interrupted by SIGINT' });
    assert.deepEqual(changed(defender).sort(), ['1', '2']);
    const each = report.steps.find((s) => s.id === 'each');
    assert.equal(each?.status, 'interrupted');
    assert.deepEqual(each?.counts, { items: 4, succeeded: 2, failed: 0, skipped: 2 });
    assert.equal(report.steps.find((s) => s.id === 'after')?.executions, 0, 'no later step');
    assert.deepEqual(report.pendingWrites, [], 'the write in flight completed');
    assert.deepEqual(
      report.steps.flatMap((s) => s.changes).map((c) => [c.incidentId, c.outcome]),
      [
        ['1', 'applied'],
        ['2', 'applied'],
      ],
    );
  });

  it('a read cut short by the stop: nothing was sent, so the claim is let go and nothing is left pending', async () => {
    const { defender, state, deps, stop } = setup();
    defender.before = (call) => {
      // Incident 2's read was waiting for a quota slot when Ctrl-C came: the wait ends with the stop's reason.
      if (call.method === 'getIncident' && call.id === '2') stop.abort(new Error('interrupted by SIGINT'));
      if (stop.signal.aborted) throw stop.signal.reason;
    };
    const report = await runWorkflow(TRIAGE, { trigger: 'cli', stopSignal: stop.signal }, deps);

    assert.equal(report.status, 'interrupted');
    assert.deepEqual(changed(defender), ['1']);
    const mark = report.steps.find((s) => s.id === 'mark');
    assert.equal(mark?.status, 'interrupted');
    assert.equal(mark?.error?.code, 'RUN_INTERRUPTED');
    assert.deepEqual(report.pendingWrites, []);
    assert.deepEqual(await state.listPendingWrites('triage'), []);
  });

  it('a write cut short after it may have been sent stays pending, listed in the report and in state', async () => {
    const { defender, state, deps, stop } = setup();
    defender.before = (call) => {
      // Ctrl-C while incident 2's PATCH waited for a slot; from then on no call starts (as the CLI's limiter does),
      // so the engine cannot read back whether it landed and keeps the write for the next run.
      if (call.method === 'updateIncident' && call.id === '2') stop.abort(new Error('interrupted by SIGINT'));
      if (stop.signal.aborted) throw stop.signal.reason;
    };
    const report = await runWorkflow(TRIAGE, { trigger: 'cli', stopSignal: stop.signal }, deps);

    assert.equal(report.status, 'interrupted');
    assert.equal(report.steps.find((s) => s.id === 'mark')?.status, 'interrupted');
    assert.deepEqual(
      report.pendingWrites?.map((w) => w.incidentId),
      ['2'],
    );
    const pending = await state.listPendingWrites('triage');
    assert.deepEqual(
      pending.map((p) => [p.record.incidentId, p.record.intent !== undefined]),
      [['2', true]],
      'kept with its intent for the next run',
    );
  });

  it('a stop before the run starts runs nothing and says so', async () => {
    const { defender, deps, stop } = setup();
    stop.abort(new Error('interrupted by SIGTERM'));
    const report = await runWorkflow(TRIAGE, { trigger: 'cli', stopSignal: stop.signal }, deps);
    assert.equal(report.status, 'interrupted');
    assert.deepEqual(defender.calls, []);
    assert.ok(report.steps.every((s) => s.executions === 0));
  });

  it('without a stop signal nothing changes: every item runs', async () => {
    const { defender, deps } = setup();
    const report = await runWorkflow(TRIAGE, { trigger: 'cli' }, deps);
    assert.equal(report.status, 'succeeded');
    assert.equal(report.pendingWrites, undefined);
    assert.deepEqual(changed(defender).sort(), ['1', '2', '3', '4']);
  });
});
