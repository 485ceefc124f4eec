// Leases that live as long as the work (issue 13 item 2), in one process with the fake Defender client and the
// in-memory store, the lease scaled down to a fraction of a second (EngineDeps.leaseMs): a holder that is slow but
// alive keeps its pending write and its window however long it works; a holder that stops renewing gives them up
// once its lease ends; a renewal that fails stops the run before it sends anything more. The same across processes
// (a killed host, a second one taking over): test/reliability/leaseTakeover.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LEASE_MS, runWorkflow, type EngineDeps } from '../../shared/engine';
import { InProgressError } from '../../shared/engine/inProgressError';
import { AppError } from '../../shared/errors';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { crashing, createFakeDefender, createFakeQueries, incident, workflowOf, type Call } from './fakes';

const LEASE_MS = 150;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A gate: `reached` resolves when a call gets to it, the call goes on once `open()` is called. */
function gate(): { reached: Promise<void>; wait(): Promise<void>; open(): void } {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const opened = new Promise<void>((r) => (open = r));
  return {
    reached,
    wait: () => {
      reach();
      return opened;
    },
    open,
  };
}

const NOTE = workflowOf(`name: note
triggers: { http: true }
steps:
  - { id: note, kind: comment, input: { incidentId: '1', text: 'contained by the SOC' } }
`);

const SWEEP = workflowOf(`name: sweep
triggers: { schedule: '0 */15 * * * *', http: true }
steps:
  - { id: list, kind: listIncidents, input: { status: active } }
  - id: each
    kind: forEach
    input:
      items: $steps.list.incidents
      steps:
        - { id: note, kind: comment, input: { incidentId: '\${ $item.id }', text: 'seen by the sweep' } }
`);

function setup(state: StateStore = createMemoryStateStore()) {
  const defender = createFakeDefender([incident('1'), incident('2')]);
  const deps: EngineDeps = { defender, queries: createFakeQueries(), state, leaseMs: LEASE_MS };
  const comments = (id: string): string[] => defender.incidents.get(id)?.comments.map((c) => c.comment) ?? [];
  return { defender, state, deps, comments };
}

describe('a slow holder that is alive is never taken over', () => {
  it('its pending write stays its own for many lease lengths: another run is refused, replay leaves it alone', async () => {
    const s = setup();
    const slow = gate();
    s.defender.before = (c: Call) => (c.method === 'addComment' && c.id === '1' ? slow.wait() : undefined);
    const first = runWorkflow(NOTE, { trigger: 'http', runId: 'slow' }, s.deps);
    await slow.reached;
    s.defender.before = undefined;
    for (let round = 0; round < 4; round++) {
      await sleep(2 * LEASE_MS);
      // A keyless run finding the same change: its claim meets the live lease.
      const other = await runWorkflow(NOTE, { trigger: 'http', runId: `other-${round}` }, s.deps);
      assert.equal(other.status, 'failed');
      assert.equal(other.steps[0]?.error?.code, 'WRITE_IN_PROGRESS', `round ${round}`);
      assert.equal(other.resumedWrites, undefined, 'replay does not take over a live run’s write');
    }
    slow.open();
    const done = await first;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(s.comments('1').length, 1, 'the comment was added once');
  });

  it('its window is not joined by a second run however long it works; the next run starts after it', async () => {
    const s = setup();
    const slow = gate();
    s.defender.before = (c: Call) => (c.method === 'addComment' && c.id === '1' ? slow.wait() : undefined);
    const first = runWorkflow(SWEEP, { trigger: 'timer', runId: 'tick-1' }, s.deps);
    await slow.reached;
    for (let round = 0; round < 4; round++) {
      await sleep(2 * LEASE_MS);
      // A late tick, or `riposte run sweep` (which uses the window), while the first run still works.
      await assert.rejects(runWorkflow(SWEEP, { trigger: 'cli', useWindow: true }, s.deps), (e: unknown) => {
        assert.ok(e instanceof InProgressError);
        assert.equal(e.code, 'WINDOW_IN_PROGRESS');
        assert.ok(e.retryAfterMs > 0 && e.retryAfterMs <= LEASE_MS, `Retry-After within the lease: ${e.retryAfterMs}`);
        assert.match(e.message, /^run tick-1 is covering the window .* of workflow 'sweep'/);
        return true;
      });
    }
    slow.open();
    const done = await first;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual([s.comments('1').length, s.comments('2').length], [1, 1], 'each comment once');
    const mark = await s.state.getWatermark('sweep');
    assert.deepEqual([mark.watermark, mark.pending], [done.window?.end, undefined]);
    const next = await runWorkflow(SWEEP, { trigger: 'timer' }, s.deps);
    assert.deepEqual([next.window?.start, next.window?.resumed], [done.window?.end, false]);
  });
});

describe('a holder that stops renewing gives its work up once the lease ends', () => {
  it('a dead run’s window and write: refused while the lease lasts, resumed and finished at its end', async () => {
    let now = Date.parse('2026-03-01T12:00:00.000Z');
    const s = setup();
    // The default lease, on a fake clock: a run that died holds things at most LEASE_SECONDS (60 s) after it died.
    const deps: EngineDeps = { ...s.deps, leaseMs: DEFAULT_LEASE_MS, now: () => new Date(now) };
    const crash = crashing(s.defender, s.state, (c) => c.method === 'addComment' && c.id === '2');
    const died = await runWorkflow(SWEEP, { trigger: 'timer', runId: 'died' }, { ...deps, state: crash.state });
    assert.equal(died.status, 'failed');
    crash.revive();
    const pending = (await s.state.getWatermark('sweep')).pending;
    assert.deepEqual([pending?.holder, pending?.leaseUntil], ['died', new Date(now + 60_000).toISOString()]);

    now += 59_000;
    await assert.rejects(runWorkflow(SWEEP, { trigger: 'timer' }, deps), { code: 'WINDOW_IN_PROGRESS' });
    now += 1_000;
    const resumed = await runWorkflow(SWEEP, { trigger: 'timer', runId: 'next' }, deps);
    assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
    assert.deepEqual(
      [resumed.window?.start, resumed.window?.end, resumed.window?.resumed],
      [pending?.start, pending?.end, true],
    );
    // Incident 1's comment landed before the death but was never marked done; incident 2's was never sent.
    assert.deepEqual(resumed.resumedWrites?.map((c) => [c.incidentId, c.outcome]).sort(), [
      ['1', 'alreadyDone'],
      ['2', 'applied'],
    ]);
    assert.deepEqual([s.comments('1').length, s.comments('2').length], [1, 1]);
  });
});

describe('a renewal that fails stops the holder', () => {
  it('storage failing during a write: the run ends failed and sends no further write', async () => {
    let broken = false;
    const inner = createMemoryStateStore();
    const state: StateStore = {
      ...inner,
      async replaceWrite(workflow, record, version) {
        if (broken) throw new AppError('STORAGE_UNAVAILABLE', 'Table storage is unavailable (503); retry later');
        return inner.replaceWrite(workflow, record, version);
      },
    };
    const s = setup(state);
    const FOR_EACH_ONE_AT_A_TIME = workflowOf(`name: notes
triggers: { http: true }
steps:
  - { id: list, kind: listIncidents, input: { status: active } }
  - id: each
    kind: forEach
    input:
      items: $steps.list.incidents
      concurrency: 1
      steps:
        - { id: note, kind: comment, onError: continue, input: { incidentId: '\${ $item.id }', text: 'seen' } }
`);
    s.defender.before = async (c: Call) => {
      if (c.method !== 'addComment' || c.id !== '1') return;
      broken = true;
      // Long enough for several renewals to be due: the first one fails.
      await sleep(4 * LEASE_MS);
    };
    const report = await runWorkflow(FOR_EACH_ONE_AT_A_TIME, { trigger: 'http' }, s.deps);
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.code, 'STORAGE_UNAVAILABLE');
    assert.match(report.error?.message ?? '', /^the run stopped: Table storage is unavailable/);
    assert.deepEqual(
      s.defender.writes().map((c) => c.id),
      ['1'],
      'the write in flight when the lease was lost ends; the next one is never sent',
    );
    assert.deepEqual(s.comments('2'), []);
  });
});
