// The App Service managed-identity endpoint (api-version 2019-08-01, local-azure.md §3), served over plain http on
// its own port as App Service does: GET ?resource=...[&client_id=...] with the x-identity-header secret.
import { createHash } from 'node:crypto';
import { tokenExchangeAudience } from './appKeys';
import { header, json, type Reply, type SandboxRequest } from './httpUtil';
import { canonicalResource, rolesFor } from './resources';
import type { Route } from './router';
import type { SandboxState } from './state';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_VERSION = '2019-08-01';

function miError(status: number, error: string, description: string): Reply {
  return json(status, { error, error_description: description });
}

/** A stable object id for an identity (so tokens of one identity look alike). */
export function objectIdFor(clientId: string): string {
  const h = createHash('sha256').update(`oid:${clientId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Which identity the request names: 'system' or the user-assigned client id; undefined when it is not valid. */
export function requestedIdentity(req: SandboxRequest): string | undefined {
  const q = req.url.searchParams;
  const clientId = q.get('client_id') ?? q.get('principal_id');
  if (clientId !== null) return GUID.test(clientId) ? clientId.toLowerCase() : undefined;
  const resourceId = q.get('mi_res_id') ?? q.get('msi_res_id');
  if (resourceId !== null) return resourceId ? resourceId : undefined;
  return 'system';
}

function miToken(state: SandboxState, req: SandboxRequest): Reply {
  if (header(req, 'x-identity-header') !== state.identityHeader) {
    return miError(
      400,
      'invalid_request',
      'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.',
    );
  }
  const q = req.url.searchParams;
  const version = q.get('api-version');
  if (version !== API_VERSION) {
    return miError(
      400,
      'invalid_request',
      `api-version '${version ?? ''}' is not supported; this endpoint speaks ${API_VERSION}.`,
    );
  }
  const resource = q.get('resource');
  if (!resource) return miError(400, 'invalid_request', "Required query parameter 'resource' is missing.");
  const identity = requestedIdentity(req);
  if (identity === undefined) return miError(400, 'invalid_request', 'Identity not found');
  // The token-exchange audience too: the token a managed identity presents as a federated credential (appKeys.ts).
  const canonical = canonicalResource(resource) ?? tokenExchangeAudience(resource);
  if (!canonical) {
    return miError(
      400,
      'invalid_resource',
      `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${state.tenantId}.`,
    );
  }
  const appId =
    identity === 'system' ? state.systemIdentityClientId : GUID.test(identity) ? identity : objectIdFor(identity);
  const miResourceId =
    identity === 'system'
      ? '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/riposte/providers/Microsoft.Web/sites/riposte-func'
      : `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/riposte/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-${appId.slice(0, 8)}`;
  // Managed identities get no API roles unless granted; the sandbox grants none.
  const minted = state.mintToken(canonical, appId, objectIdFor(appId), rolesFor(canonical, []), {
    xms_mirid: miResourceId,
  });
  return json(200, {
    access_token: minted.token,
    expires_on: String(minted.expiresOn),
    resource,
    token_type: 'Bearer',
    client_id: appId,
  });
}

export function managedIdentityRoutes(state: SandboxState): Route[] {
  return [
    {
      methods: ['GET'],
      pattern: /^\/msi\/token\/?$/,
      family: 'mi',
      target: 'mi',
      count: (req) => {
        state.counters.miTokenRequests += 1;
        const who = requestedIdentity(req) ?? 'invalid';
        state.counters.miIdentities[who] = (state.counters.miIdentities[who] ?? 0) + 1;
      },
      faultReply: (_req, spec) => {
        const reply = miError(
          spec.status ?? 500,
          'server_error',
          'The managed identity endpoint is temporarily unavailable.',
        );
        if (spec.retryAfterSeconds !== undefined)
          reply.headers = { ...reply.headers, 'retry-after': String(Math.ceil(spec.retryAfterSeconds)) };
        return reply;
      },
      handle: (req) => miToken(state, req),
    },
  ];
}
