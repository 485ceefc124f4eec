// The engine's dependencies for one registry tenant: that tenant's Defender client and API clients (its token,
// cloud, API and quota), its state partition, and a logger that names it on every line. Without TENANTS the one
// tenant's engine is the automation's own, unchanged.
import type { EngineDeps } from '../engine';
import type { Logger, LogProps } from '../logger';
import type { AppDeps } from '../deps';
import { partitionedState } from './partitionedState';
import type { TenantRegistry } from './registry';
import { findTenant } from './selectTenants';

export interface TenantScoped {
  deps: { config: { tenants: TenantRegistry }; tenant: AppDeps['tenant'] };
  engine: EngineDeps;
}

/** Every line says which tenant it is about (a run's lines are only ever its own tenant's). */
export function tenantLogger(logger: Logger, tenant: string): Logger {
  const tag = (props?: LogProps): LogProps => ({ tenant, ...(props ?? {}) });
  return {
    debug: (m, p) => logger.debug(m, tag(p)),
    info: (m, p) => logger.info(m, tag(p)),
    warn: (m, p) => logger.warn(m, tag(p)),
    error: (m, p) => logger.error(m, tag(p)),
  };
}

/**
 * @param logger the invocation's logger (default: the engine's), tagged with the tenant.
 * @throws {InputError} an unknown tenant; {TenantDisabledError} a disabled one.
 */
export function tenantEngine(a: TenantScoped, key: string, logger?: Logger): EngineDeps {
  const base = logger ? { ...a.engine, logger } : a.engine;
  if (!a.deps.config.tenants.explicit) {
    findTenant(a.deps.config.tenants, key);
    return base;
  }
  const td = a.deps.tenant(key);
  // The later checks of open device actions (the device-actions queue) use the deployment's own tenant's clients:
  // another tenant's open action is reported open in its run report, never checked with the wrong tenant's token.
  const { followUps, ...rest } = base;
  return {
    ...(td.tenant.partition === '' && followUps ? { ...rest, followUps } : rest),
    defender: td.defender,
    apis: td.apis,
    state: partitionedState(a.engine.state, td.tenant.partition),
    ...(base.logger ? { logger: tenantLogger(base.logger, td.tenant.key) } : {}),
    tenant: td.tenant.key,
  };
}
