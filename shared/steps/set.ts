// set: evaluates named values once so several later steps can use them ($steps.<id>.<name>), e.g. a verdict looked
// up in a mapping table. Pure: no API call.
import { InputError } from '../errors';
import { isRecord } from './common';
import type { ActionModule, StepResult } from './types';

function parse(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new InputError('input', 'input must be an object of named values');
  return value;
}

async function run(input: Record<string, unknown>): Promise<StepResult> {
  return { output: input, counts: {}, changes: [] };
}

export const set: ActionModule<Record<string, unknown>> = { parse, run };
