// The analysts who can sign in to the sandbox tenant with a device code, and their delegated access tokens.
// A stand-in with the shape the device code grant needs (find a user, issue a user token); the sandbox's user model
// proper (sandbox/users.ts, branch obo) replaces it behind the same interface.
import type { TokenClaims } from './jwt';
import { SANDBOX_TENANT_ID } from './seed/entities';
import type { SandboxState } from './state';

export interface SignInUser {
  oid: string;
  upn: string;
  displayName: string;
  /** false: Defender's RBAC gives this user no role, so every API call made as them is refused (403). */
  defenderRole: boolean;
}

/**
 * Delegated permissions the sandbox's CLI app is consented to, per API resource: what `/.default` yields
 * (identity-modes.md §6: XDR Incident.ReadWrite and AdvancedHunting.Read; Graph SecurityIncident.ReadWrite.All and
 * ThreatHunting.Read.All; MDE Machine.* and Ti.ReadWrite).
 */
export const DELEGATED_SCOPES: Record<string, string[]> = {
  'https://graph.microsoft.com': [
    'SecurityIncident.ReadWrite.All',
    'SecurityAlert.ReadWrite.All',
    'ThreatHunting.Read.All',
    'User.Read.All',
  ],
  'https://api.security.microsoft.com': ['Incident.ReadWrite', 'AdvancedHunting.Read'],
  'https://api.securitycenter.microsoft.com': [
    'Machine.Read',
    'Machine.Isolate',
    'Machine.Scan',
    'Machine.CollectForensics',
    'Machine.RestrictExecution',
    'Machine.StopAndQuarantine',
    'Ti.ReadWrite',
  ],
};

const SEED_USERS: SignInUser[] = [
  {
    oid: '3d9a6c2f-81b4-4f0e-a7d5-6b2e9c4f1a83',
    upn: 'analyst@contoso.com',
    displayName: 'Avery Analyst',
    defenderRole: true,
  },
  {
    oid: 'b74e1f05-2c9d-4a63-8e1b-0f5d7a3c9e26',
    upn: 'intern@contoso.com',
    displayName: 'Indy Intern',
    defenderRole: false,
  },
];

export interface SignInDirectory {
  /** A user by UPN or object id (case-insensitive). */
  find(ref: string): SignInUser | undefined;
  /** A delegated access token for `user` on `resource`, issued to the public client `clientId`. */
  issueUserToken(
    user: SignInUser,
    o: { resource: string; clientId: string },
  ): { token: string; expiresIn: number; scope: string };
  setDefenderRole(ref: string, granted: boolean): void;
  reset(): void;
}

const directories = new WeakMap<SandboxState, SignInDirectory>();

export function signInDirectory(state: SandboxState): SignInDirectory {
  let dir = directories.get(state);
  if (!dir) {
    let users = SEED_USERS.map((u) => ({ ...u }));
    const find = (ref: string): SignInUser | undefined => {
      const r = ref.trim().toLowerCase();
      return users.find((u) => u.oid === r || u.upn.toLowerCase() === r);
    };
    dir = {
      find,
      issueUserToken: (user, { resource, clientId }) => {
        const scopes = DELEGATED_SCOPES[resource] ?? [];
        const minted = state.mintToken(resource, clientId, user.oid, [], {
          idtyp: 'user',
          scp: scopes.join(' '),
          upn: user.upn,
          preferred_username: user.upn,
          name: user.displayName,
          tid: SANDBOX_TENANT_ID,
        });
        return { token: minted.token, expiresIn: state.tokenLifetimeSeconds, scope: scopes.join(' ') };
      },
      setDefenderRole: (ref, granted) => {
        const u = find(ref);
        if (!u) throw new Error(`no sandbox user ${ref}`);
        u.defenderRole = granted;
      },
      reset: () => {
        users = SEED_USERS.map((u) => ({ ...u }));
      },
    };
    directories.set(state, dir);
  }
  return dir;
}

/**
 * Why an API refuses a delegated (user) token, or undefined when it may proceed: the token needs the delegated form of
 * one of the call's permissions in `scp` (the application name, or without its `.All`), and the user a Defender role
 * (identity-modes.md §6: delegated access needs the app's permission and the user's own). The 403 text is the Graph
 * security API's documented one (learn graph/security-authorization troubleshooting); for the legacy and MDE APIs
 * the body is UNCONFIRMED.
 */
export function delegatedRefusal(state: SandboxState, claims: TokenClaims, required: string[]): string | undefined {
  const scp = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
  const permitted = required.some((r) => scp.includes(r) || scp.includes(r.replace(/\.All$/, '')));
  const user = signInDirectory(state).find(String(claims.oid));
  if (!permitted || !user?.defenderRole)
    return 'Auth token does not contain valid permissions or user does not have valid roles.';
  return undefined;
}
