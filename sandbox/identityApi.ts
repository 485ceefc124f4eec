// Microsoft Graph identity containment under /v1.0 (response-actions.md §6): users (get with $select, PATCH
// accountEnabled, revokeSignInSessions) and Identity Protection's riskyUsers actions. Sources
// (microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/api/): user-get.md, user-update.md (204 No
// Content), user-revokesigninsessions.md (documented 204; answers 200 {"value": true}: concepts/known-issues.md, so
// the sandbox answers what the service does), riskyuser-confirmcompromised.md and riskyuser-confirmsafe.md
// ({"userIds": [...]}, 204), resources/riskyuser.md (riskLevel, riskState, riskDetail). A privileged target (a
// Global Administrator) cannot be changed by an app without a higher directory role: 403 Authorization_RequestDenied
// "Insufficient privileges to complete the operation." (response-actions.md §6.1). Unknown users: 404
// Request_ResourceNotFound, the directory's own wording.
import { apiError, apiOk, apiRoute } from './apiCommon';
import { isPlainObject, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import type { Route } from './router';
import { users as seedUsers } from './seed/entities';
import type { SandboxState } from './state';

export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
  signInSessionsValidFromDateTime: string;
  /** Holds a privileged admin role (Global Administrator): the app's role may not change it (§6.1). */
  privileged: boolean;
}

export interface RiskyUser {
  id: string;
  riskLevel: 'none' | 'low' | 'medium' | 'high';
  riskState: 'none' | 'confirmedSafe' | 'remediated' | 'dismissed' | 'atRisk' | 'confirmedCompromised';
  riskDetail: string;
  riskLastUpdatedDateTime: string;
}

/** A Global Administrator: the privileged target of the seed. */
export const PRIVILEGED_USER = {
  id: 'f7b5a6c8-9d0e-4f1a-8b3c-4d5e6f708192',
  userPrincipalName: 'admin@contoso.com',
  displayName: 'Contoso Admin',
} as const;

export class Directory {
  users = new Map<string, DirectoryUser>();
  risky = new Map<string, RiskyUser>();

  constructor(private readonly now: () => Date) {
    this.reset();
  }

  reset(): void {
    const at = new Date(this.now().getTime() - 7 * 86_400_000).toISOString();
    this.users.clear();
    this.risky.clear();
    for (const u of [
      ...seedUsers.map((s) => ({ id: s.objectId, userPrincipalName: s.upn, displayName: s.displayName })),
      PRIVILEGED_USER,
    ]) {
      this.users.set(u.id, {
        ...u,
        accountEnabled: true,
        signInSessionsValidFromDateTime: at,
        privileged: u.id === PRIVILEGED_USER.id,
      });
    }
    // Amy's sign-ins are at risk in the seed (the suspicious-powershell incident's user).
    const amy = seedUsers[0];
    this.risky.set(amy.objectId, {
      id: amy.objectId,
      riskLevel: 'medium',
      riskState: 'atRisk',
      riskDetail: 'none',
      riskLastUpdatedDateTime: at,
    });
  }

  /** By object id or UPN (case-insensitive), as /users/{id | userPrincipalName} resolves. */
  find(ref: string): DirectoryUser | undefined {
    const r = ref.toLowerCase();
    return [...this.users.values()].find((u) => u.id === r || u.userPrincipalName.toLowerCase() === r);
  }
}

const notFound = (state: SandboxState, req: SandboxRequest, ref: string): Reply =>
  apiError(
    state,
    'graph',
    req,
    404,
    'Request_ResourceNotFound',
    `Resource '${ref}' does not exist or one of its queried reference-property objects are not present.`,
  );

const denied = (state: SandboxState, req: SandboxRequest): Reply =>
  apiError(
    state,
    'graph',
    req,
    403,
    'Authorization_RequestDenied',
    'Insufficient privileges to complete the operation.',
  );

const badRequest = (state: SandboxState, req: SandboxRequest, message: string): Reply =>
  apiError(state, 'graph', req, 400, 'Request_BadRequest', message);

const SELECTABLE = ['id', 'userPrincipalName', 'displayName', 'accountEnabled', 'signInSessionsValidFromDateTime'];

function getUser(state: SandboxState, dir: Directory, req: SandboxRequest, ref: string): Reply {
  const u = dir.find(ref);
  if (!u) return notFound(state, req, ref);
  const select = req.url.searchParams.get('$select');
  // user-get.md: by default only a few properties come back; accountEnabled and signInSessionsValidFromDateTime
  // only with $select.
  const fields = select ? select.split(',').map((s) => s.trim()) : ['id', 'userPrincipalName', 'displayName'];
  const unknown = fields.find((f) => !SELECTABLE.includes(f));
  if (unknown)
    return badRequest(state, req, `Could not find a property named '${unknown}' on type 'microsoft.graph.user'.`);
  const body: Record<string, unknown> = {
    '@odata.context': `${state.url}/v1.0/$metadata#users(${fields.join(',')})/$entity`,
  };
  for (const f of fields) body[f] = u[f as keyof DirectoryUser];
  return apiOk(state, 'graph', req, body);
}

function patchUser(state: SandboxState, dir: Directory, req: SandboxRequest, ref: string): Reply {
  const u = dir.find(ref);
  if (!u) return notFound(state, req, ref);
  const body = jsonBody(req);
  if (body instanceof Error || !isPlainObject(body))
    return badRequest(state, req, 'Invalid request body: a JSON object (microsoft.graph.user) is expected.');
  for (const [k, v] of Object.entries(body)) {
    if (k !== 'accountEnabled') return badRequest(state, req, `The sandbox updates only accountEnabled; got '${k}'.`);
    if (typeof v !== 'boolean')
      return badRequest(state, req, "Invalid value for property 'accountEnabled': expected a boolean.");
  }
  if (u.privileged) return denied(state, req);
  if (typeof body.accountEnabled === 'boolean') u.accountEnabled = body.accountEnabled;
  return { status: 204, headers: { 'request-id': req.requestId } };
}

function revoke(state: SandboxState, dir: Directory, req: SandboxRequest, ref: string): Reply {
  const u = dir.find(ref);
  if (!u) return notFound(state, req, ref);
  if (u.privileged) return denied(state, req);
  u.signInSessionsValidFromDateTime = state.now().toISOString();
  // The known issue: 200 with {"value": true} instead of the documented 204.
  return apiOk(state, 'graph', req, { '@odata.context': `${state.url}/v1.0/$metadata#Edm.Boolean`, value: true });
}

function riskyAction(
  state: SandboxState,
  dir: Directory,
  req: SandboxRequest,
  action: 'confirmCompromised' | 'confirmSafe',
): Reply {
  const body = jsonBody(req);
  if (body instanceof Error || !isPlainObject(body))
    return badRequest(state, req, 'Invalid request body: {"userIds": [...]} is expected.');
  const ids = body.userIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 60 || ids.some((i) => typeof i !== 'string'))
    return badRequest(state, req, "The property 'userIds' must be a list of 1 to 60 user object ids.");
  for (const id of ids as string[]) if (!dir.users.has(id.toLowerCase())) return notFound(state, req, id);
  const at = state.now().toISOString();
  for (const id of ids as string[]) {
    const key = id.toLowerCase();
    dir.risky.set(
      key,
      action === 'confirmCompromised'
        ? {
            id: key,
            riskLevel: 'high',
            riskState: 'confirmedCompromised',
            riskDetail: 'adminConfirmedUserCompromised',
            riskLastUpdatedDateTime: at,
          }
        : {
            id: key,
            riskLevel: 'none',
            riskState: 'confirmedSafe',
            riskDetail: 'adminConfirmedUserSafe',
            riskLastUpdatedDateTime: at,
          },
    );
  }
  return { status: 204, headers: { 'request-id': req.requestId } };
}

export function identityRoutes(state: SandboxState, dir: Directory): Route[] {
  const user = /^\/v1\.0\/users\/([^/]+)\/?$/i;
  return [
    apiRoute(state, 'graph', 'usersGet', ['GET'], user, (req, [ref = '']) => getUser(state, dir, req, ref)),
    apiRoute(state, 'graph', 'usersUpdate', ['PATCH'], user, (req, [ref = '']) => patchUser(state, dir, req, ref)),
    apiRoute(
      state,
      'graph',
      'usersRevoke',
      ['POST'],
      /^\/v1\.0\/users\/([^/]+)\/revokeSignInSessions\/?$/i,
      (req, [ref = '']) => revoke(state, dir, req, ref),
    ),
    apiRoute(
      state,
      'graph',
      'riskyUsersAction',
      ['POST'],
      /^\/v1\.0\/identityProtection\/riskyUsers\/(confirmCompromised|confirmSafe)\/?$/i,
      (req, [action = '']) =>
        riskyAction(state, dir, req, action.toLowerCase() === 'confirmsafe' ? 'confirmSafe' : 'confirmCompromised'),
    ),
  ];
}
