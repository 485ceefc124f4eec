// A webhook-triggered run parks for approval the way an HTTP run does (shared/automation/approvalWait.ts): a ticket
// event (generic Standard Webhooks sender) runs a containment workflow from the ticket-event queue; its destructive
// step asks by Teams; the event is applied (not retried or poisoned while it waits); approving on the page resumes the
// run from the workflow-runs queue under the same delivery key, and the account is disabled once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../e2e/harness';
import { approvalContent, approvalLinks, setUpTeams, TEAMS_SECRET } from './approvalContent';
import { TICKET_WORKFLOW_INPUT } from '../webhooks/helpers';

let content: ReturnType<typeof approvalContent>;
let h: Harness;

const WORKFLOW = `name: ticket-contain
triggers: { webhook: { sources: [generic] } }
${TICKET_WORKFLOW_INPUT}steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: disable
    kind: disableUser
    approval: { teams: ${TEAMS_SECRET}, expiresIn: PT10M }
    input: { user: '\${ $steps.inc.evidence.users[0].objectId }', incidentId: '\${ $input.incidentId }' }
`;

before(async () => {
  content = approvalContent();
  writeFileSync(join(content.dir, 'workflows', 'ticket-contain.yaml'), WORKFLOW);
  h = await startHarness({ settings: { CONTENT_DIR: content.dir, TICKET_SYNC_WORKFLOW: 'ticket-contain' } });
  setUpTeams(h.sandbox);
});
after(async () => {
  await h?.close();
  content?.remove();
});

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('approval on a webhook-triggered run', () => {
  it('the event parks the run; approving on the page resumes it from the queue and disables the account', async () => {
    const incident = h.sandbox.control.incident(3309);
    const user = incident?.alerts.flatMap((a) => a.evidence).find((e) => e.kind === 'user') as
      { kind: 'user'; azureAdUserId?: string; objectId?: string } | undefined;
    const objectId = user?.azureAdUserId ?? user?.objectId;
    assert.ok(objectId, 'incident 3309 names a user');
    const accepted = await h.webhook('generic', { id: `evt-${randomUUID()}`, incidentId: '3309', comment: 'contain' });
    assert.equal(accepted.status, 202, accepted.text);
    const link = await until('the approval card', () => approvalLinks(h.sandbox).at(-1));
    assert.equal(h.sandbox.control.user(objectId)?.accountEnabled, true, 'waiting: nothing disabled yet');
    const token = new URL(link, h.host.url).searchParams.get('token') ?? '';
    const id = /\/approvals\/([0-9a-f]{32})/.exec(link)?.[1] ?? '';
    const decided = await fetch(`${h.host.url}/api/approvals/${id}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, decision: 'approve', approver: 'Ana Analyst' }).toString(),
    });
    assert.equal(decided.status, 200);
    await until('the account disabled', () =>
      h.sandbox.control.user(objectId)?.accountEnabled === false ? true : undefined,
    );
    assert.equal(h.sandbox.control.counters().api.usersUpdate, 1, 'disabled once');
    assert.deepEqual(await h.peekQueue(`${h.queueName}-poison`), [], 'the event was not poisoned while it waited');
  });
});
