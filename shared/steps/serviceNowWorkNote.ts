// serviceNowWorkNote: adds a work note to a ServiceNow record (Table API), the one given (sys_id or number) or each
// record linked to the incident, at most once per record and distinct text (or per delivery). The note ends with
// Riposte's marker, so the business rule's echo of it is recognised and not applied back to the incident
// (shared/webhooks/parseServiceNow.ts).
import { AppError, InputError } from '../errors';
import { checkTable, SERVICENOW_NUMBER, SYS_ID, type ServiceNowClient } from '../notify/serviceNow';
import { expectObject } from './common';
import {
  checkTicketInput,
  countOutcomes,
  linkedTickets,
  notifyOf,
  optionalIncidentId,
  overallOutcome,
  runTicketWrite,
  textOf,
} from './notifyCommon';
import type { ActionModule, StepChange, StepResult, StepRuntime } from './types';

export interface ServiceNowWorkNoteInput {
  incidentId?: string;
  ticket?: string;
  table: string;
  text: string;
}

const TICKET = new RegExp(`${SYS_ID.source}|${SERVICENOW_NUMBER.source}`);

function parse(value: unknown): ServiceNowWorkNoteInput {
  const obj = expectObject(value, ['incidentId', 'ticket', 'table', 'text']);
  const incidentId = optionalIncidentId(obj);
  const raw = obj.ticket === undefined || obj.ticket === null || obj.ticket === '' ? undefined : obj.ticket;
  if (raw !== undefined && (typeof raw !== 'string' || !TICKET.test(raw.trim())))
    throw new InputError(
      'ticket',
      `ticket must be a ServiceNow sys_id or number (INC0010001), got ${JSON.stringify(raw)}`,
    );
  if (raw === undefined && incidentId === undefined)
    throw new InputError('ticket', 'set ticket, or incidentId to add the note to the records linked to it');
  const table = obj.table === undefined ? 'incident' : obj.table;
  if (typeof table !== 'string') throw new InputError('table', 'table must be a string');
  checkTable(table);
  return {
    table,
    text: textOf(obj),
    ...(incidentId !== undefined ? { incidentId } : {}),
    ...(typeof raw === 'string' ? { ticket: raw.trim() } : {}),
  };
}

function serviceNowOf(rt: StepRuntime): ServiceNowClient {
  const sn = notifyOf(rt).servicenow;
  if (!sn)
    throw new AppError(
      'CONFIG_INVALID',
      'serviceNowWorkNote needs SERVICENOW_BASE_URL (and the SERVICENOW_SECRET_NAME secret)',
    );
  return sn;
}

async function run(input: ServiceNowWorkNoteInput, rt: StepRuntime): Promise<StepResult> {
  const sn = serviceNowOf(rt);
  const incidentId = input.incidentId ?? '';
  const tickets = input.ticket ? [input.ticket] : await linkedTickets(rt, incidentId, SERVICENOW_NUMBER);
  if (tickets.length === 0)
    rt.logger.info('[serviceNowWorkNote] no ServiceNow record linked to the incident', { incidentId });
  const changes: StepChange[] = [];
  for (const ticket of tickets) {
    // The write is keyed by sys_id, whichever way the record was named.
    const sysId = await sn.resolve(input.table, ticket, rt.signal);
    changes.push(
      await runTicketWrite(
        {
          system: 'servicenow',
          id: sysId,
          request: (text) => sn.preview(input.table, sysId, text),
          send: (text, signal) => sn.addWorkNote(input.table, sysId, text, signal),
          has: (marker, signal) => sn.hasWorkNote(input.table, sysId, marker, signal),
        },
        incidentId,
        input.text,
        rt,
      ),
    );
  }
  return {
    output: {
      tickets: changes.map((c, i) => ({
        ticket: tickets[i],
        sysId: c.target?.id.slice('servicenow:'.length),
        outcome: c.outcome,
      })),
      outcome: overallOutcome(changes),
    },
    counts: countOutcomes(changes, { notLinked: tickets.length === 0 ? 1 : 0 }),
    changes,
  };
}

export const serviceNowWorkNote: ActionModule<ServiceNowWorkNoteInput> = {
  check: checkTicketInput('ticket', TICKET, 'a ServiceNow sys_id or number (INC0010001)'),
  parse,
  run,
};
