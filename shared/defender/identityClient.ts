// Microsoft Graph identity containment (response-actions.md §6): read a user, revoke its sign-in sessions, enable or
// disable its account, and the Identity Protection riskyUsers actions. Sources (microsoftgraph/microsoft-graph-docs-
// contrib, api-reference/v1.0/api/): user-revokesigninsessions.md (POST, documented 204 but answers 200
// {"value": true}: concepts/known-issues.md, so any 2xx is success), user-update.md (PATCH accountEnabled, 204),
// user-get.md ($select), riskyuser-confirmcompromised.md and riskyuser-confirmsafe.md (POST {"userIds": [...]}, 204).
// Users PATCH and revoke go through the `identity` quota family; riskyUsers through `riskyUsers` (1 request/s per
// tenant, 429 without Retry-After: the retry loop's own backoff applies).
import { InputError } from '../errors';
import type { DefenderHttp } from '../http/defenderHttp';

/** What the steps read of a user (user-get.md $select). */
export interface DirectoryUser {
  id: string;
  userPrincipalName: string | undefined;
  accountEnabled: boolean | undefined;
  signInSessionsValidFromDateTime: string | undefined;
}

export interface IdentityClient {
  getUser(user: string, call?: { signal?: AbortSignal | undefined }): Promise<DirectoryUser>;
  revokeSignInSessions(userId: string, call?: { signal?: AbortSignal | undefined }): Promise<void>;
  setAccountEnabled(userId: string, enabled: boolean, call?: { signal?: AbortSignal | undefined }): Promise<void>;
  confirmRisky(action: RiskyUserAction, userId: string, call?: { signal?: AbortSignal | undefined }): Promise<void>;
}

export type RiskyUserAction = 'confirmCompromised' | 'confirmSafe';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A UPN is alias@domain (users.md: userPrincipalName); kept to characters Entra allows in it, so nothing else can
// reach the path.
const UPN = /^[A-Za-z0-9._%+'#!$&*=?^`{|}~-]{1,113}@[A-Za-z0-9.-]{1,255}$/;

/** True for an Entra object id (GUID) or a UPN. */
export const isUserRef = (v: string): boolean => GUID.test(v) || UPN.test(v);
export const isObjectId = (v: string): boolean => GUID.test(v);

/** `/users/{id or UPN}`. @throws {InputError} (user) for anything else. */
export function userPath(user: string): string {
  if (!isUserRef(user))
    throw new InputError('user', `user must be an Entra object id (GUID) or a user principal name, got '${user}'`);
  return `/users/${encodeURIComponent(user)}`;
}

/** The exact request a step sends, for dry runs and approval pages. */
export interface IdentityRequest {
  method: 'POST' | 'PATCH';
  path: string;
  body?: Record<string, unknown>;
}

export const identityRequests = {
  revoke: (userId: string): IdentityRequest => ({ method: 'POST', path: `${userPath(userId)}/revokeSignInSessions` }),
  accountEnabled: (userId: string, enabled: boolean): IdentityRequest => ({
    method: 'PATCH',
    path: userPath(userId),
    body: { accountEnabled: enabled },
  }),
  risky: (action: RiskyUserAction, userId: string): IdentityRequest => ({
    method: 'POST',
    path: `/identityProtection/riskyUsers/${action}`,
    body: { userIds: [userId] },
  }),
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function createIdentityClient(http: DefenderHttp): IdentityClient {
  return {
    async getUser(user, call = {}) {
      const wire = await http.request<Record<string, unknown>>({
        method: 'GET',
        path: userPath(user),
        params: { $select: 'id,userPrincipalName,accountEnabled,signInSessionsValidFromDateTime' },
        family: 'identity',
        signal: call.signal,
      });
      const id = str(wire?.id);
      if (!id) throw new InputError('user', `Graph returned no id for user '${user}'`);
      return {
        id,
        userPrincipalName: str(wire.userPrincipalName),
        accountEnabled: typeof wire.accountEnabled === 'boolean' ? wire.accountEnabled : undefined,
        signInSessionsValidFromDateTime: str(wire.signInSessionsValidFromDateTime),
      };
    },
    async revokeSignInSessions(userId, call = {}) {
      // Any 2xx is success (200 {"value": true} today, 204 as documented); the body is not read.
      await http.request<unknown>({ ...identityRequests.revoke(userId), family: 'identity', signal: call.signal });
    },
    async setAccountEnabled(userId, enabled, call = {}) {
      const r = identityRequests.accountEnabled(userId, enabled);
      await http.request<unknown>({ ...r, data: r.body, family: 'identity', signal: call.signal });
    },
    async confirmRisky(action, userId, call = {}) {
      const r = identityRequests.risky(action, userId);
      await http.request<unknown>({ ...r, data: r.body, family: 'riskyUsers', signal: call.signal });
    },
  };
}
