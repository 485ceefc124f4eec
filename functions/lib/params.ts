// Route and query parameters, validated at the edge with errors that name the parameter.
import type { HttpRequest } from '@azure/functions';
import { InputError } from '../../shared/errors';

/** `code` carries the function key (the host reads it before us): always allowed, never named back. */
const FUNCTION_KEY_PARAMETER = 'code';

/**
 * Refuses query parameters the endpoint does not read, so a typo (`?stauts=active`) is a 400 naming it instead of a
 * silently unfiltered answer.
 */
export function rejectUnknownQuery(req: HttpRequest, allowed: readonly string[]): void {
  for (const name of new Set(req.query.keys())) {
    if (name === FUNCTION_KEY_PARAMETER || allowed.includes(name)) continue;
    const shown = JSON.stringify(name.slice(0, 40));
    const expected = allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'this endpoint takes none';
    throw new InputError(name.slice(0, 40), `Unknown query parameter ${shown}; ${expected}`);
  }
}

/** Defender incident ids are numeric on both APIs (Graph sends them as strings). */
export function incidentIdParam(req: HttpRequest): string {
  const id = req.params.id ?? '';
  if (!/^\d{1,19}$/.test(id)) throw new InputError('id', 'id must be a numeric Defender incident id');
  return id;
}

/** Comma-separated or repeated query values: `?status=active,inProgress` or `?status=a&status=b`. */
export function listParam(req: HttpRequest, name: string): string[] | undefined {
  const values = req.query.getAll(name).flatMap((v) => v.split(','));
  const cleaned = values.map((v) => v.trim()).filter((v) => v !== '');
  return cleaned.length > 0 ? cleaned : undefined;
}

export function intParam(req: HttpRequest, name: string, fallback: number, min: number, max: number): number {
  const raw = req.query.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(name, `${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

export function boolParam(req: HttpRequest, name: string, fallback = false): boolean {
  const raw = req.query.get(name)?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new InputError(name, `${name} must be true or false`);
}
