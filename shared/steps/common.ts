// Small input helpers shared by the step modules. Field names in errors are relative to the step's `input`.
import { incidentPath } from '../defender/backendCommon';
import type { ApiBackend } from '../defender/types';
import { InputError } from '../errors';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** @throws {InputError} unless `value` is an object; unknown keys are refused so a typo never goes unnoticed. */
export function expectObject(value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!isRecord(value)) throw new InputError('input', 'input must be an object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new InputError(key, `${key} is not an input of this step; use: ${allowed.join(', ')}`);
  }
  return value;
}

/**
 * Incident ids arrive as strings (Graph) or numbers (hunting rows, legacy): always a non-empty string after this.
 * With `backend`, the id is also checked the way that API's client checks it, so a malformed id fails here, naming
 * the step's field, rather than inside the client naming its own parameter.
 */
export function incidentIdOf(value: unknown, field = 'incidentId', backend?: ApiBackend): string {
  let id: string | undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) id = String(value);
  else if (typeof value === 'string' && value.trim() !== '') id = value.trim();
  if (id === undefined) {
    const got = value === undefined ? 'nothing' : (JSON.stringify(value)?.slice(0, 60) ?? typeof value);
    throw new InputError(field, `${field} must be an incident id (a non-empty string or number), got ${got}`);
  }
  if (backend !== undefined) {
    try {
      incidentPath('', id, backend === 'legacy');
    } catch (e) {
      throw new InputError(field, `${field}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return id;
}

export function optionalString(obj: Record<string, unknown>, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(field, `${field} must be a string`);
  return v;
}

export function optionalInstant(obj: Record<string, unknown>, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null || v === '') return undefined;
  const d = typeof v === 'string' || v instanceof Date ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime()))
    throw new InputError(field, `${field} must be an ISO-8601 date-time, got ${JSON.stringify(v)}`);
  return d.toISOString();
}

/** Sorted, de-duplicated copy: intent hashes must not depend on the order a list was written in. */
export const canonicalList = (xs: readonly string[] | undefined): string[] | undefined =>
  xs ? [...new Set(xs)].sort() : undefined;
