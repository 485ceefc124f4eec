// Webhook deliveries run one workflow (TICKET_SYNC_WORKFLOW): a second workflow declaring a webhook trigger would
// never run while its file says it does (ticket-closed-resolve did, until an acceptance journey found it), so the
// automation refuses it at load.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkWebhookWorkflows } from '../../shared/automation/webhookWorkflow';
import { ConfigError } from '../../shared/errors';
import { loadQueryLibrary } from '../../shared/queries';
import { loadWorkflows, parseWorkflow } from '../../shared/workflows';

const ROOT = join(__dirname, '..', '..');

test('the shipped workflows pass: only ticket-sync declares webhook sources', async () => {
  const queries = await loadQueryLibrary(join(ROOT, 'queries'));
  const workflows = await loadWorkflows(join(ROOT, 'workflows'), queries);
  const declaring = [...workflows.values()].filter((w) => w.triggers.webhook).map((w) => w.name);
  assert.deepEqual(declaring, ['ticket-sync']);
  assert.doesNotThrow(() => checkWebhookWorkflows(workflows, 'ticket-sync'));
});

test('a second workflow declaring a webhook trigger is refused, naming its file and the fix', async () => {
  const queries = await loadQueryLibrary(join(ROOT, 'queries'));
  const workflows = await loadWorkflows(join(ROOT, 'workflows'), queries);
  const extra = parseWorkflow(
    [
      'name: close-on-ticket',
      'triggers:',
      '  webhook:',
      '    sources: [jira]',
      'steps:',
      '  - id: done',
      '    kind: stop',
      '    input:',
      '      reason: nothing',
    ].join('\n'),
    'close-on-ticket.yaml',
    queries,
  );
  const all = new Map([...workflows, [extra.name, extra]]);
  assert.throws(
    () => checkWebhookWorkflows(all, 'ticket-sync'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      /workflows\/close-on-ticket\.yaml declares triggers\.webhook/.test(e.message) &&
      /TICKET_SYNC_WORKFLOW \('ticket-sync'\)/.test(e.message),
  );
  // Pointing TICKET_SYNC_WORKFLOW at it makes ticket-sync the one that is refused.
  assert.throws(() => checkWebhookWorkflows(all, 'close-on-ticket'), /workflows\/ticket-sync\.yaml/);
});
