// Which registry tenants a run acts in: the workflow's `tenants:` (one, a list, or all) narrowed by the caller's
// tenant (HTTP `?tenant=`, the CLI's `--tenant`, a webhook mapping). Unknown names are the caller's mistake (400
// naming them); a disabled tenant asked for by name is refused (403); a run over `all` or a list skips disabled ones.
import { AppError, InputError } from '../errors';
import type { TenantEntry, TenantRegistry } from './registry';

/** A workflow's `tenants:`: every enabled tenant, or the listed keys. Absent: every enabled tenant. */
export type TenantSelector = 'all' | readonly string[];

export class TenantDisabledError extends AppError {
  readonly tenant: string;
  constructor(tenant: string) {
    super('TENANT_DISABLED', `tenant '${tenant}' is disabled in the tenant registry (TENANTS): nothing was run there`);
    this.tenant = tenant;
  }
}

export function findTenant(registry: TenantRegistry, key: string, field = 'tenant'): TenantEntry {
  const found = registry.tenants.find((t) => t.key === key);
  if (!found) {
    throw new InputError(
      field,
      `${field}: unknown tenant '${key.slice(0, 64)}' (known: ${registry.tenants.map((t) => t.key).join(', ')})`,
    );
  }
  if (!found.enabled) throw new TenantDisabledError(found.key);
  return found;
}

/**
 * @param requested the caller's tenant, when it named one: it must be among the workflow's tenants.
 * @throws {InputError} an unknown tenant, or one the workflow does not run for; {TenantDisabledError} a disabled one.
 */
export function selectTenants(
  registry: TenantRegistry,
  selector: TenantSelector | undefined,
  requested?: string,
  workflow?: string,
): TenantEntry[] {
  const listed = selector === undefined || selector === 'all' ? undefined : selector;
  if (requested !== undefined) {
    const tenant = findTenant(registry, requested);
    if (listed && !listed.includes(tenant.key))
      throw new InputError(
        'tenant',
        `tenant: workflow '${workflow ?? ''}' does not run for tenant '${tenant.key}' (its tenants: ${listed.join(', ')})`,
      );
    return [tenant];
  }
  if (!listed) return registry.tenants.filter((t) => t.enabled);
  // A listed tenant switched off is skipped like under `all`: disabling is how an operator pauses a customer.
  return listed
    .map((key) => {
      const found = registry.tenants.find((t) => t.key === key);
      if (!found)
        throw new InputError('tenants', `tenants: unknown tenant '${key.slice(0, 64)}' in '${workflow ?? ''}'`);
      return found;
    })
    .filter((t) => t.enabled);
}
