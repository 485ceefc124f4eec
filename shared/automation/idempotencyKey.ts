// Where an HTTP run's idempotency key comes from, checked before any lookup (the draft's security note: a fixed key
// format, validated first). Three sources:
// - the `Idempotency-Key` header: an RFC 8941 sf-string, so quoted ("8e03978e-…"); an unquoted token is accepted
//   too, as older clients send one (draft-ietf-httpapi-idempotency-key-header-06 §2.1);
// - `idempotencyKey` in the body (the same key: both given and different is refused, naming the field);
// - derived for Logic Apps when neither is given: its run id and action name (which every iteration of a For each
//   shares) plus a fingerprint of the body, so iterations sending different bodies are different requests while a
//   retry of one (same body) is the same request.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../engine/writeGuard';
import { InputError } from '../errors';

/** 1-200 visible ASCII characters except `"` and `\`: a UUID, a ULID, a random token or "ticket-42/close". */
const KEY_FORMAT = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const FORMAT_TEXT = '1-200 visible ASCII characters without spaces, quotes or backslashes (a UUID is recommended)';

/** The Logic Apps headers on an outbound HTTP action call. */
export interface LogicAppsHeaders {
  /** `x-ms-workflow-run-id` (= workflow().run.name). */
  runId?: string | null | undefined;
  /** `x-ms-workflow-operation-name`: the calling action's name. */
  operationName?: string | null | undefined;
  /**
   * `x-ms-workflow-repeatitem-scope-name`, `-repeatitem-index`, `-repeatitem-batch-index`: UNCONFIRMED names (no
   * Microsoft page documents them: shared/reference/integration-conventions.md §1.1; the docs and code corpora were
   * searched again for this change). Used only when present, as extra key material, never needed: the body
   * fingerprint already tells For each iterations with different bodies apart.
   */
  repeatItem?: (string | null | undefined)[];
}

export interface KeySources {
  header?: string | null | undefined;
  body?: unknown;
  logicApps?: LogicAppsHeaders;
  /** What the derived key fingerprints: the request body as parsed. */
  requestBody: Record<string, unknown>;
}

export type ResolvedKey = { key: string; source: 'header' | 'body' | 'logicApps' } | undefined;

/** @returns the header's key with its sf-string quoting undone. @throws {InputError} naming the header. */
function parseHeader(raw: string): string {
  const text = raw.trim();
  if (!text.startsWith('"')) return text;
  // sf-string: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE (RFC 8941 §3.3.3).
  const m = /^"((?:[^"\\]|\\["\\])*)"$/.exec(text);
  if (!m) throw new InputError('Idempotency-Key', 'Idempotency-Key header is not a valid quoted string');
  return (m[1] ?? '').replace(/\\(["\\])/g, '$1');
}

function checkFormat(key: string, field: string): string {
  if (!KEY_FORMAT.test(key)) throw new InputError(field, `${field} must be ${FORMAT_TEXT}`);
  return key;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * @returns the key and where it came from, or undefined when the request has none.
 * @throws {InputError} for a malformed key, or header and body naming different keys.
 */
export function resolveIdempotencyKey(s: KeySources): ResolvedKey {
  const header =
    s.header !== undefined && s.header !== null ? checkFormat(parseHeader(s.header), 'Idempotency-Key') : undefined;
  let body: string | undefined;
  if (s.body !== undefined) {
    if (typeof s.body !== 'string') throw new InputError('idempotencyKey', `idempotencyKey must be ${FORMAT_TEXT}`);
    body = checkFormat(s.body, 'idempotencyKey');
  }
  if (header !== undefined && body !== undefined && header !== body) {
    throw new InputError(
      'idempotencyKey',
      'idempotencyKey differs from the Idempotency-Key header; send one key (or the same in both)',
    );
  }
  if (header !== undefined) return { key: header, source: 'header' };
  if (body !== undefined) return { key: body, source: 'body' };
  const la = s.logicApps;
  if (la?.runId && la.operationName) {
    const { idempotencyKey: _ignored, ...request } = s.requestBody;
    const material = [la.runId, la.operationName, ...(la.repeatItem ?? []).map((v) => v ?? ''), canonicalJson(request)];
    // Hashed: action names are free text, and the key ends up in write keys and comment markers.
    return { key: `logicapps-${sha256(material.join('\n')).slice(0, 40)}`, source: 'logicApps' };
  }
  return undefined;
}
