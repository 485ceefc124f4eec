// Three customer tenants from one deployment, through the local Functions host (HTTP and the timer), the sandbox
// playing four Entra tenants (the home one and three added: each its own tenant id, app registration, secret and
// incidents) and Azurite: each tenant's incidents are changed only by its own run, with its own window, write
// records and quota; a marker unique to each tenant never shows up in another tenant's report, comment or log line;
// a tenant with a small allowance is paced by its own quota while the others go at theirs; a disabled tenant is
// refused. The incident ids are the same in every tenant on purpose: shared write records would skip them.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import Ajv from 'ajv';
import { readOpenApiDocument } from '../../cli/openapi';
import type { RunReport } from '../../shared/engine';
import { createTableQuotaStore } from '../../shared/quota/quotaStore';
import { isRiposteComment } from '../../shared/steps';
import { createTableStateStore } from '../../shared/state/tableState';
import type { StateStore } from '../../shared/state/types';
import { partitionedState } from '../../shared/tenants/partitionedState';
// The home tenant's id is fixed in the sandbox: TENANTS is known before the host starts.
import { SANDBOX_TENANT_ID } from '../../sandbox/seed/entities';
import { errorOf, REPO, startHarness, waitFor, type Harness } from '../e2e/harness';
import { maxInWindow } from '../scale/yardstick';

const WORKFLOW = 'stale-incident-triage';
const TIMER = `workflow-${WORKFLOW}`;
const SCALE = 0.05;
const WINDOW_MS = 60_000 * SCALE;
const INCIDENT_FAMILIES = new Set(['incidentsList', 'incidentsGet', 'incidentsUpdate', 'comments']);
const DAY = 86_400_000;

// The sandbox's home tenant is contoso (partition ''); the others are added with fixed ids so TENANTS can name them.
const ADDED = {
  fabrikam: { tenantId: '3c4d5e6f-0a1b-4c2d-8e3f-4a5b6c7d8e9f', clientId: '6a7b8c9d-1e2f-4a3b-9c4d-5e6f7a8b9c0d' },
  northwind: { tenantId: '4d5e6f7a-1b2c-4d3e-9f4a-5b6c7d8e9fa0', clientId: '7b8c9d0e-2f3a-4b4c-8d5e-6f7a8b9c0d1e' },
  woodgrove: { tenantId: '5e6f7a8b-2c3d-4e4f-8a5b-6c7d8e9fa0b1', clientId: '8c9d0e1f-3a4b-4c5d-9e6f-7a8b9c0d1e2f' },
} as const;
const KEYS = ['contoso', 'fabrikam', 'northwind'] as const;
type Key = (typeof KEYS)[number];
const MARKER: Record<Key, string> = {
  contoso: `mk-contoso-${randomBytes(4).toString('hex')}`,
  fabrikam: `mk-fabrikam-${randomBytes(4).toString('hex')}`,
  northwind: `mk-northwind-${randomBytes(4).toString('hex')}`,
};
const STALE_IDS = [9001, 9002, 9003];

let h: Harness;
let state: StateStore;
let contentDir: string;
const tenantIdOf = (key: Key): string => (key === 'contoso' ? h.sandbox.tenantId : ADDED[key].tenantId);
const control = (key: Key) => h.sandbox.control.tenant(tenantIdOf(key));
const stateOf = (key: Key): StateStore => partitionedState(state, key === 'contoso' ? '' : key);

before(async () => {
  // The shipped content, with the generic source routed to tenants by the envelope's `customer` (mapping `tenant:`).
  contentDir = mkdtempSync(join(tmpdir(), 'riposte-tenants-'));
  for (const dir of ['workflows', 'queries', 'mappings'])
    cpSync(join(REPO, dir), join(contentDir, dir), { recursive: true });
  appendFileSync(
    join(contentDir, 'mappings', 'generic.yaml'),
    'tenant:\n  field: customer\n  map:\n    CUST-CON: contoso\n    CUST-FAB: fabrikam\n    CUST-WOOD: woodgrove\n',
  );
  // Both APIs in one deployment: the legacy API by default (DEFENDER_API), fabrikam on Graph (its registry `api`).
  h = await startHarness({
    api: 'legacy',
    rateLimitScale: SCALE,
    settings: {
      CONTENT_DIR: contentDir,
      RATE_LIMIT_WINDOW_SCALE: String(SCALE),
      TENANTS: JSON.stringify([
        { key: 'contoso', tenantId: SANDBOX_TENANT_ID },
        ...(['fabrikam', 'northwind', 'woodgrove'] as const).map((key) => ({
          key,
          tenantId: ADDED[key].tenantId,
          clientId: ADDED[key].clientId,
          clientSecretName: `${key}-client-secret`,
          ...(key === 'fabrikam' ? { api: 'graph' } : {}),
          // Northwind's customer keeps most of its incident quota for its own tools: 3 calls a (scaled) minute here.
          ...(key === 'northwind' ? { quota: { incidentsPerMinute: 3 } } : {}),
          ...(key === 'woodgrove' ? { enabled: false } : {}),
        })),
      ]),
    },
  });
  for (const key of ['fabrikam', 'northwind', 'woodgrove'] as const)
    h.sandbox.control.addTenant({ ...ADDED[key], secretName: `${key}-client-secret` });
  state = createTableStateStore(h.azurite.connectionString);
  for (const key of KEYS)
    for (const id of STALE_IDS) {
      const at = new Date(Date.now() - 20 * DAY).toISOString();
      control(key).addIncident({
        id,
        displayName: `Forgotten ${MARKER[key]} incident ${id}`,
        status: 'active',
        createdDateTime: at,
        lastUpdateDateTime: at,
      });
    }
});

after(async () => {
  await h?.close();
  rmSync(contentDir, { recursive: true, force: true });
});

/** Every comment on every incident of a tenant, as the sandbox stores them. */
const commentsOf = (key: Key): string[] =>
  control(key)
    .incidents()
    .flatMap((i) => i.comments.map((c) => c.comment));
const otherMarkers = (key: Key): string[] => KEYS.filter((k) => k !== key).map((k) => MARKER[k]);

interface RunLine {
  phase: string;
  runId: string;
  status?: string;
  tenant?: string;
}
function timerRuns(): RunLine[] {
  const re = new RegExp(`\\] ${TIMER}(?: \\[\\w+\\])?: \\[engine\\] run (started|finished) (\\{.*\\})$`);
  return h.logs.flatMap((line) => {
    const m = re.exec(line);
    return m ? [{ phase: m[1] ?? '', ...(JSON.parse(m[2] ?? '{}') as Omit<RunLine, 'phase'>) }] : [];
  });
}

describe('three tenants from one deployment', () => {
  it("a timer tick runs each enabled tenant's own window; each tenant's incidents are changed by its own run only", async () => {
    const before = h.sandbox.control.requests().length;
    await h.host.invokeTimer(TIMER);
    const finished = timerRuns().filter((r) => r.phase === 'finished');
    assert.deepEqual(finished.map((r) => r.tenant).sort(), ['contoso', 'fabrikam', 'northwind']);
    assert.ok(
      finished.every((r) => r.status === 'succeeded'),
      JSON.stringify(finished),
    );
    for (const key of KEYS) {
      for (const id of STALE_IDS) {
        const i = control(key).incident(id);
        assert.ok(i, `${key} incident ${id}`);
        assert.ok(i.customTags.includes('stale'), `${key} incident ${id} triaged`);
        assert.equal(i.assignedTo, 'triage@contoso.com');
        assert.equal(i.comments.filter((c) => isRiposteComment(c.comment)).length, 1, `${key} ${id}: one comment`);
      }
      // Each tenant's window is its own (a state partition per tenant), completed by its own run.
      const mark = await stateOf(key).getWatermark(WORKFLOW);
      assert.ok(mark.watermark, `${key} has its own watermark`);
      assert.equal(mark.pending, undefined);
    }
    // The disabled tenant was skipped: no window, no call, no token.
    const woodgrove = h.sandbox.control.tenant(ADDED.woodgrove.tenantId);
    assert.equal((await partitionedState(state, 'woodgrove').getWatermark(WORKFLOW)).watermark, undefined);
    assert.equal(woodgrove.counters().tokenRequests, 0);

    // Each tenant's calls went to its own tenant: the sandbox counted them there.
    const calls = h.sandbox.control.requests().slice(before);
    for (const key of KEYS) {
      const mine = calls.filter((r) => r.tenant === tenantIdOf(key) && INCIDENT_FAMILIES.has(r.family));
      assert.ok(
        mine.some((r) => r.family === 'incidentsUpdate'),
        `${key} updated its incidents`,
      );
      const api = key === 'fabrikam' ? 'graph' : 'legacy';
      assert.ok(
        mine.every((r) => r.api === api),
        `${key} used its own API (${api})`,
      );
      assert.equal(control(key).counters().throttled, 0, `${key}: the API never had to throttle`);
    }
  });

  it('a tenant with a small allowance is paced by its own quota while the others go at theirs', async () => {
    const calls = h.sandbox.control.requests().filter((r) => INCIDENT_FAMILIES.has(r.family));
    const busiest = (key: Key): number =>
      maxInWindow(
        calls.filter((r) => r.tenant === tenantIdOf(key)).map((r) => r.at),
        WINDOW_MS,
      );
    const northwindCalls = calls.filter((r) => r.tenant === tenantIdOf('northwind')).length;
    assert.ok(northwindCalls > 3, `northwind made ${northwindCalls} incident calls`);
    assert.ok(busiest('northwind') <= 3, `northwind: ${busiest('northwind')} calls in one window (allowance 3)`);
    assert.ok(busiest('fabrikam') > 3, `fabrikam went at its own allowance (${busiest('fabrikam')} in one window)`);
    assert.ok(busiest('contoso') > 3, `contoso went at its own allowance (${busiest('contoso')} in one window)`);

    // The shared quota's rows are per tenant id, each with its own allowance's record; none for the disabled one.
    const quota = createTableQuotaStore(
      TableClient.fromConnectionString(h.azurite.connectionString, 'RiposteQuota', {
        allowInsecureConnection: true,
      }),
    );
    for (const key of KEYS) {
      const row = await quota.read({ tenantId: tenantIdOf(key), family: 'incidents' });
      assert.ok(row, `a quota row for ${key}`);
      const permits = row.state.windows.find((w) => w.windowMs === WINDOW_MS)?.buckets.reduce((n, b) => n + b[1], 0);
      assert.ok(permits !== undefined, `${key}'s row records its ${WINDOW_MS} ms window`);
    }
    assert.equal(await quota.read({ tenantId: ADDED.woodgrove.tenantId, family: 'incidents' }), undefined);

    // Deep health shows each tenant's quota: its own allowance, shared through storage.
    const health = await h.call('GET', '/api/health/deep');
    const tenantQuotas = health.json<{
      tenantQuotas?: Record<string, { families: { incidents?: { mode: string; allowance: { limit: number }[] } } }>;
    }>().tenantQuotas;
    assert.deepEqual(Object.keys(tenantQuotas ?? {}).sort(), ['contoso', 'fabrikam', 'northwind']);
    assert.equal(tenantQuotas?.northwind?.families.incidents?.allowance[0]?.limit, 3);
    assert.equal(tenantQuotas?.fabrikam?.families.incidents?.allowance[0]?.limit, 50);
    assert.equal(tenantQuotas?.northwind?.families.incidents?.mode, 'shared');
  });

  it('an HTTP run acts in the tenant it names; its report is that tenant’s alone', async () => {
    const reports: Partial<Record<Key, RunReport>> = {};
    for (const key of KEYS) {
      const at = new Date(Date.now() - 30 * DAY).toISOString();
      control(key).addIncident({
        id: 9100,
        displayName: `Late ${MARKER[key]}`,
        createdDateTime: at,
        lastUpdateDateTime: at,
      });
    }
    for (const key of KEYS) {
      const res = await h.call('POST', `/api/workflows/${WORKFLOW}/run`, {
        body: { tenant: key, input: { triageQueue: `${MARKER[key]}@${key}.example` } },
      });
      assert.equal(res.status, 200, res.text);
      const report = res.json<RunReport>();
      assert.equal(report.tenant, key);
      assert.equal(report.status, 'succeeded');
      reports[key] = report;
    }
    for (const key of KEYS) {
      const text = JSON.stringify(reports[key]);
      assert.ok(text.includes(MARKER[key]), `${key}'s report carries its own marker`);
      for (const other of otherMarkers(key)) assert.ok(!text.includes(other), `${key}'s report has no ${other}`);
      // Incident 9100 exists in every tenant: each one's was triaged by its own tenant's run.
      assert.equal(control(key).incident(9100)?.assignedTo, `${MARKER[key]}@${key}.example`);
      assert.ok(
        commentsOf(key).some((c) => c.includes(MARKER[key])),
        `${key}'s comment names its queue`,
      );
      for (const other of otherMarkers(key))
        assert.ok(!commentsOf(key).some((c) => c.includes(other)), `no ${other} in ${key}'s comments`);
    }
  });

  it('no log line about one tenant carries another tenant’s marker', () => {
    for (const key of KEYS) {
      const tagged = h.logs.filter((l) => l.includes(`"tenant":"${key}"`));
      assert.ok(tagged.length > 0, `${key}'s run lines name it`);
      for (const line of tagged)
        for (const other of otherMarkers(key)) assert.ok(!line.includes(other), `${other} in ${key}'s line: ${line}`);
    }
    for (const line of h.logs) {
      const found = KEYS.filter((k) => line.includes(MARKER[k]));
      assert.ok(found.length <= 1, `one line, several tenants' markers: ${line}`);
    }
  });

  it('refuses a run that names no tenant, an unknown one (400) or a disabled one (403), naming it', async () => {
    const none = await h.call('POST', `/api/workflows/${WORKFLOW}/run`, { body: {} });
    assert.equal(none.status, 400);
    assert.equal(errorOf(none).field, 'tenant');
    assert.match(errorOf(none).message, /tenant is required: .*contoso, fabrikam, northwind/);
    const unknown = await h.call('POST', `/api/workflows/${WORKFLOW}/run`, { body: { tenant: 'tailspin' } });
    assert.equal(unknown.status, 400);
    assert.match(errorOf(unknown).message, /unknown tenant 'tailspin'/);
    const disabled = await h.call('POST', `/api/workflows/${WORKFLOW}/run`, { body: { tenant: 'woodgrove' } });
    assert.equal(disabled.status, 403);
    assert.equal(errorOf(disabled).code, 'TENANT_DISABLED');
    assert.match(errorOf(disabled).message, /tenant 'woodgrove' is disabled/);
    assert.equal(h.sandbox.control.tenant(ADDED.woodgrove.tenantId).counters().tokenRequests, 0);
  });

  it("routes a webhook to the tenant its mapping names: only that tenant's incident changes", async () => {
    for (const key of ['contoso', 'fabrikam'] as const) control(key).addIncident({ id: 9200, displayName: 'Ticketed' });
    /** A Standard Webhooks envelope (standardwebhooks.com spec v1.0.0: type, timestamp, data) with our metadata. */
    const envelope = (customer: string, comment: string) => ({
      type: 'ticket.updated',
      timestamp: new Date().toISOString(),
      customer,
      data: { id: `evt-${randomUUID()}`, incidentId: 9200, status: 'In Progress', comment, ticketId: 'CHG-9' },
    });
    const r = await h.webhook('generic', envelope('CUST-FAB', `Picked up ${MARKER.fabrikam}`));
    assert.equal(r.status, 202, r.text);
    await waitFor('the comment on fabrikam incident 9200', () =>
      control('fabrikam')
        .incident(9200)
        ?.comments.some((c) => c.comment.includes(MARKER.fabrikam)),
    );
    await h.host.drainQueues(20_000);
    assert.equal(control('fabrikam').incident(9200)?.status, 'inProgress');
    const contoso = control('contoso').incident(9200);
    assert.equal(contoso?.status, 'active', "contoso's incident 9200 is untouched");
    assert.equal(contoso?.comments.length, 0);

    const unknown = await h.webhook('generic', envelope('CUST-NOPE', 'x'));
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(errorOf(unknown).field, 'body.customer');
    assert.match(errorOf(unknown).message, /"CUST-NOPE" is mapped to no tenant/);
    const disabled = await h.webhook('generic', envelope('CUST-WOOD', 'x'));
    assert.equal(disabled.status, 403, disabled.text);
    assert.equal(errorOf(disabled).code, 'TENANT_DISABLED');
  });

  // Last in the file: it takes fabrikam's permissions away.
  it("deep health checks each customer tenant's own path; a broken one fails there, not the deployment", async () => {
    type Health = {
      status: string;
      tenants?: Record<string, { status: string; checks: { name: string; ok: boolean; error?: { code: string } }[] }>;
    };
    const doc = readOpenApiDocument(REPO);
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    ajv.addSchema(doc, 'riposte');
    const matchesSchema = (body: unknown): void => {
      const validate = ajv.getSchema('riposte#/components/schemas/DeepHealth');
      assert.ok(validate?.(body), ajv.errorsText(validate?.errors));
    };
    const before = await h.call('GET', '/api/health/deep');
    assert.equal(before.status, 200, before.text);
    matchesSchema(before.json());
    const tenants = before.json<Health>().tenants ?? {};
    // The home tenant (contoso) is the top-level checks; the disabled woodgrove is not checked.
    assert.deepEqual(Object.keys(tenants).sort(), ['fabrikam', 'northwind']);
    for (const [key, t] of Object.entries(tenants)) {
      assert.equal(t.status, 'ok', key);
      assert.deepEqual(
        t.checks.map((c) => [c.name, c.ok]),
        [
          ['token', true],
          ['api', true],
        ],
      );
    }
    // Fabrikam's administrator takes the app's permissions away: tokens already issued are revoked, new ones carry
    // no roles.
    control('fabrikam').setRoles([]);
    control('fabrikam').revokeTokens();
    const after = await h.call('GET', '/api/health/deep');
    assert.equal(after.status, 200, 'the deployment itself is healthy: one customer must not take it out');
    matchesSchema(after.json());
    const body = after.json<Health>();
    assert.equal(body.status, 'ok');
    assert.equal(body.tenants?.fabrikam?.status, 'failing');
    const failed = body.tenants?.fabrikam?.checks.at(-1);
    assert.equal(failed?.name, 'api');
    assert.equal(failed?.ok, false);
    assert.equal(body.tenants?.northwind?.status, 'ok');
  });
});
