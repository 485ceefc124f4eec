// Named hunting queries over HTTP through the local host, run by the sandbox's KQL engine behind the Graph API:
// parameters bound as typed literals, errors that name `params.<x>`, and injection payloads that stay data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { phishingSender, users } from '../../sandbox/seed/entities';
import { errorOf, startHarness, type Harness } from './harness';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

interface HuntBody {
  query: string;
  rowCount: number;
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

const hunt = (query: string, body: unknown) => h.call('POST', `/api/hunting/${query}`, { body });

describe('POST /api/hunting/{query}', () => {
  it('runs a named query with parameters and returns typed columns and rows', async () => {
    const r = await hunt('emails-from-sender', { params: { senderAddress: phishingSender, lookback: '30d' } });
    assert.equal(r.status, 200, r.text);
    const body = r.json<HuntBody>();
    assert.equal(body.query, 'emails-from-sender');
    assert.ok(body.rowCount > 0, 'the seed has the phishing mail');
    assert.equal(body.rows.length, body.rowCount);
    assert.ok(body.columns.some((c) => c.name === 'RecipientEmailAddress'));
    for (const row of body.rows) assert.equal(String(row.SenderFromAddress).toLowerCase(), phishingSender);
  });

  it('narrows by a list parameter', async () => {
    const all = (
      await hunt('emails-from-sender', { params: { senderAddress: phishingSender, lookback: '30d' } })
    ).json<HuntBody>();
    const amy = users[0].upn;
    const r = await hunt('emails-from-sender', {
      params: { senderAddress: phishingSender, recipients: [amy], lookback: '30d' },
    });
    assert.equal(r.status, 200, r.text);
    const rows = r.json<HuntBody>().rows;
    assert.ok(rows.length > 0 && rows.length <= all.rowCount);
    assert.deepEqual(
      rows.filter((x) => String(x.RecipientEmailAddress).toLowerCase() !== amy.toLowerCase()),
      [],
    );
  });

  it('keeps injection payloads in string parameters as data: they match nothing and alter nothing', async () => {
    const amy = users[0].upn;
    const baseline = (
      await hunt('emails-from-sender', {
        params: { senderAddress: phishingSender, recipients: [amy], lookback: '30d' },
      })
    ).json<HuntBody>().rowCount;
    assert.ok(baseline > 0);
    const payloads = [
      'x" or 1==1 or "',
      "x' or 1==1 or '",
      '") | take 1 //',
      '"]); EmailEvents | take 100; print (["',
      'a\nEmailEvents | take 100',
      '\\"; EmailEvents //',
    ];
    for (const payload of payloads) {
      const alone = await hunt('emails-from-sender', {
        params: { senderAddress: phishingSender, recipients: [payload], lookback: '30d' },
      });
      assert.equal(alone.status, 200, `${JSON.stringify(payload)}: ${alone.text}`);
      assert.equal(alone.json<HuntBody>().rowCount, 0, `${JSON.stringify(payload)} matched rows: it was not data`);
      const withAmy = await hunt('emails-from-sender', {
        params: { senderAddress: phishingSender, recipients: [payload, amy], lookback: '30d' },
      });
      assert.equal(withAmy.status, 200);
      assert.equal(withAmy.json<HuntBody>().rowCount, baseline, 'the rest of the query is unchanged');
    }
  });

  it('answers 404 naming the query for an unknown one, without calling the API', async () => {
    const calls = h.sandbox.control.counters().api.hunting;
    const r = await hunt('drop-all-tables', {});
    assert.equal(r.status, 404);
    const e = errorOf(r);
    assert.deepEqual([e.code, e.field], ['NOT_FOUND', 'query']);
    assert.match(e.message, /emails-from-sender/, 'lists the known queries');
    assert.equal(h.sandbox.control.counters().api.hunting, calls);
  });

  const bad: Array<[string, unknown, string]> = [
    ['a number for a string parameter', { params: { senderAddress: 42 } }, 'params.senderAddress'],
    ['a missing required parameter', { params: {} }, 'params.senderAddress'],
    [
      'a string for a list parameter',
      { params: { senderAddress: phishingSender, recipients: 'amy' } },
      'params.recipients',
    ],
    ['a bad timespan', { params: { senderAddress: phishingSender, lookback: 'forever' } }, 'params.lookback'],
    ['a value outside the pattern', { params: { senderAddress: 'not an address' } }, 'params.senderAddress'],
    ['an undeclared parameter', { params: { senderAddress: phishingSender, kql: 'EmailEvents' } }, 'params.kql'],
    ['params that are not an object', { params: ['x'] }, 'params'],
    ['raw KQL in the body', { query: 'EmailEvents | take 10' }, 'query'],
    ['a bad timespan field', { params: { senderAddress: phishingSender }, timespan: 'last week' }, 'timespan'],
  ];
  for (const [what, body, field] of bad) {
    it(`answers 400 naming '${field}' for ${what}`, async () => {
      const calls = h.sandbox.control.counters().api.hunting;
      const r = await hunt('emails-from-sender', body);
      assert.equal(r.status, 400, r.text);
      const e = errorOf(r);
      assert.deepEqual([e.code, e.field], ['INPUT_INVALID', field]);
      assert.equal(h.sandbox.control.counters().api.hunting, calls, 'no quota spent');
    });
  }

  it('answers 400 for malformed JSON, 415 for another media type, 401 without a key', async () => {
    const malformed = await h.call('POST', '/api/hunting/emails-from-sender', {
      body: '{"params": {',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed).field, 'body');
    const text = await h.call('POST', '/api/hunting/emails-from-sender', {
      body: 'EmailEvents | take 1',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    const anonymous = await h.call('POST', '/api/hunting/emails-from-sender', {
      body: { params: { senderAddress: phishingSender } },
      key: false,
    });
    assert.equal(anonymous.status, 401);
  });

  it('answers 503 with Retry-After when hunting is throttled for longer than the app waits', async () => {
    h.sandbox.control.injectFaults({ target: 'hunting', status: 429, retryAfterSeconds: 90, count: 1 });
    const r = await hunt('emails-from-sender', { params: { senderAddress: phishingSender } });
    assert.equal(r.status, 503, r.text);
    assert.equal(errorOf(r).code, 'DEFENDER_THROTTLED');
    assert.equal(r.headers.get('retry-after'), '90');
  });
});
