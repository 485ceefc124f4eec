// The control API for several tenants (tenants.ts): add a customer tenant with its own app registration, secret
// (stored in the home tenant's Key Vault, where a managed security provider keeps it) and data, and drive any
// tenant with the usual control functions, each run in that tenant.
import { randomUUID } from 'node:crypto';
import type { HuntingTables } from './hunting';
import { Directory } from './identityApi';
import { IndicatorStore } from './indicatorsApi';
import type { StoredIncident } from './incidents/model';
import { IncidentStore } from './incidents/store';
import type { MdeStore } from './mde/store';
import { SlidingWindowLimiter } from './rateLimiter';
import { DEFAULT_ROLES } from './resources';
import { AppCredential, newClientSecret } from './secrets';
import { zeroCounters, type SandboxState } from './state';
import type { TenantData } from './tenants';

export interface AddTenantOptions {
  /** Default: a new GUID. */
  tenantId?: string;
  /** The app registration's client id in that tenant (default: a new GUID; one multi-tenant app: pass the home one). */
  clientId?: string;
  /** The Key Vault secret holding its client secret (default `riposte-client-secret-<first 8 of the tenant id>`). */
  secretName?: string;
  /** Load the seed incidents, devices and hunting tables (default false: an empty tenant). */
  seed?: boolean;
}

export interface AddedTenant {
  tenantId: string;
  clientId: string;
  secretName: string;
}

export interface TenantSeeds {
  incidents: () => StoredIncident[];
  tables: () => HuntingTables;
  mde: () => MdeStore;
}

export function addSandboxTenant(state: SandboxState, seeds: TenantSeeds, o: AddTenantOptions = {}): AddedTenant {
  const tenantId = o.tenantId ?? randomUUID();
  const clientId = o.clientId ?? randomUUID();
  const secretName = o.secretName ?? `riposte-client-secret-${tenantId.slice(0, 8)}`;
  const secret = newClientSecret();
  const seed = o.seed === true;
  const tenant: TenantData = {
    tenantId,
    clientId,
    secretName,
    app: new AppCredential(secret),
    incidents: new IncidentStore(seed ? seeds.incidents() : []),
    mde: seeds.mde(),
    indicators: new IndicatorStore(),
    directory: new Directory(state.now),
    limiter: new SlidingWindowLimiter(state.rateLimitScale),
    huntingTables: seed ? seeds.tables() : new Map(),
    roles: [...DEFAULT_ROLES],
    counters: zeroCounters(),
  };
  state.tenants.add(tenant);
  state.vault.set(secretName, secret, state.nowSeconds());
  return { tenantId, clientId, secretName };
}

/** `control` with every function run in `tenantId`'s tenant. @throws when the sandbox has no such tenant. */
export function scopedControl<C extends object>(state: SandboxState, control: C, tenantId: string): C {
  const tenant = state.tenants.find(tenantId);
  if (!tenant) throw new Error(`the sandbox has no tenant ${tenantId}`);
  return Object.fromEntries(
    Object.entries(control).map(([name, fn]) => [
      name,
      typeof fn === 'function'
        ? (...args: unknown[]) => state.tenants.run(tenant, () => (fn as (...a: unknown[]) => unknown)(...args))
        : fn,
    ]),
  ) as C;
}
