// ServiceNow work notes through the Table API (integration-conventions.md §5.2-5.4; ServiceNow docs, Table API and
// REST API status codes): PATCH /api/now/table/{table}/{sys_id} with {"work_notes": "..."} → 200 {"result": {...}}.
// A ticket named by number (INC0010001) is looked up first: GET /api/now/table/{table}?sysparm_query=number=…
// &sysparm_fields=sys_id&sysparm_limit=1. Reading `work_notes` with sysparm_display_value=true gives the journal's
// entries, which is how a resumed write checks for its marker before adding the note again (a journal append is not
// idempotent). Auth, from a Key Vault secret holding JSON: {"username","password"} → Basic; with "clientId" and
// "clientSecret" too → OAuth password grant at /oauth_token.do, the bearer token kept until shortly before
// `expires_in`. 429 carries X-RateLimit-Reset (Unix seconds) and the documented {"error":{...},"status":"failure"}.
import { AppError, InputError, NotFoundError } from '../errors';
import type { NotifyHttp } from './notifyHttp';
import type { NotifyLimiters } from './notifyLimits';
import type { NotifySecrets } from './notifySecrets';
import { NotifyApiError } from './notifyError';

export const SYS_ID = /^[0-9a-f]{32}$/;
/** Task numbers: a prefix and digits (INC0010001, SIR0010002). */
export const SERVICENOW_NUMBER = /^[A-Z]{2,10}\d{4,12}$/;
const TABLE = /^[a-z][a-z0-9_]{0,79}$/;

export interface ServiceNowRequestPreview {
  method: 'PATCH';
  path: string;
  body: { work_notes: string };
}

export interface ServiceNowClient {
  readonly baseUrl: string;
  preview(table: string, sysId: string, text: string): ServiceNowRequestPreview;
  /**
   * The record's sys_id: a sys_id as it is, a number looked up.
   * @throws {NotFoundError} 'ticket' when no record has that number.
   */
  resolve(table: string, ticket: string, signal?: AbortSignal): Promise<string>;
  addWorkNote(table: string, sysId: string, text: string, signal?: AbortSignal): Promise<void>;
  /** True when the record's work notes contain `needle` (a write's marker). */
  hasWorkNote(table: string, sysId: string, needle: string, signal?: AbortSignal): Promise<boolean>;
}

interface Credentials {
  username: string;
  password: string;
  clientId?: string;
  clientSecret?: string;
}

function parseCredentials(value: string, secretName: string): Credentials {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    v = undefined;
  }
  const c = (v ?? {}) as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof c[k] === 'string' && c[k] !== '' ? c[k] : undefined);
  const username = str('username');
  const password = str('password');
  const clientId = str('clientId');
  const clientSecret = str('clientSecret');
  if (!username || !password || (clientId === undefined) !== (clientSecret === undefined))
    throw new AppError(
      'CONFIG_INVALID',
      `Key Vault secret '${secretName}' must hold JSON {"username", "password"} (Basic), plus "clientId" and "clientSecret" for OAuth`,
    );
  return { username, password, ...(clientId && clientSecret ? { clientId, clientSecret } : {}) };
}

export function checkTable(table: string): void {
  if (!TABLE.test(table))
    throw new InputError('table', `table must be a ServiceNow table name, got ${JSON.stringify(table)}`);
}

export function createServiceNowClient(o: {
  baseUrl: string;
  secretName: string;
  http: NotifyHttp;
  secrets: NotifySecrets;
  limiters: NotifyLimiters;
  now?: () => number;
}): ServiceNowClient {
  const now = o.now ?? Date.now;
  const limiter = o.limiters('servicenow', o.baseUrl);
  let token: { value: string; until: number; secret: string } | undefined;

  const oauthToken = async (c: Credentials, secret: string): Promise<string> => {
    if (token && token.secret === secret && token.until > now()) return token.value;
    const form = new URLSearchParams({
      grant_type: 'password',
      client_id: c.clientId ?? '',
      client_secret: c.clientSecret ?? '',
      username: c.username,
      password: c.password,
    });
    const res = await o.http.request<{ access_token?: unknown; expires_in?: unknown }>({
      target: 'servicenow',
      method: 'POST',
      url: `${o.baseUrl}/oauth_token.do`,
      label: 'POST /oauth_token.do',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      data: form.toString(),
      limiter,
      idempotent: true,
    });
    const access = res.data?.access_token;
    if (typeof access !== 'string' || access === '')
      throw new NotifyApiError('servicenow', 'ServiceNow POST /oauth_token.do answered without an access_token', {
        status: undefined,
        method: 'POST',
        path: '/oauth_token.do',
      });
    const expiresIn = typeof res.data.expires_in === 'number' ? res.data.expires_in : Number(res.data.expires_in);
    // A minute early, so a token never expires between the check and the call.
    const lifeMs = Number.isFinite(expiresIn) && expiresIn > 120 ? (expiresIn - 60) * 1000 : 60_000;
    token = { value: access, until: now() + lifeMs, secret };
    return access;
  };

  const auth = async (): Promise<Record<string, string>> => {
    const secret = await o.secrets.get(o.secretName);
    const c = parseCredentials(secret, o.secretName);
    if (c.clientId) return { Authorization: `Bearer ${await oauthToken(c, secret)}` };
    return { Authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` };
  };
  const onUnauthorized = async (): Promise<void> => {
    token = undefined;
    await o.secrets.refresh(o.secretName);
  };
  const call = <T>(method: 'GET' | 'PATCH', path: string, query: string, data: unknown, signal?: AbortSignal) =>
    o.http.request<T>({
      target: 'servicenow',
      method,
      url: `${o.baseUrl}${path}${query}`,
      label: `${method} ${path}`,
      headers: { 'Content-Type': 'application/json' },
      ...(data !== undefined ? { data } : {}),
      limiter,
      // A work note is appended to the journal: a second PATCH adds a second entry.
      idempotent: method === 'GET',
      signal,
      auth,
      onUnauthorized,
    });
  const recordPath = (table: string, sysId: string): string => `/api/now/table/${table}/${sysId}`;

  return {
    baseUrl: o.baseUrl,
    preview: (table, sysId, text) => ({ method: 'PATCH', path: recordPath(table, sysId), body: { work_notes: text } }),
    async resolve(table, ticket, signal) {
      checkTable(table);
      if (SYS_ID.test(ticket)) return ticket;
      if (!SERVICENOW_NUMBER.test(ticket))
        throw new InputError('ticket', `ticket must be a ServiceNow sys_id or number, got ${JSON.stringify(ticket)}`);
      const query = `?sysparm_query=${encodeURIComponent(`number=${ticket}`)}&sysparm_fields=sys_id&sysparm_limit=1`;
      const res = await call<{ result?: Array<{ sys_id?: unknown }> }>(
        'GET',
        `/api/now/table/${table}`,
        query,
        undefined,
        signal,
      );
      const id = Array.isArray(res.data?.result) ? res.data.result[0]?.sys_id : undefined;
      if (typeof id !== 'string' || !SYS_ID.test(id))
        throw new NotFoundError('ticket', `ServiceNow has no ${table} record numbered ${ticket}`);
      return id;
    },
    async addWorkNote(table, sysId, text, signal) {
      checkTable(table);
      await call('PATCH', recordPath(table, sysId), '?sysparm_fields=sys_id', { work_notes: text }, signal);
    },
    async hasWorkNote(table, sysId, needle, signal) {
      checkTable(table);
      const res = await call<{ result?: { work_notes?: unknown } }>(
        'GET',
        recordPath(table, sysId),
        '?sysparm_fields=work_notes&sysparm_display_value=true',
        undefined,
        signal,
      );
      const notes = res.data?.result?.work_notes;
      return typeof notes === 'string' && notes.includes(needle);
    },
  };
}
