// getIncident: reads one incident; its output is the incident itself ($steps.<id>.status, .tags, .comments…).
import type { ApiBackend } from '../defender/types';
import { expectObject, incidentIdOf } from './common';
import type { ActionModule, StepResult, StepRuntime } from './types';

export interface GetIncidentInput {
  incidentId: string;
}

function parse(value: unknown, backend: ApiBackend): GetIncidentInput {
  const obj = expectObject(value, ['incidentId']);
  return { incidentId: incidentIdOf(obj.incidentId, 'incidentId', backend) };
}

async function run(input: GetIncidentInput, rt: StepRuntime): Promise<StepResult> {
  const incident = await rt.defender.getIncident(input.incidentId, rt.signal ? { signal: rt.signal } : {});
  return { output: incident, counts: { incidents: 1 }, changes: [] };
}

export const getIncident: ActionModule<GetIncidentInput> = { parse, run };
