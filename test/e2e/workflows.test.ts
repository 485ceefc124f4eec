// POST /api/workflows/{name}/run over HTTP through the local host: run reports, dry run, the workflow's HTTP trigger
// and input declaration, idempotency keys, and how run outcomes map to HTTP (200, 202, 404, 503; runStatusCases.ts has
// every mapping on both APIs).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { isRiposteComment } from '../../shared/steps';
import { registerSecrets } from '../setup/logCapture';
import { errorOf, startHarness, toReply, waitFor, type Harness } from './harness';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

beforeEach(() => h.sandbox.control.reset());

const run = (name: string, body: unknown, headers?: Record<string, string>) =>
  h.call('POST', `/api/workflows/${name}/run`, { body, ...(headers ? { headers } : {}) });

const stored = (id: number) => {
  const i = h.sandbox.control.incident(id);
  assert.ok(i, `sandbox incident ${id}`);
  return i;
};
const riposteComments = (id: number): string[] =>
  stored(id)
    .comments.map((c) => c.comment)
    .filter((c) => isRiposteComment(c));
const changesOf = (report: RunReport, step: string) => report.steps.find((s) => s.id === step)?.changes ?? [];

describe('POST /api/workflows/{name}/run', () => {
  it('runs ticket-closed-resolve and answers 200 with the run report', async () => {
    const r = await run('ticket-closed-resolve', {
      input: { incidentId: '3311', ticketId: 'INC0012345', closeCode: 'True positive - malware' },
    });
    assert.equal(r.status, 200, r.text);
    const report = r.json<RunReport>();
    assert.equal(report.status, 'succeeded');
    assert.equal(report.workflow, 'ticket-closed-resolve');
    assert.equal(report.trigger, 'http');
    assert.equal(report.dryRun, false);
    assert.deepEqual(
      changesOf(report, 'resolve').map((c) => [c.incidentId, c.outcome]),
      [['3311', 'applied']],
    );
    const s = stored(3311);
    assert.deepEqual([s.status, s.classification, s.determination], ['resolved', 'truePositive', 'malware']);
    assert.ok(s.customTags.includes('ticket:INC0012345'));
    const comments = riposteComments(3311);
    assert.equal(comments.length, 1);
    assert.match(comments[0]!, /^Resolved because ticket INC0012345 was closed .* — \[riposte:[0-9a-f]{8}\]$/);
  });

  it('stops (200, stopReason) when the close code has no mapping, changing nothing', async () => {
    const before = JSON.stringify(h.sandbox.control.incidents());
    const r = await run('ticket-closed-resolve', {
      input: { incidentId: '3311', ticketId: 'INC1', closeCode: 'Duplicate' },
    });
    assert.equal(r.status, 200);
    const report = r.json<RunReport>();
    assert.equal(report.status, 'stopped');
    assert.match(report.stopReason ?? '', /Duplicate/);
    assert.equal(JSON.stringify(h.sandbox.control.incidents()), before);
  });

  it('dry run reports the exact change and changes nothing in Defender', async () => {
    const before = JSON.stringify(h.sandbox.control.incidents());
    const updates = h.sandbox.control.counters().api;
    const r = await run('ticket-closed-resolve', {
      input: { incidentId: '3312', ticketId: 'SEC-42', closeCode: 'False positive' },
      dryRun: true,
    });
    assert.equal(r.status, 200, r.text);
    const report = r.json<RunReport>();
    assert.equal(report.dryRun, true);
    assert.equal(report.steps.find((s) => s.id === 'resolve')?.status, 'dryRun');
    const [change] = changesOf(report, 'resolve');
    assert.equal(change?.outcome, 'wouldApply');
    assert.equal(change?.incidentId, '3312');
    assert.deepEqual(
      {
        status: change?.patch?.status,
        classification: change?.patch?.classification,
        determination: change?.patch?.determination,
      },
      { status: 'resolved', classification: 'falsePositive', determination: 'clean' },
    );
    assert.equal(JSON.stringify(h.sandbox.control.incidents()), before);
    const after = h.sandbox.control.counters().api;
    assert.equal(after.incidentsUpdate, updates.incidentsUpdate);
    assert.equal(after.comments, updates.comments);
  });

  it('applies an idempotency key once: a retried call adds nothing twice', async () => {
    const body = (comment: string) => ({
      input: { incidentId: '3310', ticketId: 'SEC-7', status: 'inProgress', comment },
      idempotencyKey: 'logic-app-run-0001',
    });
    const first = await run('ticket-sync', body('First delivery of the comment'));
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(
      changesOf(first.json<RunReport>(), 'apply').map((c) => c.outcome),
      ['applied'],
    );
    const second = await run('ticket-sync', body('First delivery of the comment'));
    assert.equal(second.status, 200);
    // The first answer, replayed (writeSafetyCases.ts covers the Idempotency-Key protocol in full).
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(second.json<RunReport>().runId, first.json<RunReport>().runId);
    assert.equal(riposteComments(3310).length, 1, 'one comment');
    assert.deepEqual(
      stored(3310).customTags.filter((t) => t === 'ticket:SEC-7'),
      ['ticket:SEC-7'],
    );

    // The same key through the Idempotency-Key header is the same request.
    const viaHeader = await run(
      'ticket-sync',
      { input: body('First delivery of the comment').input },
      { 'idempotency-key': '"logic-app-run-0001"' },
    );
    assert.equal(viaHeader.headers.get('idempotent-replayed'), 'true');
    // A new key is a new request.
    const other = await run('ticket-sync', { ...body('Another comment'), idempotencyKey: 'logic-app-run-0002' });
    assert.deepEqual(
      changesOf(other.json<RunReport>(), 'apply').map((c) => c.outcome),
      ['applied'],
    );
    assert.equal(riposteComments(3310).length, 2);
  });

  it('answers 404 naming the workflow for an unknown one or one without an HTTP trigger', async () => {
    const unknown = await run('delete-everything', {});
    assert.equal(unknown.status, 404);
    assert.deepEqual([errorOf(unknown).code, errorOf(unknown).field], ['NOT_FOUND', 'name']);
    assert.match(errorOf(unknown).message, /ticket-sync/, 'lists the available workflows');

    const timerOnly = await run('suspicious-powershell', {});
    assert.equal(timerOnly.status, 404);
    assert.equal(errorOf(timerOnly).field, 'name');
    assert.match(errorOf(timerOnly).message, /no HTTP trigger/);
  });

  const bad: Array<[string, string, unknown, string]> = [
    [
      'a missing required input',
      'ticket-closed-resolve',
      { input: { incidentId: '3311', ticketId: 'X' } },
      'input.closeCode',
    ],
    ['a wrongly typed input', 'stale-incident-triage', { input: { staleDays: 'seven' } }, 'input.staleDays'],
    ['an input below its minimum', 'stale-incident-triage', { input: { staleDays: 0 } }, 'input.staleDays'],
    ['an input outside its enum', 'ticket-sync', { input: { incidentId: '3310', status: 'closed' } }, 'input.status'],
    ['an undeclared input', 'ticket-sync', { input: { incidentId: '3310', severity: 'low' } }, 'input.severity'],
    ['input that is not an object', 'ticket-sync', { input: ['3310'] }, 'input'],
    ['an unknown body field', 'ticket-sync', { input: { incidentId: '3310' }, dryrun: true }, 'dryrun'],
    ['a non-boolean dryRun', 'ticket-sync', { input: { incidentId: '3310' }, dryRun: 'yes' }, 'dryRun'],
    [
      'an empty idempotency key',
      'ticket-sync',
      { input: { incidentId: '3310' }, idempotencyKey: '' },
      'idempotencyKey',
    ],
  ];
  for (const [what, name, body, field] of bad) {
    it(`answers 400 naming '${field}' for ${what}`, async () => {
      const r = await run(name, body);
      assert.equal(r.status, 400, r.text);
      const e = errorOf(r);
      assert.deepEqual([e.code, e.field], ['INPUT_INVALID', field]);
      assert.equal(h.sandbox.control.counters().api.incidentsUpdate, 0);
    });
  }

  it('answers 404 with the report when the incident does not exist', async () => {
    const r = await run('ticket-closed-resolve', {
      input: { incidentId: '99999999', ticketId: 'INC9', closeCode: 'True positive' },
    });
    assert.equal(r.status, 404, r.text);
    const report = r.json<RunReport>();
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.code, 'NOT_FOUND');
    assert.equal(report.steps.find((s) => s.id === 'current')?.status, 'failed');
    assert.equal(report.steps.find((s) => s.id === 'resolve')?.status, 'skipped');
  });

  it('answers 202 + Location when the run is throttled; the queue finishes the job once', async () => {
    // Four 429s: the synchronous attempt and its three retries (MAX_RETRIES); the queued part then gets through.
    h.sandbox.control.injectFaults({ target: 'incidents', status: 429, retryAfterSeconds: 1, count: 4 });
    const input = { incidentId: '3309', ticketId: 'INC77', closeCode: 'True positive - phishing' };
    const r = await run('ticket-closed-resolve', { input, idempotencyKey: 'INC77-close' });
    assert.equal(r.status, 202, r.text);
    const location = r.headers.get('location') ?? '';
    assert.equal(r.json<{ handoff: { reason: string } }>().handoff.reason, 'throttled');
    // The Location is a capability URL: polled exactly as returned (its token included), with no function key.
    registerSecrets([new URL(location).searchParams.get('token') ?? '']);
    const done = await waitFor('the run finished in the background', async () => {
      const res = await fetch(location);
      const poll = toReply(res, await res.text());
      return poll.status === 202 ? undefined : poll;
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(stored(3309).status, 'resolved');
    assert.equal(riposteComments(3309).length, 1);
    const again = await run('ticket-closed-resolve', { input, idempotencyKey: 'INC77-close' });
    assert.deepEqual([again.status, again.headers.get('location')], [202, location], 'the same run, not a new one');
  });

  it('answers 401 without the function key and 400 for malformed JSON', async () => {
    assert.equal((await h.call('POST', '/api/workflows/ticket-sync/run', { body: {}, key: false })).status, 401);
    const r = await h.call('POST', '/api/workflows/ticket-sync/run', {
      body: '{"input": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 400);
    assert.equal(errorOf(r).field, 'body');
  });
});
