// Response steps from a ticket webhook, the third trigger beside the schedule and Logic Apps (HTTP): a generic
// Standard Webhooks delivery runs the ticket workflow from the ticket-event queue in the Function host, and that
// workflow isolates the incident's device, blocks its file hashes, revokes its user's sessions and tells Teams. The
// sandbox's state afterwards is what is checked, and a redelivery of the same event changes nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { devices } from '../../sandbox/seed/entities';
import { approvalContent, setUpTeams, TEAMS_SECRET } from '../approval/approvalContent';
import { startHarness, type Harness } from './harness';
import { TICKET_WORKFLOW_INPUT } from '../webhooks/helpers';

let content: ReturnType<typeof approvalContent>;
let h: Harness;
const fin = devices[0];

// Unattended on purpose (`approval: none`): the approval path of a webhook-triggered run is
// test/approval/approvalWebhook.test.ts; this file is about the response steps running from a delivery.
const WORKFLOW = `name: ticket-respond
triggers: { webhook: { sources: [generic] } }
${TICKET_WORKFLOW_INPUT}steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: isolate
    kind: forEach
    input:
      items: '\${ $distinct($steps.inc.evidence.devices[$exists(mdeDeviceId)].mdeDeviceId) }'
      steps:
        - id: device
          kind: isolateDevice
          approval: none
          input: { deviceId: '\${ $item }', comment: 'Riposte: ticket asked to contain', wait: 0 }
  - id: block
    kind: forEach
    input:
      items: '\${ [$distinct($steps.inc.evidence.files[sha256].sha256)] }'
      steps:
        - id: hash
          kind: submitIndicator
          approval: none
          input: { value: '\${ $item }', action: Block, title: 'Riposte: ticket containment', incidentId: '\${ $input.incidentId }' }
  - id: revoke
    kind: revokeUserSessions
    input: { user: '\${ $steps.inc.evidence.users[0].objectId }', incidentId: '\${ $input.incidentId }' }
  - id: tell
    kind: notifyTeams
    input: { incidentId: '\${ $input.incidentId }', text: 'Contained from the ticket', webhookSecret: ${TEAMS_SECRET} }
`;

before(async () => {
  content = approvalContent();
  writeFileSync(join(content.dir, 'workflows', 'ticket-respond.yaml'), WORKFLOW);
  h = await startHarness({ settings: { CONTENT_DIR: content.dir, TICKET_SYNC_WORKFLOW: 'ticket-respond' } });
  setUpTeams(h.sandbox);
});
after(async () => {
  await h?.close();
  content?.remove();
});

async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('response steps from a ticket webhook', () => {
  it('a delivery isolates the device, blocks the hashes, revokes the sessions and tells Teams; a redelivery adds nothing', async () => {
    const sb = h.sandbox.control;
    const event = { id: `evt-${randomUUID()}`, incidentId: '3309', comment: 'contain' };
    const accepted = await h.webhook('generic', event);
    assert.equal(accepted.status, 202, accepted.text);
    await until('the Teams message', () => sb.teamsDeliveries().length > 0).catch((e: unknown) => {
      throw new Error(
        `${String(e)}\n${h.logs
          .filter((l) => /ticket-respond|error|fail/i.test(l))
          .slice(-15)
          .join('\n')}`,
      );
    });

    // The step asked with `wait: 0`: the action finishes in the sandbox moments later.
    await until('the device isolated', () => sb.machines().find((m) => m.id === fin.deviceId)?.isolation === 'Full');
    assert.deepEqual(
      sb.machineActions().map((a) => [a.type, a.machineId]),
      [['Isolate', fin.deviceId]],
    );
    const blocked = sb.indicators().filter((i) => i.action === 'Block' && i.indicatorType === 'FileSha256');
    assert.ok(blocked.length > 0, 'the incident’s files are blocked');
    assert.equal(sb.counters().api.usersRevoke, 1, 'the sessions are revoked once');
    const posted = { actions: sb.machineActions().length, indicators: sb.indicators().length, teams: 1 };

    // The same event again (a sender's retry): the delivery is recognised and nothing is done twice.
    const again = await h.webhook('generic', event);
    assert.ok(again.status === 200 || again.status === 202, again.text);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(sb.machineActions().length, posted.actions);
    assert.equal(sb.indicators().length, posted.indicators);
    assert.equal(sb.counters().api.usersRevoke, 1);
    assert.equal(sb.teamsDeliveries().length, posted.teams);
    assert.deepEqual(await h.peekQueue(`${h.queueName}-poison`), [], 'nothing poisoned');
  });
});
