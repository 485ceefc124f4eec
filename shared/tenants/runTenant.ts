// The one tenant an HTTP run (or a queued continuation, or a CLI run) acts in: the caller's `tenant`, or the
// workflow's only tenant. A workflow over several tenants needs the caller to say which (400 naming the field).
import { InputError } from '../errors';
import type { Workflow } from '../workflows';
import { DEFAULT_TENANT_KEY, type TenantRegistry } from './registry';
import { selectTenants } from './selectTenants';

export function runTenant(
  registry: TenantRegistry,
  workflow: Pick<Workflow, 'name' | 'tenants'>,
  requested: unknown,
): string {
  if (requested !== undefined && (typeof requested !== 'string' || !requested))
    throw new InputError('tenant', 'tenant must be a tenant key (a string)');
  if (!registry.explicit && requested === undefined) return DEFAULT_TENANT_KEY;
  const selected = selectTenants(registry, workflow.tenants, requested as string | undefined, workflow.name);
  const only = selected.length === 1 ? selected[0] : undefined;
  if (only) return only.key;
  if (selected.length === 0)
    throw new InputError('tenant', `workflow '${workflow.name}' has no enabled tenant to run for (TENANTS)`);
  throw new InputError(
    'tenant',
    `tenant is required: workflow '${workflow.name}' runs for several tenants (${selected.map((t) => t.key).join(', ')})`,
  );
}

/**
 * The tenant a run on behalf of a user (a bearer caller, `riposte run --user`) acts in: the deployment's own
 * (TENANT_ID), where the user's token was issued and the on-behalf-of grant happens. Another registry tenant would
 * need the user's token for that tenant, so naming one is refused rather than quietly run at home.
 * @param instead what the caller can do to run elsewhere (the error's last words).
 */
export function userRunTenant(
  registry: TenantRegistry,
  workflow: Pick<Workflow, 'name' | 'tenants'>,
  requested: unknown,
  instead: string,
): string {
  const home = registry.tenants.find((t) => t.partition === '');
  const key = runTenant(registry, workflow, requested ?? (registry.explicit ? home?.key : undefined));
  if (registry.explicit && key !== home?.key)
    throw new InputError(
      'tenant',
      `a run on behalf of a user acts in the deployment's own tenant (TENANT_ID) only, not '${key}' (${instead})`,
    );
  return key;
}
