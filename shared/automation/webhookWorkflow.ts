// Webhook deliveries run one workflow: TICKET_SYNC_WORKFLOW (default ticket-sync), with the event mapped by
// mappings/<source>.yaml as its input, ordered per incident field by the ticket clock. Another workflow declaring
// `triggers.webhook` never runs, yet its file says it does. `riposte validate` reports that as a problem (the
// team's CI fails); the Function App logs it as a warning at load rather than refusing to start, since the
// workflow still runs correctly from its other triggers.
import type { Workflow } from '../workflows';

/** @returns one line per workflow other than the ticket-sync workflow that declares webhook sources. */
export function webhookWorkflowProblems(
  workflows: ReadonlyMap<string, Workflow>,
  ticketSyncWorkflow: string,
): string[] {
  return [...workflows.values()]
    .filter((w) => w.triggers.webhook !== undefined && w.name !== ticketSyncWorkflow)
    .map(
      (w) =>
        `workflows/${w.name}.yaml declares triggers.webhook, but webhook deliveries run only TICKET_SYNC_WORKFLOW ('${ticketSyncWorkflow}'): remove its webhook trigger (call it over HTTP instead), or set TICKET_SYNC_WORKFLOW=${w.name}`,
    );
}
