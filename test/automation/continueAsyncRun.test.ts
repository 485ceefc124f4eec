// The queued part of an asynchronous run (shared/automation/continueAsyncRun.ts) when a second message finds another
// instance holding the run: nothing runs twice, and the message comes back once the holder's lease ends, so a
// holder that died is taken over then even if nobody polls the status URL. In-memory store and queue, fake Defender
// client, a clock the test moves (test/reliability/asyncRunTakeover.test.ts does it across processes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAsyncRun, type AsyncRuns } from '../../shared/automation/asyncRuns';
import { continueAsyncRun } from '../../shared/automation/continueAsyncRun';
import type { EngineDeps } from '../../shared/engine';
import { silentLogger } from '../../shared/logger';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { createFakeDefender, createFakeQueries, incident, workflowOf } from '../engine/fakes';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const LEASE_MS = 60_000;
const RUN_ID = '0f0e0d0c-0b0a-4908-8706-050403020100';

const NOTE = workflowOf(`name: note
triggers: { http: true }
input: { incidentId: { type: string, required: true }, text: { type: string, required: true } }
steps:
  - { id: note, kind: comment, input: { incidentId: '\${ $input.incidentId }', text: '\${ $input.text }' } }
`);

function setup() {
  let now = T0;
  const defender = createFakeDefender([incident('1')]);
  const state = createMemoryStateStore();
  const engine: EngineDeps = {
    defender,
    queries: createFakeQueries(),
    state,
    now: () => new Date(now),
    leaseMs: LEASE_MS,
  };
  const sent: { message: unknown; delayMs: number | undefined }[] = [];
  const asyncRuns: AsyncRuns = {
    queue: {
      send: async (message, o) => void sent.push({ message, delayMs: o?.delayMs }),
      sendPoison: async () => undefined,
    },
    retentionMs: 24 * 3_600_000,
    baseUrl: 'https://riposte-demo.azurewebsites.net',
  };
  const automation = {
    workflows: new Map([[NOTE.name, NOTE]]),
    engine,
    asyncRuns,
    deps: { config: { queueMaxDequeueCount: 5 } },
  };
  const deliver = (message: unknown) =>
    continueAsyncRun(automation, message, { dequeueCount: 1, logger: silentLogger });
  const comments = () => defender.incidents.get('1')?.comments.map((c) => c.comment) ?? [];
  return { state, sent, automation, deliver, comments, at: (ms: number) => (now = ms) };
}

describe('a message for a run another instance holds', () => {
  it('changes nothing while the lease lasts, comes back when it ends, and then takes a dead holder’s run over', async () => {
    const s = setup();
    await startAsyncRun(s.automation, {
      workflow: 'note',
      runId: RUN_ID,
      request: { input: { incidentId: '1', text: 'from the queue' }, startedAt: new Date(T0).toISOString() },
      handoff: { reason: 'respond-async', at: new Date(T0).toISOString(), changes: [] },
      preferred: true,
      logger: silentLogger,
    });
    const first = s.sent.shift()?.message;
    // Another instance claimed it and died at once: its lease (renewed by nobody) ends at T0 + LEASE_MS.
    const found = await s.state.getRun(RUN_ID);
    assert.ok(found);
    const leaseUntil = new Date(T0 + LEASE_MS).toISOString();
    await s.state.replaceRun(
      { ...found.record, state: 'running', holder: 'dead-instance', leaseUntil, attempts: 1 },
      found.version,
    );

    // A second delivery 10 s later: nothing runs, and the message is sent again to arrive just after the lease.
    s.at(T0 + 10_000);
    const early = await s.deliver(first);
    assert.equal(early.status, 'skipped');
    assert.deepEqual(s.comments(), [], 'nothing ran beside the holder');
    assert.equal(s.sent.length, 1, 'the message comes back');
    const again = s.sent[0];
    assert.ok(again && again.delayMs !== undefined);
    assert.ok(T0 + 10_000 + again.delayMs > T0 + LEASE_MS, 'not before the lease ends');
    assert.ok(again.delayMs <= LEASE_MS, 'and within a lease');

    // It arrives after the lease: the dead holder's run is taken over and finished, once.
    s.at(T0 + 10_000 + again.delayMs);
    const late = await s.deliver(again.message);
    assert.equal(late.status, 'done');
    assert.equal(s.comments().length, 1);
    const record = (await s.state.getRun(RUN_ID))?.record;
    assert.deepEqual([record?.state, record?.attempts, record?.response?.status], ['done', 2, 200]);
    // Any later copy finds it done and stops there.
    assert.deepEqual(await s.deliver(first), { status: 'skipped', reason: 'already done' });
    assert.equal(s.sent.length, 1);
  });
});
