// Every shipped workflow and every shipped query, on both Defender APIs (DEFENDER_API=graph and legacy), against the
// sandbox and Azurite. Workflows run dry and for real through the engine, and, when they have an HTTP trigger, over
// HTTP through the app in a separate host process per API; each run must succeed with no failed step, a dry run must
// leave the sandbox untouched, and a real run's changes must be in the sandbox's incidents afterwards. Queries run
// through the hunting path (runNamedQuery, and POST /api/hunting over HTTP) and must find the seeded rows on both
// APIs, with the same answer for the same window. Cases are keyed by the folders' contents: a new workflow or query
// without a case here fails.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Sandbox, StoredIncident } from '../../sandbox/index';
import { devices } from '../../sandbox/seed/entities';
import type { DefenderClient } from '../../shared/defender/types';
import { runWorkflow, type RunReport } from '../../shared/engine';
import { runNamedQuery } from '../../shared/hunting';
import { loadQueryLibrary, type QueryLibrary } from '../../shared/queries';
import { createTableStateStore } from '../../shared/state/tableState';
import type { StepChange } from '../../shared/steps/types';
import { loadWorkflows } from '../../shared/workflows/loadWorkflow';
import type { Workflow } from '../../shared/workflows/types';
import { sandboxDeps } from '../integration/sandboxDeps';
import { seededQueryCases } from '../queries/seededQueryCases';
import {
  appSettings,
  newWebhookSecrets,
  ROOT,
  startBackends,
  startHostProcess,
  type Backends,
  type HostProcess,
} from '../reliability/harness';

const APIS = ['graph', 'legacy'] as const;
type Api = (typeof APIS)[number];
const DAY = 86_400_000;
const [finWs] = devices;

interface WorkflowCase {
  /** The run's input (none for scheduled runs). */
  input?: Record<string, unknown>;
  /** Ids of the incidents the run must change, read from the freshly reset sandbox. */
  expected: (sb: Sandbox) => string[];
}

const isOpen = (i: StoredIncident): boolean => i.status === 'active' || i.status === 'inProgress';
const alertDevices = (i: StoredIncident): string[] =>
  i.alerts.flatMap((a) => a.evidence.flatMap((e) => (e.kind === 'device' ? [e.deviceDnsName.toLowerCase()] : [])));
const openIds = (sb: Sandbox, when: (i: StoredIncident) => boolean): string[] =>
  sb.control
    .incidents()
    .filter((i) => isOpen(i) && when(i))
    .map((i) => String(i.id));

const WORKFLOW_CASES: Record<string, WorkflowCase> = {
  // Scheduled workflows run as shipped (default window, default input) on the seed data, which gives each something
  // to do on its first run (test/e2e/firstStart.test.ts).
  'suspicious-powershell': {
    // The seed's beacon ran again on ws-fin-042 half an hour ago, inside the first window: every open incident with
    // an alert on that device.
    expected: (sb) => openIds(sb, (i) => alertDevices(i).includes(finWs.deviceName)),
  },
  'stale-incident-triage': {
    expected: (sb) =>
      openIds(sb, (i) => Date.parse(i.lastUpdateDateTime) < Date.now() - 7 * DAY && !i.customTags.includes('stale')),
  },
  // An incident's file evidence, blocked by SHA-256 (an indicator each), then a comment on the incident.
  'block-hash-from-incident': {
    input: { incidentId: '3309' },
    expected: () => ['3309'],
  },
  'ticket-closed-resolve': {
    input: { incidentId: '3311', ticketId: 'INC0012345', closeCode: 'True positive - malware' },
    expected: () => ['3311'],
  },
  'ticket-sync': {
    input: {
      incidentId: '3312',
      ticketId: 'SEC-7',
      status: 'inProgress',
      assignedTo: 'secops1@contoso.com',
      comment: 'SEC-7: picked up by secops1',
    },
    expected: () => ['3312'],
  },
};

/**
 * Shipped workflows whose destructive steps wait for a person's approval: an engine run here has no approval gate (it
 * would refuse them), so each is driven through the host with an approval decided on its link, in its own file.
 */
const APPROVAL_WORKFLOWS: Record<string, string> = {
  'isolate-device-on-high-severity': 'test/e2e/shippedIsolateDevice.test.ts',
};

let b: Backends;
let queries: QueryLibrary;
let workflows: Map<string, Workflow>;
const defenders = {} as Record<Api, DefenderClient>;
const hosts = {} as Record<Api, HostProcess>;
let tables = 0;

before(async () => {
  b = await startBackends();
  queries = await loadQueryLibrary(join(ROOT, 'queries'));
  workflows = await loadWorkflows(join(ROOT, 'workflows'), queries);
  const secrets = newWebhookSecrets();
  for (const api of APIS) {
    defenders[api] = sandboxDeps(b.sandbox, api, { RATE_LIMIT_WINDOW_SCALE: '0.001' }).defender;
    hosts[api] = await startHostProcess({ settings: { ...appSettings(b, secrets), ...b.sandbox.settings(api) } });
  }
});

after(async () => {
  await Promise.allSettled(APIS.map((api) => hosts[api]?.stop()));
  await Promise.allSettled([b?.sandbox.close(), b?.azurite.stop()]);
});

const snapshot = (): string => JSON.stringify(b.sandbox.control.incidents());
const allChanges = (r: RunReport): StepChange[] => r.steps.flatMap((s) => s.changes);
const changedIds = (r: RunReport): string[] => [...new Set(allChanges(r).map((c) => c.incidentId))].sort();

function assertRan(r: RunReport, what: string): void {
  assert.equal(r.status, 'succeeded', `${what}: ${JSON.stringify(r.error ?? r.stopReason)}`);
  const failed = r.steps.filter((s) => s.status === 'failed');
  assert.deepEqual(failed, [], `${what}: no step failed`);
}

/** A real run's change is in the sandbox: every patched field, every tag, and the comment as written. */
function assertVisible(c: StepChange, api: Api): void {
  if (c.target?.kind === 'indicator') {
    // An indicator write: the indicator the POST sent is in the tenant, with its value, type and action.
    const body = c.request?.body as { indicatorValue?: string; indicatorType?: string; action?: string } | undefined;
    assert.ok(body, `indicator ${c.target.id} on ${api}: the request is reported`);
    const found = b.sandbox.control
      .indicators()
      .find((i) => i.indicatorValue === body.indicatorValue && i.indicatorType === body.indicatorType);
    assert.equal(found?.action, body.action, `indicator ${c.target.id} on ${api} is in the sandbox`);
    return;
  }
  const stored = b.sandbox.control.incident(c.incidentId);
  assert.ok(stored, `incident ${c.incidentId} exists`);
  const where = `incident ${c.incidentId} on ${api}`;
  for (const [field, value] of Object.entries(c.patch)) {
    if (field === 'tags') {
      for (const tag of value as string[]) assert.ok(stored.customTags.includes(tag), `${where}: tag ${tag}`);
    } else if (field === 'assignedTo') {
      assert.equal(stored.assignedTo ?? '', value ?? '', `${where}: assignedTo`);
    } else if (field !== 'comment') {
      assert.equal(stored[field as keyof StoredIncident], value, `${where}: ${field}`);
    }
  }
  if (c.comment !== undefined) {
    assert.ok(
      stored.comments.some((x) => x.comment === c.comment),
      `${where}: comment written`,
    );
  }
}

/** Dry then real, each from a fresh sandbox; `run` performs one run and returns its report. */
async function dryThenReal(name: string, api: Api, run: (dryRun: boolean) => Promise<RunReport>): Promise<void> {
  const c = WORKFLOW_CASES[name];
  assert.ok(c, `a case for ${name}`);
  for (const dryRun of [true, false]) {
    b.sandbox.control.reset();
    const expected = c.expected(b.sandbox).sort();
    assert.ok(expected.length > 0, `${name}: the case expects at least one change`);
    const before = snapshot();
    const what = `${name} on ${api} (${dryRun ? 'dry' : 'real'})`;
    const report = await run(dryRun);
    assertRan(report, what);
    assert.deepEqual(changedIds(report), expected, `${what}: the incidents changed`);
    const outcomes = new Set(allChanges(report).map((x) => x.outcome));
    assert.deepEqual([...outcomes], [dryRun ? 'wouldApply' : 'applied'], what);
    if (dryRun) assert.equal(snapshot(), before, `${what}: nothing changed in Defender`);
    else for (const change of allChanges(report)) assertVisible(change, api);
  }
}

describe('every shipped workflow, dry and real, on both APIs', () => {
  it('has a case for every file in workflows/', () => {
    const files = readdirSync(join(ROOT, 'workflows'))
      .filter((f) => /\.ya?ml$/i.test(f))
      .map((f) => f.replace(/\.ya?ml$/i, ''))
      .sort();
    assert.deepEqual([...workflows.keys()].sort(), files, 'each file loads as the workflow it is named after');
    assert.deepEqual([...Object.keys(WORKFLOW_CASES), ...Object.keys(APPROVAL_WORKFLOWS)].sort(), files);
  });

  for (const name of Object.keys(WORKFLOW_CASES)) {
    for (const api of APIS) {
      it(`${name} through the engine on ${api}`, async () => {
        const wf = workflows.get(name);
        assert.ok(wf, `workflows/${name}.yaml`);
        const c = WORKFLOW_CASES[name]!;
        await dryThenReal(name, api, (dryRun) =>
          runWorkflow(
            wf,
            { trigger: wf.triggers.schedule ? 'timer' : 'http', dryRun, ...(c.input ? { input: c.input } : {}) },
            {
              defender: defenders[api],
              queries,
              // A fresh store per run: no watermark and no completed writes left by an earlier case.
              state: createTableStateStore(b.azurite.connectionString, {
                tablePrefix: `Mx${Date.now() % 1e7}n${++tables}`,
              }),
            },
          ),
        );
      });

      it(`${name} over HTTP on ${api}, when it has an HTTP trigger`, async (t) => {
        if (!workflows.get(name)?.triggers.http) return t.skip('no HTTP trigger');
        const c = WORKFLOW_CASES[name]!;
        await dryThenReal(name, api, async (dryRun) => {
          const r = await hosts[api].call('POST', `/api/workflows/${name}/run`, {
            body: { ...(c.input ? { input: c.input } : {}), dryRun },
            // Writes are keyed by it: a fresh key per run, as each run starts from a freshly reset sandbox.
            headers: { 'idempotency-key': randomUUID() },
          });
          assert.equal(r.status, 200, r.text);
          return r.json as RunReport;
        });
      });
    }
  }
});

describe('every shipped query on both APIs', () => {
  it('has a case for every file in queries/', () => {
    const files = readdirSync(join(ROOT, 'queries'))
      .filter((f) => f.endsWith('.kql'))
      .map((f) => f.slice(0, -'.kql'.length))
      .sort();
    assert.deepEqual(queries.names(), files);
    assert.deepEqual(Object.keys(seededQueryCases(new Date())).sort(), files);
  });

  for (const name of readdirSync(join(ROOT, 'queries'))
    .filter((f) => f.endsWith('.kql'))
    .map((f) => f.slice(0, -'.kql'.length))) {
    it(`${name} finds the seeded rows on both APIs, the same rows for the same window`, async () => {
      b.sandbox.control.reset();
      const now = new Date();
      const c = seededQueryCases(now)[name];
      assert.ok(c, `test/queries/seededQueryCases.ts has a case for ${name}`);
      // An explicit interval: both APIs then apply the very same instants.
      const timespan = `${new Date(now.getTime() - 29 * DAY).toISOString()}/${new Date(now.getTime() - 60_000).toISOString()}`;
      const answers: Record<string, unknown[]> = {};
      for (const api of APIS) {
        const plain = await runNamedQuery(defenders[api], queries, name, { params: c.params });
        c.expect(plain.rows);
        const windowed = await runNamedQuery(defenders[api], queries, name, { params: c.params, timespan });
        c.expect(windowed.rows);
        answers[api] = windowed.rows;
        const http = await hosts[api].call('POST', `/api/hunting/${name}`, { body: { params: c.params, timespan } });
        assert.equal(http.status, 200, `${name} over HTTP on ${api}: ${http.text}`);
        answers[`${api} over HTTP`] = (http.json as { rows: unknown[] }).rows;
      }
      const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
      for (const [key, rows] of Object.entries(answers)) {
        assert.deepEqual(sorted(rows), sorted(answers.graph!), `${name}: ${key} agrees with graph`);
      }
      // The legacy API got the window inside the query (through the client and over HTTP), Graph as Timespan.
      const received = b.sandbox.control.huntingQueries();
      const windowIn = /^let \w+ = \w+ \| where Timestamp >= datetime\([^)]+\) and Timestamp < datetime\([^)]+\);$/m;
      assert.equal(received.filter((q) => q.api === 'legacy' && windowIn.test(q.query)).length, 2, 'legacy: windowed');
      assert.equal(received.filter((q) => q.api === 'graph' && q.timespan === timespan).length, 2, 'graph: Timespan');
    });
  }
});
