// ServiceNow's Table API and OAuth token endpoint, as the ServiceNow docs describe them (integration-conventions.md
// §5.2-5.4: c_TableAPI.md, r_RESTAPIHTTPResponseCodes.md, r_RESTOAuthExample.md, inbound-REST-API-rate-limiting.md):
// - GET /api/now/table/{table}?sysparm_query=number=…&sysparm_fields=…&sysparm_limit=… → 200 {"result": [...]};
// - GET /api/now/table/{table}/{sys_id}: a journal field (work_notes) reads "" as a value and, with
//   sysparm_display_value=true, as its entries newest first ("<date> <time> - <user> (Work notes)\n<text>");
// - PATCH /api/now/table/{table}/{sys_id} with JSON → 200 {"result": {...}}; a work_notes value is appended to the
//   journal; 404 {"error":{"message":"No Record found",...},"status":"failure"}; 400 for a body that is not JSON;
// - Basic auth, or a bearer token from POST /oauth_token.do (grant_type=password, client and user credentials) →
//   {access_token, refresh_token, scope, token_type: "Bearer", expires_in: 1799}; 401 otherwise;
// - 429 with X-RateLimit-Limit, X-RateLimit-Reset (Unix seconds), X-RateLimit-Rule, Retry-After and the documented
//   body {"error":{"message":"Rate limit exceeded","detail":"..."},"status":"failure"}.
import { randomBytes } from 'node:crypto';
import type { FaultSpec } from './faults';
import { formBody, header, isPlainObject, json, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import type { Route } from './router';

export interface JournalEntry {
  value: string;
  at: string;
  user: string;
}

export interface ServiceNowRecord {
  sys_id: string;
  number: string;
  table: string;
  sys_mod_count: number;
  work_notes: JournalEntry[];
  fields: Record<string, string>;
}

export interface ServiceNowCredentials {
  username: string;
  password: string;
  clientId: string;
  clientSecret: string;
}

const fresh = (): ServiceNowCredentials => ({
  username: 'riposte.integration',
  password: randomBytes(12).toString('hex'),
  clientId: randomBytes(16).toString('hex'),
  clientSecret: randomBytes(12).toString('hex'),
});

export class ServiceNowInstance {
  records = new Map<string, ServiceNowRecord>();
  credentials = fresh();
  tokens = new Map<string, number>();
  tokenRequests = 0;
  private nextNumber = 10001;

  addRecord(o: { number?: string; table?: string } = {}): ServiceNowRecord {
    const r: ServiceNowRecord = {
      sys_id: randomBytes(16).toString('hex'),
      number: o.number ?? `INC${String(this.nextNumber++).padStart(7, '0')}`,
      table: o.table ?? 'incident',
      sys_mod_count: 0,
      work_notes: [],
      fields: {},
    };
    this.records.set(r.sys_id, r);
    return r;
  }

  reset(): void {
    this.records.clear();
    this.tokens.clear();
    this.tokenRequests = 0;
    this.credentials = fresh();
  }
}

const failure = (status: number, message: string, detail: string | null, headers: Record<string, string> = {}): Reply =>
  json(status, { error: { message, detail }, status: 'failure' }, headers);

const stamp = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');

function journalDisplay(entries: readonly JournalEntry[]): string {
  return [...entries]
    .reverse()
    .map((e) => `${e.at} - ${e.user} (Work notes)\n${e.value}\n\n`)
    .join('');
}

function authorised(sn: ServiceNowInstance, req: SandboxRequest, now: number): boolean {
  const auth = header(req, 'authorization') ?? '';
  const basic = /^Basic\s+(\S+)$/i.exec(auth)?.[1];
  if (basic)
    return Buffer.from(basic, 'base64').toString('utf8') === `${sn.credentials.username}:${sn.credentials.password}`;
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  const until = bearer ? sn.tokens.get(bearer) : undefined;
  return until !== undefined && until > now;
}

function recordJson(r: ServiceNowRecord, fields: string | null, display: boolean): Record<string, unknown> {
  const all: Record<string, unknown> = {
    sys_id: r.sys_id,
    number: r.number,
    sys_class_name: r.table,
    sys_mod_count: String(r.sys_mod_count),
    work_notes: display ? journalDisplay(r.work_notes) : '',
    ...r.fields,
  };
  if (!fields) return all;
  return Object.fromEntries(
    fields
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f in all)
      .map((f) => [f, all[f]]),
  );
}

export function serviceNowRoutes(sn: ServiceNowInstance, now: () => Date): Route[] {
  const faultReply = (_req: SandboxRequest, spec: FaultSpec): Reply => {
    const status = spec.status ?? 500;
    if (status !== 429) return failure(status, 'Internal server error', null);
    const wait = Math.ceil(spec.retryAfterSeconds ?? 1);
    return failure(429, 'Rate limit exceeded', 'Rate limit of 10 requests per hour for Table API exceeded', {
      'x-ratelimit-limit': '10',
      'x-ratelimit-reset': String(Math.floor(now().getTime() / 1000) + wait),
      'x-ratelimit-rule': 'a3b5c7d9e1f30a2b4c6d8e0f1a3b5c7d',
      'retry-after': String(wait),
    });
  };
  const unauthorised = (): Reply => failure(401, 'User Not Authenticated', 'Required to provide Auth information');
  const token = (req: SandboxRequest): Reply => {
    sn.tokenRequests += 1;
    const f = formBody(req);
    const c = sn.credentials;
    if (
      f.get('grant_type') !== 'password' ||
      f.get('client_id') !== c.clientId ||
      f.get('client_secret') !== c.clientSecret ||
      f.get('username') !== c.username ||
      f.get('password') !== c.password
    )
      return json(401, { error_description: 'access_denied', error: 'server_error' });
    const access = randomBytes(24).toString('base64url');
    sn.tokens.set(access, now().getTime() + 1799_000);
    return json(200, {
      access_token: access,
      refresh_token: randomBytes(24).toString('base64url'),
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: 1799,
    });
  };
  const table = (req: SandboxRequest, name: string, sysId: string): Reply => {
    if (!authorised(sn, req, now().getTime())) return unauthorised();
    const q = req.url.searchParams;
    const display = q.get('sysparm_display_value') === 'true';
    if (sysId === '') {
      if (req.method !== 'GET') return failure(405, 'Method not Supported', null);
      const query = q.get('sysparm_query') ?? '';
      const m = /^number=([A-Za-z0-9]+)$/.exec(query);
      const limit = Number(q.get('sysparm_limit') ?? 10000);
      const rows = [...sn.records.values()].filter((r) => r.table === name && (!m || r.number === m[1]));
      return json(200, { result: rows.slice(0, limit).map((r) => recordJson(r, q.get('sysparm_fields'), display)) });
    }
    const r = sn.records.get(sysId);
    if (!r || r.table !== name)
      return failure(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
    if (req.method === 'GET') return json(200, { result: recordJson(r, q.get('sysparm_fields'), display) });
    const body = jsonBody(req);
    if (!isPlainObject(body)) return failure(400, 'Exception while reading request', 'The payload is not valid JSON.');
    for (const [k, v] of Object.entries(body)) {
      if (k === 'work_notes') {
        if (typeof v === 'string' && v.trim() !== '')
          r.work_notes.push({ value: v, at: stamp(now()), user: sn.credentials.username });
      } else if (!k.startsWith('sys_')) r.fields[k] = String(v);
    }
    r.sys_mod_count += 1;
    return json(200, { result: recordJson(r, q.get('sysparm_fields'), display) });
  };
  const route = (methods: string[], pattern: RegExp, handle: Route['handle']): Route => ({
    methods,
    pattern,
    family: 'servicenow',
    target: 'servicenow',
    faultReply,
    handle,
  });
  return [
    route(['POST'], /^\/oauth_token\.do$/, (req) => token(req)),
    route(
      ['GET', 'PATCH'],
      /^\/api\/now\/(?:v\d+\/)?table\/([a-z0-9_]+)(?:\/([0-9a-f]{32}))?\/?$/,
      (req, [name = '', id = '']) => table(req, name, id),
    ),
  ];
}
