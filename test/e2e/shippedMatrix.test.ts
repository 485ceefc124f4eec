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
import { devices, users } from '../../sandbox/seed/entities';
import type { ApprovalGate } from '../../shared/approval/types';
import type { DefenderClient } from '../../shared/defender/types';
import { runWorkflow, type EngineDeps, type RunReport } from '../../shared/engine';
import { runNamedQuery } from '../../shared/hunting';
import { loadQueryLibrary, type QueryLibrary } from '../../shared/queries';
import { createTableStateStore } from '../../shared/state/tableState';
import type { StepChange } from '../../shared/steps/types';
import { loadWorkflows } from '../../shared/workflows/loadWorkflow';
import type { Workflow } from '../../shared/workflows/types';
import { sandboxDeps } from '../integration/sandboxDeps';
import { registerSecrets } from '../setup/logCapture';
import { seededQueryCases } from '../queries/seededQueryCases';
import {
  appSettings,
  newWebhookSecrets,
  ROOT,
  startBackends,
  startHostProcess,
  type Backends,
  type HostProcess,
  type HttpAnswer,
} from '../reliability/harness';

const APIS = ['graph', 'legacy'] as const;
type Api = (typeof APIS)[number];
const DAY = 86_400_000;
const [finWs] = devices;
const [amy] = users;

/** Teams channel and approval webhooks and the Jira and ServiceNow credentials, in the sandbox's Key Vault. */
let teamsUrls: { notify: string; approval: string } | undefined;
function prepareNotify(sb: Sandbox): Prepared {
  const c = sb.control;
  // reset() drops the webhooks: new ones each time (the host re-reads secrets after a second).
  teamsUrls = { notify: c.createTeamsWebhook(), approval: c.createTeamsWebhook() };
  registerSecrets([teamsUrls.notify, teamsUrls.approval]);
  c.setSecret('teams-webhook-url', teamsUrls.notify);
  c.setSecret(APPROVAL_TEAMS, teamsUrls.approval);
  c.setSecret('jira-credentials', JSON.stringify(c.jiraCredentials()));
  const sn = c.serviceNowCredentials();
  c.setSecret('servicenow-credentials', JSON.stringify({ username: sn.username, password: sn.password }));
  return {};
}
const APPROVAL_TEAMS = 'matrix-approval-teams';

interface WorkflowCase {
  /** The run's input (none for scheduled runs); a function reads what `prepare` set up. */
  input?: Record<string, unknown> | ((prepared: Prepared) => Record<string, unknown>);
  /** Ids of the incidents the run must change, read from the freshly reset sandbox. */
  expected: (sb: Sandbox, prepared: Prepared) => string[];
  /** Runs after each reset, before the run: what the workflow needs in the tenant (tickets, linked incidents). */
  prepare?: (sb: Sandbox) => Prepared;
  /**
   * The real run's destructive steps wait for a person: the test gives each approval (through the engine, an
   * approving gate; over HTTP, the authenticated decision API while the host resumes the parked run from its queue).
   */
  approvals?: true;
  /** The state the real run leaves outside the incidents (devices, accounts, Teams, tickets); the dry run none. */
  check?: (sb: Sandbox, dryRun: boolean, prepared: Prepared, api: Api) => void;
}

type Prepared = Record<string, string>;

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
    prepare: prepareNotify,
    approvals: true,
    check: (sb, dryRun) => {
      const blocked = sb.control.indicators().filter((i) => i.indicatorType === 'FileSha256' && i.action === 'Block');
      assert.equal(blocked.length > 0, !dryRun, 'the real run blocks the files, the dry run nothing');
    },
  },
  // The devices of the open high-severity incidents (3309 on ws-fin-042, 3310 on ws-hr-007): each isolated after
  // approval and scanned, a comment on each incident and a Teams card each.
  'isolate-device-on-high-severity': {
    expected: (sb) => openIds(sb, (i) => i.severity === 'high' && alertDevices(i).length > 0),
    prepare: prepareNotify,
    approvals: true,
    check: (sb, dryRun) => {
      const hosts = [
        ...new Set(
          sb.control
            .incidents()
            .filter((i) => isOpen(i) && i.severity === 'high')
            .flatMap(alertDevices),
        ),
      ];
      assert.ok(hosts.length > 0);
      for (const name of hosts) {
        const m = sb.control.machines().find((x) => x.computerDnsName === name);
        assert.ok(m, `device ${name} in the sandbox`);
        const done = (type: string): boolean =>
          sb.control.machineActions().some((a) => a.machineId === m.id && a.type === type);
        assert.equal(done('Isolate'), !dryRun, `${name}: isolated on the real run only`);
        assert.equal(done('RunAntiVirusScan'), !dryRun, `${name}: scanned on the real run only`);
        if (!dryRun) assert.notEqual(m.isolation, null, `${name}: the sandbox shows it isolated`);
      }
      const cards = sb.control.teamsDeliveries().filter((d) => /Devices isolated/.test(JSON.stringify(d.cards)));
      assert.equal(
        cards.length,
        dryRun ? 0 : openIds(sb, (i) => i.severity === 'high' && alertDevices(i).length > 0).length,
        'a Teams card per incident on the real run (two cards to one channel in one run are two writes)',
      );
    },
  },
  // An incident linked to a Jira issue and a ServiceNow record: amy.wong's sessions revoked, then her account
  // disabled after approval, and a note on both tickets.
  'contain-compromised-user': {
    prepare: (sb) => {
      prepareNotify(sb);
      const c = sb.control;
      c.addJiraIssue('SEC-91');
      const rec = c.addServiceNowRecord({ number: 'INC0091001' });
      const inc = c.addIncident({ customTags: ['ticket:SEC-91', 'ticket:INC0091001'] });
      return { incidentId: String(inc.id), sysId: rec.sys_id };
    },
    input: (p) => ({ incidentId: p.incidentId, user: amy.upn }),
    expected: (_sb, p) => [p.incidentId ?? ''],
    approvals: true,
    check: (sb, dryRun, p) => {
      const u = sb.control.user(amy.objectId);
      assert.equal(u?.accountEnabled, dryRun, 'the real run disables the account, the dry run nothing');
      assert.equal(sb.control.counters().api.usersRevoke, dryRun ? 0 : 1, 'sessions revoked once on the real run');
      assert.equal(sb.control.jiraIssue('SEC-91')?.comments.length, dryRun ? 0 : 1, 'the Jira issue got a comment');
      assert.equal(
        sb.control.serviceNowRecord(p.sysId ?? '')?.work_notes.length,
        dryRun ? 0 : 1,
        'the ServiceNow record got a work note',
      );
    },
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
    hosts[api] = await startHostProcess({
      settings: {
        ...appSettings(b, secrets),
        ...b.sandbox.settings(api),
        // Approval cards to the sandbox's Teams. Each case resets the sandbox and stores new webhook URLs: the host
        // re-reads a secret a second after reading it (0 would mean never).
        APPROVAL_TEAMS_SECRET_NAME: APPROVAL_TEAMS,
        SECRET_CACHE_TTL_SECONDS: '1',
      },
    });
  }
});

after(async () => {
  await Promise.allSettled(APIS.map((api) => hosts[api]?.stop()));
  await Promise.allSettled([b?.sandbox.close(), b?.azurite.stop()]);
});

const snapshot = (): string => JSON.stringify(b.sandbox.control.incidents());
const allChanges = (r: RunReport): StepChange[] => r.steps.flatMap((s) => s.changes);
const changedIds = (r: RunReport): string[] =>
  [...new Set(allChanges(r).flatMap((c) => (c.incidentId ? [c.incidentId] : [])))].sort();

function assertRan(r: RunReport, what: string): void {
  assert.equal(r.status, 'succeeded', `${what}: ${JSON.stringify(r.error ?? r.stopReason)}`);
  const failed = r.steps.filter((s) => s.status === 'failed');
  assert.deepEqual(failed, [], `${what}: no step failed`);
}

/** A real run's change is in the sandbox: every patched field, every tag, and the comment as written. */
function assertVisible(c: StepChange, api: Api): void {
  // Devices, accounts, Teams and tickets: the case's check reads them in the sandbox.
  if (c.target && c.target.kind !== 'indicator') return;
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
async function dryThenReal(
  name: string,
  api: Api,
  run: (dryRun: boolean, input: Record<string, unknown> | undefined) => Promise<RunReport>,
): Promise<void> {
  const c = WORKFLOW_CASES[name];
  assert.ok(c, `a case for ${name}`);
  for (const dryRun of [true, false]) {
    b.sandbox.control.reset();
    const prepared: Prepared = c.prepare?.(b.sandbox) ?? {};
    const expected: string[] = c.expected(b.sandbox, prepared).sort();
    assert.ok(expected.length > 0, `${name}: the case expects at least one change`);
    const before = snapshot();
    const what = `${name} on ${api} (${dryRun ? 'dry' : 'real'})`;
    const input = typeof c.input === 'function' ? c.input(prepared) : c.input;
    const report = await run(dryRun, input);
    assertRan(report, what);
    if (c.approvals) {
      const asked = report.approvals ?? [];
      assert.equal(asked.length > 0, !dryRun, `${what}: approvals asked on the real run only`);
      for (const a of asked) assert.equal(a.state, 'approved', `${what}: ${a.action} approved`);
    }
    c.check?.(b.sandbox, dryRun, prepared, api);
    assert.deepEqual(changedIds(report), expected, `${what}: the incidents changed`);
    const outcomes = new Set(allChanges(report).map((x) => x.outcome));
    // A run parked for approval and resumed finds what its earlier pass wrote: alreadyDone, never twice.
    if (c.approvals && !dryRun) outcomes.delete('alreadyDone');
    assert.deepEqual([...outcomes], [dryRun ? 'wouldApply' : 'applied'], what);
    if (dryRun) assert.equal(snapshot(), before, `${what}: nothing changed in Defender`);
    else for (const change of allChanges(report)) assertVisible(change, api);
  }
}

/** Deps for a run through the engine: every API of the sandbox, notifications, and an approver who says yes. */
function engineDeps(api: Api): Pick<EngineDeps, 'defender' | 'apis' | 'notify' | 'approvals'> {
  const app = sandboxDeps(b.sandbox, api, { RATE_LIMIT_WINDOW_SCALE: '0.001' });
  const approvals: ApprovalGate = {
    check: async (req) => ({
      id: req.stepId,
      stepId: req.stepId,
      action: req.action,
      state: 'approved',
      requestedBy: `${req.trigger} run ${req.runId}`,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      decidedBy: 'Matrix Approver',
      decidedAt: new Date().toISOString(),
    }),
  };
  return { defender: defenders[api], apis: app.apis, notify: app.notify, approvals };
}

/**
 * A parked run over HTTP (202 + Location): approves each pending approval through the authenticated decision API
 * as the run reaches it (the host resumes the run from its queue), until the run's status answers 200.
 */
async function approveUntilDone(api: Api, first: HttpAnswer): Promise<RunReport> {
  const location = first.headers.get('location');
  assert.ok(location, 'a 202 carries Location');
  const path = new URL(location).pathname + new URL(location).search;
  const decided = new Set<string>();
  const deadline = Date.now() + 120_000;
  for (let r = first; ;) {
    if (r.status === 200) return r.json as RunReport;
    assert.equal(r.status, 202, r.text);
    const pending = ((r.json as { approvals?: { id: string; state: string }[] }).approvals ?? []).filter(
      (a) => a.state === 'pending' && !decided.has(a.id),
    );
    for (const a of pending) {
      const d = await hosts[api].call('POST', `/api/approvals/${a.id}/decide`, {
        body: { decision: 'approve', approver: 'Matrix Approver' },
      });
      assert.equal(d.status, 200, d.text);
      decided.add(a.id);
    }
    assert.ok(Date.now() < deadline, `still waiting: ${r.text}`);
    await new Promise((res) => setTimeout(res, 250));
    r = await hosts[api].call('GET', path);
  }
}

describe('every shipped workflow, dry and real, on both APIs', () => {
  it('has a case for every file in workflows/', () => {
    const files = readdirSync(join(ROOT, 'workflows'))
      .filter((f) => /\.ya?ml$/i.test(f))
      .map((f) => f.replace(/\.ya?ml$/i, ''))
      .sort();
    assert.deepEqual([...workflows.keys()].sort(), files, 'each file loads as the workflow it is named after');
    assert.deepEqual(Object.keys(WORKFLOW_CASES).sort(), files);
  });

  for (const name of Object.keys(WORKFLOW_CASES)) {
    for (const api of APIS) {
      it(`${name} through the engine on ${api}`, async () => {
        const wf = workflows.get(name);
        assert.ok(wf, `workflows/${name}.yaml`);
        await dryThenReal(name, api, (dryRun, input) =>
          runWorkflow(
            wf,
            { trigger: wf.triggers.schedule ? 'timer' : 'http', dryRun, ...(input ? { input } : {}) },
            {
              ...engineDeps(api),
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
        await dryThenReal(name, api, async (dryRun, input) => {
          const r = await hosts[api].call('POST', `/api/workflows/${name}/run`, {
            body: { ...(input ? { input } : {}), dryRun },
            // Writes are keyed by it: a fresh key per run, as each run starts from a freshly reset sandbox.
            headers: { 'idempotency-key': randomUUID() },
          });
          if (!c.approvals || dryRun) {
            assert.equal(r.status, 200, r.text);
            return r.json as RunReport;
          }
          assert.equal(r.status, 202, `the run waits for approval: ${r.text}`);
          return approveUntilDone(api, r);
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
