// Applies one queued ticket event through the workflow engine (the ticket-sync workflow), keyed by the event id so
// a redelivered message changes nothing twice. Failures that retrying can fix are thrown (the queue retries);
// failures it cannot fix, and the last attempt's failure, go to the poison queue with the reason.
//
// Order and concurrency: per incident, one instance at a time applies ticket events (a lease in the ticket-event
// clock, shared/state/ticketEventClock.ts, which explains the protocol). Under the lease the event's fields are
// compared with the stamps of the last events applied to them (shared/webhooks/eventOrder.ts): fields a newer event
// has set are skipped, the others are stamped, then applied (after narrowing any half-done write an interrupted run
// left on the incident: narrowPendingWrites.ts). The event is acknowledged either way, and its delivery-log row says
// which fields were applied and which skipped as stale.
import { runWorkflow, type EngineDeps, type RunReport } from '../engine';
import { tenantEngine } from '../tenants/tenantEngine';
import { isAppError, toError } from '../errors';
import { createKeyedLock, type KeyedLock } from '../keyedLock';
import type { Logger } from '../logger';
import { whileHeld, type KeptLease } from '../state/heartbeat';
import type { ClockEntry, ClockHold, TicketEventClock } from '../state/ticketEventClock';
import { changesAnything, splitStale, stampOf, withoutFields, type StaleSplit } from '../webhooks/eventOrder';
import type { TicketEvent } from '../webhooks/types';
import type { Automation } from '.';
import type { TicketEventMessage } from './acceptDelivery';
import type { DeliveryOutcome } from './deliveryLog';
import { narrowPendingWrites } from './narrowPendingWrites';
import { approvalHandoff, expiryDelayMs } from './approvalWait';
import { startAsyncRun } from './asyncRuns';

/** Failures no retry can fix: the incident does not exist, or the event asks for something invalid. */
const PERMANENT_CODES: ReadonlySet<string> = new Set(['NOT_FOUND', 'INPUT_INVALID']);

/**
 * The incident lease. Renewed every third of it while a run works (shared/state/heartbeat.ts: a run with Defender
 * retries may take minutes), so it only has to outlast a slow storage call between renewals; and it is how long a
 * crashed instance keeps the incident's other ticket events waiting.
 */
export const TICKET_LEASE_MS = 20_000;
/** How long one attempt waits for another instance's lease before handing the message back to the queue. */
const LEASE_WAIT_MS = 90_000;

export type ApplyOutcome =
  | { status: 'applied'; report: RunReport | undefined; skippedFields: string[] }
  | { status: 'poisoned'; reason: string }
  | { status: 'retry'; reason: string };

export interface ApplyAttempt {
  dequeueCount: number;
  logger: Logger;
  /** For tests: the pause between polls of a busy lease. */
  sleep?: (ms: number) => Promise<void>;
}

type Applying = Pick<Automation, 'workflows' | 'engine' | 'ticketQueue' | 'ticketClock' | 'deliveries' | 'deps'> &
  Partial<Pick<Automation, 'asyncRuns'>>;

function isTicketEventMessage(v: unknown): v is TicketEventMessage {
  if (!v || typeof v !== 'object') return false;
  const m = v as Partial<TicketEventMessage>;
  const e = m.event as Partial<TicketEvent> | undefined;
  return (
    m.kind === 'ticketEvent' &&
    !!e &&
    typeof e.eventId === 'string' &&
    typeof e.incidentId === 'string' &&
    typeof e.source === 'string' &&
    typeof e.occurredAt === 'string' &&
    !Number.isNaN(Date.parse(e.occurredAt)) &&
    typeof e.ticketId === 'string' &&
    !!e.update &&
    typeof e.update === 'object'
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

/** Per clock (one per instance): events for one incident queue up here before meeting at the Table lease. */
const incidentLocks = new WeakMap<TicketEventClock, KeyedLock>();

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function acquireLease(
  clock: TicketEventClock,
  incidentId: string,
  sleep: (ms: number) => Promise<void>,
): Promise<ClockHold | undefined> {
  const deadline = Date.now() + LEASE_WAIT_MS;
  for (let round = 0; ; round++) {
    const r = await clock.acquire(incidentId, TICKET_LEASE_MS);
    if (r.status === 'held') return r.hold;
    if (Date.now() >= deadline) return undefined;
    // Another instance is applying an event to this incident (usually for milliseconds): poll briskly, with jitter
    // so waiters do not collide, never past the lease's end.
    const step = Math.min(1000, 50 * 2 ** Math.min(round, 5));
    await sleep(Math.min(r.retryAfterMs, step / 2 + Math.random() * step));
  }
}

/** The incident lease as the heartbeat keeps it. */
const incidentLease = (hold: ClockHold): KeptLease => ({
  label: `the ticket-event lease on incident ${hold.incidentId}`,
  leaseMs: TICKET_LEASE_MS,
  renew: () => hold.renew(),
});

function outcomeOf(split: StaleSplit, runId: string | undefined): DeliveryOutcome {
  return {
    outcome: split.stale.length > 0 ? 'stale' : 'applied',
    appliedFields: split.fresh,
    skippedFields: split.stale,
    newerEvents: split.newer,
    ...(runId !== undefined ? { runId } : {}),
  };
}

export async function applyTicketEvent(
  automation: Applying,
  message: unknown,
  attempt: ApplyAttempt,
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
  const clock = automation.ticketClock;
  let lock = incidentLocks.get(clock);
  if (!lock) incidentLocks.set(clock, (lock = createKeyedLock()));
  // Several tenants: the event's tenant's clients and state, and its own clock row (incident ids repeat).
  let engine: EngineDeps;
  try {
    engine =
      event.tenant !== undefined
        ? tenantEngine(automation, event.tenant, attempt.logger)
        : { ...automation.engine, logger: attempt.logger };
  } catch (e) {
    return poison(toError(e).message);
  }
  const clockKey = event.tenant !== undefined ? `${event.tenant}:${event.incidentId}` : event.incidentId;

  return lock(clockKey, async () => {
    const hold = await acquireLease(clock, clockKey, attempt.sleep ?? defaultSleep);
    if (!hold) {
      const reason = `incident ${event.incidentId} is being updated by another instance (lease held for over ${LEASE_WAIT_MS / 1000} s)`;
      return lastAttempt ? poison(reason) : { status: 'retry', reason };
    }
    if (hold.tookOver) {
      attempt.logger.warn('[ticket-sync] took over an expired incident lease', { incidentId: event.incidentId });
    }
    try {
      return await applyHeld({ ...automation, engine }, workflow, event, hold, attempt, lastAttempt, poison);
    } finally {
      await hold.release().catch((e: unknown) =>
        attempt.logger.warn('[ticket-sync] could not release the incident lease (it lapses by itself)', {
          incidentId: event.incidentId,
          error: toError(e).message,
        }),
      );
    }
  });
}

async function applyHeld(
  automation: Applying,
  workflow: NonNullable<ReturnType<Automation['workflows']['get']>>,
  event: TicketEvent,
  hold: ClockHold,
  attempt: ApplyAttempt,
  lastAttempt: boolean,
  poison: (reason: string) => Promise<ApplyOutcome>,
): Promise<ApplyOutcome> {
  const split = splitStale(event, hold.fields);
  const stamp = stampOf(event);
  // Stamps this event is about to overwrite: put back if the event is poisoned, so an event that never landed
  // does not make older ones look stale.
  const previous: Record<string, ClockEntry | null> = {};
  for (const f of split.fresh) previous[f] = hold.fields[f] ?? null;
  const ours = Object.fromEntries(split.fresh.map((f) => [f, stamp]));
  // Record before apply (ticketEventClock.ts says why). Throws LeaseLostError if our lease was taken over.
  if (split.fresh.length > 0) await hold.record(ours);
  // Half-done writes of interrupted runs must not bring back what a newer event has since set.
  await narrowPendingWrites(automation.engine.state, workflow.name, event.incidentId, hold.fields, attempt.logger);

  const toApply = withoutFields(event, split.stale);
  if (split.stale.length > 0) {
    attempt.logger.warn(`[ticket-sync] stale ${event.source} event for incident ${event.incidentId}`, {
      eventId: event.eventId,
      incidentId: event.incidentId,
      occurredAt: event.occurredAt,
      skippedFields: split.stale,
      appliedFields: split.fresh,
      newerEvents: split.newer,
    });
  }

  let report: RunReport | undefined;
  if (changesAnything(toApply)) {
    const rollback = async (): Promise<void> => {
      const back = Object.fromEntries(
        Object.entries(previous).filter(([f]) => hold.fields[f]?.eventId === event.eventId),
      );
      if (Object.keys(back).length > 0) await hold.record(back);
    };
    const failed = async (reason: string, permanent: boolean): Promise<ApplyOutcome> => {
      if (!permanent && !lastAttempt) return { status: 'retry', reason };
      await rollback().catch((e: unknown) =>
        attempt.logger.warn('[ticket-sync] could not roll back the field stamps of a poisoned event', {
          eventId: event.eventId,
          error: toError(e).message,
        }),
      );
      return poison(reason);
    };
    try {
      // A failed renewal ends the run through the heartbeat (whatever it has not yet sent is then not sent by a
      // holder that may no longer hold the lease); the run's own write leases join the same heartbeat.
      report = await whileHeld(incidentLease(hold), { logger: attempt.logger, component: 'ticket-sync' }, (heartbeat) =>
        runWorkflow(
          workflow,
          {
            trigger: 'queue',
            input: workflowInput(toApply),
            idempotencyKey: `${event.source}:${event.eventId}`,
            heartbeat,
          },
          automation.engine,
        ),
      );
    } catch (e) {
      // Input errors cannot be fixed by retrying.
      return failed(toError(e).message, isAppError(e) && e.code === 'INPUT_INVALID');
    }
    if (report.status === 'awaitingApproval' && automation.asyncRuns) {
      // Parked like an HTTP run (approvalWait.ts): continued from the workflow-runs queue under the same delivery key
      // (the same write owner, so the same approval), once decided or expired. The event itself is applied.
      const input = workflowInput(toApply);
      await startAsyncRun(
        { asyncRuns: automation.asyncRuns, engine: automation.engine },
        {
          workflow: workflow.name,
          runId: report.runId,
          request: {
            input,
            idempotencyKey: `${event.source}:${event.eventId}`,
            startedAt: report.startedAt,
            ...(event.tenant !== undefined ? { tenant: event.tenant } : {}),
          },
          handoff: approvalHandoff(report, []),
          preferred: false,
          logger: attempt.logger,
          delayMs: expiryDelayMs(report, new Date()),
        },
      );
    } else if (report.status !== 'succeeded' && report.status !== 'stopped') {
      // The run's error covers failures outside any step too (finishing an earlier attempt's pending write).
      const error = report.error ?? report.steps.find((s) => s.status === 'failed')?.error;
      const reason = `run ${report.runId} ${report.status}${error ? `: ${error.code}: ${error.message}` : ''}`;
      return failed(reason, error !== undefined && PERMANENT_CODES.has(error.code));
    }
  }

  // Best effort: the log event above already says what was skipped; a failed write here must not re-run the event.
  await automation.deliveries
    .recordOutcome(event.source, event.eventId, outcomeOf(split, report?.runId))
    .catch((e: unknown) =>
      attempt.logger.error('[ticket-sync] could not record the outcome on the delivery log', {
        eventId: event.eventId,
        outcome: split.stale.length > 0 ? 'stale' : 'applied',
        skippedFields: split.stale,
        error: toError(e).message,
      }),
    );
  return { status: 'applied', report, skippedFields: split.stale };
}
