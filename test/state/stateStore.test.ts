// One contract, two stores: Table storage (through the real SDK against Azurite) and memory.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { createTableStateStore } from '../../shared/state/tableState';
import { AppError } from '../../shared/errors';
import {
  MAX_RUN_REPORT_CHARS,
  MAX_STORED_BODY_CHARS,
  type AsyncRunRecord,
  type IdempotencyRecord,
  type StateStore,
  type WriteRecord,
} from '../../shared/state/types';

const record = (key: string, over: Partial<WriteRecord> = {}): WriteRecord => ({
  key,
  state: 'pending',
  owner: 'w:run-1',
  runId: 'run-1',
  incidentId: '42',
  leaseUntil: '2026-03-01T12:10:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
  ...over,
});

const request = (key: string, over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  key,
  fingerprint: 'f'.repeat(64),
  state: 'running',
  runId: 'run-1',
  leaseUntil: '2026-03-01T12:10:00.000Z',
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
  expiresAt: '2026-03-02T12:00:00.000Z',
  ...over,
});

const asyncRun = (runId: string, over: Partial<AsyncRunRecord> = {}): AsyncRunRecord => ({
  runId,
  workflow: 'wf',
  state: 'queued',
  request: JSON.stringify({ input: { incidentId: '42' }, startedAt: '2026-03-01T12:00:00.000Z' }),
  handoff: JSON.stringify({ reason: 'respond-async', at: '2026-03-01T12:00:00.000Z', changes: [] }),
  attempts: 0,
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
  expiresAt: '2026-03-02T12:00:00.000Z',
  ...over,
});

function contract(name: string, makeStore: () => StateStore): void {
  describe(`${name} state store`, () => {
    it('keeps a watermark per workflow, with a pending window until it completes', async () => {
      const store = makeStore();
      assert.deepEqual(await store.getWatermark('a'), { workflow: 'a', watermark: undefined, pending: undefined });
      const pending = {
        runId: 'r1',
        start: '2026-03-01T10:00:00.000Z',
        end: '2026-03-01T11:00:00.000Z',
        startedAt: '2026-03-01T11:05:00.000Z',
      };
      await store.claimWindow('a', pending, undefined);
      assert.deepEqual(await store.getWatermark('a'), { workflow: 'a', watermark: undefined, pending });
      assert.deepEqual(await store.getWatermark('b'), { workflow: 'b', watermark: undefined, pending: undefined });
      await store.completeWindow('a', 'r1', pending.end);
      assert.deepEqual(await store.getWatermark('a'), { workflow: 'a', watermark: pending.end, pending: undefined });
    });

    it('never moves a watermark backwards, and keeps a newer run’s pending window', async () => {
      const store = makeStore();
      await store.completeWindow('a', 'r1', '2026-03-01T11:00:00.000Z');
      const newer = {
        runId: 'r3',
        start: '2026-03-01T11:00:00.000Z',
        end: '2026-03-01T11:15:00.000Z',
        startedAt: '2026-03-01T11:20:00.000Z',
      };
      await store.claimWindow('a', newer, undefined);
      await store.completeWindow('a', 'r2', '2026-03-01T10:00:00.000Z');
      assert.deepEqual(await store.getWatermark('a'), {
        workflow: 'a',
        watermark: '2026-03-01T11:00:00.000Z',
        pending: newer,
      });
    });

    it('hands a pending window to one holder at a time, renews its lease, and lets only its holder clear it', async () => {
      const store = makeStore();
      const end = '2026-03-01T11:00:00.000Z';
      const held = {
        runId: 'r1',
        start: '2026-03-01T10:00:00.000Z',
        end,
        startedAt: '2026-03-01T11:05:00.000Z',
        holder: 'r1',
        leaseUntil: '2026-03-01T11:06:00.000Z',
      };
      assert.equal(await store.claimWindow('a', held, undefined), true);
      assert.equal(
        await store.claimWindow('a', { ...held, holder: 'r2' }, undefined),
        false,
        'a second claim made from the same read loses',
      );
      assert.equal(await store.renewWindow('a', 'r1', 'r1', '2026-03-01T11:07:00.000Z'), true);
      assert.equal(await store.renewWindow('a', 'r1', 'r2', '2026-03-01T11:08:00.000Z'), false, 'only its holder');
      const renewed = { ...held, leaseUntil: '2026-03-01T11:07:00.000Z' };
      assert.deepEqual((await store.getWatermark('a')).pending, renewed);
      // The lease ended: another run takes the window over, from what it read.
      const taken = { ...held, holder: 'r2', leaseUntil: '2026-03-01T11:09:00.000Z' };
      assert.equal(await store.claimWindow('a', taken, held), false, 'a claim from a stale read loses');
      assert.equal(await store.claimWindow('a', taken, renewed), true);
      assert.equal(
        await store.renewWindow('a', 'r1', 'r1', '2026-03-01T11:10:00.000Z'),
        false,
        'the old holder lost it',
      );
      // The old holder finishing moves the watermark but leaves the window to its new holder.
      await store.completeWindow('a', 'r1', end, 'r1');
      assert.deepEqual(await store.getWatermark('a'), { workflow: 'a', watermark: end, pending: taken });
      await store.completeWindow('a', 'r1', end, 'r2');
      assert.deepEqual(await store.getWatermark('a'), { workflow: 'a', watermark: end, pending: undefined });
    });

    it('inserts a write once, and replaces it only with the version it was read at', async () => {
      const store = makeStore();
      const key = 'wf/42/abc/with/slashes?and#hash';
      const v1 = await store.createWrite('wf', record(key, { intent: '{"comment":"x"}' }));
      assert.ok(v1);
      assert.equal(await store.createWrite('wf', record(key)), undefined);
      const read = await store.getWrite('wf', key);
      assert.deepEqual(read?.record, record(key, { intent: '{"comment":"x"}' }));
      const v2 = await store.replaceWrite('wf', record(key, { state: 'done', owner: 'w:run-2' }), read?.version ?? '');
      assert.ok(v2);
      assert.equal(
        await store.replaceWrite('wf', record(key, { state: 'pending' }), v1),
        undefined,
        'a stale version must lose',
      );
      const done = await store.getWrite('wf', key);
      assert.equal(done?.record.state, 'done');
      assert.equal(done?.record.intent, undefined);
      assert.equal(await store.getWrite('wf', 'wf/other'), undefined);
      assert.equal(await store.getWrite('other-wf', key), undefined);
    });

    it('lists the pending writes of one workflow', async () => {
      const store = makeStore();
      await store.createWrite('wf', record('wf/1/a'));
      await store.createWrite('wf', record('wf/2/b', { state: 'done' }));
      await store.createWrite('wf', record('wf/3/c', { incidentId: '3' }));
      await store.createWrite('wf2', record('wf2/4/d'));
      const pending = await store.listPendingWrites('wf');
      assert.deepEqual(pending.map((p) => p.record.key).sort(), ['wf/1/a', 'wf/3/c']);
      assert.ok(pending.every((p) => typeof p.version === 'string' && p.version.length > 0));
    });

    it('deletes a write only at the version it was read at (a released claim)', async () => {
      const store = makeStore();
      const v1 = await store.createWrite('wf', record('wf/5/e'));
      const v2 = await store.replaceWrite('wf', record('wf/5/e', { owner: 'w:run-2' }), v1 ?? '');
      assert.equal(await store.deleteWrite('wf', 'wf/5/e', v1 ?? ''), false, 'a stale version must lose');
      assert.equal(await store.deleteWrite('wf', 'wf/5/e', v2 ?? ''), true);
      assert.equal(await store.getWrite('wf', 'wf/5/e'), undefined);
      assert.equal(await store.deleteWrite('wf', 'wf/5/e', v2 ?? ''), false, 'gone');
      assert.ok(await store.createWrite('wf', record('wf/5/e')), 'claimable again');
    });

    it('keeps an idempotency record per workflow and key, with a stored answer larger than one property', async () => {
      const store = makeStore();
      const key = 'logicapps-0123/with "quotes" and slashes';
      const v1 = await store.createIdempotency('wf', request(key));
      assert.ok(v1);
      assert.equal(await store.createIdempotency('wf', request(key, { runId: 'run-2' })), undefined);
      assert.deepEqual((await store.getIdempotency('wf', key))?.record, request(key));
      assert.equal(await store.getIdempotency('wf2', key), undefined);
      // 100 000 characters: more than a Table string property holds (32 K), split and joined again. ASCII, as the
      // request layer stores it (Azurite corrupts a multi-byte character where a large body crosses 64 KiB).
      const body = JSON.stringify({ text: 'e\\u00e9'.repeat(20_000) });
      const done = request(key, {
        state: 'done',
        response: { status: 404, headers: { 'x-a': '1' }, body },
      });
      const v2 = await store.replaceIdempotency('wf', done, v1 ?? '');
      assert.ok(v2);
      assert.equal(await store.replaceIdempotency('wf', request(key), v1 ?? ''), undefined, 'a stale version loses');
      assert.deepEqual((await store.getIdempotency('wf', key))?.record, done);
      assert.equal(await store.deleteIdempotency('wf', key, v1 ?? ''), false);
      assert.equal(await store.deleteIdempotency('wf', key, v2 ?? ''), true);
      assert.equal(await store.getIdempotency('wf', key), undefined);
    });

    it('holds the largest answer the request layer stores', async () => {
      const store = makeStore();
      const body = 'b'.repeat(MAX_STORED_BODY_CHARS);
      const v = await store.createIdempotency(
        'wf',
        request('big', { state: 'done', response: { status: 200, headers: {}, body } }),
      );
      assert.ok(v);
      assert.equal((await store.getIdempotency('wf', 'big'))?.record.response?.body.length, MAX_STORED_BODY_CHARS);
    });

    it('keeps an asynchronous run by version, with its largest report, and purges only expired runs', async () => {
      const store = makeStore();
      const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
      const v1 = await store.createRun(asyncRun(id));
      assert.ok(v1);
      assert.equal(await store.createRun(asyncRun(id, { workflow: 'other' })), undefined, 'one record per run id');
      assert.deepEqual((await store.getRun(id))?.record, asyncRun(id));
      const running = asyncRun(id, {
        state: 'running',
        holder: 'h1',
        leaseUntil: '2026-03-01T12:01:00.000Z',
        attempts: 1,
      });
      const v2 = await store.replaceRun(running, v1 ?? '');
      assert.ok(v2);
      assert.equal(await store.replaceRun(asyncRun(id), v1 ?? ''), undefined, 'a stale version loses');
      const body = 'r'.repeat(MAX_RUN_REPORT_CHARS);
      const done = asyncRun(id, { state: 'done', attempts: 1, response: { status: 404, headers: { a: '1' }, body } });
      const v3 = await store.replaceRun(done, v2 ?? '');
      assert.ok(v3);
      assert.deepEqual((await store.getRun(id))?.record, done, 'holder and lease gone, the whole report kept');
      // The hourly purge: runs whose expiresAt has passed go, the others stay.
      const kept = '1f0e0d0c-0b0a-4908-8706-050403020100';
      const vk = await store.createRun(asyncRun(kept, { expiresAt: '2026-03-03T12:00:00.000Z' }));
      assert.equal(await store.purgeRuns(new Date('2026-03-02T13:00:00.000Z')), 1);
      assert.equal(await store.getRun(id), undefined);
      assert.ok(await store.getRun(kept));
      const vk2 = await store.replaceRun(
        asyncRun(kept, { attempts: 1, expiresAt: '2026-03-03T12:00:00.000Z' }),
        vk ?? '',
      );
      assert.equal(await store.deleteRun(kept, vk ?? ''), false, 'deleted only at its current version');
      assert.equal(await store.deleteRun(kept, vk2 ?? ''), true);
    });

    it('lets exactly one of two concurrent claims win', async () => {
      const store = makeStore();
      const results = await Promise.all([
        store.createWrite('wf', record('wf/9/z', { owner: 'a' })),
        store.createWrite('wf', record('wf/9/z', { owner: 'b' })),
      ]);
      assert.equal(results.filter((r) => r !== undefined).length, 1);
    });
  });
}

contract('memory', () => createMemoryStateStore());

describe('table storage', () => {
  let azurite: Azurite | undefined;
  let n = 0;
  before(async () => {
    azurite = await startAzurite({ inMemory: true, ports: 'random' });
  });
  after(async () => {
    await azurite?.stop();
  });
  // A fresh pair of tables per test (the prefix), so the contract's tests do not see each other's data.
  contract('Azure Table', () =>
    createTableStateStore(azurite?.connectionString ?? '', { tablePrefix: `T${Date.now() % 1e8}x${++n}` }),
  );

  it('answers STORAGE_UNAVAILABLE (503) when storage cannot be reached', async () => {
    const closed =
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=' +
      'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
      'TableEndpoint=http://127.0.0.1:9/devstoreaccount1;';
    const store = createTableStateStore(closed, { tablePrefix: 'Down' });
    await assert.rejects(store.getIdempotency('wf', 'k'), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, 'STORAGE_UNAVAILABLE');
      assert.doesNotMatch(e.message, /AccountKey|Eby8/);
      return true;
    });
  });

  it('refuses a table prefix that is not a table name', () => {
    assert.throws(
      () => createTableStateStore(azurite?.connectionString ?? '', { tablePrefix: 'bad-prefix' }),
      /^Error: tablePrefix must be letters and digits, starting with a letter$/,
    );
  });
});
