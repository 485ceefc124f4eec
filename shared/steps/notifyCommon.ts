// What the notification and write-back steps share: the clients (rt.notify), the tickets linked to an incident, the
// load-time checks, and one run loop for a non-idempotent write to a ticket: guard (target `ticket:<system>:<id>`),
// dry run showing the exact request, claim, a resumed write checks the ticket for its marker before writing again,
// send, settle.
//
// The link between an incident and its tickets is the tag ticket-sync puts on the incident when a ticket event
// arrives (workflows/ticket-sync.yaml: `ticket:<ticketId>`, the Jira issue key or the ServiceNow number).
import { createHash } from 'node:crypto';
import { AppError, DefenderApiError, InputError } from '../errors';
import type { NotifyServices } from '../notify';
import type { CompiledValue } from '../workflows/expressions';
import { incidentIdOf, isRecord } from './common';
import { settleFailedWrite } from './settleWrite';
import type { Report, StepChange, StepRuntime } from './types';

export function notifyOf(rt: StepRuntime): NotifyServices {
  if (!rt.notify) throw new AppError('CONFIG_INVALID', 'this host built no notification clients (deps.notify)');
  return rt.notify;
}

/** The ticket ids in the incident's `ticket:<id>` tags that match `pattern`, in tag order, without repeats. */
export async function linkedTickets(rt: StepRuntime, incidentId: string, pattern: RegExp): Promise<string[]> {
  const incident = await rt.defender.getIncident(incidentId, rt.signal ? { signal: rt.signal } : {});
  const ids = incident.tags
    .filter((t) => /^ticket:/i.test(t))
    .map((t) => t.slice('ticket:'.length).trim())
    .filter((id) => pattern.test(id));
  return [...new Set(ids)];
}

/** The marker a marked text ends with ("[riposte:ab12cd34]"). */
export const markerOf = (marked: string): string => marked.slice(marked.lastIndexOf('['));

/** @throws {InputError} 'text' unless a non-empty string. */
export function textOf(obj: Record<string, unknown>, field = 'text'): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.trim() === '') throw new InputError(field, `${field} must be a non-empty string`);
  return v;
}

export function optionalIncidentId(obj: Record<string, unknown>): string | undefined {
  const v = obj.incidentId;
  return v === undefined || v === null || v === '' ? undefined : incidentIdOf(v);
}

/** Load time: a ticket step needs its ticket, or an incident to find the linked ones; literal ids must match. */
export function checkTicketInput(field: string, pattern: RegExp, what: string) {
  return (input: CompiledValue, _ctx: unknown, report: Report): void => {
    if (input.kind !== 'object') return;
    const get = (k: string): CompiledValue | undefined => input.entries.find(([key]) => key === k)?.[1];
    const ticket = get(field);
    if (!ticket && !get('incidentId'))
      report('', `set ${field} (${what}), or incidentId to write to the tickets linked to it`);
    if (ticket?.kind === 'literal' && (typeof ticket.value !== 'string' || !pattern.test(ticket.value)))
      report(`.${field}`, `${field} must be ${what}, got ${JSON.stringify(ticket.value)}`);
  };
}

/** The request a write sends, as the StepChange's `request` shows it (its body as `patch`). */
export interface RequestView {
  method: string;
  path: string;
  body: unknown;
}

export interface TicketWrite {
  system: 'jira' | 'servicenow';
  /** Issue key / sys_id. */
  id: string;
  request(text: string): RequestView;
  send(text: string, signal: AbortSignal | undefined): Promise<void>;
  /** True when the ticket already shows `marker` (an earlier attempt's write landed). */
  has(marker: string, signal: AbortSignal | undefined): Promise<boolean>;
}

/** The change's `request` (method, path, body) and `patch` (the fields of the body). */
export function sentAs(r: RequestView): Pick<StepChange, 'patch' | 'request'> {
  const patch =
    r.body !== null && typeof r.body === 'object' && !Array.isArray(r.body) ? { ...(r.body as object) } : {};
  return { patch, request: { method: r.method, path: r.path, body: r.body } };
}

/** A failure before anything was sent: a credential or setting missing, the time budget spent, bad input. */
const beforeSending = (e: unknown): boolean => e instanceof AppError && !(e instanceof DefenderApiError);

/** Writes `text` (marked) to one ticket at most once. */
export async function runTicketWrite(
  w: TicketWrite,
  incidentId: string,
  text: string,
  rt: StepRuntime,
): Promise<StepChange> {
  const targetKey = `ticket:${w.system}:${w.id}`;
  const target = { kind: 'ticket' as const, id: `${w.system}:${w.id}` };
  // As for Teams cards (notifyTeams.ts): a run keyed by an idempotency key or delivery names its writes by step and
  // target only, so the text's hash keeps two different comments to one ticket (a forEach over incidents that share
  // a ticket) apart, each its own write, instead of the second being taken for the first.
  const textHash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const write = await rt.writes.prepare(`${targetKey}:${textHash}`, { kind: `${w.system}Comment`, text });
  const marked = rt.markComment(text, write.markerId);
  const change = (outcome: StepChange['outcome'], replayed = false): StepChange => ({
    incidentId,
    target,
    ...(outcome === 'alreadyDone' ? { patch: {} } : sentAs(w.request(marked))),
    ...(outcome === 'alreadyDone' ? {} : { comment: marked }),
    outcome,
    ...(replayed ? { replayed: true as const } : {}),
  });
  if (write.done) return change('alreadyDone');
  return rt.withIncidentLock(targetKey, async () => {
    if (rt.dryRun) return change('wouldApply');
    const claim = await write.claim();
    if (claim === 'done') return change('alreadyDone');
    const resumed = claim === 'resumed';
    const marker = markerOf(marked);
    try {
      // Only a write an earlier attempt left pending needs the extra read: a comment is not idempotent.
      if (resumed && (await w.has(marker, rt.signal))) {
        await write.complete();
        return change('alreadyDone', true);
      }
      await w.send(marked, rt.signal);
      await write.complete();
    } catch (e) {
      const applied = await settleFailedWrite(write, e, {
        sent: !beforeSending(e),
        partial: resumed,
        incidentId: targetKey,
        logger: rt.logger,
        readBack: () => w.has(marker, rt.signal),
      });
      if (!applied) throw e;
    }
    return change('applied', resumed);
  });
}

/** The outcome of several writes in one word: the one they share, else 'applied' when any was. */
export function overallOutcome(changes: readonly StepChange[]): StepChange['outcome'] {
  const first = changes[0]?.outcome ?? 'unchanged';
  if (changes.every((c) => c.outcome === first)) return first;
  return changes.some((c) => c.outcome === 'applied') ? 'applied' : first;
}

export function countOutcomes(
  changes: readonly StepChange[],
  extra: Record<string, number> = {},
): Record<string, number> {
  const counts: Record<string, number> = { applied: 0, alreadyDone: 0, wouldApply: 0, ...extra };
  for (const c of changes) counts[c.outcome] = (counts[c.outcome] ?? 0) + 1;
  return counts;
}

export { isRecord };
