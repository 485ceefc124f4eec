// Several Entra tenants in one sandbox, as a managed security provider sees them (identity-modes.md §7): each tenant
// has its own tenant id, app registration and secret, roles, Defender data (incidents, devices, indicators, users,
// hunting tables), quota and counters. The original tenant is the home tenant: with no other tenant added,
// everything behaves as before. A request runs in the tenant its path names (Entra: `/{tenant}/oauth2/...`) or its
// bearer token's `tid` (the APIs); SandboxState's per-tenant fields read the tenant of the request being handled.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { HuntingTables } from './hunting';
import type { SandboxRequest } from './httpUtil';
import type { Directory } from './identityApi';
import type { IndicatorStore } from './indicatorsApi';
import type { IncidentStore } from './incidents/store';
import type { MdeStore } from './mde/store';
import type { SlidingWindowLimiter } from './rateLimiter';
import type { AppCredential } from './secrets';
import type { Counters } from './state';

export interface TenantData {
  tenantId: string;
  clientId: string;
  /** The Key Vault secret (in the home tenant's vault) holding this tenant's app secret. */
  secretName: string;
  app: AppCredential;
  incidents: IncidentStore;
  mde: MdeStore;
  indicators: IndicatorStore;
  directory: Directory;
  limiter: SlidingWindowLimiter;
  huntingTables: HuntingTables;
  roles: string[];
  counters: Counters;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TenantScopes {
  private readonly als = new AsyncLocalStorage<TenantData>();
  /** Tenants added besides the home tenant, by lower-case tenant id. */
  readonly others = new Map<string, TenantData>();

  constructor(readonly home: TenantData) {}

  current(): TenantData {
    return this.als.getStore() ?? this.home;
  }

  run<T>(tenant: TenantData, fn: () => T): T {
    return this.als.run(tenant, fn);
  }

  add(tenant: TenantData): void {
    const id = tenant.tenantId.toLowerCase();
    if (id === this.home.tenantId.toLowerCase() || this.others.has(id))
      throw new Error(`sandbox tenant ${tenant.tenantId} exists already`);
    this.others.set(id, tenant);
  }

  find(tenantId: string): TenantData | undefined {
    const id = tenantId.toLowerCase();
    return id === this.home.tenantId.toLowerCase() ? this.home : this.others.get(id);
  }

  /** The tenant a request is for: an added tenant named by the path or the bearer token's tid; else the home one. */
  forRequest(req: SandboxRequest): TenantData {
    if (this.others.size === 0) return this.home;
    const first = req.url.pathname.split('/')[1] ?? '';
    if (GUID.test(first)) return this.others.get(first.toLowerCase()) ?? this.home;
    const tid = bearerTenant(req);
    return (tid && this.others.get(tid.toLowerCase())) || this.home;
  }
}

/** The unverified `tid` of a bearer token: only picks the tenant, the route's guard still verifies the token. */
function bearerTenant(req: SandboxRequest): string | undefined {
  const auth = req.headers.authorization;
  const m = /^Bearer\s+[^.]+\.([^.]+)\./i.exec(Array.isArray(auth) ? (auth[0] ?? '') : (auth ?? ''));
  if (!m?.[1]) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) as { tid?: unknown };
    return typeof claims.tid === 'string' ? claims.tid : undefined;
  } catch {
    return undefined;
  }
}

/** An object whose every property is read from `get()` at call time: routes built once see the current tenant's. */
export function currentOf<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get: (_target, prop) => {
      const o = get();
      const v: unknown = Reflect.get(o, prop, o);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(o) : v;
    },
    set: (_target, prop, value) => Reflect.set(get(), prop, value),
  });
}
