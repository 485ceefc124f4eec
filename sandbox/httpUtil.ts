// The sandbox's tiny HTTP layer: handlers get a fully-read request and return a plain Reply, which keeps every
// emulated endpoint a small, mostly pure function.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface SandboxRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Our id for this request (Graph `request-id`, Entra `trace_id`, Key Vault `x-ms-request-id`). */
  requestId: string;
  /** The caller's `client-request-id` (header or query), echoed back like the real services do. */
  clientRequestId: string | undefined;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  /** Reset the connection instead of answering (outage faults). */
  destroy?: boolean;
}

export const JSON_UTF8 = 'application/json; charset=utf-8';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers: { 'content-type': JSON_UTF8, ...headers } };
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export async function readRequest(raw: IncomingMessage, origin: string): Promise<SandboxRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(b);
  }
  const url = new URL(raw.url ?? '/', origin);
  const header = raw.headers['client-request-id'];
  const clientRequestId =
    (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('client-request-id') ?? undefined;
  return {
    method: (raw.method ?? 'GET').toUpperCase(),
    url,
    headers: raw.headers,
    body: Buffer.concat(chunks),
    requestId: randomUUID(),
    clientRequestId,
  };
}

export function header(req: SandboxRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses a JSON body; `undefined` when it is empty, `Error` when it is not JSON. */
export function jsonBody(req: SandboxRequest): unknown {
  const text = req.body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export function formBody(req: SandboxRequest): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Path and query for the request log, without parameters that could carry credentials. */
export function loggablePath(url: URL): string {
  const q = new URLSearchParams(url.search);
  for (const k of [...q.keys()]) {
    if (/secret|token|assertion|password|code|key|sig/i.test(k)) q.set(k, 'REDACTED');
  }
  const s = q.toString();
  return s ? `${url.pathname}?${s}` : url.pathname;
}
