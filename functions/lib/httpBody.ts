// Request bodies: size-capped before parsing, JSON only (415 otherwise, before the body is read), parse errors named
// precisely.
import type { HttpRequest } from '@azure/functions';
import { HttpProblem } from './httpErrors';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** Reads the raw body, refusing more than maxBytes without buffering the excess. */
export async function readRawBody(req: HttpRequest, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`, { field: 'body' });
}

/** `application/json` or any `application/<x>+json` (RFC 6839 §3.1), parameters allowed. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;

/**
 * Refuses a body that is not declared JSON: 415 naming the expected type. A missing Content-Type is refused only when
 * there is a body (`hasBody`): an empty POST to an endpoint whose body is optional needs no type. A charset, when
 * given, must be UTF-8, the only encoding JSON may be exchanged in (RFC 8259 §8.1).
 */
export function checkJsonContentType(contentType: string | null, hasBody: boolean): void {
  const text = contentType?.trim() ?? '';
  if (text === '') {
    if (!hasBody) return;
    throw mediaType('Content-Type: application/json is required with a request body');
  }
  const [type = '', ...params] = text.split(';');
  const shown = JSON.stringify(text.slice(0, 100));
  if (!JSON_MEDIA_TYPE.test(type.trim().toLowerCase())) {
    throw mediaType(`Content-Type must be application/json (or application/*+json), not ${shown}`);
  }
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') throw mediaType(`JSON must be sent as UTF-8, not ${shown}`);
  }
}

function mediaType(message: string): HttpProblem {
  return new HttpProblem('UNSUPPORTED_MEDIA_TYPE', message, { field: 'content-type' });
}

/** Parses a JSON object body. An empty body is `{}` when `allowEmpty`. */
export async function readJsonObject(
  req: HttpRequest,
  options: { maxBytes?: number; allowEmpty?: boolean } = {},
): Promise<Record<string, unknown>> {
  const contentType = req.headers.get('content-type');
  // A declared wrong type is refused before reading; a missing one only once we know there is a body.
  if (contentType !== null && contentType.trim() !== '') checkJsonContentType(contentType, true);
  const raw = await readRawBody(req, options.maxBytes);
  return parseJsonObject(raw, options.allowEmpty ?? false, contentType);
}

export function parseJsonObject(raw: Buffer, allowEmpty: boolean, contentType: string | null): Record<string, unknown> {
  if (raw.length === 0) {
    if (allowEmpty) return {};
    throw new HttpProblem('INPUT_INVALID', 'Request body is required (a JSON object)', { field: 'body' });
  }
  checkJsonContentType(contentType, true);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    const detail = e instanceof SyntaxError ? `: ${e.message}` : '';
    throw new HttpProblem('INPUT_INVALID', `Request body is not valid UTF-8 JSON${detail}`, { field: 'body' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpProblem('INPUT_INVALID', 'Request body must be a JSON object', { field: 'body' });
  }
  return value as Record<string, unknown>;
}
