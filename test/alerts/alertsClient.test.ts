// The Graph alerts_v2 client against the sandbox over TLS with the real composition root: list (filters, paging
// by @odata.nextLink, limit), get with typed evidence, PATCH, comments, typed errors and the alerts quota family.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import type { StoredAlert } from '../../sandbox/incidents/model';
import type { AlertsClient } from '../../shared/defender/alertTypes';
import { DefenderApiError } from '../../shared/errors';
import { createRateLimiter } from '../../shared/http/rateLimiter';
import { httpStatusFor } from '../../shared/httpStatus';
import { collect, failure, sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;

before(async () => {
  // A 30 s "minute": the 429 test's 151 calls fit in one however busy the machine is.
  sb = await startSandbox({ rateLimitScale: 0.5 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const alertsOf = (deps: ReturnType<typeof sandboxDeps>): AlertsClient => {
  const client = deps.defender.alerts;
  assert.ok(client, 'the Graph backend has an alerts client');
  return client;
};

/** Every stored alert with its incident, newest first, as the list page orders them. */
function storedAlerts(): { alert: StoredAlert; incidentId: string }[] {
  return sb.control
    .incidents()
    .flatMap((i) => i.alerts.map((alert) => ({ alert, incidentId: String(i.id) })))
    .sort(
      (a, b) =>
        Date.parse(b.alert.createdDateTime) - Date.parse(a.alert.createdDateTime) || (a.alert.id < b.alert.id ? 1 : -1),
    );
}

describe('Graph alerts_v2 client', () => {
  it('lists every alert of the seeded incidents, with the ids their $expand=alerts carries', async () => {
    const deps = sandboxDeps(sb, 'graph');
    const listed = await collect(alertsOf(deps).listAlerts({}));
    const stored = storedAlerts();
    assert.ok(stored.length >= 5);
    assert.deepEqual(
      listed.map((a) => [a.id, a.incidentId]),
      stored.map((s) => [s.alert.id, s.incidentId]),
    );
    const expanded = await deps.defender.getIncident(stored[0]?.incidentId ?? '');
    assert.ok(expanded.alerts?.some((a) => a.id === stored[0]?.alert.id));
  });

  it('an incident carries its alerts and merged evidence on both APIs, with the same devices, users and files', async () => {
    const incident = sb.control.incidents().find((i) => i.alerts.length > 1);
    assert.ok(incident);
    const id = String(incident.id);
    const graph = await sandboxDeps(sb, 'graph').defender.getIncident(id);
    const legacy = await sandboxDeps(sb, 'legacy').defender.getIncident(id);
    assert.deepEqual(
      graph.alerts?.map((a) => a.id),
      incident.alerts.map((a) => a.id),
    );
    assert.deepEqual(
      legacy.alerts?.map((a) => a.id),
      incident.alerts.map((a) => a.id),
    );
    const key = (i: typeof graph) => ({
      devices: i.evidence?.devices.map((d) => d.mdeDeviceId).sort(),
      users: i.evidence?.users.map((u) => u.objectId ?? u.userPrincipalName).sort(),
      files: i.evidence?.files.map((f) => f.sha256 ?? f.sha1 ?? f.fileName).sort(),
    });
    // IPs differ by design: Graph's analysed-message evidence names the sender IP, the legacy MailMessage entity not.
    assert.ok((graph.evidence?.devices.length ?? 0) > 0);
    assert.deepEqual(key(legacy), key(graph));
  });

  it('follows @odata.nextLink across pages and stops at the limit', async () => {
    const template = storedAlerts()[0]?.alert;
    assert.ok(template);
    const alerts = Array.from({ length: 230 }, (_, n) => ({
      ...structuredClone(template),
      id: `da6379990000000000_${String(n).padStart(4, '0')}`,
    }));
    sb.control.addIncident({ alerts });
    const deps = sandboxDeps(sb, 'graph');
    const listed = await collect(alertsOf(deps).listAlerts({}));
    assert.equal(listed.length, storedAlerts().length);
    assert.equal(new Set(listed.map((a) => a.id)).size, listed.length);
    assert.equal(sb.control.counters().api.alertsList, 3, 'pages of 100: three requests for 230+ alerts');
    const log = sb.control.requests().filter((r) => r.family === 'alertsList');
    assert.ok(
      decodeURIComponent(log[1]?.path ?? '').includes('$skip=100'),
      `the second page is the nextLink the sandbox sent: ${log[1]?.path}`,
    );
    const limited = await collect(alertsOf(deps).listAlerts({ limit: 7 }));
    assert.equal(limited.length, 7);
  });

  it('filters by status, severity, service source, assignee, creation range and incident', async () => {
    const stored = storedAlerts();
    const deps = sandboxDeps(sb, 'graph');
    const client = alertsOf(deps);
    const ids = async (f: Parameters<AlertsClient['listAlerts']>[0]): Promise<string[]> =>
      (await collect(client.listAlerts(f))).map((a) => a.id);
    const want = (pred: (a: StoredAlert, incidentId: string) => boolean): string[] =>
      stored.filter((s) => pred(s.alert, s.incidentId)).map((s) => s.alert.id);

    assert.deepEqual(
      await ids({ status: ['new', 'inProgress'] }),
      want((a) => a.status !== 'resolved'),
    );
    assert.deepEqual(
      await ids({ severity: ['high'] }),
      want((a) => a.severity === 'high'),
    );
    assert.deepEqual(
      await ids({ serviceSource: ['microsoftDefenderForOffice365'] }),
      want((a) => a.serviceSource === 'microsoftDefenderForOffice365'),
    );
    const middle = stored[Math.floor(stored.length / 2)]?.alert.createdDateTime ?? '';
    assert.deepEqual(
      await ids({ createdAfter: middle }),
      want((a) => Date.parse(a.createdDateTime) >= Date.parse(middle)),
    );
    assert.deepEqual(
      await ids({ createdBefore: middle }),
      want((a) => Date.parse(a.createdDateTime) < Date.parse(middle)),
    );
    const incidentId = stored[0]?.incidentId ?? '';
    assert.deepEqual((await ids({ incidentId })).sort(), want((_a, i) => i === incidentId).sort());
    // A quote in a value cannot end the OData literal.
    assert.deepEqual(await ids({ assignedTo: "o'brien@contoso.com' or status eq 'new" }), []);
    const filters = sb.control
      .requests()
      .filter((r) => r.family === 'alertsList')
      .map((r) => decodeURIComponent(r.path).replace(/\+/g, ' '));
    assert.ok(
      filters.some((p) => p.includes("$filter=(status eq 'new' or status eq 'inProgress')")),
      filters.join('\n'),
    );
    assert.ok(filters.some((p) => p.includes("assignedTo eq 'o''brien@contoso.com'' or status eq ''new'")));
  });

  it('gets an alert with its evidence typed: devices, users, files, IPs, URLs, mailboxes', async () => {
    const deps = sandboxDeps(sb, 'graph');
    const client = alertsOf(deps);
    const all = await collect(client.listAlerts({}));
    const kinds = { devices: 0, users: 0, files: 0, ips: 0, urls: 0, mailboxes: 0 };
    for (const listed of all) {
      const a = await client.getAlert(listed.id);
      assert.equal(a.id, listed.id);
      for (const k of Object.keys(kinds) as (keyof typeof kinds)[]) kinds[k] += a.evidence[k].length;
      const stored = storedAlerts().find((s) => s.alert.id === a.id)?.alert;
      for (const e of stored?.evidence ?? []) {
        if (e.kind === 'device')
          assert.ok(
            a.evidence.devices.some(
              (d) => d.mdeDeviceId === e.mdeDeviceId && d.deviceDnsName === e.deviceDnsName.toLowerCase(),
            ),
          );
        if (e.kind === 'user')
          assert.ok(
            a.evidence.users.some((u) => u.userPrincipalName === e.userPrincipalName && u.objectId === e.azureAdUserId),
          );
        if (e.kind === 'file' && e.sha256)
          assert.ok(a.evidence.files.some((f) => f.sha256 === e.sha256?.toLowerCase()));
        if (e.kind === 'ip') assert.ok(a.evidence.ips.some((i) => i.ipAddress === e.ipAddress));
        if (e.kind === 'url') assert.ok(a.evidence.urls.some((u) => u.url === e.url));
        if (e.kind === 'mailbox')
          assert.ok(a.evidence.mailboxes.some((m) => m.primaryAddress === e.primaryAddress.toLowerCase()));
      }
    }
    for (const [k, n] of Object.entries(kinds)) assert.ok(n > 0, `some seeded alert has ${k} evidence`);
  });

  it('updates status, assignment, classification and determination; the sandbox alert changes', async () => {
    const deps = sandboxDeps(sb, 'graph');
    const client = alertsOf(deps);
    const target = storedAlerts().find((s) => s.alert.status === 'new')?.alert;
    assert.ok(target);
    const updated = await client.updateAlert(target.id, {
      status: 'inProgress',
      assignedTo: 'tier2@contoso.com',
      classification: 'truePositive',
      determination: 'compromisedUser',
    });
    assert.deepEqual(
      [updated.status, updated.assignedTo, updated.classification, updated.determination],
      ['inProgress', 'tier2@contoso.com', 'truePositive', 'compromisedUser'],
    );
    const now = storedAlerts().find((s) => s.alert.id === target.id)?.alert;
    assert.deepEqual(
      [now?.status, now?.assignedTo, now?.classification],
      ['inProgress', 'tier2@contoso.com', 'truePositive'],
    );
    const patch = sb.control.requests().find((r) => r.family === 'alertsUpdate');
    assert.equal(patch?.method, 'PATCH');
    // Unassigning sends null.
    assert.equal((await client.updateAlert(target.id, { assignedTo: '' })).assignedTo, null);
  });

  it('refuses a bad enum with Graph’s 400 envelope: a typed error that maps to 422, nothing changed', async () => {
    const deps = sandboxDeps(sb, 'graph');
    const client = alertsOf(deps);
    const target = storedAlerts()[0]?.alert;
    assert.ok(target);
    const e = await failure(client.updateAlert(target.id, { status: 'closed' as never }));
    assert.ok(e instanceof DefenderApiError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.apiCode, 'BadRequest');
    assert.match(e.message, /Invalid value 'closed' for property 'status'/);
    assert.equal(httpStatusFor({ code: e.code, upstreamStatus: e.status }).status, 422);
    assert.equal(storedAlerts()[0]?.alert.status, target.status);
    const missing = await failure(client.getAlert('da000000000000000000_1'));
    assert.ok(missing instanceof DefenderApiError);
    assert.equal(missing.status, 404);
    assert.equal(httpStatusFor({ code: missing.code, upstreamStatus: missing.status }).status, 404);
  });

  it('adds a comment and answers every comment of the alert', async () => {
    const deps = sandboxDeps(sb, 'graph');
    const client = alertsOf(deps);
    const target = storedAlerts()[0]?.alert;
    assert.ok(target);
    await client.addAlertComment(target.id, 'first');
    const all = await client.addAlertComment(target.id, 'second');
    assert.deepEqual(
      all.map((c) => c.comment),
      ['first', 'second'],
    );
    assert.ok(all.every((c) => c.createdBy?.startsWith('API-App:') && c.createdDateTime));
    assert.deepEqual(
      (await client.getAlert(target.id)).comments.map((c) => c.comment),
      ['first', 'second'],
    );
  });

  it('answers 429 with Retry-After past 150 calls a (scaled) minute; the client counts alerts apart', async () => {
    const unlimited = createRateLimiter({ name: 'alerts', windows: [{ limit: 100_000, windowMs: 60_000 }] });
    const deps = sandboxDeps(sb, 'graph', { BACKGROUND_MAX_RETRIES: '0' }, { limiters: { alerts: unlimited } });
    const client = alertsOf(deps);
    const id = storedAlerts()[0]?.alert.id ?? '';
    let throttled: unknown;
    for (let i = 0; i < 160 && throttled === undefined; i++) {
      throttled = await client.getAlert(id).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    assert.ok(throttled instanceof DefenderApiError, String(throttled));
    assert.equal(throttled.status, 429);
    assert.equal(sb.control.counters().api.alertsGet, 151, 'the 151st call of the minute');
    assert.ok((throttled.retryAfterMs ?? 0) >= 1000, 'Retry-After in whole seconds');
    assert.equal(httpStatusFor({ code: throttled.code, upstreamStatus: 429 }).status, 503);
    assert.equal(sb.control.counters().api.incidentsGet, 0);
  });
});
