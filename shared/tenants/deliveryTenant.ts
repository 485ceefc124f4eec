// Which registry tenant a webhook delivery acts in: the source mapping's `tenant:` (a fixed tenant, or a body field
// looked up in a table). With several tenants a delivery the mapping cannot place is refused (400 naming the field
// and value); a tenant switched off is refused (403). Without TENANTS there is nothing to decide.
import { InputError } from '../errors';
import { asText, getPath, quote, tableKey } from '../webhooks/fieldPath';
import type { SourceMapping } from '../webhooks/types';
import type { TenantRegistry } from './registry';
import { findTenant } from './selectTenants';

/** @returns the tenant key, or undefined in a single-tenant deployment. */
export function deliveryTenant(registry: TenantRegistry, mapping: SourceMapping, body: unknown): string | undefined {
  if (!registry.explicit) return undefined;
  const route = mapping.tenant;
  if (!route) {
    const enabled = registry.tenants.filter((t) => t.enabled);
    if (enabled.length === 1 && enabled[0]) return enabled[0].key;
    throw new InputError(
      'tenant',
      `${mapping.file} has no tenant: rule, so a ${mapping.source} delivery cannot be given one of several tenants (TENANTS)`,
    );
  }
  let key: string;
  if ('fixed' in route) key = route.fixed;
  else {
    const where = `body.${route.field}`;
    const value = asText(getPath(body, route.field), where);
    if (value === undefined || value === null)
      throw new InputError(where, `${where} is missing: ${mapping.file} routes deliveries to tenants by it`);
    const mapped = route.map.get(tableKey(value));
    if (mapped === undefined)
      throw new InputError(where, `${where} ${quote(value)} is mapped to no tenant (tenant.map in ${mapping.file})`);
    key = mapped;
  }
  return findTenant(registry, key, `tenant (${mapping.file})`).key;
}
