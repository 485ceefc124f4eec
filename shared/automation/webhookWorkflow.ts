// Webhook deliveries run one workflow: TICKET_SYNC_WORKFLOW (default ticket-sync), with the event mapped by
// mappings/<source>.yaml as its input, ordered per incident field by the ticket clock. A second workflow declaring
// `triggers.webhook` would never run, yet its file would say it does: refuse it at load, naming the file and the
// fix, rather than let a reader believe it.
import { ConfigError } from '../errors';
import type { Workflow } from '../workflows';

/** @throws {ConfigError} when a workflow other than the ticket-sync workflow declares webhook sources. */
export function checkWebhookWorkflows(workflows: ReadonlyMap<string, Workflow>, ticketSyncWorkflow: string): void {
  const problems = [...workflows.values()]
    .filter((w) => w.triggers.webhook !== undefined && w.name !== ticketSyncWorkflow)
    .map(
      (w) =>
        `workflows/${w.name}.yaml declares triggers.webhook, but webhook deliveries run only TICKET_SYNC_WORKFLOW ('${ticketSyncWorkflow}'): remove its webhook trigger (call it over HTTP instead), or set TICKET_SYNC_WORKFLOW=${w.name}`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
}
