// Riposte as Logic Apps calls it: POST /api/workflows/{name}/run with the headers a Logic Apps HTTP action sends
// (Microsoft's recorded request, fixtures/logic-apps/http-action-request-headers.json), over real HTTP to the host
// running as its own process, and the incident checked in the sandbox afterwards.
// - Inside a For each, every iteration is the same action of the same run: same x-ms-workflow-run-id and
//   x-ms-workflow-operation-name, different bodies. Each must be applied (issue 11 item 3).
// - Logic Apps retries a call on timeout, 408, 429 and 5xx (azure-docs error-exception-handling.md): a retried
//   request must be applied once.
// - A caller's own Idempotency-Key follows draft-ietf-httpapi-idempotency-key-header (fixtures/idempotency-key):
//   same key and body → the stored outcome; same key, other body → 422; same key while the first is running → 409.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isRiposteComment } from '../../shared/engine';
import { startAppStack, type AppStack } from '../helpers/appStack';
import type { HttpAnswer } from '../reliability/harness';
import { fixtureJson } from './fixtures';

let stack: AppStack;

before(async () => {
  stack = await startAppStack({ api: 'graph' });
});
after(async () => {
  await stack?.close();
});

const LOGIC_APPS = fixtureJson<Record<string, string>>('logic-apps/http-action-request-headers.json');

/** Fresh incident for one test, so no test sees another's writes. */
const newIncident = (): string => String(stack.sandbox.control.addIncident({ status: 'active' }).id);

const riposteComments = (id: string): string[] =>
  (stack.sandbox.control.incident(id)?.comments ?? []).map((c) => c.comment).filter((c) => isRiposteComment(c));

/** The run as Logic Apps would post it: its headers, its JSON Content-Type, the workflow input as the body. */
function post(headers: Record<string, string>, input: Record<string, unknown>, workflow = 'ticket-sync') {
  return stack.call('POST', `/api/workflows/${workflow}/run`, {
    body: { input },
    headers: { ...headers, 'content-type': 'application/json' },
  });
}

/** Logic Apps fails an action whose JSON call gets a non-JSON answer (connectors-native-http.md). */
function assertJson(r: HttpAnswer): void {
  assert.match(r.headers.get('content-type') ?? '', /^application\/(problem\+)?json/, `${r.status}: ${r.text}`);
  assert.notEqual(r.json, undefined, r.text);
}

/** The headers of one Logic Apps run (a run id of the documented form), action `action`. */
function runHeaders(action: string): Record<string, string> {
  const runId = `0858661114273678778741282${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}CU21`;
  return {
    ...LOGIC_APPS,
    'x-ms-workflow-run-id': runId,
    'x-ms-client-tracking-id': runId,
    'x-ms-workflow-operation-name': action,
  };
}

describe('Logic Apps HTTP action calling a workflow run', () => {
  it('applies every For each iteration: same run id and action name, different bodies (item 3)', async () => {
    const id = newIncident();
    const headers = runHeaders('Comment_on_incident');
    const first = await post(headers, { incidentId: id, comment: 'For each item 1: host ws-fin-042 contained' });
    assertJson(first);
    assert.equal(first.status, 200, first.text);
    const second = await post(headers, { incidentId: id, comment: 'For each item 2: host ws-hr-007 contained' });
    assertJson(second);
    assert.equal(second.status, 200, second.text);
    const comments = riposteComments(id);
    assert.equal(comments.length, 2, `both iterations' comments are on the incident: ${JSON.stringify(comments)}`);
    assert.ok(comments.some((c) => c.includes('item 1')));
    assert.ok(comments.some((c) => c.includes('item 2')));
  });

  it('applies a retried call once, whether or not the retry carries new per-request tracking ids', async () => {
    const id = newIncident();
    const headers = runHeaders('HTTP');
    const input = { incidentId: id, status: 'inProgress', comment: 'Picked up by the Logic App' };
    const first = await post(headers, input);
    assert.equal(first.status, 200, first.text);
    // The same request again (a timeout on Logic Apps' side, then its retry).
    const retry = await post(headers, input);
    assertJson(retry);
    assert.equal(retry.status, 200, retry.text);
    // Whether x-ms-tracking-id / x-ms-client-request-id survive a retry is not documented: a retry with new ones
    // is still the same request.
    const fresh = randomUUID();
    const retry2 = await post(
      { ...headers, 'x-ms-tracking-id': fresh, 'x-ms-correlation-id': fresh, 'x-ms-client-request-id': fresh },
      input,
    );
    assert.equal(retry2.status, 200, retry2.text);
    assert.equal(riposteComments(id).length, 1, 'one comment for one request');
    assert.equal(stack.sandbox.control.incident(id)?.status, 'inProgress');
  });
});

describe('answers Logic Apps can read (a JSON action fails on a non-JSON answer)', () => {
  it('a wrong function key: 401 with the JSON error body (item 8)', async () => {
    const r = await stack.call('POST', '/api/workflows/ticket-sync/run', {
      body: { input: { incidentId: '3309' } },
      headers: { ...runHeaders('HTTP'), 'content-type': 'application/json' },
      key: 'not-the-function-key',
    });
    assert.equal(r.status, 401, r.text);
    assertJson(r);
  });

  it('a body that is not JSON (Content-Type text/plain): 415 with the JSON error body (item 8)', async () => {
    const r = await stack.call('POST', '/api/workflows/ticket-sync/run', {
      body: 'incidentId=3309',
      headers: { ...runHeaders('HTTP'), 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 415, r.text);
    assertJson(r);
  });
});

describe('Idempotency-Key (draft-ietf-httpapi-idempotency-key-header)', () => {
  const { uuid } = fixtureJson<{ uuid: string }>('idempotency-key/header-examples.json');
  /** The draft's example key, made unique per test run (the value keeps the draft's quoted sf-string form). */
  const key = (): string => uuid.replace(/[0-9a-f]{12}"$/, `${randomUUID().slice(-12)}"`);

  it('same key and same body: the stored outcome, applied once', async () => {
    const id = newIncident();
    const k = key();
    const input = { incidentId: id, comment: 'Escalated to tier 2' };
    const first = await post({ 'idempotency-key': k }, input);
    assert.equal(first.status, 200, first.text);
    const again = await post({ 'idempotency-key': k }, input);
    assertJson(again);
    assert.equal(again.status, first.status, again.text);
    assert.equal(riposteComments(id).length, 1);
  });

  it('same key, different body: 422 naming the key, and the second body is not applied (item 3)', async () => {
    const id = newIncident();
    const k = key();
    const first = await post({ 'idempotency-key': k }, { incidentId: id, comment: 'First body' });
    assert.equal(first.status, 200, first.text);
    const other = await post({ 'idempotency-key': k }, { incidentId: id, comment: 'A different body' });
    assertJson(other);
    assert.equal(other.status, 422, other.text);
    const error = (other.json as { error?: { code?: string; field?: string } }).error;
    assert.equal(error?.code, 'IDEMPOTENCY_KEY_REUSED', other.text);
    const comments = riposteComments(id);
    assert.equal(comments.length, 1);
    assert.ok(!comments.some((c) => c.includes('A different body')));
  });

  it('same key while the first request is still running: 409 with Retry-After, applied once (item 3)', async () => {
    const id = newIncident();
    const k = key();
    const input = { incidentId: id, comment: 'Slow write' };
    // The first request's incident calls hang for a while, so the second arrives while it is in flight.
    stack.sandbox.control.injectFaults({ target: 'incidents', delayMs: 4000, count: 1 });
    try {
      const first = post({ 'idempotency-key': k }, input);
      await new Promise((r) => setTimeout(r, 1000));
      const second = await post({ 'idempotency-key': k }, input);
      assertJson(second);
      assert.equal(second.status, 409, second.text);
      assert.match(second.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal((await first).status, 200);
    } finally {
      stack.sandbox.control.clearFaults();
    }
    assert.equal(riposteComments(id).length, 1);
  });
});
