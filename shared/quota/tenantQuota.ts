// A tenant's own allowance, per API family: the fields a QUOTA_PER_TENANT entry or a TENANTS entry's `quota` may set.
// What an entry leaves out comes from the QUOTA_* settings (config.ts fills it in).

export interface TenantQuota {
  incidentsPerMinute: number;
  incidentsPerHour: number;
  huntingPerMinute: number;
  huntingPerHour: number;
  alertsPerMinute: number;
  alertsPerHour: number;
  indicatorsPerMinute: number;
  indicatorsPerHour: number;
  identityPerMinute: number;
  identityPerHour: number;
  riskyUsersPerMinute: number;
  riskyUsersPerHour: number;
  machineActionsPerMinute: number;
  machineActionsPerHour: number;
}

/** Each field's largest accepted value: far above any documented allowance, so a typo of magnitude is caught. */
export const TENANT_QUOTA_FIELDS: Record<keyof TenantQuota, number> = {
  incidentsPerMinute: 100_000,
  incidentsPerHour: 10_000_000,
  huntingPerMinute: 100_000,
  huntingPerHour: 10_000_000,
  alertsPerMinute: 100_000,
  alertsPerHour: 10_000_000,
  indicatorsPerMinute: 100_000,
  indicatorsPerHour: 10_000_000,
  identityPerMinute: 100_000,
  identityPerHour: 10_000_000,
  riskyUsersPerMinute: 100_000,
  riskyUsersPerHour: 10_000_000,
  machineActionsPerMinute: 100_000,
  machineActionsPerHour: 10_000_000,
};

/**
 * One tenant's allowance overrides (`{"incidentsPerMinute": 40, ...}`). Problems start with `label` (the setting
 * and entry) and name the field, never a value.
 * @returns the fields set, or undefined when `entry` is not an object.
 */
export function parseTenantQuota(label: string, entry: unknown, problems: string[]): Partial<TenantQuota> | undefined {
  const known = Object.keys(TENANT_QUOTA_FIELDS).join(', ');
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    problems.push(`${label} must be an object (${known})`);
    return undefined;
  }
  const q: Partial<TenantQuota> = {};
  for (const [field, value] of Object.entries(entry as Record<string, unknown>)) {
    const max = TENANT_QUOTA_FIELDS[field as keyof TenantQuota];
    if (max === undefined) problems.push(`${label}: unknown field ${JSON.stringify(field)} (known: ${known})`);
    else if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
      problems.push(`${label}.${field} must be a whole number from 1 to ${max}`);
    else q[field as keyof TenantQuota] = value;
  }
  return q;
}
