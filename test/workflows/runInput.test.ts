// The run input is checked against the workflow's declaration before anything runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../shared/errors';
import { validateRunInput } from '../../shared/workflows/runInput';
import type { InputField } from '../../shared/workflows/types';

const wf = (input: InputField[]) => ({ name: 'wf', input });
const fields: InputField[] = [
  { name: 'incidentId', type: 'string', required: true },
  { name: 'days', type: 'integer', required: false, default: 7, minimum: 1, maximum: 90 },
  { name: 'code', type: 'string', required: false, enum: ['a', 'b'] },
  { name: 'tags', type: 'array', required: false },
];

function inputError(input: unknown, declared: InputField[] = fields): [string, string] {
  try {
    validateRunInput(wf(declared), input);
  } catch (e) {
    assert.ok(e instanceof InputError);
    return [e.field, e.message];
  }
  throw new Error('expected an InputError');
}

describe('validateRunInput', () => {
  it('fills defaults and keeps declared values', () => {
    assert.deepEqual(validateRunInput(wf(fields), { incidentId: '42', tags: ['x'] }), {
      incidentId: '42',
      days: 7,
      tags: ['x'],
    });
    assert.deepEqual(validateRunInput(wf([]), undefined), {});
  });

  it('names the field in every refusal', () => {
    assert.deepEqual(inputError({}), ['input.incidentId', 'input.incidentId is required']);
    assert.deepEqual(inputError({ incidentId: '  ' }), ['input.incidentId', 'input.incidentId must not be empty']);
    assert.deepEqual(inputError({ incidentId: 42 }), ['input.incidentId', 'input.incidentId must be a string, got 42']);
    assert.deepEqual(inputError({ incidentId: '1', days: '7' }), [
      'input.days',
      'input.days must be an integer, got "7"',
    ]);
    assert.deepEqual(inputError({ incidentId: '1', days: 1.5 }), [
      'input.days',
      'input.days must be an integer, got 1.5',
    ]);
    assert.deepEqual(inputError({ incidentId: '1', days: 0 }), ['input.days', 'input.days must be at least 1, got 0']);
    assert.deepEqual(inputError({ incidentId: '1', days: 91 }), [
      'input.days',
      'input.days must be at most 90, got 91',
    ]);
    assert.deepEqual(inputError({ incidentId: '1', code: 'c' }), [
      'input.code',
      'input.code "c" is not allowed; use one of: "a", "b"',
    ]);
    assert.deepEqual(inputError({ incidentId: '1', tags: 'x' }), ['input.tags', 'input.tags must be a list, got "x"']);
    assert.deepEqual(inputError({ incidentId: '1', extra: true }), [
      'input.extra',
      "input.extra is not an input of workflow 'wf'; it accepts: incidentId, days, code, tags",
    ]);
    assert.deepEqual(inputError({ x: 1 }, []), [
      'input.x',
      "input.x is not an input of workflow 'wf'; it accepts no input",
    ]);
    assert.deepEqual(inputError([1]), ['input', "input of workflow 'wf' must be a JSON object"]);
  });
});
