// Shared by the sandbox tests: an axios client that trusts the sandbox CA, and raw client-credentials tokens
// (the SDK caches tokens per credential, which gets in the way of role and revocation tests).
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { Sandbox } from '../../sandbox';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const LEGACY_SCOPE = 'https://api.security.microsoft.com/.default';

/** axios bound to the sandbox: trusts its CA through an https.Agent, never throws on a status. */
export function client(sandbox: Sandbox, baseURL = sandbox.url): AxiosInstance {
  return axios.create({
    baseURL,
    httpsAgent: new https.Agent({ ca: sandbox.caPem, keepAlive: true }),
    validateStatus: () => true,
    proxy: false,
  });
}

export async function token(sandbox: Sandbox, scope: string): Promise<string> {
  const res = await client(sandbox).post(
    `/${sandbox.tenantId}/oauth2/v2.0/token`,
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.clientId,
      client_secret: sandbox.control.currentSecret(),
      scope,
    }),
  );
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.data)}`);
  return (res.data as { access_token: string }).access_token;
}

export function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An axios client for one API with a bearer token for its audience. */
export async function apiClient(sandbox: Sandbox, api: 'graph' | 'legacy'): Promise<AxiosInstance> {
  const c = client(sandbox, api === 'graph' ? sandbox.graphBaseUrl : sandbox.legacyBaseUrl);
  c.defaults.headers.common.Authorization = `Bearer ${await token(sandbox, api === 'graph' ? GRAPH_SCOPE : LEGACY_SCOPE)}`;
  return c;
}
