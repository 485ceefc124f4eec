// Reading an asynchronous run's status (shared/automation/asyncRunStatus.ts) with the status URL's token: the
// record keeps only the token's hash; a poll with the token reads the run and gets the same URL back; every other
// request (no token, another one, another run's, another workflow's URL, an unknown run) gets the one same 404 and
// changes nothing, not even the requeue of a run whose holder died. In-memory store and queue, a clock the test moves
// (test/e2e/asyncRunCases.ts does it over HTTP through the host).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAsyncRun, type AsyncRuns } from '../../shared/automation/asyncRuns';
import { asyncRunStatus } from '../../shared/automation/asyncRunStatus';
import { isAppError } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { createFakeDefender, createFakeQueries } from '../engine/fakes';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const LEASE_MS = 60_000;
const RUN_A = '0f0e0d0c-0b0a-4908-8706-050403020100';
const RUN_B = '1f0e0d0c-0b0a-4908-8706-050403020100';
const BASE = 'https://riposte-demo.azurewebsites.net';

async function setup() {
  let now = T0;
  const state = createMemoryStateStore();
  const sent: unknown[] = [];
  const asyncRuns: AsyncRuns = {
    queue: { send: async (message) => void sent.push(message), sendPoison: async () => undefined },
    retentionMs: 3_600_000,
    baseUrl: BASE,
  };
  const engine = {
    defender: createFakeDefender([]),
    queries: createFakeQueries(),
    state,
    now: () => new Date(now),
    leaseMs: LEASE_MS,
  };
  const automation = { asyncRuns, engine };
  const start = async (runId: string): Promise<string> => {
    const answer = await startAsyncRun(automation, {
      workflow: 'note',
      runId,
      request: { input: {}, startedAt: new Date(T0).toISOString() },
      handoff: { reason: 'respond-async', at: new Date(T0).toISOString(), changes: [] },
      preferred: true,
      logger: silentLogger,
    });
    return answer.headers.Location ?? '';
  };
  const [a, b] = [await start(RUN_A), await start(RUN_B)];
  sent.length = 0;
  const poll = (workflow: string, runId: string, token: string | undefined) =>
    asyncRunStatus(automation, workflow, runId, token, silentLogger);
  return { state, sent, a, b, poll, at: (ms: number) => (now = ms) };
}

const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? '';

/** The refusal as the caller sees it. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; field: unknown; message: string }> {
  const e = await p.then(
    () => assert.fail('answered'),
    (err: unknown) => err,
  );
  assert.ok(isAppError(e), String(e));
  return { code: e.code, field: (e as { field?: unknown }).field, message: e.message };
}

describe('the status of an asynchronous run', () => {
  it('keeps only the token’s hash, and answers its token with the same URL', async () => {
    const s = await setup();
    const token = tokenOf(s.a);
    assert.equal(s.a, `${BASE}/api/workflows/note/runs/${RUN_A}?token=${token}`);
    const stored = JSON.stringify(await s.state.getRun(RUN_A));
    assert.ok(!stored.includes(token), 'the token itself is not stored');
    const answer = await s.poll('note', RUN_A, token);
    assert.equal(answer.status, 202);
    assert.equal(answer.headers.Location, s.a);
    assert.equal((answer.body as { statusUrl: string }).statusUrl, s.a);
  });

  it('answers every other request with the one same 404, and changes nothing', async () => {
    const s = await setup();
    const [tokenA, tokenB] = [tokenOf(s.a), tokenOf(s.b)];
    // A's holder died: a poll with A's token would queue it again; none of these may.
    const found = await s.state.getRun(RUN_A);
    assert.ok(found);
    const leaseUntil = new Date(T0 + LEASE_MS).toISOString();
    await s.state.replaceRun({ ...found.record, state: 'running', holder: 'dead', leaseUntil }, found.version);
    s.at(T0 + 2 * LEASE_MS);
    const before = JSON.stringify(await s.state.getRun(RUN_A));
    const refusals = await Promise.all([
      refusal(s.poll('note', RUN_A, undefined)),
      refusal(s.poll('note', RUN_A, '')),
      refusal(s.poll('note', RUN_A, `${tokenA.slice(0, -1)}${tokenA.endsWith('A') ? 'B' : 'A'}`)),
      refusal(s.poll('note', RUN_A, tokenB)),
      refusal(s.poll('note', RUN_A, `${tokenA}x`)),
      refusal(s.poll('other', RUN_A, tokenA)),
      refusal(s.poll('note', '2f0e0d0c-0b0a-4908-8706-050403020100', tokenA)),
      refusal(s.poll('note', '../../admin', tokenA)),
    ]);
    for (const r of refusals) assert.deepEqual(r, refusals[0]);
    assert.deepEqual([refusals[0]?.code, refusals[0]?.field], ['NOT_FOUND', 'runId']);
    assert.ok(!refusals[0]?.message.includes(RUN_A));
    assert.equal(JSON.stringify(await s.state.getRun(RUN_A)), before, 'the record is as it was');
    assert.deepEqual(s.sent, [], 'nothing queued');
    // With its token, the poll does queue the dead holder's run again.
    assert.equal((await s.poll('note', RUN_A, tokenA)).status, 202);
    assert.equal(s.sent.length, 1);
  });

  it('ends with the report: once expired, even the token gets the same 404', async () => {
    const s = await setup();
    s.at(T0 + 3_600_000 + 2 * LEASE_MS);
    const expired = await refusal(s.poll('note', RUN_A, tokenOf(s.a)));
    assert.deepEqual(expired, await refusal(s.poll('note', RUN_A, tokenOf(s.b))));
    assert.equal(await s.state.getRun(RUN_A), undefined, 'purged on the way');
  });
});
