// Applies one queued ticket event through the workflow engine (the ticket-sync workflow), keyed by the event id so
// a redelivered message changes nothing twice. Failures that retrying can fix are thrown (the queue retries);
// failures it cannot fix, and the last attempt's failure, go to the poison queue with the reason.
import { runWorkflow, type RunReport } from '../engine';
import { isAppError, toError } from '../errors';
import type { Logger } from '../logger';
import type { TicketEvent } from '../webhooks/types';
import type { Automation } from '.';
import type { TicketEventMessage } from './acceptDelivery';

/** Failures no retry can fix: the incident does not exist, or the event asks for something invalid. */
const PERMANENT_CODES: ReadonlySet<string> = new Set(['NOT_FOUND', 'INPUT_INVALID']);

export type ApplyOutcome =
  | { status: 'applied'; report: RunReport }
  | { status: 'poisoned'; reason: string }
  | { status: 'retry'; reason: string };

function isTicketEventMessage(v: unknown): v is TicketEventMessage {
  if (!v || typeof v !== 'object') return false;
  const m = v as Partial<TicketEventMessage>;
  const e = m.event as Partial<TicketEvent> | undefined;
  return (
    m.kind === 'ticketEvent' &&
    !!e &&
    typeof e.eventId === 'string' &&
    typeof e.incidentId === 'string' &&
    typeof e.source === 'string'
  );
}

/** The ticket-sync workflow's input from an event: only the fields the ticket changed. */
export function workflowInput(event: TicketEvent): Record<string, unknown> {
  const u = event.update;
  const input: Record<string, unknown> = { incidentId: event.incidentId };
  if (event.ticketId) input.ticketId = event.ticketId;
  for (const key of ['status', 'assignedTo', 'classification', 'determination', 'comment'] as const) {
    if (u[key] !== undefined) input[key] = u[key];
  }
  return input;
}

export async function applyTicketEvent(
  automation: Pick<Automation, 'workflows' | 'engine' | 'ticketQueue' | 'deps'>,
  message: unknown,
  attempt: { dequeueCount: number; logger: Logger },
): Promise<ApplyOutcome> {
  const { config } = automation.deps;
  const lastAttempt = attempt.dequeueCount >= config.queueMaxDequeueCount;
  const poison = async (reason: string): Promise<ApplyOutcome> => {
    await automation.ticketQueue.sendPoison(message, reason, attempt.dequeueCount);
    attempt.logger.error(`[ticket-sync] poisoned after ${attempt.dequeueCount} attempt(s): ${reason}`);
    return { status: 'poisoned', reason };
  };
  if (!isTicketEventMessage(message)) return poison('not a ticket event message');
  const workflow = automation.workflows.get(config.ticketSyncWorkflow);
  if (!workflow) return poison(`workflow '${config.ticketSyncWorkflow}' is not loaded`);

  const { event } = message;
  let report: RunReport;
  try {
    report = await runWorkflow(
      workflow,
      { trigger: 'queue', input: workflowInput(event), idempotencyKey: `${event.source}:${event.eventId}` },
      { ...automation.engine, logger: attempt.logger },
    );
  } catch (e) {
    // Input errors cannot be fixed by retrying.
    if (isAppError(e) && e.code === 'INPUT_INVALID') return poison(toError(e).message);
    if (lastAttempt) return poison(toError(e).message);
    throw e;
  }
  if (report.status === 'succeeded' || report.status === 'stopped') return { status: 'applied', report };
  // The run's error covers failures outside any step too (finishing an earlier attempt's pending write).
  const error = report.error ?? report.steps.find((s) => s.status === 'failed')?.error;
  const reason = `run ${report.runId} ${report.status}${error ? `: ${error.code}: ${error.message}` : ''}`;
  if (lastAttempt || (error && PERMANENT_CODES.has(error.code))) return poison(reason);
  return { status: 'retry', reason };
}
