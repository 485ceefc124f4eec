// Every DefenderClient operation on both backends, plus retry, throttling and paging behaviour, against the
// sandbox over TLS with the real composition root.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { DefenderApiError, InputError } from '../../shared/errors';
import { collect, failure, sandboxDeps } from './sandboxDeps';

let sb: Sandbox;
// 0.05: a quota "minute" lasts 3 s, so the limiter tests run in seconds.
const SCALE = 0.05;

before(async () => {
  sb = await startSandbox({ rateLimitScale: SCALE });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const latestId = (): string => String(sb.control.incidents()[0]?.id);

for (const api of ['graph', 'legacy'] as const) {
  describe(`${api} backend`, () => {
    it('runs a hunting query and returns a normalised result', async () => {
      const deps = sandboxDeps(sb, api);
      const r = await deps.defender.runHuntingQuery('DeviceInfo | take 3');
      assert.ok(r.schema.length > 0);
      assert.ok(r.schema.every((c) => typeof c.name === 'string' && c.name !== '' && typeof c.type === 'string'));
      assert.ok(r.rows.length > 0 && r.rows.length <= 3);
      assert.ok(r.schema.some((c) => c.name === 'DeviceId'));
      assert.equal(r.stats !== undefined, api === 'legacy', 'Stats only from the legacy API');
    });

    it('handles a timespan per backend', async () => {
      const deps = sandboxDeps(sb, api);
      if (api === 'graph') {
        const r = await deps.defender.runHuntingQuery('DeviceInfo | take 1', { timespan: 'P1D' });
        assert.equal(r.rows.length <= 1, true);
      } else {
        const e = await failure(deps.defender.runHuntingQuery('DeviceInfo | take 1', { timespan: 'P1D' }));
        assert.ok(e instanceof InputError);
        assert.equal(e.field, 'timespan');
        assert.equal(sb.control.counters().api.hunting, 0, 'refused before any request');
      }
    });

    it('does not retry a KQL error (400)', async () => {
      const deps = sandboxDeps(sb, api);
      const e = await failure(deps.defender.runHuntingQuery('NoSuchTable | take 1'));
      assert.ok(e instanceof DefenderApiError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'DEFENDER_HTTP');
      assert.equal(sb.control.counters().api.hunting, 1);
    });

    it('lists every incident across several pages', async () => {
      for (let i = 0; i < 120; i++) sb.control.addIncident({ displayName: `bulk ${i}` });
      const expected = sb.control.incidents().map((i) => String(i.id));
      const deps = sandboxDeps(sb, api);
      const listed = await collect(deps.defender.listIncidents());
      assert.deepEqual(
        listed.map((i) => i.id),
        expected,
      );
      const pageSize = api === 'graph' ? 50 : 100;
      const pages = sb.control.counters().api.incidentsList;
      const minimum = Math.ceil(expected.length / pageSize);
      assert.ok(minimum >= 2 && pages >= minimum && pages <= minimum + 1, `${pages} pages for ${expected.length}`);
      const limited = await collect(deps.defender.listIncidents({ limit: 7 }));
      assert.equal(limited.length, 7);
    });

    it('filters by status, severity, assignee and update time', async () => {
      const since = new Date(Date.now() - 1000);
      const added = sb.control.addIncident({ severity: 'high', status: 'inProgress', assignedTo: 'tier2@contoso.com' });
      sb.control.addIncident({ severity: 'low', status: 'inProgress', assignedTo: 'tier2@contoso.com' });
      const deps = sandboxDeps(sb, api);
      const got = await collect(
        deps.defender.listIncidents({
          status: 'inProgress',
          severity: 'HIGH' as never,
          assignedTo: 'tier2@contoso.com',
          updatedSince: since,
        }),
      );
      assert.deepEqual(
        got.map((i) => i.id),
        [String(added.id)],
      );
      const all = sb.control.incidents();
      const resolved = await collect(deps.defender.listIncidents({ status: ['resolved', 'redirected'] }));
      assert.deepEqual(
        resolved.map((i) => i.id).sort(),
        all
          .filter((i) => i.status === 'resolved' || i.status === 'redirected')
          .map((i) => String(i.id))
          .sort(),
      );
    });

    it('gets one incident, and 404 is NOT_FOUND without retries', async () => {
      const deps = sandboxDeps(sb, api);
      const id = latestId();
      const one = await deps.defender.getIncident(id);
      const stored = sb.control.incident(id);
      assert.equal(one.id, id);
      assert.equal(one.displayName, stored?.displayName);
      assert.equal(one.status, stored?.status);
      const e = await failure(deps.defender.getIncident('999999'));
      assert.ok(e instanceof DefenderApiError);
      assert.equal(e.code, 'NOT_FOUND');
      assert.equal(sb.control.counters().api.incidentsGet, 2);
    });

    it('lists (expandAlerts) and gets incidents with their alerts’ entities', async () => {
      const deps = sandboxDeps(sb, api);
      const devicesOf = (id: string): string[] =>
        (sb.control.incident(id)?.alerts ?? []).flatMap((a) =>
          a.evidence.flatMap((e) => (e.kind === 'device' ? [e.deviceDnsName.toLowerCase()] : [])),
        );
      const plain = await collect(deps.defender.listIncidents({ limit: 3 }));
      // Graph sends alerts only when expanded; legacy always.
      assert.equal(plain[0]?.alerts === undefined, api === 'graph');
      const listed = await collect(deps.defender.listIncidents({ expandAlerts: true }));
      assert.equal(listed.length, sb.control.incidents().length);
      for (const i of listed) {
        assert.ok(i.alerts, `incident ${i.id} has alerts`);
        assert.deepEqual([...new Set(i.alerts.flatMap((a) => a.devices))].sort(), [...new Set(devicesOf(i.id))].sort());
      }
      const withUsers = listed.find((i) => i.alerts?.some((a) => a.users.length > 0));
      assert.ok(withUsers, 'the seed has user evidence');
      const one = await deps.defender.getIncident(withUsers.id);
      assert.deepEqual(one.alerts, withUsers.alerts);
    });

    it('updates status, assignee, classification and determination (any case, aliases)', async () => {
      const deps = sandboxDeps(sb, api);
      const id = latestId();
      const updated = await deps.defender.updateIncident(id, {
        status: 'RESOLVED' as never,
        assignedTo: 'secops1@contoso.com',
        classification: 'FalsePositive' as never,
        determination: 'notEnoughDataToValidate' as never,
      });
      assert.equal(updated.status, 'resolved');
      assert.equal(updated.classification, 'falsePositive');
      assert.equal(updated.determination, 'insufficientData');
      const stored = sb.control.incident(id);
      assert.equal(stored?.status, 'resolved');
      assert.equal(stored?.assignedTo, 'secops1@contoso.com');
      assert.equal(stored?.determination, 'insufficientData');
      const tp = await deps.defender.updateIncident(id, {
        classification: 'truePositive',
        determination: 'compromisedAccount',
      });
      assert.equal(tp.determination, 'compromisedAccount');
      assert.equal(sb.control.incident(id)?.determination, 'compromisedAccount');
    });

    it('adds and removes tags without losing the existing ones, and replaces them', async () => {
      const deps = sandboxDeps(sb, api);
      const id = String(sb.control.addIncident({ customTags: ['Ransomware', 'vip'] }).id);
      await deps.defender.updateIncident(id, { tags: { add: ['riposte', 'VIP'] } });
      assert.deepEqual(sb.control.incident(id)?.customTags, ['Ransomware', 'vip', 'riposte']);
      const after = await deps.defender.updateIncident(id, { tags: { remove: ['ransomware'] } });
      assert.deepEqual(after.tags, ['vip', 'riposte']);
      await deps.defender.updateIncident(id, { tags: { replace: ['only'] } });
      assert.deepEqual(sb.control.incident(id)?.customTags, ['only']);
      const before = sb.control.counters().api.incidentsUpdate;
      await deps.defender.updateIncident(id, { tags: { add: ['ONLY'] } });
      assert.equal(sb.control.counters().api.incidentsUpdate, before, 'no PATCH when nothing changes');
    });

    it('adds a comment through the backend’s own endpoint', async () => {
      const deps = sandboxDeps(sb, api);
      const id = latestId();
      const updated = await deps.defender.updateIncident(id, { status: 'inProgress', comment: 'isolated by riposte' });
      assert.equal(updated.status, 'inProgress');
      assert.ok(updated.comments.some((c) => c.comment === 'isolated by riposte'));
      await deps.defender.addComment(id, 'second note');
      const comments = sb.control.incident(id)?.comments.map((c) => c.comment) ?? [];
      assert.deepEqual(comments.slice(-2), ['isolated by riposte', 'second note']);
      const c = sb.control.counters().api;
      if (api === 'graph') assert.equal(c.comments, 2, 'Graph: POST …/comments');
      else assert.equal(c.comments, 0, 'legacy: the PATCH comment field');
    });

    it(api === 'graph' ? 'updates Graph-only fields' : 'refuses Graph-only fields before any request', async () => {
      const deps = sandboxDeps(sb, api);
      const id = latestId();
      if (api === 'graph') {
        const u = await deps.defender.updateIncident(id, {
          severity: 'low',
          description: 'checked',
          displayName: 'renamed',
        });
        assert.equal(u.severity, 'low');
        assert.equal(sb.control.incident(id)?.displayName, 'renamed');
      } else {
        const e = await failure(deps.defender.updateIncident(id, { severity: 'low' }));
        assert.ok(e instanceof InputError);
        assert.equal(e.field, 'severity');
        assert.equal(sb.control.counters().api.incidentsUpdate, 0);
      }
    });

    it('validates updates before any request', async () => {
      const deps = sandboxDeps(sb, api);
      const id = latestId();
      const cases: Array<[unknown, string]> = [
        [{ determination: 'malware' }, 'determination'],
        [{ classification: 'falsePositive', determination: 'malware' }, 'determination'],
        [{ tags: { replace: ['a'], add: ['b'] } }, 'tags.replace'],
        [{}, 'update'],
      ];
      for (const [update, field] of cases) {
        const e = await failure(deps.defender.updateIncident(id, update as never));
        assert.ok(e instanceof InputError);
        assert.equal(e.field, field);
      }
      const c = sb.control.counters();
      assert.equal(c.api.incidentsUpdate + c.api.incidentsGet + c.tokenRequests, 0);
    });

    it('retries 5xx then succeeds, and gives up after maxRetries', async () => {
      const deps = sandboxDeps(sb, api);
      const id = latestId();
      sb.control.injectFaults({ target: 'incidents', status: 503, count: 2 });
      await deps.defender.getIncident(id);
      assert.equal(sb.control.counters().api.incidentsGet, 3);
      assert.equal(deps.sleeps.length, 2);
      sb.control.resetCounters();
      sb.control.injectFaults({ target: 'incidents', status: 500, count: 10 });
      const e = await failure(deps.defender.getIncident(id));
      assert.ok(e instanceof DefenderApiError);
      assert.equal(e.status, 500);
      assert.equal(e.code, 'DEFENDER_UNAVAILABLE');
      // Outside an HTTP invocation's budget, the background one applies.
      assert.equal(sb.control.counters().api.incidentsGet, 7, '1 + BACKGROUND_MAX_RETRIES (6)');
    });

    it('honours 429 Retry-After, the body hint, and backs off without either', async () => {
      const deps = sandboxDeps(sb, api);
      sb.control.injectFaults({ target: 'hunting', status: 429, count: 1, retryAfterSeconds: 2 });
      await deps.defender.runHuntingQuery('DeviceInfo | take 1');
      sb.control.injectFaults({
        target: 'hunting',
        status: 429,
        count: 1,
        retryAfterSeconds: 1.5,
        retryAfterInBodyOnly: true,
      });
      await deps.defender.runHuntingQuery('DeviceInfo | take 1');
      sb.control.injectFaults({ target: 'hunting', status: 429, count: 1 });
      await deps.defender.runHuntingQuery('DeviceInfo | take 1');
      assert.equal(deps.sleeps[0], 2000);
      assert.equal(deps.sleeps[1], 1500);
      assert.equal(deps.sleeps.length, 3);
      if (api === 'graph') {
        assert.ok((deps.sleeps[2] ?? -1) >= 250 && (deps.sleeps[2] ?? Infinity) <= 500, 'jittered first backoff');
      } else {
        // The legacy body still names its quota window ("maximum allowed 45 per 00:01:00"): wait that out.
        assert.equal(deps.sleeps[2], 60_000);
      }
      assert.equal(sb.control.counters().api.hunting, 6);
    });

    it('gives up at once with DEFENDER_THROTTLED when Retry-After exceeds the cap', async () => {
      const deps = sandboxDeps(sb, api, { MAX_RETRY_AFTER_SECONDS: '5' });
      sb.control.injectFaults({ target: 'incidents', status: 429, count: 1, retryAfterSeconds: 30 });
      const e = await failure(deps.defender.getIncident(latestId()));
      assert.ok(e instanceof DefenderApiError);
      assert.equal(e.code, 'DEFENDER_THROTTLED');
      assert.equal(e.retryAfterMs, 30_000);
      assert.deepEqual(deps.sleeps, []);
    });

    it('retries a reset connection and a timed-out request', async () => {
      const deps = sandboxDeps(sb, api, { REQUEST_TIMEOUT_SECONDS: '1' });
      sb.control.injectFaults({ target: 'incidents', outage: true, count: 1 });
      sb.control.injectFaults({ target: 'incidents', delayMs: 1500, count: 1 });
      await deps.defender.getIncident(latestId());
      assert.equal(sb.control.counters().api.incidentsGet, 3);
    });

    it('does not repeat a comment after a 5xx', async () => {
      const deps = sandboxDeps(sb, api);
      const id = latestId();
      await deps.defender.getIncident(id);
      const before = sb.control.incident(id)?.comments.length ?? 0;
      sb.control.injectFaults({ target: 'incidents', status: 502, count: 1 });
      const e = await failure(deps.defender.addComment(id, 'once only'));
      assert.ok(e instanceof DefenderApiError);
      assert.equal(e.status, 502);
      assert.equal(sb.control.incident(id)?.comments.length, before);
      assert.deepEqual(deps.sleeps, []);
    });
  });
}

describe('paging and quotas', () => {
  it('legacy follows @odata.nextLink when the API sends one', async () => {
    sb.control.setLegacyNextLink(true);
    for (let i = 0; i < 120; i++) sb.control.addIncident({});
    const deps = sandboxDeps(sb, 'legacy');
    const listed = await collect(deps.defender.listIncidents());
    assert.equal(listed.length, sb.control.incidents().length);
    const paths = sb.control
      .requests()
      .filter((r) => r.family === 'incidentsList')
      .map((r) => r.path);
    assert.ok(paths.length >= 2);
    assert.ok(
      paths.slice(1).every((p) => /(\$|%24)skip=\d+/.test(p)),
      paths.join('\n'),
    );
  });

  it('a burst queues on the client instead of drawing 429s (incidents 50 per window)', async () => {
    const deps = sandboxDeps(sb, 'graph');
    const id = latestId();
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 56 }, (_, i) => deps.defender.updateIncident(id, { assignedTo: `analyst${i}@contoso.com` })),
    );
    const elapsed = Date.now() - started;
    const c = sb.control.counters();
    assert.equal(c.throttled, 0, 'the sandbox never had to throttle');
    assert.equal(c.api.incidentsUpdate, 56);
    // 50 fit the first 3 s window; the rest waited for it to slide.
    assert.ok(elapsed >= 60_000 * SCALE, `elapsed ${elapsed} ms`);
  });
});
