// Watermark windows: exactly the time since the last successful run, no gap after a failure, no overlap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planWindow, runWorkflow, type EngineDeps } from '../../shared/engine';
import { DefenderApiError } from '../../shared/errors';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { createFakeDefender, createFakeQueries, throttled, workflowOf } from './fakes';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const SETTINGS = { ingestionDelayMs: 5 * MIN, initialLookbackMs: 60 * MIN, maxWindowMs: 24 * 60 * MIN };

describe('planWindow', () => {
  const empty = { workflow: 'w', watermark: undefined, pending: undefined };
  it('first run looks back initialLookback up to now minus the ingestion delay', () => {
    assert.deepEqual(planWindow(empty, new Date(T0), 'r1', SETTINGS), {
      start: iso(T0 - 65 * MIN),
      end: iso(T0 - 5 * MIN),
      resumed: false,
      runId: 'r1',
      startedAt: iso(T0),
    });
  });
  it('later runs start exactly at the watermark', () => {
    const w = planWindow({ ...empty, watermark: iso(T0 - 20 * MIN) }, new Date(T0), 'r2', SETTINGS);
    assert.deepEqual([w.start, w.end], [iso(T0 - 20 * MIN), iso(T0 - 5 * MIN)]);
  });
  it('after an outage, catches up in windows of at most maxWindow', () => {
    const w = planWindow({ ...empty, watermark: iso(T0 - 3 * 1440 * MIN) }, new Date(T0), 'r3', SETTINGS);
    assert.deepEqual([w.start, w.end], [iso(T0 - 3 * 1440 * MIN), iso(T0 - 2 * 1440 * MIN)]);
  });
  it('never produces a negative window when runs come faster than the ingestion delay', () => {
    const w = planWindow({ ...empty, watermark: iso(T0 - 2 * MIN) }, new Date(T0), 'r4', SETTINGS);
    assert.deepEqual([w.start, w.end], [iso(T0 - 2 * MIN), iso(T0 - 2 * MIN)]);
  });
  it('resumes the pending window of a run that did not finish', () => {
    const pending = { runId: 'r0', start: iso(T0 - 50 * MIN), end: iso(T0 - 35 * MIN), startedAt: iso(T0 - 30 * MIN) };
    assert.deepEqual(planWindow({ ...empty, watermark: iso(T0 - 50 * MIN), pending }, new Date(T0), 'r5', SETTINGS), {
      ...pending,
      resumed: true,
    });
  });
});

describe('scheduled runs and the watermark', () => {
  const HUNT = workflowOf(`name: sweep
triggers: { schedule: '0 */15 * * * *', http: true }
steps:
  - id: hunt
    kind: hunt
    input:
      query: recent-alerts
      params: { since: '\${ $run.window.start }' }
`);

  function setup() {
    let now = T0;
    const defender = createFakeDefender([]);
    const queries = createFakeQueries();
    const state = createMemoryStateStore();
    const deps: EngineDeps = { defender, queries, state, now: () => new Date(now), window: SETTINGS };
    return {
      defender,
      queries,
      state,
      at: (ms: number) => (now = ms),
      run: (options: { dryRun?: boolean; trigger?: 'timer' | 'http' } = {}) =>
        runWorkflow(HUNT, { trigger: options.trigger ?? 'timer', ...options }, deps),
    };
  }

  it('covers consecutive windows with no gap and no overlap, and passes the window to the hunt', async () => {
    const s = setup();
    const r1 = await s.run();
    assert.deepEqual(r1.window, { start: iso(T0 - 65 * MIN), end: iso(T0 - 5 * MIN), resumed: false });
    assert.equal(s.defender.calls[0]?.options?.timespan, `${iso(T0 - 65 * MIN)}/${iso(T0 - 5 * MIN)}`);
    assert.match(s.queries.bound[0] ?? '', new RegExp(`let since = "${iso(T0 - 65 * MIN)}";`));
    s.at(T0 + 15 * MIN);
    const r2 = await s.run();
    assert.deepEqual(r2.window, { start: iso(T0 - 5 * MIN), end: iso(T0 + 10 * MIN), resumed: false });
    assert.equal((await s.state.getWatermark('sweep')).watermark, iso(T0 + 10 * MIN));
  });

  it('a failed run leaves its window pending; the next run covers it again, then moves on', async () => {
    const s = setup();
    await s.run();
    s.at(T0 + 15 * MIN);
    s.defender.before = () => {
      throw new DefenderApiError('Defender API POST /security/runHuntingQuery failed: 503 ServiceUnavailable', {
        status: 503,
        method: 'POST',
        path: '/security/runHuntingQuery',
      });
    };
    const failed = await s.run();
    assert.equal(failed.status, 'failed');
    assert.deepEqual((await s.state.getWatermark('sweep')).watermark, iso(T0 - 5 * MIN));
    s.defender.before = undefined;
    s.at(T0 + 45 * MIN);
    const resumed = await s.run();
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual(resumed.window, { start: iso(T0 - 5 * MIN), end: iso(T0 + 10 * MIN), resumed: true });
    const next = await s.run();
    assert.deepEqual(next.window, { start: iso(T0 + 10 * MIN), end: iso(T0 + 40 * MIN), resumed: false });
    assert.deepEqual(await s.state.getWatermark('sweep'), {
      workflow: 'sweep',
      watermark: iso(T0 + 40 * MIN),
      pending: undefined,
    });
  });

  it('a run sooner than the ingestion delay gets an empty window and does not call the API', async () => {
    const s = setup();
    await s.run();
    // The same minute again (a manual trigger right after the timer): the watermark is already at now − delay.
    const r = await s.run();
    assert.deepEqual(r.window, { start: iso(T0 - 5 * MIN), end: iso(T0 - 5 * MIN), resumed: false });
    assert.deepEqual(r.steps[0]?.counts, { rows: 0, emptyWindow: 1 });
    assert.equal(s.defender.calls.length, 1);
  });

  it('a throttled run does not move the watermark', async () => {
    const s = setup();
    s.defender.before = () => {
      throw throttled();
    };
    const r = await s.run();
    assert.equal(r.status, 'throttled');
    assert.equal((await s.state.getWatermark('sweep')).watermark, undefined);
  });

  it('a dry run reports the window it would cover and changes no state', async () => {
    const s = setup();
    await s.run();
    s.at(T0 + 30 * MIN);
    const dry = await s.run({ dryRun: true });
    assert.deepEqual(dry.window, { start: iso(T0 - 5 * MIN), end: iso(T0 + 25 * MIN), resumed: false });
    assert.deepEqual(await s.state.getWatermark('sweep'), {
      workflow: 'sweep',
      watermark: iso(T0 - 5 * MIN),
      pending: undefined,
    });
  });

  it('runs from another trigger do not use or move the watermark', async () => {
    const s = setup();
    const wf = workflowOf(`name: sweep
triggers: { schedule: '0 */15 * * * *', http: true }
steps:
  - { id: hunt, kind: hunt, input: { query: recent-alerts, params: { since: '\${ $exists($run.window) ? $run.window.start : "2026-01-01T00:00:00Z" }' } } }
`);
    const r = await runWorkflow(
      wf,
      { trigger: 'http' },
      { defender: s.defender, queries: s.queries, state: s.state, now: () => new Date(T0) },
    );
    assert.equal(r.status, 'succeeded');
    assert.equal(s.defender.calls.length, 1);
    assert.match(s.queries.bound[0] ?? '', /let since = "2026-01-01T00:00:00Z";/);
    assert.equal(r.window, undefined);
    assert.equal(s.defender.calls[0]?.options?.timespan, undefined);
    assert.equal((await s.state.getWatermark('sweep')).watermark, undefined);
  });
});
