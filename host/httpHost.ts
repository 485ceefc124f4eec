// The HTTP side of the host: `/<routePrefix>/<route>` routing with methods, auth levels with keys from
// `x-functions-key` (first) or `?code=`, the 100 MB request cap, and RPC conversion both ways
// (webhooks-and-host.md §5.1). Keys are compared in constant time and never logged; logged paths omit the query.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from './fakeCore';
import { registrations } from './fakeCore';
import type { Invoker } from './invoker';
import { compareRoutes, type CompiledRoute } from './routeTemplate';

/** The host's request length limit (104,857,600 bytes). */
export const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

export interface HttpFunction {
  name: string;
  route: CompiledRoute;
  methods: Set<string>;
  authLevel: 'anonymous' | 'function' | 'admin';
}

export interface Keys {
  functionKey: string;
  masterKey: string;
}

/** Admin API callbacks (`/admin/...`, master key only). */
export interface AdminApi {
  /** Run a non-HTTP function now with `input`; false when there is no such function. */
  invokeNonHttp(name: string, input: string): boolean;
}

export interface HttpHostOptions {
  routePrefix: string;
  functions: HttpFunction[];
  keys: Keys;
  invoker: Invoker;
  admin: AdminApi;
  log: (message: string) => void;
  maxRequestBytes?: number;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time key check: hashing first makes both sides the same length whatever was sent. */
function keyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined || given === '' || expected === '') return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function send(res: ServerResponse, status: number, body?: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const bytes = Buffer.from(body ?? '', 'utf8');
  const typed = body === undefined ? headers : { 'content-type': 'text/plain; charset=utf-8', ...headers };
  // writeHead fixes the headers, so say the length here or node falls back to chunked encoding.
  res.writeHead(status, status === 204 ? typed : { ...typed, 'content-length': String(bytes.length) });
  res.end(bytes);
}

/**
 * The host's own refusal of a request without a valid key. Azure's host answers this 401 itself, with an empty body
 * (a bare StatusCodeResult; webhooks-and-host.md §5.1); locally it carries the app's JSON error shape so a developer
 * sees which key is missing. Never says which keys exist or echoes the one given.
 */
function sendUnauthorized(res: ServerResponse, level: HttpFunction['authLevel']): void {
  const need = level === 'admin' ? 'the master key' : 'a function key (or the master key)';
  const body = {
    error: {
      code: 'UNAUTHENTICATED',
      message: `This route needs ${need}: send it as the x-functions-key header or the code query parameter`,
      field: 'x-functions-key',
    },
  };
  send(res, 401, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8' });
}

function rpcBodyBytes(body: RpcTypedData | null | undefined): Buffer | undefined {
  if (!body) return undefined;
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.string !== undefined && body.string !== null) return Buffer.from(body.string, 'utf8');
  if (body.json !== undefined && body.json !== null) return Buffer.from(body.json, 'utf8');
  return undefined;
}

/** RPC `none` means "not set"; `explicitNone` is `SameSite=None`. */
const SAME_SITE: Record<string, string> = { lax: 'lax', strict: 'strict', explicitNone: 'none' };

/** ASP.NET's Set-Cookie form: lower-case attributes, url-encoded value, path "/" unless given. */
export function toSetCookie(c: RpcHttpCookie): string {
  const parts = [`${c.name ?? ''}=${encodeURIComponent(c.value ?? '')}`];
  const expires = c.expires?.value?.seconds;
  if (expires !== undefined && expires !== null) parts.push(`expires=${new Date(expires * 1000).toUTCString()}`);
  const maxAge = c.maxAge?.value;
  if (maxAge !== undefined && maxAge !== null) parts.push(`max-age=${Math.trunc(maxAge)}`);
  if (c.domain?.value) parts.push(`domain=${c.domain.value}`);
  parts.push(`path=${c.path?.value || '/'}`);
  if (c.secure?.value) parts.push('secure');
  const sameSite = SAME_SITE[c.sameSite ?? ''];
  if (sameSite) parts.push(`samesite=${sameSite}`);
  if (c.httpOnly?.value) parts.push('httponly');
  return parts.join('; ');
}

class TooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Build the request handler for node:http. */
export function createHttpHandler(o: HttpHostOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const functions = [...o.functions].sort((a, b) => compareRoutes(a.route, b.route));
  const limit = o.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const prefix = o.routePrefix ? `/${o.routePrefix.toLowerCase()}` : '';

  const keyFrom = (req: IncomingMessage, url: URL): string | undefined => {
    const header = req.headers['x-functions-key'];
    if (header !== undefined) return Array.isArray(header) ? header[0] : header; // the header wins over ?code=
    return url.searchParams.get('code') ?? undefined;
  };

  const authorised = (level: HttpFunction['authLevel'], key: string | undefined): boolean => {
    if (level === 'anonymous') return true;
    if (keyMatches(key, o.keys.masterKey)) return true;
    return level === 'function' && keyMatches(key, o.keys.functionKey);
  };

  const refuseLargeBody = (req: IncomingMessage, res: ServerResponse): void => {
    // Answer first, then drop the connection instead of reading up to 100 MB of unwanted upload.
    send(res, 413, undefined, { connection: 'close' });
    res.on('finish', () => req.destroy());
  };

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!keyMatches(keyFrom(req, url), o.keys.masterKey)) return sendUnauthorized(res, 'admin');
    const path = url.pathname.replace(/\/+$/, '');
    if (req.method === 'GET' && path === '/admin/host/status') {
      return send(res, 200, JSON.stringify({ state: 'Running', version: '4.x-local' }), {
        'content-type': 'application/json; charset=utf-8',
      });
    }
    const m = /^\/admin\/functions\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && m) {
      let input: string;
      try {
        const raw = (await readBody(req, limit)).toString('utf8');
        const parsed = raw ? (JSON.parse(raw) as { input?: unknown }) : {};
        input = typeof parsed.input === 'string' ? parsed.input : JSON.stringify(parsed.input ?? '');
      } catch (err) {
        if (err instanceof TooLarge) return refuseLargeBody(req, res);
        return send(res, 400);
      }
      return send(res, o.admin.invokeNonHttp(decodeURIComponent(m[1]!), input) ? 202 : 404);
    }
    return send(res, 404);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const path = url.pathname;
    if (path === '/admin' || path.startsWith('/admin/')) return handleAdmin(req, res, url);

    let rest: string | undefined;
    if (!prefix) rest = path;
    else if (path.toLowerCase() === prefix || path.toLowerCase().startsWith(`${prefix}/`))
      rest = path.slice(prefix.length);

    let target: HttpFunction | undefined;
    let params: Record<string, string> = {};
    if (rest !== undefined) {
      for (const f of functions) {
        const values = f.route.match(rest);
        // A method mismatch is a route mismatch for the host: it answers 404, not 405.
        if (values && f.methods.has(method)) {
          [target, params] = [f, values];
          break;
        }
      }
    }
    if (!target) {
      if (path === '/' && (method === 'GET' || method === 'HEAD')) {
        return send(res, 200, 'Your Functions 4.0 app is up and running (local host)\n');
      }
      return send(res, 404);
    }
    if (!authorised(target.authLevel, keyFrom(req, url))) return sendUnauthorized(res, target.authLevel);

    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return refuseLargeBody(req, res);
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (err) {
      if (err instanceof TooLarge) return refuseLargeBody(req, res);
      throw err;
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const query: Record<string, string> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
    const http: RpcHttpData = {
      method,
      url: url.toString(),
      headers,
      params,
      query,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    };

    const outcome = await o.invoker.run(target.name, { http }, { reason: `HTTP ${method} ${path}` });
    if (!outcome.ok || !outcome.response) return send(res, 500);
    writeResponse(target.name, method, res, outcome.response.returnValue, outcome.response.outputData);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.log(`Host error while handling ${req.method} ${(req.url ?? '').split('?')[0]}: ${String(err)}`);
      send(res, 500);
    });
  };
}

function writeResponse(
  name: string,
  method: string,
  res: ServerResponse,
  returnValue: RpcTypedData | null | undefined,
  outputData: Array<{ name: string; data: RpcTypedData | null | undefined }> | undefined,
): void {
  let rpc: RpcHttpData | null | undefined = returnValue?.http;
  if (!rpc) {
    // An HTTP output binding other than `$return` (rare, but the library allows it).
    const bindings = registrations.get(name)?.metadata.bindings ?? {};
    const out = outputData?.find((o) => String(bindings[o.name]?.type).toLowerCase() === 'http');
    rpc = out?.data?.http;
  }
  if (!rpc) return send(res, 204);
  const status = Number.parseInt(rpc.statusCode ?? '200', 10) || 200;
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(rpc.headers ?? {})) {
    // Framing is ours to decide: a stale content-length from the function would corrupt the response.
    if (!['content-length', 'transfer-encoding', 'connection'].includes(k.toLowerCase())) out[k] = v;
  }
  const cookies = (rpc.cookies ?? []).map(toSetCookie);
  if (cookies.length > 0) {
    const existing = out['set-cookie'];
    out['set-cookie'] = [...(existing === undefined ? [] : [existing].flat()), ...cookies];
  }
  const noBody = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
  const bytes = noBody ? undefined : (rpcBodyBytes(rpc.body) ?? Buffer.alloc(0));
  if (bytes) out['content-length'] = String(bytes.length);
  res.writeHead(status, out);
  res.end(bytes);
}
