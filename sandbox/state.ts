// Everything the emulated services share: the clock, the signing key, secrets, roles, revocation, quotas, faults,
// counters and the request log. Route modules read and change it; the public control API wraps it.
import { randomUUID } from 'node:crypto';
import { FaultInjector } from './faults';
import { Directory } from './identityApi';
import type { HuntingTables } from './hunting';
import { IndicatorStore } from './indicatorsApi';
import { IncidentStore } from './incidents/store';
import type { MdeStore } from './mde/store';
import { signJwt, type SigningKey, type TokenClaims } from './jwt';
import { SlidingWindowLimiter, type QuotaFamily } from './rateLimiter';
import { DEFAULT_ROLES } from './resources';
import { AppKeys } from './appKeys';
import { AppCredential, VaultStore } from './secrets';
import { TenantScopes } from './tenants';
import { UserDirectory } from './users';

export type ApiFamily = QuotaFamily;
export const API_FAMILIES: readonly ApiFamily[] = [
  'hunting',
  'incidentsList',
  'incidentsGet',
  'incidentsUpdate',
  'comments',
  'alertsList',
  'alertsGet',
  'alertsUpdate',
  'alertComments',
  'mdeRead',
  'mdeIsolate',
  'mdeScan',
  'mdeCollect',
  'mdeRestrict',
  'mdeQuarantine',
  'indicatorsSubmit',
  'indicatorsList',
  'indicatorsDelete',
  'indicatorsBatch',
  'usersGet',
  'usersUpdate',
  'usersRevoke',
  'riskyUsersAction',
];

export interface Counters {
  tokenRequests: number;
  discoveryRequests: number;
  miTokenRequests: number;
  /** Which managed identity asked: 'system' or the user-assigned client_id, with counts. */
  miIdentities: Record<string, number>;
  keyVaultReads: number;
  keyVaultChallenges: number;
  api: Record<ApiFamily, number>;
  throttled: number;
  faulted: number;
}

export interface RequestLogEntry {
  method: string;
  /** Path and query, with any credential-like query parameter redacted. */
  path: string;
  /** 0 when the connection was reset (outage fault) or the client went away. */
  status: number;
  family: string;
  /** Sandbox clock, ms since the epoch. */
  at: number;
  api?: 'graph' | 'legacy' | 'mde';
  /** Managed identity used (MI requests): 'system' or the client_id. */
  identity?: string;
  /** The tenant the request was served in, once the sandbox has more than one (tenants.ts). */
  tenant?: string;
}

/** A hunting query as the API received it (tests check what user input turned into). */
export interface HuntingQueryEntry {
  api: 'graph' | 'legacy';
  query: string;
  /** Graph `Timespan` as sent; undefined when absent (always for legacy). */
  timespan?: string;
}

/** Kept for leak checks and injection tests; older entries are dropped. */
export const MAX_RECORDED = 5000;

export function zeroCounters(): Counters {
  return {
    tokenRequests: 0,
    discoveryRequests: 0,
    miTokenRequests: 0,
    miIdentities: {},
    keyVaultReads: 0,
    keyVaultChallenges: 0,
    api: Object.fromEntries(API_FAMILIES.map((f) => [f, 0])) as Record<ApiFamily, number>,
    throttled: 0,
    faulted: 0,
  };
}

export interface StateInit {
  tenantId: string;
  clientId: string;
  secretName: string;
  systemIdentityClientId: string;
  identityHeader: string;
  now: () => Date;
  tokenLifetimeSeconds: number;
  rateLimitScale: number;
  rateLimits: boolean;
  key: SigningKey;
  initialSecret: string;
  incidents: IncidentStore;
  huntingTables: HuntingTables;
  mde: MdeStore;
}

export class SandboxState {
  url = '';
  /** The home tenant and any added ones (tenants.ts): the per-tenant fields below read the current request's. */
  readonly tenants: TenantScopes;
  readonly systemIdentityClientId: string;
  readonly identityHeader: string;
  readonly now: () => Date;
  readonly tokenLifetimeSeconds: number;
  readonly rateLimitScale: number;
  /** The current signing key (rotateSigningKey in index.ts replaces it; the old one stays published). */
  key: SigningKey;
  /** Keys rotated out: still in the JWKS document, as Entra keeps publishing a key for a while after rollover. */
  retiredKeys: SigningKey[] = [];
  /** The app's certificates and federated identity credentials (clientAssertion.ts). */
  readonly appKeys = new AppKeys();
  readonly vault = new VaultStore();
  readonly faults = new FaultInjector();
  /** Analysts: their Defender role, consent, and the delegated calls they made (users.ts). */
  readonly users = new UserDirectory();
  rateLimitsOn: boolean;
  legacyNextLink = false;
  /** How Graph's runHuntingQuery names a schema column's fields: name/type (default) or Name/Type. */
  graphHuntingSchemaCase: 'camel' | 'pascal' = 'camel';
  log: RequestLogEntry[] = [];
  /** Hunting queries received (both APIs), oldest first. */
  huntingQueries: HuntingQueryEntry[] = [];
  /** Every access token minted (app and managed identity), oldest first. */
  issuedTokens: string[] = [];
  /** jti → appid of every token minted, so revocation can target the app's tokens only. */
  private readonly issued = new Map<string, string>();
  private readonly revoked = new Set<string>();

  constructor(init: StateInit) {
    this.tenants = new TenantScopes({
      tenantId: init.tenantId,
      clientId: init.clientId,
      secretName: init.secretName,
      app: new AppCredential(init.initialSecret),
      incidents: init.incidents,
      mde: init.mde,
      indicators: new IndicatorStore(),
      directory: new Directory(init.now),
      limiter: new SlidingWindowLimiter(init.rateLimitScale),
      huntingTables: init.huntingTables,
      roles: [...DEFAULT_ROLES],
      counters: zeroCounters(),
    });
    this.systemIdentityClientId = init.systemIdentityClientId;
    this.identityHeader = init.identityHeader;
    this.now = init.now;
    this.tokenLifetimeSeconds = init.tokenLifetimeSeconds;
    this.rateLimitScale = init.rateLimitScale;
    this.rateLimitsOn = init.rateLimits;
    this.key = init.key;
  }

  // Per tenant: the tenant of the request being handled (the home tenant outside a request).
  get tenantId(): string {
    return this.tenants.current().tenantId;
  }
  get clientId(): string {
    return this.tenants.current().clientId;
  }
  get secretName(): string {
    return this.tenants.current().secretName;
  }
  get app(): AppCredential {
    return this.tenants.current().app;
  }
  get limiter(): SlidingWindowLimiter {
    return this.tenants.current().limiter;
  }
  get incidents(): IncidentStore {
    return this.tenants.current().incidents;
  }
  /** Defender for Endpoint machines and machine actions. */
  get mde(): MdeStore {
    return this.tenants.current().mde;
  }
  /** MDE indicators (/api/indicators). */
  get indicators(): IndicatorStore {
    return this.tenants.current().indicators;
  }
  /** Entra users and Identity Protection's risky users (identityApi.ts). */
  get directory(): Directory {
    return this.tenants.current().directory;
  }
  get huntingTables(): HuntingTables {
    return this.tenants.current().huntingTables;
  }
  set huntingTables(tables: HuntingTables) {
    this.tenants.current().huntingTables = tables;
  }
  get roles(): string[] {
    return this.tenants.current().roles;
  }
  set roles(roles: string[]) {
    this.tenants.current().roles = roles;
  }
  get counters(): Counters {
    return this.tenants.current().counters;
  }
  set counters(counters: Counters) {
    this.tenants.current().counters = counters;
  }

  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** The issuer every sandbox token carries; equals the discovery document's `issuer`. */
  issuer(): string {
    return `${this.url}/${this.tenantId}/v2.0`;
  }

  /** Signs an access token for `aud`; remembers its id so revokeTokens() can reject it later. */
  mintToken(aud: string, appId: string, objectId: string, roles: string[], extra: Record<string, unknown> = {}) {
    const iat = this.nowSeconds();
    const exp = iat + this.tokenLifetimeSeconds;
    const jti = randomUUID();
    const claims: TokenClaims = {
      aud,
      iss: this.issuer(),
      iat,
      nbf: iat,
      exp,
      tid: this.tenantId,
      appid: appId,
      azp: appId,
      oid: objectId,
      sub: objectId,
      idtyp: 'app',
      ver: '2.0',
      ...(roles.length > 0 ? { roles } : {}),
      jti,
      ...extra,
    };
    this.issued.set(jti, appId);
    const token = signJwt(this.key, claims);
    record(this.issuedTokens, token);
    return { token, expiresOn: exp, claims };
  }

  /**
   * Revokes every token issued so far to the app registration (as an admin revoking its sessions would). Managed-identity
   * tokens for Key Vault are a different principal and stay valid.
   */
  revokeAll(): void {
    for (const [jti, appId] of this.issued) if (appId === this.clientId) this.revoked.add(jti);
  }

  isRevoked = (jti: string): boolean => this.revoked.has(jti);

  clearRevocations(): void {
    this.revoked.clear();
  }

  recordHuntingQuery(entry: HuntingQueryEntry): void {
    record(this.huntingQueries, entry);
  }
}

function record<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_RECORDED) list.splice(0, list.length - MAX_RECORDED);
}
