// listIncidents: the client's IncidentFilter (with `expandAlerts` for each incident's alerts and evidence), plus `updatedBefore` (for "not touched in N days"), which no API
// filters server-side: it is applied here, before `limit`.
import { InputError } from '../errors';
import { parseSeverity, parseStatus } from '../defender/enums';
import type { Incident, IncidentFilter, IncidentStatus, Severity } from '../defender/types';
import { expectObject, optionalInstant, optionalString } from './common';
import type { ActionModule, StepResult, StepRuntime } from './types';

export interface ListIncidentsInput {
  filter: IncidentFilter;
  updatedBefore: string | undefined;
  limit: number | undefined;
}

export interface ListIncidentsOutput {
  count: number;
  incidents: Incident[];
}

function enumList<T>(
  obj: Record<string, unknown>,
  field: string,
  parseOne: (v: unknown) => T | undefined,
): T[] | undefined {
  const raw = obj[field];
  if (raw === undefined || raw === null) return undefined;
  const values = Array.isArray(raw) ? raw : [raw];
  return values.map((v, i) => {
    const parsed = parseOne(v);
    if (parsed === undefined)
      throw new InputError(
        Array.isArray(raw) ? `${field}[${i}]` : field,
        `${field} '${String(v)}' is not a known value`,
      );
    return parsed;
  });
}

function parse(value: unknown): ListIncidentsInput {
  const obj = expectObject(value ?? {}, [
    'status',
    'severity',
    'assignedTo',
    'createdSince',
    'updatedSince',
    'updatedBefore',
    'limit',
    'expandAlerts',
  ]);
  const filter: IncidentFilter = {};
  const status = enumList<IncidentStatus>(obj, 'status', parseStatus);
  if (status) filter.status = status;
  const severity = enumList<Severity>(obj, 'severity', parseSeverity);
  if (severity) filter.severity = severity;
  const assignedTo = optionalString(obj, 'assignedTo');
  if (assignedTo !== undefined) filter.assignedTo = assignedTo;
  const createdSince = optionalInstant(obj, 'createdSince');
  if (createdSince) filter.createdSince = createdSince;
  const updatedSince = optionalInstant(obj, 'updatedSince');
  if (updatedSince) filter.updatedSince = updatedSince;
  if (obj.expandAlerts !== undefined && obj.expandAlerts !== null) {
    if (typeof obj.expandAlerts !== 'boolean')
      throw new InputError('expandAlerts', 'expandAlerts must be true or false');
    if (obj.expandAlerts) filter.expandAlerts = true;
  }
  let limit: number | undefined;
  if (obj.limit !== undefined && obj.limit !== null) {
    if (typeof obj.limit !== 'number' || !Number.isInteger(obj.limit) || obj.limit < 1)
      throw new InputError('limit', 'limit must be a positive integer');
    limit = obj.limit;
  }
  return { filter, updatedBefore: optionalInstant(obj, 'updatedBefore'), limit };
}

async function run(input: ListIncidentsInput, rt: StepRuntime): Promise<StepResult> {
  const before = input.updatedBefore ? Date.parse(input.updatedBefore) : undefined;
  // With a local filter the server-side limit would cut too early; apply it here instead.
  const filter: IncidentFilter =
    before === undefined && input.limit !== undefined ? { ...input.filter, limit: input.limit } : input.filter;
  const incidents: Incident[] = [];
  for await (const incident of rt.defender.listIncidents(filter, rt.signal ? { signal: rt.signal } : {})) {
    if (before !== undefined && !(Date.parse(incident.lastUpdateDateTime) < before)) continue;
    incidents.push(incident);
    if (input.limit !== undefined && incidents.length >= input.limit) break;
  }
  const output: ListIncidentsOutput = { count: incidents.length, incidents };
  return { output, counts: { incidents: incidents.length }, changes: [] };
}

export const listIncidents: ActionModule<ListIncidentsInput> = { parse, run };
