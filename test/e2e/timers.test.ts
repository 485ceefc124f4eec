// Scheduled workflows through the local host's timer trigger: a normal tick, a past-due tick, a tick that hits
// throttling (stops cleanly; the pending window is resumed by the next tick), and a tick that fails (the
// invocation fails visibly). Observed through the sandbox, the watermark table in Azurite and the host log.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createTableStateStore } from '../../shared/state/tableState';
import type { StateStore } from '../../shared/state/types';
import { isRiposteComment } from '../../shared/steps';
import { startHarness, type Harness } from './harness';

const WORKFLOW = 'stale-incident-triage';
const TIMER = `workflow-${WORKFLOW}`;
const DAY = 86_400_000;

let h: Harness;
let state: StateStore;

before(async () => {
  // A 3 s Retry-After is over MAX_RETRY_AFTER_SECONDS: the run stops at once instead of waiting inside the tick.
  h = await startHarness({ settings: { MAX_RETRY_AFTER_SECONDS: '2', BACKGROUND_MAX_RETRIES: '0' } });
  state = createTableStateStore(h.azurite.connectionString);
});

after(async () => {
  await h?.close();
});

beforeEach(() => {
  h.sandbox.control.clearFaults();
});

interface RunLog {
  phase: 'started' | 'finished';
  runId: string;
  status?: string;
  window?: { start: string; end: string; resumed: boolean };
}

/** The engine's run lines logged by the timer function (one `started` and one `finished` per run). */
function runLogs(): RunLog[] {
  const re = new RegExp(`\\] ${TIMER}(?: \\[\\w+\\])?: \\[engine\\] run (started|finished) (\\{.*\\})$`);
  return h.logs.flatMap((line) => {
    const m = re.exec(line);
    if (!m) return [];
    return [{ phase: m[1] as RunLog['phase'], ...(JSON.parse(m[2]!) as Omit<RunLog, 'phase'>) }];
  });
}
const lastRun = (): { started: RunLog; finished: RunLog } => {
  const logs = runLogs();
  const finished = logs.filter((l) => l.phase === 'finished').at(-1);
  assert.ok(finished, 'a run finished');
  const started = logs.find((l) => l.phase === 'started' && l.runId === finished.runId);
  assert.ok(started);
  return { started, finished };
};
const invocations = (outcome: 'Succeeded' | 'Failed'): number =>
  h.logs.filter((l) => l.includes(`Executed 'Functions.${TIMER}' (${outcome}`)).length;

/** An open incident nobody touched for `days` days. */
function staleIncident(days: number): number {
  const at = new Date(Date.now() - days * DAY).toISOString();
  return h.sandbox.control.addIncident({
    displayName: `Forgotten incident (${days} days)`,
    status: 'active',
    createdDateTime: at,
    lastUpdateDateTime: at,
  }).id;
}
const stored = (id: number) => {
  const i = h.sandbox.control.incident(id);
  assert.ok(i, `sandbox incident ${id}`);
  return i;
};
const isTriaged = (id: number): boolean => {
  const i = stored(id);
  return (
    i.customTags.includes('stale') &&
    i.assignedTo === 'triage@contoso.com' &&
    i.comments.filter((c) => isRiposteComment(c.comment)).length === 1
  );
};

describe(`timer ${TIMER}`, () => {
  it('is registered with the schedule from the workflow file', () => {
    const info = h.host.functions().find((f) => f.name === TIMER);
    assert.equal(info?.kind, 'timer');
    assert.equal(info?.schedule, '0 0 7 * * *');
  });

  it('a tick triages stale incidents and moves the watermark to the end of its window', async () => {
    const id = staleIncident(10);
    const fresh = stored(3309);
    const ok = invocations('Succeeded');
    await h.host.invokeTimer(TIMER);
    assert.equal(invocations('Succeeded'), ok + 1);
    const { started, finished } = lastRun();
    assert.equal(finished.status, 'succeeded');
    assert.equal(started.window?.resumed, false);
    assert.ok(isTriaged(id), JSON.stringify(stored(id)));
    assert.deepEqual(stored(3309), fresh, 'a recently updated incident is left alone');
    const mark = await state.getWatermark(WORKFLOW);
    assert.equal(mark.watermark, started.window?.end);
    assert.equal(mark.pending, undefined);
  });

  it('a past-due tick runs, says it is late, and covers the time since the last window', async () => {
    const previous = (await state.getWatermark(WORKFLOW)).watermark;
    assert.ok(previous);
    await h.host.invokeTimer(TIMER, { isPastDue: true });
    assert.ok(
      h.logs.some((l) => l.includes(`${TIMER} [warning]: [timer] ${WORKFLOW} is running late`)),
      'the late run is logged as such',
    );
    const { started, finished } = lastRun();
    assert.equal(finished.status, 'stopped', 'nothing is stale any more');
    assert.equal(started.window?.start, previous, 'the window starts where the last one ended');
    assert.equal((await state.getWatermark(WORKFLOW)).watermark, started.window?.end);
  });

  it('a throttled tick stops cleanly and leaves its window pending; the next tick resumes it', async () => {
    const before = await state.getWatermark(WORKFLOW);
    const id = staleIncident(20);
    h.sandbox.control.injectFaults({ target: 'incidents', status: 429, retryAfterSeconds: 3 });
    const ok = invocations('Succeeded');
    await h.host.invokeTimer(TIMER);
    // The 429 paused the tenant's shared quota (Table storage, every instance) until at most 3 s from now.
    const pauseEnds = Date.now() + 3_000;
    assert.equal(invocations('Succeeded'), ok + 1, 'throttling is not an invocation failure');
    const throttled = lastRun();
    assert.equal(throttled.finished.status, 'throttled');
    assert.ok(h.logs.some((l) => l.includes(`[timer] ${WORKFLOW} throttled; the next run resumes its window`)));
    assert.equal(isTriaged(id), false);
    const pendingState = await state.getWatermark(WORKFLOW);
    assert.equal(pendingState.watermark, before.watermark, 'the watermark did not move');
    assert.deepEqual(
      [pendingState.pending?.start, pendingState.pending?.end],
      [throttled.started.window?.start, throttled.started.window?.end],
    );

    h.sandbox.control.clearFaults();
    // The next tick comes after the pause, as a scheduled one would; within it, every call is still throttled.
    await new Promise((res) => setTimeout(res, Math.max(0, pauseEnds - Date.now())));
    await h.host.invokeTimer(TIMER);
    const resumed = lastRun();
    assert.equal(resumed.finished.status, 'succeeded');
    assert.deepEqual(resumed.started.window, { ...throttled.started.window, resumed: true }, 'the same window again');
    assert.ok(isTriaged(id));
    const after = await state.getWatermark(WORKFLOW);
    assert.equal(after.watermark, throttled.started.window?.end);
    assert.equal(after.pending, undefined);
  });

  it('a tick that fails makes the invocation fail, and the next tick covers its window', async () => {
    const id = staleIncident(30);
    h.sandbox.control.injectFaults({ target: 'incidents', status: 500 });
    const failed = invocations('Failed');
    await h.host.invokeTimer(TIMER);
    assert.equal(invocations('Failed'), failed + 1, 'the failure is visible to the host');
    const bad = lastRun();
    assert.equal(bad.finished.status, 'failed');
    assert.ok((await state.getWatermark(WORKFLOW)).pending, 'the window stays pending');

    h.sandbox.control.clearFaults();
    await h.host.invokeTimer(TIMER);
    const good = lastRun();
    assert.equal(good.finished.status, 'succeeded');
    assert.equal(good.started.window?.start, bad.started.window?.start);
    assert.equal(good.started.window?.resumed, true);
    assert.ok(isTriaged(id));
  });
});
