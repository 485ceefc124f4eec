// Request bodies: size-capped before parsing, JSON only, parse errors named precisely.
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
  return new HttpProblem(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`, 'body');
}

/** Parses a JSON object body. An empty body is `{}` when `allowEmpty`. */
export async function readJsonObject(
  req: HttpRequest,
  options: { maxBytes?: number; allowEmpty?: boolean } = {},
): Promise<Record<string, unknown>> {
  const raw = await readRawBody(req, options.maxBytes);
  return parseJsonObject(raw, options.allowEmpty ?? false, req.headers.get('content-type'));
}

export function parseJsonObject(raw: Buffer, allowEmpty: boolean, contentType: string | null): Record<string, unknown> {
  if (raw.length === 0) {
    if (allowEmpty) return {};
    throw new HttpProblem(400, 'INPUT_INVALID', 'Request body is required (a JSON object)', 'body');
  }
  if (contentType && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', 'body');
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    const detail = e instanceof SyntaxError ? `: ${e.message}` : '';
    throw new HttpProblem(400, 'INPUT_INVALID', `Request body is not valid UTF-8 JSON${detail}`, 'body');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpProblem(400, 'INPUT_INVALID', 'Request body must be a JSON object', 'body');
  }
  return value as Record<string, unknown>;
}
