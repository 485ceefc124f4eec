// The sandbox tenant's analysts: who they are (oid, UPN, name), what their own Defender role lets them do (which the
// APIs check after the token's delegated scopes, identity-modes.md §6: "delegated access needs the app permission
// and the user's own permission"), which apps they consented to, and delegated user tokens for them.
import type { TokenClaims } from './jwt';
import type { SandboxState } from './state';

/**
 * A user's own Defender permission, simplified: `operator` reads and acts (Security Operator / "Active remediation
 * actions"), `reader` only reads (Security Reader / "View Data"), `none` has no Defender role at all.
 */
export type DefenderRole = 'operator' | 'reader' | 'none';

export interface SandboxUser {
  oid: string;
  upn: string;
  name: string;
  role: DefenderRole;
}

/** Seeded analysts (contoso examples; object ids are fictional). */
export const SANDBOX_USERS = {
  analyst: {
    oid: 'a1c3e5f7-2b4d-4f6a-8c0e-1d3f5a7c9e21',
    upn: 'alex.analyst@contoso.com',
    name: 'Alex Analyst',
    role: 'operator',
  },
  reader: {
    oid: 'b2d4f6a8-3c5e-4a7b-9d1f-2e4a6c8e0f32',
    upn: 'rita.reader@contoso.com',
    name: 'Rita Reader',
    role: 'reader',
  },
  outsider: {
    oid: 'c3e5a7b9-4d6f-4b8c-8e2a-3f5b7d9f1a43',
    upn: 'oscar.outsider@contoso.com',
    name: 'Oscar Outsider',
    role: 'none',
  },
} as const satisfies Record<string, SandboxUser>;

export type SandboxUserKey = keyof typeof SANDBOX_USERS;

/**
 * A public client app an analyst signs in with (a script, a Logic App's connector, the CLI): the `azp` of tokens
 * it gets for Riposte's API.
 */
export const SANDBOX_CALLER_APP_ID = '7d9e1f3a-5b6c-4d8e-9f0a-1b2c3d4e5f61';

/** The service principal object id of that app, for its app-only tokens. */
export const APP_ONLY_CALLER_OBJECT_ID = 'e4f6a8c0-5d7e-4f9a-8b1c-4a6c8e0a2b54';

/** One delegated call an API let through: who acted, through which app, on what. */
export interface UserAuditEntry {
  at: string;
  oid: string;
  upn: string;
  /** The client app the token was issued to (`azp`/`appid`): for an OBO token, Riposte. */
  appId: string;
  api: string;
  family: string;
  method: string;
  path: string;
}

export class UserDirectory {
  private users = new Map<string, SandboxUser>();
  /** `${oid}|${clientAppId}` pairs whose consent was withdrawn (by default every user consented to every app). */
  private withdrawn = new Set<string>();
  /** Users a conditional access policy (MFA) stops in the on-behalf-of exchange until they sign in again. */
  private challenged = new Set<string>();
  audit: UserAuditEntry[] = [];

  constructor() {
    this.reset();
  }

  reset(): void {
    this.users = new Map(Object.values(SANDBOX_USERS).map((u) => [u.oid, { ...u }]));
    this.withdrawn.clear();
    this.challenged.clear();
    this.audit = [];
  }

  /** By object id, UPN or seed key (`analyst`, `reader`, `outsider`). */
  find(ref: string): SandboxUser | undefined {
    const r = ref.toLowerCase();
    const seeded = (SANDBOX_USERS as Record<string, SandboxUser>)[ref];
    if (seeded) return this.users.get(seeded.oid);
    return [...this.users.values()].find((u) => u.oid === r || u.upn.toLowerCase() === r);
  }

  list(): SandboxUser[] {
    return [...this.users.values()].map((u) => ({ ...u }));
  }

  add(user: SandboxUser): void {
    this.users.set(user.oid.toLowerCase(), { ...user });
  }

  setRole(ref: string, role: DefenderRole): void {
    const u = this.find(ref);
    if (!u) throw new Error(`no sandbox user ${ref}`);
    u.role = role;
  }

  setConsent(ref: string, clientAppId: string, consented: boolean): void {
    const u = this.find(ref);
    if (!u) throw new Error(`no sandbox user ${ref}`);
    const key = `${u.oid}|${clientAppId.toLowerCase()}`;
    if (consented) this.withdrawn.delete(key);
    else this.withdrawn.add(key);
  }

  setMfaRequired(ref: string, required: boolean): void {
    const u = this.find(ref);
    if (!u) throw new Error(`no sandbox user ${ref}`);
    if (required) this.challenged.add(u.oid);
    else this.challenged.delete(u.oid);
  }

  mfaRequired(oid: string): boolean {
    return this.challenged.has(oid.toLowerCase());
  }

  hasConsented(oid: string, clientAppId: string): boolean {
    return !this.withdrawn.has(`${oid.toLowerCase()}|${clientAppId.toLowerCase()}`);
  }

  record(entry: UserAuditEntry): void {
    this.audit.push(entry);
    if (this.audit.length > 5000) this.audit.splice(0, this.audit.length - 5000);
  }
}

export interface UserTokenOptions {
  /** `aud`: a client id, an App ID URI (`api://…`) or an API resource URL. */
  audience: string;
  /** Delegated scopes, without the resource prefix (`access_as_user`, `Incident.ReadWrite`); empty: no `scp`. */
  scopes: readonly string[];
  /** The app the user signed in to (`azp` in v2, `appid` in v1). */
  clientAppId: string;
  /** Token format (the resource app's requestedAccessTokenVersion); default 2.0. */
  ver?: '1.0' | '2.0';
  /** Another `tid` (and issuer) than the sandbox tenant, for wrong-tenant tests. */
  tenantId?: string;
  /** Shift `iat`/`nbf`/`exp` by this many seconds (negative: an expired token). */
  shiftSeconds?: number;
}

/**
 * A delegated (app + user) access token signed by the sandbox's Entra key. v2: `iss` {authority}/{tid}/v2.0, `azp`,
 * `preferred_username`; v1: `iss` https://sts.windows.net/{tid}/, `appid`, `upn`, `unique_name` (identity-modes.md
 * §3.1, §3.2). Both carry `scp` (space-separated), `oid`, `tid`, `name`, `idtyp: user`.
 */
export function issueUserToken(
  state: SandboxState,
  user: SandboxUser,
  options: UserTokenOptions,
): { token: string; claims: TokenClaims; expiresOn: number } {
  const tid = options.tenantId ?? state.tenantId;
  const ver = options.ver ?? '2.0';
  const shift = options.shiftSeconds ?? 0;
  const iat = state.nowSeconds() + shift;
  const common: Record<string, unknown> = {
    tid,
    idtyp: 'user',
    ver,
    name: user.name,
    iat,
    nbf: iat,
    exp: iat + state.tokenLifetimeSeconds,
    ...(options.scopes.length > 0 ? { scp: options.scopes.join(' ') } : {}),
  };
  const perVersion: Record<string, unknown> =
    ver === '2.0'
      ? { iss: `${state.url}/${tid}/v2.0`, azp: options.clientAppId, appid: undefined, preferred_username: user.upn }
      : {
          iss: `https://sts.windows.net/${tid}/`,
          appid: options.clientAppId,
          azp: undefined,
          upn: user.upn,
          unique_name: user.upn,
        };
  return state.mintToken(options.audience, options.clientAppId, user.oid, [], { ...common, ...perVersion });
}

/** `preferred_username` (v2) or `upn` (v1) of a user token, undefined for an app-only token. */
export function userOf(claims: TokenClaims): { oid: string; upn: string } | undefined {
  if (claims.idtyp !== 'user' && typeof claims.scp !== 'string') return undefined;
  const upn = claims.preferred_username ?? claims.upn ?? claims.unique_name;
  return { oid: claims.oid, upn: typeof upn === 'string' ? upn : claims.oid };
}
