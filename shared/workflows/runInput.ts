// The run input checked against the workflow's `input:` declaration before any step runs. Values are not coerced
// (a webhook mapping hands over typed JSON), so "7" for an integer field is an error that names the field.
import { InputError } from '../errors';
import type { InputField, Workflow } from './types';

const TYPE_WORDS: Record<InputField['type'], string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

function typeOk(type: InputField['type'], v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/**
 * @returns the input with defaults filled in.
 * @throws {InputError} whose field is `input.<name>` (or `input` when it is not an object).
 */
export function validateRunInput(workflow: Pick<Workflow, 'name' | 'input'>, input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new InputError('input', `input of workflow '${workflow.name}' must be a JSON object`);
  const given = input as Record<string, unknown>;
  const declared = new Map(workflow.input.map((f) => [f.name, f]));
  for (const key of Object.keys(given)) {
    if (!declared.has(key)) {
      const names = [...declared.keys()];
      throw new InputError(
        `input.${key}`,
        `input.${key} is not an input of workflow '${workflow.name}'` +
          (names.length ? `; it accepts: ${names.join(', ')}` : '; it accepts no input'),
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const f of workflow.input) {
    const field = `input.${f.name}`;
    const v = given[f.name] ?? f.default;
    if (v === undefined) {
      if (f.required) throw new InputError(field, `${field} is required`);
      continue;
    }
    if (!typeOk(f.type, v)) throw new InputError(field, `${field} must be ${TYPE_WORDS[f.type]}, got ${show(v)}`);
    if (f.type === 'string' && f.required && (v as string).trim() === '')
      throw new InputError(field, `${field} must not be empty`);
    if (f.enum && !f.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
      throw new InputError(
        field,
        `${field} ${show(v)} is not allowed; use one of: ${f.enum.map((e) => show(e)).join(', ')}`,
      );
    }
    if (typeof v === 'number') {
      if (f.minimum !== undefined && v < f.minimum)
        throw new InputError(field, `${field} must be at least ${f.minimum}, got ${v}`);
      if (f.maximum !== undefined && v > f.maximum)
        throw new InputError(field, `${field} must be at most ${f.maximum}, got ${v}`);
    }
    out[f.name] = v;
  }
  return out;
}
