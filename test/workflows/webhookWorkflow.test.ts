// Webhook deliveries run one workflow (TICKET_SYNC_WORKFLOW): a second workflow declaring a webhook trigger would
// never run while its file says it does (ticket-closed-resolve did, until an acceptance journey found it).
// `riposte validate` reports it; the Function App warns at load.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateContent } from '../../cli/validate';
import { webhookWorkflowProblems } from '../../shared/automation/webhookWorkflow';
import { loadQueryLibrary } from '../../shared/queries';
import { loadWorkflows } from '../../shared/workflows';

const ROOT = join(__dirname, '..', '..');

const CLOSE_ON_TICKET = `name: close-on-ticket
triggers:
  webhook:
    sources: [jira]
steps:
  - id: done
    kind: stop
    input:
      reason: nothing
`;

test('the shipped workflows: only ticket-sync declares webhook sources', async () => {
  const queries = await loadQueryLibrary(join(ROOT, 'queries'));
  const workflows = await loadWorkflows(join(ROOT, 'workflows'), queries);
  const declaring = [...workflows.values()].filter((w) => w.triggers.webhook).map((w) => w.name);
  assert.deepEqual(declaring, ['ticket-sync']);
  assert.deepEqual(webhookWorkflowProblems(workflows, 'ticket-sync'), []);
});

test('riposte validate reports a second workflow declaring a webhook trigger, naming its file and the fix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-webhook-wf-'));
  try {
    for (const folder of ['queries', 'workflows', 'mappings'])
      cpSync(join(ROOT, folder), join(dir, folder), { recursive: true });
    assert.equal((await validateContent(dir)).ok, true);
    writeFileSync(join(dir, 'workflows', 'close-on-ticket.yaml'), CLOSE_ON_TICKET);
    const result = await validateContent(dir);
    assert.equal(result.ok, false);
    const problems = result.checks.find((c) => c.kind === 'workflows')?.problems ?? [];
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0] ?? '', /^workflows\/close-on-ticket\.yaml declares triggers\.webhook/);
    assert.match(problems[0] ?? '', /TICKET_SYNC_WORKFLOW \('ticket-sync'\)/);
    // With TICKET_SYNC_WORKFLOW pointing at it, ticket-sync becomes the one that never runs.
    const switched = await validateContent(dir, { ticketSyncWorkflow: 'close-on-ticket' });
    const switchedProblems = switched.checks.find((c) => c.kind === 'workflows')?.problems ?? [];
    assert.deepEqual(
      switchedProblems.map((p) => p.split(' ')[0]),
      ['workflows/ticket-sync.yaml'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
