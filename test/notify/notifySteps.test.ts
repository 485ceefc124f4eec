// The notification and write-back steps through the engine, against the sandbox's Teams, Jira and ServiceNow
// receivers over real HTTPS with credentials from the sandbox Key Vault (managed identity): what arrived (card, ADF
// comment, work note, each with the marker), once-only on re-runs and on a resumed write, dry run showing the request
// without the webhook URL, 429 handling, and the webhook loop prevention recognising Riposte's own writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { runWorkflow, type EngineDeps, type RunReport, type RunOptions } from '../../shared/engine';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { parseDelivery } from '../../shared/webhooks';
import { createFakeQueries, workflowOf } from '../engine/fakes';
import { sandboxDeps, type TestDeps } from '../integration/sandboxDeps';
import { registerSecrets } from '../setup/logCapture';
import { fixtureJson, jiraDelivery, shippedMapping, standardDelivery } from '../webhooks/helpers';

let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());

function setup(api: 'graph' | 'legacy' = 'graph', oauth = false): TestDeps {
  sb.control.reset();
  const url = sb.control.createTeamsWebhook();
  sb.control.setSecret('teams-webhook-url', url);
  sb.control.setSecret('jira-credentials', JSON.stringify(sb.control.jiraCredentials()));
  const sn = sb.control.serviceNowCredentials();
  // The suite-wide log scan fails the run if any of these shows up in any output.
  registerSecrets([
    new URL(url).searchParams.get('sig') ?? undefined,
    sb.control.jiraCredentials().apiToken,
    sn.password,
    sn.clientSecret,
  ]);
  sb.control.setSecret(
    'servicenow-credentials',
    JSON.stringify(oauth ? sn : { username: sn.username, password: sn.password }),
  );
  return sandboxDeps(sb, api, { JIRA_BASE_URL: sb.url, SERVICENOW_BASE_URL: sb.url });
}

const engineOf = (deps: TestDeps, state: StateStore = createMemoryStateStore()): EngineDeps => ({
  defender: deps.defender,
  queries: createFakeQueries(),
  state,
  notify: deps.notify,
});

const WORKFLOW = `
name: notify-test
triggers: { http: true }
input:
  incidentId: { type: string, required: true }
steps:
  - id: teams
    kind: notifyTeams
    input:
      incidentId: \${ $input.incidentId }
      title: Incident contained
      text: "Incident \${ $input.incidentId }: device isolated."
      facts:
        Incident: \${ $input.incidentId }
        Severity: high
      links:
        - title: Open in Defender
          url: "https://security.microsoft.com/incidents/\${ $input.incidentId }"
  - id: jira
    kind: jiraComment
    input:
      incidentId: \${ $input.incidentId }
      text: "Riposte isolated the device.\\nRun by the containment workflow."
  - id: snow
    kind: serviceNowWorkNote
    input:
      incidentId: \${ $input.incidentId }
      text: Riposte isolated the device.
`;

async function run(
  _deps: TestDeps,
  engine: EngineDeps,
  incidentId: string,
  o: Partial<RunOptions> = {},
): Promise<RunReport> {
  return runWorkflow(workflowOf(WORKFLOW), { trigger: 'http', input: { incidentId }, ...o }, engine);
}

const MARKER = /\[riposte:[0-9a-f]{8}\]$/;

function linkedIncident(): { incidentId: string; sysId: string } {
  const rec = sb.control.addServiceNowRecord({ number: 'INC0010001' });
  sb.control.addJiraIssue('SEC-42');
  const incident = sb.control.addIncident({ customTags: ['ticket:SEC-42', 'ticket:INC0010001', 'other'] });
  return { incidentId: String(incident.id), sysId: rec.sys_id };
}

for (const api of ['graph', 'legacy'] as const) {
  describe(`notify steps (DEFENDER_API=${api})`, () => {
    it('posts the card, comments on the linked Jira issue and adds the ServiceNow work note, each marked, once', async () => {
      const deps = setup(api);
      const { incidentId, sysId } = linkedIncident();
      const engine = engineOf(deps);
      const report = await run(deps, engine, incidentId);
      assert.equal(report.status, 'succeeded', JSON.stringify(report.error));

      const [delivery, ...more] = sb.control.teamsDeliveries();
      assert.equal(more.length, 0);
      const card = delivery?.cards[0] as {
        version: string;
        body: Array<{ type: string; text?: string; facts?: unknown }>;
        actions: unknown[];
      };
      assert.equal(card.version, '1.5');
      assert.match(card.body[1]?.text ?? '', MARKER);
      assert.deepEqual(card.body[2]?.facts, [
        { title: 'Incident', value: incidentId },
        { title: 'Severity', value: 'high' },
      ]);
      assert.deepEqual(card.actions, [
        {
          type: 'Action.OpenUrl',
          title: 'Open in Defender',
          url: `https://security.microsoft.com/incidents/${incidentId}`,
        },
      ]);

      const comments = sb.control.jiraIssue('SEC-42')?.comments ?? [];
      assert.equal(comments.length, 1);
      assert.deepEqual(comments[0]?.body.type, 'doc');
      assert.deepEqual(comments[0]?.body.version, 1);
      const paragraphs = comments[0]?.body.content as Array<{
        type: string;
        content: Array<{ type: string; text: string }>;
      }>;
      assert.deepEqual(
        paragraphs.map((p) => p.type),
        ['paragraph', 'paragraph'],
      );
      assert.equal(paragraphs[0]?.content[0]?.text, 'Riposte isolated the device.');
      assert.match(paragraphs[1]?.content[0]?.text ?? '', MARKER);

      const notes = sb.control.serviceNowRecord(sysId)?.work_notes ?? [];
      assert.equal(notes.length, 1);
      assert.match(notes[0]?.value ?? '', /^Riposte isolated the device\. — \[riposte:[0-9a-f]{8}\]$/);

      const targets = report.steps.flatMap((s) => s.changes ?? []).map((c) => c.target);
      assert.deepEqual(targets.slice(1), [
        { kind: 'ticket', id: 'jira:SEC-42' },
        { kind: 'ticket', id: `servicenow:${sysId}` },
      ]);
      assert.equal(targets[0]?.kind, 'teams');

      // A re-run (same findings) writes nothing again.
      const again = await run(deps, engine, incidentId);
      assert.equal(again.status, 'succeeded');
      assert.deepEqual(
        again.steps.flatMap((s) => s.changes ?? []).map((c) => c.outcome),
        ['alreadyDone', 'alreadyDone', 'alreadyDone'],
      );
      assert.equal(sb.control.teamsDeliveries().length, 1);
      assert.equal(sb.control.jiraIssue('SEC-42')?.comments.length, 1);
      assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 1);
    });

    it('dry run shows each exact request, without the webhook URL, and sends nothing', async () => {
      const deps = setup(api);
      const { incidentId, sysId } = linkedIncident();
      const report = await run(deps, engineOf(deps), incidentId, { dryRun: true });
      assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
      const [teams, jira, snow] = report.steps.flatMap((s) => s.changes ?? []);
      assert.equal(teams?.outcome, 'wouldApply');
      assert.equal(teams?.request?.method, 'POST');
      assert.match(String(teams?.request?.path), /Key Vault secret 'teams-webhook-url'/);
      assert.equal((teams?.request?.body as { type: string }).type, 'message');
      assert.equal(jira?.request?.method, 'POST');
      assert.equal(jira?.request?.path, '/rest/api/3/issue/SEC-42/comment');
      assert.equal((jira?.request?.body as { body: { type: string } }).body.type, 'doc');
      assert.deepEqual(snow?.request?.method, 'PATCH');
      assert.equal(snow?.request?.path, `/api/now/table/incident/${sysId}`);
      assert.match((snow?.request?.body as { work_notes: string }).work_notes, MARKER);
      assert.deepEqual(snow?.patch, snow?.request?.body, 'patch holds the fields sent');
      const text = JSON.stringify(report);
      assert.ok(!text.includes('sig=') && !text.includes('/workflows/'), 'no webhook URL in the report');
      assert.equal(sb.control.teamsDeliveries().length, 0);
      assert.equal(sb.control.jiraIssue('SEC-42')?.comments.length, 0);
      assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 0);
    });
  });
}

describe('notify steps: write safety and throttling', () => {
  it('a resumed ServiceNow write whose note landed is found by its marker, not written twice', async () => {
    const deps = setup('graph');
    const { incidentId, sysId } = linkedIncident();
    const state = createMemoryStateStore();
    // The PATCH lands, then storage fails to record the write as done: it stays pending.
    let failDone = true;
    const flaky: StateStore = {
      ...state,
      replaceWrite: (wf, record, version) => {
        if (failDone && record.state === 'done' && record.key.includes('ticket:servicenow'))
          return Promise.reject(Object.assign(new Error('storage down'), { statusCode: 503 }));
        return state.replaceWrite(wf, record, version);
      },
    };
    const first = await run(deps, engineOf(deps, flaky), incidentId, { idempotencyKey: 'delivery-1' });
    assert.equal(first.status, 'failed');
    assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 1, 'the note landed');
    failDone = false;
    const second = await run(deps, engineOf(deps, flaky), incidentId, { idempotencyKey: 'delivery-1' });
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    const snow = second.steps.find((s) => s.id === 'snow')?.changes?.[0];
    assert.equal(snow?.outcome, 'alreadyDone');
    assert.equal(snow?.replayed, true);
    assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 1, 'not added twice');
  });

  it('a resumed Jira write whose comment landed is found by its marker, not posted twice', async () => {
    const deps = setup('graph');
    const { incidentId } = linkedIncident();
    const state = createMemoryStateStore();
    let failDone = true;
    const flaky: StateStore = {
      ...state,
      replaceWrite: (wf, record, version) => {
        if (failDone && record.state === 'done' && record.key.includes('ticket:jira'))
          return Promise.reject(Object.assign(new Error('storage down'), { statusCode: 503 }));
        return state.replaceWrite(wf, record, version);
      },
    };
    assert.equal((await run(deps, engineOf(deps, flaky), incidentId, { idempotencyKey: 'd-2' })).status, 'failed');
    failDone = false;
    const second = await run(deps, engineOf(deps, flaky), incidentId, { idempotencyKey: 'd-2' });
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.equal(second.steps.find((s) => s.id === 'jira')?.changes?.[0]?.outcome, 'alreadyDone');
    assert.equal(sb.control.jiraIssue('SEC-42')?.comments.length, 1);
  });

  it('a 500 on the work note (not applied) is read back, released, and the next run adds it once', async () => {
    const deps = setup('graph');
    const { incidentId, sysId } = linkedIncident();
    const engine = engineOf(deps);
    sb.control.injectFaults({ target: 'servicenow', method: 'PATCH', status: 500, count: 1 });
    const first = await run(deps, engine, incidentId);
    assert.equal(first.status, 'failed');
    assert.equal(first.error?.code, 'DEFENDER_UNAVAILABLE');
    assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 0);
    const second = await run(deps, engine, incidentId);
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 1);
  });

  it('a Teams post with an unknown outcome (500) stays pending; the next run posts it, marked replayed', async () => {
    const deps = setup('graph');
    const engine = engineOf(deps);
    const wf = workflowOf(`
name: teams-only
triggers: { http: true }
steps:
  - { id: t, kind: notifyTeams, input: { text: Containment done. } }
`);
    sb.control.injectFaults({ target: 'teams', status: 500, count: 1 });
    const first = await runWorkflow(wf, { trigger: 'http' }, engine);
    assert.equal(first.status, 'failed');
    assert.equal(first.error?.code, 'DEFENDER_UNAVAILABLE');
    assert.equal(sb.control.teamsDeliveries().length, 0);
    const second = await runWorkflow(wf, { trigger: 'http' }, engine);
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    const change = second.steps[0]?.changes?.[0];
    assert.equal(change?.outcome, 'applied');
    assert.equal(change?.replayed, true);
    assert.equal(sb.control.teamsDeliveries().length, 1);
    const third = await runWorkflow(wf, { trigger: 'http' }, engine);
    assert.equal(third.steps[0]?.changes?.[0]?.outcome, 'alreadyDone');
    assert.equal(sb.control.teamsDeliveries().length, 1);
  });

  it('Jira 429 with Retry-After is waited out and the comment is posted once', async () => {
    const deps = setup('graph');
    const { incidentId } = linkedIncident();
    sb.control.injectFaults({ target: 'jira', method: 'POST', status: 429, retryAfterSeconds: 3, count: 1 });
    const report = await run(deps, engineOf(deps), incidentId);
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.ok(
      deps.sleeps.some((ms) => ms >= 3000),
      `waited ${deps.sleeps.join(',')}`,
    );
    assert.equal(sb.control.jiraIssue('SEC-42')?.comments.length, 1);
  });

  it('ServiceNow 429 (X-RateLimit-Reset, documented body) beyond MAX_RETRY_AFTER fails the run as throttled', async () => {
    setup('graph');
    const sandboxDepsShort = sandboxDeps(sb, 'graph', {
      JIRA_BASE_URL: sb.url,
      SERVICENOW_BASE_URL: sb.url,
      MAX_RETRY_AFTER_SECONDS: '1',
    });
    const { incidentId, sysId } = linkedIncident();
    sb.control.injectFaults({ target: 'servicenow', method: 'PATCH', status: 429, retryAfterSeconds: 120, count: 1 });
    const report = await run(sandboxDepsShort, engineOf(sandboxDepsShort), incidentId);
    assert.equal(report.status, 'throttled');
    assert.equal(report.error?.code, 'DEFENDER_THROTTLED');
    assert.match(
      report.error?.message ?? '',
      /ServiceNow PATCH \/api\/now\/table\/incident\/[0-9a-f]{32} failed: 429: Rate limit exceeded/,
    );
    assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 0);
  });

  it('ServiceNow over OAuth: one token for several calls', async () => {
    const deps = setup('graph', true);
    const { incidentId, sysId } = linkedIncident();
    const report = await run(deps, engineOf(deps), incidentId);
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.equal(sb.control.serviceNowRecord(sysId)?.work_notes.length, 1);
    assert.equal(sb.control.serviceNowTokenRequests(), 1);
  });

  it('an explicit ticket number and issue key are used without the incident', async () => {
    const deps = setup('graph');
    const rec = sb.control.addServiceNowRecord({ number: 'INC0020002' });
    sb.control.addJiraIssue('OPS-7');
    const wf = workflowOf(`
name: explicit
triggers: { http: true }
steps:
  - { id: j, kind: jiraComment, input: { issue: OPS-7, text: hello } }
  - { id: s, kind: serviceNowWorkNote, input: { ticket: INC0020002, text: hello } }
`);
    const report = await runWorkflow(wf, { trigger: 'http' }, engineOf(deps));
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.equal(sb.control.jiraIssue('OPS-7')?.comments.length, 1);
    assert.equal(sb.control.serviceNowRecord(rec.sys_id)?.work_notes.length, 1);
  });

  it('a keyed run (webhook delivery, Idempotency-Key) writes two different notes to one ticket from a forEach, once each', async () => {
    const deps = setup('graph');
    const rec = sb.control.addServiceNowRecord({ number: 'INC0030003' });
    sb.control.addJiraIssue('OPS-8');
    const wf = workflowOf(`
name: shared-ticket
triggers: { http: true }
steps:
  - id: each
    kind: forEach
    input:
      items: "\${ ['device A isolated', 'device B isolated'] }"
      steps:
        - { id: j, kind: jiraComment, input: { issue: OPS-8, text: "\${ $item }" } }
        - { id: s, kind: serviceNowWorkNote, input: { ticket: INC0030003, text: "\${ $item }" } }
`);
    const engine = engineOf(deps);
    const first = await runWorkflow(wf, { trigger: 'http', idempotencyKey: 'key-1' }, engine);
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    const texts = (sb.control.jiraIssue('OPS-8')?.comments ?? []).map((c) => JSON.stringify(c.body));
    assert.equal(texts.length, 2, 'both comments reach the issue');
    assert.ok(texts.some((t) => t.includes('device A')) && texts.some((t) => t.includes('device B')));
    assert.equal(sb.control.serviceNowRecord(rec.sys_id)?.work_notes.length, 2);
    // The same key again (a redelivery) adds nothing.
    const again = await runWorkflow(wf, { trigger: 'http', idempotencyKey: 'key-1' }, engine);
    assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
    assert.equal(sb.control.jiraIssue('OPS-8')?.comments.length, 2);
    assert.equal(sb.control.serviceNowRecord(rec.sys_id)?.work_notes.length, 2);
  });

  it('an incident with no linked ticket writes nothing and says so in the counts', async () => {
    const deps = setup('graph');
    const incidentId = String(sb.control.addIncident({ customTags: ['unrelated'] }).id);
    const wf = workflowOf(`
name: unlinked
triggers: { http: true }
input: { incidentId: { type: string, required: true } }
steps:
  - { id: j, kind: jiraComment, input: { incidentId: "\${ $input.incidentId }", text: hello } }
  - { id: s, kind: serviceNowWorkNote, input: { incidentId: "\${ $input.incidentId }", text: hello } }
`);
    const report = await runWorkflow(wf, { trigger: 'http', input: { incidentId } }, engineOf(deps));
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    for (const step of report.steps) {
      assert.equal(step.counts.notLinked, 1, step.id);
      assert.deepEqual(step.changes, []);
    }
    assert.equal(sb.control.requests().filter((r) => r.family === 'jira' || r.family === 'servicenow').length, 0);
  });

  it('an unknown ServiceNow number is a 404 naming the ticket field', async () => {
    const deps = setup('graph');
    const wf = workflowOf(`
name: unknown
triggers: { http: true }
steps:
  - { id: s, kind: serviceNowWorkNote, input: { ticket: INC0099999, text: hello } }
`);
    const report = await runWorkflow(wf, { trigger: 'http' }, engineOf(deps));
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.code, 'NOT_FOUND');
    assert.match(report.error?.message ?? '', /no incident record numbered INC0099999/);
  });
});

describe('loop prevention: the ticket webhook echo of a written comment is recognised as Riposte’s own', () => {
  it('Jira jira:issue_updated (issue_commented) carrying the ADF comment Riposte wrote', async () => {
    const deps = setup('graph');
    const { incidentId } = linkedIncident();
    assert.equal((await run(deps, engineOf(deps), incidentId)).status, 'succeeded');
    const written = sb.control.jiraIssue('SEC-42')?.comments[0];
    // The jira:issue_updated (issue_commented) payload (fixture after Atlassian's webhook docs, see test/webhooks/fixtures), with
    // the comment Riposte wrote as Jira stores it (ADF body) and Jira's own author field.
    const body = fixtureJson('jira-issue-commented.json');
    (body.comment as Record<string, unknown>).body = written?.body;
    const event = parseDelivery(jiraDelivery(body), await shippedMapping('jira'));
    assert.ok('echo' in event, JSON.stringify(event));
    assert.equal(event.echo, true);
  });

  it('ServiceNow business rule delivery carrying the work note Riposte wrote (journal form)', async () => {
    const deps = setup('graph');
    const { incidentId, sysId } = linkedIncident();
    assert.equal((await run(deps, engineOf(deps), incidentId)).status, 'succeeded');
    const note = sb.control.serviceNowRecord(sysId)?.work_notes[0];
    // The business rule payload (fixture after the ServiceNow docs, test/webhooks/fixtures) whose work_notes is the
    // journal entry as getJournalEntry(1) renders it: "<date> <time> - <user> (Work notes)\n<text>".
    const body = fixtureJson('servicenow-incident-resolved.json');
    body.work_notes = `${note?.at} - Riposte Integration (Work notes)\n${note?.value}\n\n`;
    body.changed_fields = ['work_notes'];
    const event = parseDelivery(standardDelivery('servicenow', body), await shippedMapping('servicenow'));
    assert.ok('echo' in event, JSON.stringify(event));
    assert.equal(event.echo, true);
  });
});
