// The incident endpoints with DEFENDER_API=legacy (api.security.microsoft.com shape in the sandbox): the same HTTP
// contract as on Graph, plus the legacy-only restriction that Graph-only fields are refused before any call.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Incident } from '../../shared/defender/types';
import { errorOf, startHarness, type Harness } from './harness';

let h: Harness;

before(async () => {
  h = await startHarness({ api: 'legacy' });
});

after(async () => {
  await h?.close();
});

beforeEach(() => h.sandbox.control.reset());

const stored = (id: number) => {
  const i = h.sandbox.control.incident(id);
  assert.ok(i, `sandbox incident ${id}`);
  return i;
};

describe('incident endpoints on the legacy Defender API', () => {
  it('health says the legacy API is in use', async () => {
    const r = await h.call('GET', '/api/health', { key: false });
    assert.equal(r.status, 200);
    assert.equal(r.json<{ api: string }>().api, 'legacy');
  });

  it('lists open incidents (severity filtered client-side) with a limit', async () => {
    const expected = h.sandbox.control
      .incidents()
      .filter((i) => ['active', 'inProgress'].includes(i.status) && i.severity === 'medium')
      .map((i) => String(i.id))
      .sort();
    assert.ok(expected.length >= 1);
    const r = await h.call('GET', '/api/incidents?status=active,inProgress&severity=medium');
    assert.equal(r.status, 200, r.text);
    const body = r.json<{ count: number; value: Incident[] }>();
    assert.deepEqual(body.value.map((i) => i.id).sort(), expected);
    assert.equal(body.count, expected.length);
    assert.equal(h.sandbox.control.requests().filter((q) => q.path.startsWith('/v1.0')).length, 0, 'no Graph call');

    const one = await h.call('GET', '/api/incidents?limit=1');
    assert.equal(one.json<{ value: Incident[] }>().value.length, 1);
  });

  it('gets one incident, and 404 for an unknown id', async () => {
    const r = await h.call('GET', '/api/incidents/3310');
    assert.equal(r.status, 200, r.text);
    const i = r.json<Incident>();
    assert.equal(i.id, '3310');
    assert.equal(i.status, 'inProgress');
    assert.deepEqual(i.tags, stored(3310).customTags);
    const missing = await h.call('GET', '/api/incidents/99999999');
    assert.equal(missing.status, 404, missing.text);
    assert.equal(errorOf(missing).code, 'NOT_FOUND');
  });

  it('resolves an incident with classification, determination, tags and a comment', async () => {
    const r = await h.call('PATCH', '/api/incidents/3309', {
      body: {
        status: 'resolved',
        classification: 'truePositive',
        determination: 'phishing',
        tags: { add: ['ticket:SEC-9'] },
        comment: 'Closed from the legacy e2e test',
      },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json<Incident>().status, 'resolved');
    const s = stored(3309);
    assert.deepEqual([s.status, s.classification, s.determination], ['resolved', 'truePositive', 'phishing']);
    assert.ok(s.customTags.includes('ticket:SEC-9') && s.customTags.includes('Phishing'), 'tags merged, not replaced');
    assert.equal(s.comments.filter((c) => c.comment === 'Closed from the legacy e2e test').length, 1);
  });

  for (const field of ['severity', 'displayName', 'description', 'summary', 'resolvingComment'] as const) {
    it(`refuses the Graph-only field '${field}' with 400 naming it, before any call`, async () => {
      const before = JSON.stringify(stored(3310));
      const r = await h.call('PATCH', '/api/incidents/3310', { body: { status: 'resolved', [field]: 'low' } });
      assert.equal(r.status, 400, r.text);
      const e = errorOf(r);
      assert.deepEqual([e.code, e.field], ['INPUT_INVALID', field]);
      assert.match(e.message, /Graph/);
      assert.equal(JSON.stringify(stored(3310)), before);
      assert.equal(h.sandbox.control.counters().api.incidentsUpdate, 0);
    });
  }

  it('still checks determination against classification', async () => {
    const r = await h.call('PATCH', '/api/incidents/3310', {
      body: { classification: 'informationalExpectedActivity', determination: 'phishing' },
    });
    assert.equal(r.status, 400);
    assert.equal(errorOf(r).field, 'determination');
  });
});
