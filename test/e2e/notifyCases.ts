// Notify and write back through the local Functions host over real HTTP (issue 14 item 6), on one Defender API per
// file: the three steps run from Logic Apps (POST /api/workflows/{name}/run with its headers; dry run, then for real,
// then its retry changing nothing), from a schedule (the timer function) and from a webhook (the ticket-sync
// workflow); their writes land in the sandbox's Teams, Jira and ServiceNow receivers with credentials read from the
// sandbox Key Vault, and the Jira echo of Riposte's own comment is ignored.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { REPO, startHarness, waitFor, webhookFixture, type Harness } from './harness';

const MARKER = /\[riposte:[0-9a-f]{8}\]$/;

/** Logic Apps' outbound headers (integration-conventions.md §1.1, captured by Microsoft's docs and a public trace). */
const logicAppsHeaders = (runId: string): Record<string, string> => ({
  'User-Agent': 'azure-logic-apps/1.0,(workflow 80244732be3648f59d2084fd979cdd56; version 08586611142904036539)',
  'x-ms-workflow-id': '80244732be3648f59d2084fd979cdd56',
  'x-ms-workflow-name': 'soc-containment',
  'x-ms-workflow-run-id': runId,
  'x-ms-workflow-operation-name': 'Notify_and_write_back',
  'x-ms-client-tracking-id': runId,
});

const NOTIFY_INCIDENT = `name: notify-incident
triggers:
  http: true
input:
  incidentId: { type: string, required: true }
steps:
  - id: teams
    kind: notifyTeams
    input:
      incidentId: \${ $input.incidentId }
      title: Incident \${ $input.incidentId } contained
      text: The device was isolated by the SOC playbook.
      facts:
        Incident: \${ $input.incidentId }
      links:
        - title: Open in Defender
          url: https://security.microsoft.com/incidents/\${ $input.incidentId }
  - id: jira
    kind: jiraComment
    input:
      incidentId: \${ $input.incidentId }
      text: Riposte contained the incident (device isolated).
  - id: snow
    kind: serviceNowWorkNote
    input:
      incidentId: \${ $input.incidentId }
      text: Riposte contained the incident (device isolated).
`;

const NOTIFY_SCHEDULED = `name: notify-scheduled
triggers:
  schedule: '0 0 7 * * *'
  http: true
steps:
  - id: open
    kind: listIncidents
    input: { status: [active], limit: 200 }
  - id: each
    kind: forEach
    input:
      items: $steps.open.incidents['notify-daily' in tags]
      steps:
        - id: note
          kind: serviceNowWorkNote
          input:
            incidentId: \${ $item.id }
            text: Still open in Defender (daily check).
        - id: tell
          kind: notifyTeams
          input:
            incidentId: \${ $item.id }
            text: Incident \${ $item.id } is still open.
`;

// The shipped ticket-sync, plus a Teams message and a Jira acknowledgement of each applied ticket change.
const NOTIFY_SYNC = `name: notify-sync
triggers:
  webhook:
    sources: [servicenow, jira, generic]
  http: true
input:
  incidentId: { type: string, required: true }
  ticketId: { type: string }
  status: { type: string, enum: [active, inProgress, resolved] }
  assignedTo: { type: string }
  classification: { type: string, enum: [truePositive, informationalExpectedActivity, falsePositive] }
  determination: { type: string }
  comment: { type: string }
steps:
  - id: apply
    kind: updateIncident
    input:
      incidentId: \${ $input.incidentId }
      status: \${ $input.status }
      assignedTo: \${ $input.assignedTo }
      classification: \${ $input.classification }
      determination: \${ $input.determination }
      tags:
        add: "\${ $input.ticketId ? 'ticket:' & $input.ticketId : [] }"
      comment: \${ $input.comment }
  - id: tell
    kind: notifyTeams
    input:
      incidentId: \${ $input.incidentId }
      text: Ticket \${ $input.ticketId } updated incident \${ $input.incidentId }.
  - id: ack
    kind: jiraComment
    input:
      incidentId: \${ $input.incidentId }
      text: Applied to Defender incident \${ $input.incidentId }.
`;

function notifyContent(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-e2e-notify-'));
  cpSync(join(REPO, 'queries'), join(dir, 'queries'), { recursive: true });
  cpSync(join(REPO, 'mappings'), join(dir, 'mappings'), { recursive: true });
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'notify-incident.yaml'), NOTIFY_INCIDENT);
  writeFileSync(join(dir, 'workflows', 'notify-scheduled.yaml'), NOTIFY_SCHEDULED);
  writeFileSync(join(dir, 'workflows', 'notify-sync.yaml'), NOTIFY_SYNC);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function describeNotify(api: 'graph' | 'legacy'): void {
  let h: Harness;
  let content: ReturnType<typeof notifyContent>;

  before(async () => {
    content = notifyContent();
    h = await startHarness({
      api,
      settings: { CONTENT_DIR: content.dir, TICKET_SYNC_WORKFLOW: 'notify-sync' },
    });
    // sandbox.settings() points JIRA_BASE_URL and SERVICENOW_BASE_URL at the sandbox; the credentials and the Teams
    // webhook URL go into its Key Vault, read by the host on first use.
    const c = h.sandbox.control;
    c.setSecret('teams-webhook-url', c.createTeamsWebhook());
    c.setSecret('jira-credentials', JSON.stringify(c.jiraCredentials()));
    const sn = c.serviceNowCredentials();
    c.setSecret('servicenow-credentials', JSON.stringify({ username: sn.username, password: sn.password }));
  });
  after(async () => {
    await h?.close();
    content?.remove();
  });

  /** A Defender incident linked to a new Jira issue and ServiceNow record (the tags ticket-sync writes). */
  function linked(key: string, number: string, extraTags: string[] = []): { incidentId: string; sysId: string } {
    const c = h.sandbox.control;
    c.addJiraIssue(key);
    const rec = c.addServiceNowRecord({ number });
    const inc = c.addIncident({ customTags: [`ticket:${key}`, `ticket:${number}`, ...extraTags] });
    return { incidentId: String(inc.id), sysId: rec.sys_id };
  }

  describe(`notify and write back over HTTP (DEFENDER_API=${api})`, () => {
    it('from Logic Apps: dry run shows the requests and sends nothing; the run writes once; its retry adds nothing', async () => {
      const c = h.sandbox.control;
      const { incidentId, sysId } = linked('SEC-101', 'INC0030001');
      const teamsBefore = c.teamsDeliveries().length;
      const dry = await h.call('POST', '/api/workflows/notify-incident/run', {
        body: { input: { incidentId }, dryRun: true },
        headers: logicAppsHeaders('08586611142736787787412824395CU21'),
      });
      assert.equal(dry.status, 200, dry.text);
      const dryReport = dry.json<RunReport>();
      const dryChanges = dryReport.steps.flatMap((s) => s.changes ?? []);
      assert.deepEqual(
        dryChanges.map((ch) => [ch.outcome, ch.patch.method, ch.target?.kind]),
        [
          ['wouldApply', 'POST', 'teams'],
          ['wouldApply', 'POST', 'ticket'],
          ['wouldApply', 'PATCH', 'ticket'],
        ],
      );
      assert.equal(dryChanges[2]?.patch.path, `/api/now/table/incident/${sysId}`);
      assert.ok(!dry.text.includes('sig=') && !dry.text.includes('/workflows/'), 'no webhook URL in the answer');
      assert.equal(c.teamsDeliveries().length, teamsBefore);
      assert.equal(c.jiraIssue('SEC-101')?.comments.length, 0);
      assert.equal(c.serviceNowRecord(sysId)?.work_notes.length, 0);

      const headers = logicAppsHeaders('08586611142736787787412824396CU22');
      const real = await h.call('POST', '/api/workflows/notify-incident/run', {
        body: { input: { incidentId } },
        headers,
      });
      assert.equal(real.status, 200, real.text);
      assert.equal(real.json<RunReport>().status, 'succeeded');
      const card = c.teamsDeliveries().at(-1)?.cards[0] as { body: Array<{ text?: string }> };
      assert.match(card.body[1]?.text ?? '', MARKER);
      const comment = c.jiraIssue('SEC-101')?.comments ?? [];
      assert.equal(comment.length, 1);
      assert.equal(comment[0]?.body.type, 'doc');
      assert.match(JSON.stringify(comment[0]?.body), /\[riposte:[0-9a-f]{8}\]/);
      const notes = c.serviceNowRecord(sysId)?.work_notes ?? [];
      assert.equal(notes.length, 1);
      assert.match(notes[0]?.value ?? '', MARKER);

      // Logic Apps retries the same action (same run id and action): nothing is written twice.
      const retry = await h.call('POST', '/api/workflows/notify-incident/run', {
        body: { input: { incidentId } },
        headers,
      });
      assert.equal(retry.status, 200, retry.text);
      assert.equal(c.teamsDeliveries().length, teamsBefore + 1);
      assert.equal(c.jiraIssue('SEC-101')?.comments.length, 1);
      assert.equal(c.serviceNowRecord(sysId)?.work_notes.length, 1);
    });

    it('from a schedule: the timer run notes each tagged incident on ServiceNow and Teams', async () => {
      const c = h.sandbox.control;
      const { incidentId, sysId } = linked('SEC-102', 'INC0030002', ['notify-daily']);
      const teamsBefore = c.teamsDeliveries().length;
      await h.host.invokeTimer('workflow-notify-scheduled');
      const notes = c.serviceNowRecord(sysId)?.work_notes ?? [];
      assert.equal(notes.length, 1, JSON.stringify(h.logs.filter((l) => l.includes('notify-scheduled')).slice(-5)));
      assert.match(notes[0]?.value ?? '', /^Still open in Defender \(daily check\)\. — \[riposte:[0-9a-f]{8}\]$/);
      const cards = c.teamsDeliveries().slice(teamsBefore);
      assert.equal(cards.length, 1);
      assert.ok(JSON.stringify(cards[0]?.cards).includes(`Incident ${incidentId} is still open.`));
    });

    it('from a webhook: a Jira comment runs the sync workflow, which acknowledges on the issue; its echo is ignored', async () => {
      const c = h.sandbox.control;
      const inc = c.addIncident({});
      const incidentId = String(inc.id);
      c.addJiraIssue('SEC-42');
      const teamsBefore = c.teamsDeliveries().length;
      // jira:issue_updated (issue_commented), the fixture after Atlassian's webhook docs, linked to the new incident.
      const body = webhookFixture('jira-issue-commented.json') as {
        issue: { fields: Record<string, unknown> };
        [k: string]: unknown;
      };
      body.timestamp = Date.now();
      body.issue.fields.summary = `Defender incident ${incidentId}: suspicious sign-in`;
      body.issue.fields.customfield_10123 = incidentId;
      const r = await h.webhook('jira', body);
      assert.equal(r.status, 202, r.text);
      const acked = await waitFor(
        'the acknowledgement on SEC-42',
        () => {
          const list = c.jiraIssue('SEC-42')?.comments ?? [];
          return list.length > 0 ? list : undefined;
        },
        60_000,
      );
      assert.equal(acked.length, 1);
      const ack = acked[0]!;
      assert.match(JSON.stringify(ack.body), new RegExp(`Applied to Defender incident ${incidentId}\\. — \\[riposte:`));
      assert.equal(c.teamsDeliveries().length, teamsBefore + 1);

      // Jira sends the acknowledgement back as a new issue_commented event: recognised as Riposte's own.
      const echo = structuredClone(body) as typeof body & { comment: Record<string, unknown> };
      echo.timestamp = Date.now();
      echo.comment = { ...echo.comment, id: ack.id, body: ack.body };
      const e = await h.webhook('jira', echo);
      assert.equal(e.status, 200, e.text);
      assert.equal(e.json<{ status: string }>().status, 'ignored');
      assert.equal(c.jiraIssue('SEC-42')?.comments.length, 1);
      assert.equal(c.teamsDeliveries().length, teamsBefore + 1);
    });
  });
}
