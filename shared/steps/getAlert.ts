// getAlert: one Graph alert; its output is the alert itself ($steps.<id>.status, .evidence.devices…).
import { ALERTS_API, alertIdOf, alertsOf } from './alertCommon';
import { expectObject } from './common';
import type { ActionModule, StepResult, StepRuntime } from './types';

export interface GetAlertInput {
  alertId: string;
}

function parse(value: unknown): GetAlertInput {
  const obj = expectObject(value, ['alertId']);
  return { alertId: alertIdOf(obj.alertId) };
}

async function run(input: GetAlertInput, rt: StepRuntime): Promise<StepResult> {
  const alert = await alertsOf(rt).getAlert(input.alertId, rt.signal ? { signal: rt.signal } : {});
  return { output: alert, counts: { alerts: 1 }, changes: [] };
}

export const getAlert: ActionModule<GetAlertInput> = { graphOnly: ALERTS_API, parse, run };
