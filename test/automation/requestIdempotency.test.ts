// Request-level idempotency of HTTP workflow runs (draft-ietf-httpapi-idempotency-key-header-06): same key and body
// replay the first answer, another body is refused (422), a request still running is answered 409 with Retry-After,
// a dead instance's key is taken over, retryable answers are not kept, keys expire. With a fake Defender client and
// the in-memory store (test/state/stateStore.test.ts runs the store contract on Azurite too).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveIdempotencyKey } from '../../shared/automation/idempotencyKey';
import { requestFingerprint } from '../../shared/automation/requestIdempotency';
import type { AsyncRuns } from '../../shared/automation/asyncRuns';
import { asyncRunStatus } from '../../shared/automation/asyncRunStatus';
import { continueAsyncRun } from '../../shared/automation/continueAsyncRun';
import { runWorkflowRequest } from '../../shared/automation/runWorkflowRequest';
import type { EngineDeps, RunReport } from '../../shared/engine';
import { AppError, DefenderApiError, InputError } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { MAX_STORED_BODY_CHARS } from '../../shared/state/types';
import type { Workflow } from '../../shared/workflows/types';
import { createFakeDefender, createFakeQueries, incident, throttled, workflowOf } from '../engine/fakes';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MIN = 60_000;

const NOTE = workflowOf(`name: note
triggers: { http: true }
input: { incidentId: { type: string, required: true }, text: { type: string, required: true } }
steps:
  - { id: note, kind: comment, input: { incidentId: '\${ $input.incidentId }', text: '\${ $input.text }' } }
`);

/**
 * Logic Apps headers as its HTTP action sends them: values from Microsoft's request-history example,
 * Azure/azure-rest-api-specs specification/logic/resource-manager/Microsoft.Logic/stable/2019-05-01/examples/
 * WorkflowRunActionRequestHistories_Get.json (`x-ms-workflow-run-id`, `x-ms-workflow-operation-name`).
 */
const LOGIC_APPS = { runId: '08586611142736787787412824395CU21', operationName: 'HTTP_Webhook' };

/** The asynchronous-run settings with an in-memory queue: `sent` holds what was queued. */
function asyncRunsOf(sent: unknown[] = []): AsyncRuns & { sent: unknown[] } {
  return {
    sent,
    queue: { send: async (m) => void sent.push(m), sendPoison: async () => undefined },
    retentionMs: 24 * 60 * MIN,
    baseUrl: 'https://riposte-demo.azurewebsites.net',
  };
}

function setup(workflows: Workflow[] = [NOTE]) {
  let now = T0;
  const defender = createFakeDefender([incident('1'), incident('2')]);
  const state = createMemoryStateStore();
  const engine: EngineDeps = { defender, queries: createFakeQueries(), state, now: () => new Date(now) };
  const asyncRuns = asyncRunsOf();
  const automation = { workflows: new Map(workflows.map((w) => [w.name, w])), engine, asyncRuns };
  const call = (
    body: Record<string, unknown>,
    o: { header?: string; logicApps?: typeof LOGIC_APPS; name?: string } = {},
  ) =>
    runWorkflowRequest(automation, o.name ?? 'note', body, {
      idempotencyKeyHeader: o.header,
      ...(o.logicApps ? { logicApps: o.logicApps } : {}),
      logger: silentLogger,
    });
  const comments = (id: string) => defender.incidents.get(id)?.comments.map((c) => c.comment) ?? [];
  return { defender, state, call, comments, automation, asyncRuns, at: (ms: number) => (now = ms) };
}

const body = (text: string, extra: Record<string, unknown> = {}) => ({ input: { incidentId: '1', text }, ...extra });

describe('same key, same request', () => {
  it('replays the first answer (status, report, marked replayed) without running again', async () => {
    const s = setup();
    const first = await s.call(body('héllo ✓'), { header: '"8e03978e-40d5-43e8-bc93-6894a57f9324"' });
    assert.equal(first.status, 200);
    const calls = s.defender.calls.length;
    const again = await s.call(body('héllo ✓'), { header: '"8e03978e-40d5-43e8-bc93-6894a57f9324"' });
    assert.equal(again.status, 200);
    assert.equal(again.headers['Idempotent-Replayed'], 'true');
    assert.deepEqual(again.report, first.report, 'the stored report, same run id');
    assert.equal(s.defender.calls.length, calls, 'nothing ran');
    assert.equal(s.comments('1').length, 1);
    // The body's key is the same key.
    const viaBody = await s.call(body('héllo ✓', { idempotencyKey: '8e03978e-40d5-43e8-bc93-6894a57f9324' }));
    assert.equal(viaBody.report.runId, first.report.runId);
  });

  it('replays a final 4xx too: the incident does not exist → 404 again, from storage', async () => {
    const s = setup();
    const first = await s.call({ input: { incidentId: '404', text: 'x' } }, { header: 'k-404' });
    assert.equal(first.status, 404);
    const again = await s.call({ input: { incidentId: '404', text: 'x' } }, { header: 'k-404' });
    assert.deepEqual(
      [again.status, again.headers['Idempotent-Replayed'], again.report.runId],
      [404, 'true', first.report.runId],
    );
  });
});

describe('same key, different request', () => {
  it('is refused with 422 IDEMPOTENCY_KEY_REUSED naming both fingerprints, never the bodies', async () => {
    const s = setup();
    await s.call(body('first text'), { header: 'reused-key' });
    await assert.rejects(s.call(body('second text'), { header: 'reused-key' }), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, 'IDEMPOTENCY_KEY_REUSED');
      const a = requestFingerprint('note', { incidentId: '1', text: 'first text' }, false).slice(0, 12);
      const b = requestFingerprint('note', { incidentId: '1', text: 'second text' }, false).slice(0, 12);
      assert.ok(e.message.includes(a) && e.message.includes(b), e.message);
      assert.doesNotMatch(e.message, /first text|second text/);
      return true;
    });
    // A dry run is a different request too.
    await assert.rejects(s.call(body('first text', { dryRun: true }), { header: 'reused-key' }), /different request/);
    assert.equal(s.comments('1').length, 1);
  });

  it('forgets keys after 24 hours: the same key then starts a new request', async () => {
    const s = setup();
    await s.call(body('monday'), { header: 'weekly' });
    s.at(T0 + 24 * 60 * MIN + 1);
    const later = await s.call(body('tuesday'), { header: 'weekly' });
    assert.equal(later.status, 200);
    assert.equal(later.headers['Idempotent-Replayed'], undefined);
  });
});

describe('a request still running', () => {
  it('answers 409 IDEMPOTENCY_IN_PROGRESS with a Retry-After, then replays once the first is done', async () => {
    const s = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    s.defender.before = async (c) => {
      if (c.method === 'addComment') await gate;
    };
    const first = s.call(body('slow'), { header: 'slow-key' });
    await new Promise((r) => setTimeout(r, 20));
    s.at(T0 + 3000);
    await assert.rejects(s.call(body('slow'), { header: 'slow-key' }), (e: unknown) => {
      assert.equal((e as AppError).code, 'IDEMPOTENCY_IN_PROGRESS');
      // About as long as it has run so far (3 s), never past its lease.
      assert.equal((e as { retryAfterMs: number }).retryAfterMs, 3000);
      return true;
    });
    release();
    assert.equal((await first).status, 200);
    const again = await s.call(body('slow'), { header: 'slow-key' });
    assert.equal(again.headers['Idempotent-Replayed'], 'true');
    assert.equal(s.comments('1').length, 1);
  });

  it('takes over a key whose run died (lease over) and finishes its half-done write once', async () => {
    const s = setup();
    const key = 'died-key';
    // The first instance added the comment and died before recording it: its write is pending, its request running.
    const replaceWrite = s.state.replaceWrite.bind(s.state);
    s.state.replaceWrite = async (wf, record, version) => {
      if (record.state === 'done') throw new Error('process died');
      return replaceWrite(wf, record, version);
    };
    assert.equal((await s.call(body('once'), { header: key })).status, 500);
    // ...and, unlike here, never answered: its request record stays running until its lease ends.
    const fp = requestFingerprint('note', { incidentId: '1', text: 'once' }, false);
    await s.state.createIdempotency('note', {
      key,
      fingerprint: fp,
      state: 'running',
      runId: 'dead-run',
      leaseUntil: new Date(T0 + 10 * MIN).toISOString(),
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 24 * 60 * MIN).toISOString(),
    });
    s.state.replaceWrite = replaceWrite;
    assert.equal(s.comments('1').length, 1);
    await assert.rejects(s.call(body('once'), { header: key }), /still running/);
    s.at(T0 + 11 * MIN);
    const taken = await s.call(body('once'), { header: key });
    assert.equal(taken.status, 200);
    assert.equal(s.comments('1').length, 1, 'the marker stopped a second comment');
    assert.equal((await s.state.getIdempotency('note', key))?.record.state, 'done');
  });
});

describe('retryable answers are not kept', () => {
  it('a 503 (the API down) releases the key, so the retry runs again and applies the change once', async () => {
    const s = setup();
    s.defender.before = (c) => {
      if (c.method === 'addComment') throw new DefenderApiError('503', { status: 503, method: 'POST', path: '/x' });
    };
    const first = await s.call(body('later'), { header: 'retry-key' });
    assert.equal(first.status, 503);
    assert.equal(await s.state.getIdempotency('note', 'retry-key'), undefined, 'released');
    s.defender.before = undefined;
    const retry = await s.call(body('later'), { header: 'retry-key' });
    assert.equal(retry.status, 200);
    assert.equal(retry.headers['Idempotent-Replayed'], undefined);
    assert.equal(s.comments('1').length, 1);
  });

  it('a throttled run goes on in the background: 202 + Location, kept for the key; the queue finishes it once', async () => {
    const s = setup();
    s.defender.before = (c) => {
      if (c.method === 'addComment') throw throttled(20_000);
    };
    const first = await s.call(body('later'), { header: 'retry-key' });
    assert.equal(first.status, 202);
    const location = first.headers.Location ?? '';
    assert.match(location, /^https:\/\/riposte-demo\.azurewebsites\.net\/api\/workflows\/note\/runs\/[0-9a-f-]{36}$/);
    assert.equal(first.headers['Retry-After'], '10');
    assert.equal(s.comments('1').length, 0);
    // A retry of the POST gets the same run's Location, and starts nothing.
    const retried = await s.call(body('later'), { header: 'retry-key' });
    assert.deepEqual([retried.status, retried.headers.Location], [202, location]);
    assert.equal(s.asyncRuns.sent.length, 1);
    s.defender.before = undefined;
    const outcome = await continueAsyncRun(
      { ...s.automation, deps: { config: { queueMaxDequeueCount: 5 } } },
      s.asyncRuns.sent[0],
      { dequeueCount: 1, logger: silentLogger },
    );
    assert.equal(outcome.status, 'done');
    const runId = location.split('/').pop() ?? '';
    const final = await asyncRunStatus(s.automation, 'note', runId, silentLogger);
    assert.equal(final.status, 200);
    const report = JSON.parse(String(final.body)) as RunReport;
    assert.deepEqual(
      [report.status, report.runId, report.handoff?.reason],
      ['succeeded', first.report.runId, 'throttled'],
    );
    assert.equal(s.comments('1').length, 1);
  });

  it('a report too large for storage is stored shortened, saying so', async () => {
    const WIDE = workflowOf(`name: wide
triggers: { http: true }
input: { text: { type: string, required: true } }
steps:
  - { id: a, kind: comment, input: { incidentId: '1', text: '\${ $input.text }' } }
  - { id: b, kind: comment, input: { incidentId: '2', text: '\${ $input.text }' } }
`);
    const s = setup([WIDE]);
    const text = 'x'.repeat(MAX_STORED_BODY_CHARS / 2);
    const first = await s.call({ input: { text } }, { name: 'wide', header: 'big' });
    assert.ok(JSON.stringify(first.report).length > MAX_STORED_BODY_CHARS);
    const again = await s.call({ input: { text } }, { name: 'wide', header: 'big' });
    assert.equal(again.status, 200);
    const stored = again.report as RunReport;
    assert.match(stored.truncated ?? '', /too large to keep whole/);
    assert.deepEqual(
      stored.steps.map((st) => [st.id, st.status, st.changes.length]),
      [
        ['a', 'succeeded', 0],
        ['b', 'succeeded', 0],
      ],
    );
  });
});

describe('Logic Apps: the derived key', () => {
  it('two For each iterations posting different comments to one incident are both applied', async () => {
    const s = setup();
    const a = await s.call(body('iteration one'), { logicApps: LOGIC_APPS });
    const b = await s.call(body('iteration two'), { logicApps: LOGIC_APPS });
    assert.deepEqual([a.status, b.status], [200, 200]);
    assert.deepEqual(
      s.comments('1').map((c) => c.replace(/ — .*$/, '')),
      ['iteration one', 'iteration two'],
    );
  });

  it('the same iteration retried is applied once and the second answer is the replayed first', async () => {
    const s = setup();
    const first = await s.call(body('iteration one'), { logicApps: LOGIC_APPS });
    const retry = await s.call(body('iteration one'), { logicApps: LOGIC_APPS });
    assert.equal(retry.headers['Idempotent-Replayed'], 'true');
    assert.equal(retry.report.runId, first.report.runId);
    assert.equal(s.comments('1').length, 1);
  });

  it("another action of the same Logic Apps run is another request; the caller's own key wins", async () => {
    const s = setup();
    await s.call(body('same text'), { logicApps: LOGIC_APPS });
    const other = await s.call(body('same text'), { logicApps: { ...LOGIC_APPS, operationName: 'HTTP_2' } });
    assert.equal(other.headers['Idempotent-Replayed'], undefined);
    const own = resolveIdempotencyKey({ header: '"mine"', logicApps: LOGIC_APPS, requestBody: {} });
    assert.deepEqual(own, { key: 'mine', source: 'header' });
  });
});

describe('the key itself', () => {
  const resolve = (header: string | undefined, bodyKey?: unknown) =>
    resolveIdempotencyKey({ header, body: bodyKey, requestBody: {} });

  it('reads the header as an sf-string, and as an unquoted token for older clients', () => {
    assert.equal(resolve('"8e03978e-40d5-43e8-bc93-6894a57f9324"')?.key, '8e03978e-40d5-43e8-bc93-6894a57f9324');
    assert.equal(resolve('"clkyoesmbgybucifusbbtdsbohtyuuwz"')?.key, 'clkyoesmbgybucifusbbtdsbohtyuuwz');
    assert.equal(resolve('plain-token_1')?.key, 'plain-token_1');
    assert.equal(resolve(undefined), undefined);
  });

  const refused: Array<[string, string | undefined, unknown, string]> = [
    ['an unterminated quoted string', '"abc', undefined, 'Idempotency-Key'],
    ['an escaped quote inside the key', '"a\\"b"', undefined, 'Idempotency-Key'],
    ['an empty key', '""', undefined, 'Idempotency-Key'],
    ['spaces', '"a b"', undefined, 'Idempotency-Key'],
    ['more than 200 characters', `"${'k'.repeat(201)}"`, undefined, 'Idempotency-Key'],
    ['a non-string body key', undefined, 42, 'idempotencyKey'],
    ['an empty body key', undefined, '', 'idempotencyKey'],
    ['header and body naming different keys', '"one"', 'two', 'idempotencyKey'],
  ];
  for (const [what, header, bodyKey, field] of refused) {
    it(`refuses ${what} before any lookup, naming ${field}`, () => {
      assert.throws(
        () => resolve(header, bodyKey),
        (e: unknown) => e instanceof InputError && e.field === field,
      );
    });
  }

  it('over the request: a malformed key is a 400 and nothing is stored or run', async () => {
    const s = setup();
    await assert.rejects(s.call(body('x'), { header: '"a b"' }), (e: unknown) => e instanceof InputError);
    assert.equal(s.defender.calls.length, 0);
    const report = (await s.call(body('x'), { header: '"a-b"' })).report as RunReport;
    assert.equal(report.status, 'succeeded');
  });
});

describe('a slow request keeps its key', () => {
  it('a retry while the first request works past many lease lengths gets 409, not a second run', async () => {
    const defender = createFakeDefender([incident('1')]);
    const engine: EngineDeps = { defender, queries: createFakeQueries(), state: createMemoryStateStore() };
    const automation = { workflows: new Map([[NOTE.name, NOTE]]), engine, asyncRuns: asyncRunsOf() };
    let reach!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((r) => (reach = r));
    const opened = new Promise<void>((r) => (open = r));
    defender.before = (c) => {
      if (c.method !== 'addComment') return undefined;
      reach();
      return opened;
    };
    // Real time, a 150 ms lease: the first request's comment is held for four lease lengths.
    const call = () =>
      runWorkflowRequest(automation, 'note', body('slow'), {
        idempotencyKeyHeader: 'slow-key',
        logger: silentLogger,
        idempotency: { leaseMs: 150 },
      });
    const first = call();
    await reached;
    await new Promise((r) => setTimeout(r, 600));
    await assert.rejects(call(), (e: unknown) => e instanceof AppError && e.code === 'IDEMPOTENCY_IN_PROGRESS');
    open();
    assert.equal((await first).status, 200);
    assert.equal(defender.incidents.get('1')?.comments.length, 1);
  });
});
