// A workflow run end to end for the credential-source tests: ticket-sync (one incident update with a comment)
// through the real engine and Defender client, the state kept in memory. The tests check the incident in the sandbox.
import { join } from 'node:path';
import { runWorkflow, type RunReport } from '../../shared/engine';
import type { DefenderClient } from '../../shared/defender/types';
import { loadQueryLibrary } from '../../shared/queries';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { loadWorkflows } from '../../shared/workflows/loadWorkflow';

const ROOT = join(__dirname, '..', '..');

export async function runTicketSync(defender: DefenderClient, incidentId: string, comment: string): Promise<RunReport> {
  const queries = await loadQueryLibrary(join(ROOT, 'queries'));
  const workflow = (await loadWorkflows(join(ROOT, 'workflows'), queries)).get('ticket-sync');
  if (!workflow) throw new Error('the ticket-sync workflow is missing');
  return runWorkflow(
    workflow,
    { trigger: 'http', input: { incidentId, ticketId: 'SEC-15', status: 'inProgress', comment } },
    { defender, queries, state: createMemoryStateStore() },
  );
}
