// Entra ID's error answers (AADSTS codes) as the sandbox's token endpoints give them: the body shape once, and the
// answers several grants share (an unknown app, a confidential client without a credential, a scope it cannot have).
import { randomUUID } from 'node:crypto';
import { json, type Reply, type SandboxRequest } from './httpUtil';
import type { SandboxState } from './state';

function aadTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** An Entra error body: `error`, `error_description` (AADSTS text + trace lines), `error_codes`, ids, `error_uri`. */
export function aadError(
  state: SandboxState,
  req: SandboxRequest,
  status: number,
  error: string,
  code: number,
  message: string,
): Reply {
  const timestamp = aadTimestamp(state.now());
  const correlationId = req.clientRequestId ?? randomUUID();
  return json(
    status,
    {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${req.requestId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: req.requestId,
      correlation_id: correlationId,
      error_uri: `${state.url}/error?code=${code}`,
    },
    noCache(req),
  );
}

export function noCache(req: SandboxRequest): Record<string, string> {
  return {
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    'x-ms-request-id': req.requestId,
    ...(req.clientRequestId ? { 'client-request-id': req.clientRequestId } : {}),
  };
}

/** AADSTS700016: no such application in the tenant the request went to. */
export const appNotFound = (state: SandboxState, req: SandboxRequest, clientId: string): Reply =>
  aadError(
    state,
    req,
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${state.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );

/** AADSTS7000218: a confidential client sent neither a secret nor an assertion. */
export const credentialMissing = (state: SandboxState, req: SandboxRequest): Reply =>
  aadError(
    state,
    req,
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );

/** AADSTS70011: the scope parameter names nothing this grant can issue. */
export const invalidScope = (state: SandboxState, req: SandboxRequest, scope?: string): Reply =>
  aadError(
    state,
    req,
    400,
    'invalid_scope',
    70011,
    `The provided value for the input parameter 'scope' is not valid.${scope !== undefined ? ` The scope ${scope} is not valid.` : ''}`,
  );

/** AADSTS900144: a required form parameter is absent. */
export const parameterMissing = (state: SandboxState, req: SandboxRequest, parameter: string): Reply =>
  aadError(
    state,
    req,
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${parameter}'.`,
  );
