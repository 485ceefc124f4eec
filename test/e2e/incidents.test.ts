// Incident endpoints over HTTP through the local host against the sandbox's Graph security API: list with filters,
// get, PATCH, and every error path with its status, stable code and field (400/401/404/413/415/429/502/503).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_ROLES } from '../../sandbox/resources';
import type { Incident } from '../../shared/defender/types';
import { errorOf, startHarness, type Harness } from './harness';

let h: Harness;

before(async () => {
  h = await startHarness({ api: 'graph' });
});

after(async () => {
  await h?.close();
});

beforeEach(() => h.sandbox.control.reset());

interface ListBody {
  count: number;
  limit: number;
  value: Incident[];
}

const stored = (id: number) => {
  const i = h.sandbox.control.incident(id);
  assert.ok(i, `sandbox incident ${id}`);
  return i;
};

describe('GET /api/incidents', () => {
  it('lists with status and severity filters and a limit', async () => {
    const expected = h.sandbox.control
      .incidents()
      .filter((i) => ['active', 'inProgress'].includes(i.status) && i.severity === 'high')
      .map((i) => String(i.id));
    assert.ok(expected.length >= 2, 'the seed has two open high-severity incidents');

    const all = await h.call('GET', '/api/incidents?status=active,inProgress&severity=high');
    assert.equal(all.status, 200, all.text);
    const body = all.json<ListBody>();
    assert.deepEqual(body.value.map((i) => i.id).sort(), [...expected].sort());
    assert.equal(body.count, expected.length);
    for (const i of body.value) {
      assert.ok(['active', 'inProgress'].includes(i.status));
      assert.equal(i.severity, 'high');
    }

    const limited = await h.call('GET', '/api/incidents?status=active&status=inProgress&severity=high&limit=1');
    assert.equal(limited.status, 200);
    const one = limited.json<ListBody>();
    assert.equal(one.limit, 1);
    assert.equal(one.value.length, 1);
    assert.ok(expected.includes(one.value[0]!.id));
  });

  it('filters by assignee and by update time', async () => {
    const r = await h.call('GET', '/api/incidents?assignedTo=tier2@contoso.com');
    assert.equal(r.status, 200);
    const ids = r
      .json<ListBody>()
      .value.map((i) => i.id)
      .sort();
    const expected = h.sandbox.control
      .incidents()
      .filter((i) => i.assignedTo === 'tier2@contoso.com')
      .map((i) => String(i.id))
      .sort();
    assert.ok(expected.length > 0);
    assert.deepEqual(ids, expected);

    const since = new Date(Date.now() - 12 * 3_600_000).toISOString();
    const recent = await h.call('GET', `/api/incidents?updatedSince=${encodeURIComponent(since)}`);
    assert.equal(recent.status, 200);
    const recentIds = recent.json<ListBody>().value.map((i) => i.id);
    assert.ok(recentIds.length > 0 && recentIds.length < h.sandbox.control.incidents().length);
    for (const i of recent.json<ListBody>().value) assert.ok(Date.parse(i.lastUpdateDateTime) >= Date.parse(since));
  });

  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=2.5', 'limit'],
    ['status=open', 'status'],
    ['severity=catastrophic', 'severity'],
    ['createdSince=last-tuesday', 'createdSince'],
  ] as const) {
    it(`answers 400 naming '${field}' for ?${query}, without calling the API`, async () => {
      const calls = h.sandbox.control.counters().api.incidentsList;
      const r = await h.call('GET', `/api/incidents?${query}`);
      assert.equal(r.status, 400, r.text);
      const e = errorOf(r);
      assert.equal(e.code, 'INPUT_INVALID');
      assert.equal(e.field, field);
      assert.equal(h.sandbox.control.counters().api.incidentsList, calls);
    });
  }

  it('answers 401 without the function key or with a wrong one', async () => {
    assert.equal((await h.call('GET', '/api/incidents', { key: false })).status, 401);
    assert.equal((await h.call('GET', '/api/incidents', { key: 'wrong' })).status, 401);
    assert.equal(
      (await h.call('GET', `/api/incidents?code=${encodeURIComponent(h.host.functionKey)}`, { key: false })).status,
      200,
    );
  });
});

describe('GET /api/incidents/{id}', () => {
  it('returns the incident with its comments', async () => {
    const r = await h.call('GET', '/api/incidents/3309');
    assert.equal(r.status, 200);
    const i = r.json<Incident>();
    assert.equal(i.id, '3309');
    assert.equal(i.displayName, stored(3309).displayName);
    assert.equal(i.status, 'active');
    assert.deepEqual(i.tags, stored(3309).customTags);
    assert.ok(Array.isArray(i.comments));
  });

  it('answers 404 NOT_FOUND for an id Defender does not know', async () => {
    const r = await h.call('GET', '/api/incidents/99999999');
    assert.equal(r.status, 404);
    assert.equal(errorOf(r).code, 'NOT_FOUND');
  });

  it("answers 400 naming 'id' for a non-numeric id", async () => {
    for (const id of ['abc', '12a', '-1', '1%27%20or%201%3D1']) {
      const r = await h.call('GET', `/api/incidents/${id}`);
      assert.equal(r.status, 400, `${id}: ${r.text}`);
      assert.deepEqual([errorOf(r).code, errorOf(r).field], ['INPUT_INVALID', 'id']);
    }
  });
});

describe('PATCH /api/incidents/{id}', () => {
  it('updates status, assignment, tags and comment, and returns the incident as Defender has it', async () => {
    const r = await h.call('PATCH', '/api/incidents/3311', {
      body: {
        status: 'inProgress',
        assignedTo: 'secops2@contoso.com',
        severity: 'high',
        tags: { add: ['e2e', 'ticket:SEC-1'] },
        comment: 'Taken over by the e2e suite',
      },
    });
    assert.equal(r.status, 200, r.text);
    const i = r.json<Incident>();
    assert.equal(i.status, 'inProgress');
    assert.equal(i.assignedTo, 'secops2@contoso.com');
    assert.equal(i.severity, 'high');
    const s = stored(3311);
    assert.equal(s.status, 'inProgress');
    assert.equal(s.assignedTo, 'secops2@contoso.com');
    assert.ok(s.customTags.includes('e2e') && s.customTags.includes('ticket:SEC-1'));
    assert.equal(s.comments.filter((c) => c.comment === 'Taken over by the e2e suite').length, 1);
  });

  it('resolves with a compatible classification and determination (enum spellings normalised)', async () => {
    const r = await h.call('PATCH', '/api/incidents/3312', {
      body: { status: 'Resolved', classification: 'TRUE_POSITIVE', determination: 'compromised account' },
    });
    assert.equal(r.status, 200, r.text);
    const s = stored(3312);
    assert.deepEqual([s.status, s.classification, s.determination], ['resolved', 'truePositive', 'compromisedAccount']);
  });

  const invalid: Array<[string, unknown, string]> = [
    [
      'a determination the classification does not allow',
      { classification: 'falsePositive', determination: 'malware' },
      'determination',
    ],
    ['an unknown field', { owner: 'someone@contoso.com' }, 'owner'],
    ['an unknown status', { status: 'closed' }, 'status'],
    ['tags that are not a change', { tags: ['a'] }, 'tags'],
    ['a bad tag', { tags: { add: ['ok', ''] } }, 'tags.add[1]'],
    ['replace mixed with add', { tags: { add: ['a'], replace: ['b'] } }, 'tags.replace'],
  ];
  for (const [what, body, field] of invalid) {
    it(`answers 400 naming '${field}' for ${what}, and changes nothing`, async () => {
      const before = JSON.stringify(stored(3310));
      const updates = h.sandbox.control.counters().api.incidentsUpdate;
      const r = await h.call('PATCH', '/api/incidents/3310', { body });
      assert.equal(r.status, 400, r.text);
      const e = errorOf(r);
      assert.equal(e.code, 'INPUT_INVALID');
      assert.equal(e.field, field);
      assert.ok(e.invocationId, 'the invocation id is quoted for support');
      assert.equal(JSON.stringify(stored(3310)), before);
      assert.equal(h.sandbox.control.counters().api.incidentsUpdate, updates, 'no quota spent');
    });
  }

  it('answers 400 for an empty update and for a body that is not an object', async () => {
    for (const body of ['{}', '[]', '"resolved"', '']) {
      const r = await h.call('PATCH', '/api/incidents/3310', { body, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(errorOf(r).code, 'INPUT_INVALID');
    }
  });

  it('answers 400 naming the body for malformed JSON, 415 for another media type', async () => {
    const malformed = await h.call('PATCH', '/api/incidents/3310', {
      body: '{"status": "resolved",',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.deepEqual([errorOf(malformed).code, errorOf(malformed).field], ['INPUT_INVALID', 'body']);

    const form = await h.call('PATCH', '/api/incidents/3310', {
      body: 'status=resolved',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.equal(errorOf(form).code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 413 for a body over 256 KB before parsing it', async () => {
    const updates = h.sandbox.control.counters().api.incidentsUpdate;
    const r = await h.call('PATCH', '/api/incidents/3310', { body: { comment: 'x'.repeat(300 * 1024) } });
    assert.equal(r.status, 413);
    assert.deepEqual([errorOf(r).code, errorOf(r).field], ['PAYLOAD_TOO_LARGE', 'body']);
    assert.equal(h.sandbox.control.counters().api.incidentsUpdate, updates);
  });

  it('answers 404 for an unknown incident and 401 without a key', async () => {
    const r = await h.call('PATCH', '/api/incidents/99999999', { body: { status: 'resolved' } });
    assert.equal(r.status, 404, r.text);
    assert.equal(errorOf(r).code, 'NOT_FOUND');
    assert.equal(
      (await h.call('PATCH', '/api/incidents/3310', { body: { status: 'resolved' }, key: false })).status,
      401,
    );
    assert.equal(stored(3310).status, 'inProgress');
  });
});

describe('Defender failures', () => {
  it('answers 503 with Retry-After when Defender stays unavailable through the retries', async () => {
    h.sandbox.control.injectFaults({ target: 'incidents', status: 503 });
    const r = await h.call('GET', '/api/incidents?limit=5');
    assert.equal(r.status, 503, r.text);
    assert.equal(errorOf(r).code, 'DEFENDER_UNAVAILABLE');
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(h.sandbox.control.counters().faulted, 4, 'one call and three retries');
  });

  it('answers 503 when the connection drops (network outage)', async () => {
    h.sandbox.control.injectFaults({ target: 'incidents', outage: true });
    const r = await h.call('GET', '/api/incidents/3309');
    assert.equal(r.status, 503, r.text);
    assert.equal(errorOf(r).code, 'DEFENDER_UNAVAILABLE');
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
  });

  it('recovers by itself once the outage ends (retries inside one call)', async () => {
    h.sandbox.control.injectFaults({ target: 'incidents', status: 503, count: 2 });
    const r = await h.call('GET', '/api/incidents/3309');
    assert.equal(r.status, 200, r.text);
    assert.equal(h.sandbox.control.counters().faulted, 2);
  });

  it('answers 502 FORBIDDEN when the app registration lost its API roles', async () => {
    h.sandbox.control.setRoles([]);
    // The cached token still carries the roles: revoking it makes the client fetch a new, role-less one.
    h.sandbox.control.revokeTokens();
    try {
      const r = await h.call('GET', '/api/incidents/3309');
      assert.equal(r.status, 502, r.text);
      const e = errorOf(r);
      assert.equal(e.code, 'FORBIDDEN');
      assert.doesNotMatch(r.text, /eyJ[A-Za-z0-9_-]{8,}\./, 'no token in the answer');
      const patch = await h.call('PATCH', '/api/incidents/3309', { body: { status: 'inProgress' } });
      assert.equal(patch.status, 502);
      assert.equal(stored(3309).status, 'active');
    } finally {
      h.sandbox.control.setRoles([...DEFAULT_ROLES]);
      h.sandbox.control.revokeTokens();
    }
    assert.equal((await h.call('GET', '/api/incidents/3309')).status, 200, 'healed with a new token');
  });

  // Last: its 429 pauses the tenant's shared quota (Table storage, every host) for 120 s, which would throttle the cases after it.
  it('answers 503 with Retry-After when Defender asks to wait longer than MAX_RETRY_AFTER_SECONDS', async () => {
    // 120 s > the default MAX_RETRY_AFTER_SECONDS (60): the client gives up at once instead of holding the call.
    h.sandbox.control.injectFaults({ target: 'incidents', status: 429, retryAfterSeconds: 120 });
    const started = Date.now();
    const r = await h.call('GET', '/api/incidents/3309');
    // Throttled beyond what we wait is "try again later" for the caller: 503 with the API's own Retry-After.
    assert.equal(r.status, 503, r.text);
    assert.equal(errorOf(r).code, 'DEFENDER_THROTTLED');
    assert.equal(r.headers.get('retry-after'), '120');
    assert.equal(h.sandbox.control.counters().faulted, 1, 'not retried');
    assert.ok(Date.now() - started < 10_000);
  });
});
