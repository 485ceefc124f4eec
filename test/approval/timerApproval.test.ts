// A timer-triggered run that reaches a destructive step parks for approval and is resumed from the workflow-runs queue
// as soon as the approval is decided (or expires), like an HTTP or webhook run, not at the next tick: the window stays
// pending while it waits, a tick meanwhile parks on the same approval (no second record, no second card), the
// continuation resumes the same window under the same write owner, and the watermark advances once, to its end.
// State and approvals in Table storage (Azurite, real SDK), the device action against the sandbox MDE API.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { devices } from '../../sandbox/seed/entities';
import { createTableApprovalStore } from '../../shared/approval/tableStore';
import { createApprovalGate } from '../../shared/approval/gate';
import { decideByCaller } from '../../shared/automation/approvalDecision';
import type { AsyncRuns } from '../../shared/automation/asyncRuns';
import { continueAsyncRun } from '../../shared/automation/continueAsyncRun';
import { runScheduled } from '../../shared/automation/runScheduled';
import type { EngineDeps } from '../../shared/engine';
import { silentLogger } from '../../shared/logger';
import { createQueryLibrary } from '../../shared/queries';
import { createTableStateStore } from '../../shared/state/tableState';
import { parseWorkflow } from '../../shared/workflows';
import { sandboxDeps } from '../integration/sandboxDeps';

const [fin] = devices;
const queries = createQueryLibrary([]);
let sb: Sandbox;
let azurite: Azurite;
let n = 0;

before(async () => {
  sb = await startSandbox({ rateLimits: false, machineActionMs: 50 });
  azurite = await startAzurite({ inMemory: true, ports: 'random' });
});
after(async () => {
  await azurite?.stop();
  await sb?.close();
});
beforeEach(() => sb.control.reset());

const WORKFLOW = `
name: timer-isolate
triggers: { schedule: '0 */15 * * * *' }
steps:
  - id: isolate
    kind: isolateDevice
    approval: { teams: approvals, expiresIn: PT1H }
    input: { deviceId: ${fin?.deviceId}, comment: Isolated by Riposte test, wait: 0 }
`;

function setup() {
  const prefix = `Ta${Date.now() % 1e8}x${++n}`;
  let now = Date.now();
  const clock = (): Date => new Date(now);
  const state = createTableStateStore(azurite.connectionString, { tablePrefix: prefix });
  const approvals = createTableApprovalStore(
    {
      table: (name) =>
        TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true }),
    },
    { tablePrefix: prefix },
  );
  const cards: string[] = [];
  const app = sandboxDeps(sb, 'graph');
  const engine: EngineDeps = {
    defender: app.defender,
    apis: app.apis,
    queries,
    state,
    now: clock,
    approvals: createApprovalGate({
      store: approvals,
      channels: { teams: async (record) => void cards.push(record.id) },
      defaults: { expiresInMs: 600_000 },
      baseUrl: 'https://riposte.example',
      now: clock,
      logger: silentLogger,
    }),
  };
  const queue: { message: unknown; delayMs: number | undefined }[] = [];
  const asyncRuns: AsyncRuns = {
    queue: {
      send: async (message, o) => void queue.push({ message, delayMs: o?.delayMs }),
      sendPoison: async () => undefined,
    },
    retentionMs: 3_600_000,
    baseUrl: undefined,
  };
  const workflow = parseWorkflow(WORKFLOW, 'timer-isolate.yaml', queries, { backend: 'graph' });
  const automation = {
    workflows: new Map([[workflow.name, workflow]]),
    engine,
    asyncRuns,
    approvals,
    deps: { config: { queueMaxDequeueCount: 5 } },
  };
  const tick = () => runScheduled(automation, workflow.name, { isPastDue: false, logger: silentLogger });
  const deliver = (message: unknown) =>
    continueAsyncRun(automation, message, { dequeueCount: 1, logger: silentLogger });
  const isolations = () =>
    sb.control.requests().filter((r) => r.method === 'POST' && r.api === 'mde' && r.path.endsWith('/isolate')).length;
  return { state, automation, queue, cards, tick, deliver, isolations, at: (ms: number) => (now = ms), now: () => now };
}

describe('approval on a timer-triggered run', () => {
  it('parks; approving resumes the window from the queue at once; the device is isolated; the watermark advances once', async () => {
    const s = setup();
    const parked = await s.tick();
    assert.equal(parked?.status, 'awaitingApproval');
    const approvalId = parked.approvals?.[0]?.id ?? '';
    assert.equal(s.isolations(), 0, 'nothing isolated while it waits');
    assert.equal(s.queue.length, 1, 'a continuation is queued (for the expiry)');
    const pending = (await s.state.getWatermark('timer-isolate')).pending;
    assert.equal(pending?.end, parked.window?.end, 'the window stays pending');

    // A tick while it waits parks on the same approval: no second card, no second continuation.
    s.at(s.now() + 15 * 60_000);
    const again = await s.tick();
    assert.equal(again?.status, 'awaitingApproval');
    assert.deepEqual(again.window, { ...parked.window, resumed: true });
    assert.equal(s.cards.length, 1);
    assert.equal(s.queue.length, 1);

    await decideByCaller(
      s.automation,
      approvalId,
      { decision: 'approve', approver: 'Ana Analyst' },
      undefined,
      silentLogger,
    );
    assert.equal(s.queue.length, 2, 'the decision queues the continuation at once');
    const outcome = await s.deliver(s.queue[1]?.message);
    assert.equal(outcome.status, 'done');
    assert.equal(outcome.status === 'done' && outcome.report.status, 'succeeded');
    assert.equal(outcome.status === 'done' && outcome.report.trigger, 'timer');
    assert.equal(s.isolations(), 1, 'isolated once');
    const mark = await s.state.getWatermark('timer-isolate');
    assert.equal(mark.pending, undefined);
    assert.equal(mark.watermark, parked.window?.end, 'the watermark advanced to the window’s end');

    // The expiry's message finds the run done; the next tick covers the next window, never this one again.
    assert.deepEqual(await s.deliver(s.queue[0]?.message), { status: 'skipped', reason: 'already done' });
    const next = await s.tick();
    assert.equal(next?.window?.start, parked.window?.end);
    assert.equal(s.isolations(), 1);
  });

  for (const how of ['reject', 'expire'] as const) {
    it(`${how === 'reject' ? 'rejected' : 'expired'}: the continuation ends stopped, nothing isolated, the window advanced`, async () => {
      const s = setup();
      const parked = await s.tick();
      assert.equal(parked?.status, 'awaitingApproval');
      let message = s.queue[0]?.message;
      if (how === 'reject') {
        const id = parked.approvals?.[0]?.id ?? '';
        await decideByCaller(
          s.automation,
          id,
          { decision: 'reject', approver: 'Ana Analyst' },
          undefined,
          silentLogger,
        );
        message = s.queue.at(-1)?.message;
      } else s.at(s.now() + (s.queue[0]?.delayMs ?? 0));
      const outcome = await s.deliver(message);
      assert.equal(outcome.status === 'done' && outcome.report.status, 'stopped');
      assert.equal(s.isolations(), 0);
      const mark = await s.state.getWatermark('timer-isolate');
      assert.equal(mark.pending, undefined);
      assert.equal(mark.watermark, parked.window?.end);
    });
  }

  it('a continuation that finds a tick covering the window comes back after its lease, then finishes it', async () => {
    const s = setup();
    const parked = await s.tick();
    assert.equal(parked?.status, 'awaitingApproval');
    await decideByCaller(
      s.automation,
      parked.approvals?.[0]?.id ?? '',
      { decision: 'approve', approver: 'Ana Analyst' },
      undefined,
      silentLogger,
    );
    // Another run (a tick elsewhere) holds the pending window for a minute.
    const held = (await s.state.getWatermark('timer-isolate')).pending;
    assert.ok(held);
    const leaseUntil = new Date(s.now() + 60_000).toISOString();
    assert.ok(await s.state.claimWindow('timer-isolate', { ...held, holder: 'another-tick', leaseUntil }, held));
    const early = await s.deliver(s.queue.at(-1)?.message);
    assert.equal(early.status, 'requeued');
    assert.equal(s.isolations(), 0, 'nothing ran beside the holder');
    const back = s.queue.at(-1);
    assert.ok(back?.delayMs !== undefined && back.delayMs >= 60_000 - 1000);
    s.at(s.now() + back.delayMs);
    const late = await s.deliver(back.message);
    assert.equal(late.status === 'done' && late.report.status, 'succeeded');
    assert.equal(s.isolations(), 1);
    assert.equal((await s.state.getWatermark('timer-isolate')).watermark, parked.window?.end);
  });

  it('a tick that completes the window before the continuation leaves it nothing to do (no new window, no second action)', async () => {
    const s = setup();
    const parked = await s.tick();
    assert.equal(parked?.status, 'awaitingApproval');
    await decideByCaller(
      s.automation,
      parked.approvals?.[0]?.id ?? '',
      { decision: 'approve', approver: 'Ana Analyst' },
      undefined,
      silentLogger,
    );
    s.at(s.now() + 15 * 60_000);
    const tick = await s.tick();
    assert.equal(tick?.status, 'succeeded');
    assert.deepEqual(tick.window, { ...parked.window, resumed: true });
    assert.equal(s.isolations(), 1);
    const outcome = await s.deliver(s.queue.at(-1)?.message);
    assert.equal(outcome.status === 'done' && outcome.report.status, 'stopped');
    assert.equal(outcome.status === 'done' && outcome.report.trigger, 'timer');
    assert.match((outcome.status === 'done' && outcome.report.stopReason) || '', /completed by another run/);
    assert.equal(s.isolations(), 1, 'not isolated twice');
    const mark = await s.state.getWatermark('timer-isolate');
    assert.deepEqual([mark.watermark, mark.pending], [parked.window?.end, undefined], 'no new window was started');
  });
});
