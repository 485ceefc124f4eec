// Guards every adapter shares: the body must be a UTF-8 JSON object, and headers are read case-insensitively.
import { InputError } from '../errors';

// fatal: a body with invalid UTF-8 is refused instead of being read with U+FFFD (which would change its meaning).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * @throws {InputError} field `body` when the bytes are not UTF-8, not JSON, or not a JSON object.
 */
export function parseBodyObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch (e) {
    // Any failure, including a RangeError from absurd nesting, is the sender's fault.
    throw new InputError('body', 'Body must be a JSON object', { cause: e });
  }
  if (!isRecord(value)) throw new InputError('body', 'Body must be a JSON object');
  return value;
}

/** The header's value, trimmed; names are matched in any case although callers give lower case. */
export function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  let v = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (v === undefined) {
    for (const [k, value] of Object.entries(headers)) {
      if (k.toLowerCase() === name) {
        v = value;
        break;
      }
    }
  }
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}
