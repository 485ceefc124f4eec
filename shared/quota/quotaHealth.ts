// The shared quota in deep health: per API family, whether this instance draws from the shared row or has fallen
// back to its own limiter (and why), the permits left in each window, a pause and its reason, and the counters.
// Informational, like the poison queue: it never fails the check, 'warn' tells the operator to look.
import type { AppConfig } from '../config';
import type { ApiFamily } from '../http/defenderHttp';
import type { SharedQuota, SharedQuotaStatus } from './sharedQuota';

export type FamilyQuotaHealth = Omit<SharedQuotaStatus, 'name'> & {
  /** Whether the row could be read just now ('notConfigured': no storage setting, per-process only). */
  storage: 'ok' | 'unreachable' | 'notConfigured';
  storageError?: string;
};

export interface QuotaHealth {
  status: 'ok' | 'warn';
  /** What is wrong and what it means, when status is warn. */
  message?: string;
  families: Partial<Record<ApiFamily, FamilyQuotaHealth>>;
}

const FAMILIES: ApiFamily[] = ['incidents', 'hunting', 'alerts', 'machineActions', 'identity', 'riskyUsers'];

export async function quotaHealth(
  config: Pick<AppConfig, 'tenantId' | 'rateLimits'>,
  quotas: Partial<Record<ApiFamily, SharedQuota>>,
): Promise<QuotaHealth> {
  const families: Partial<Record<ApiFamily, FamilyQuotaHealth>> = {};
  const problems: string[] = [];
  await Promise.all(
    FAMILIES.map(async (family) => {
      const q = quotas[family];
      if (!q) {
        families[family] = {
          tenantId: config.tenantId,
          mode: 'perProcess',
          reason: 'no storage configured',
          allowance: config.rateLimits[family],
          permitsLeft: null,
          held: 0,
          callMs: 0,
          stats: {
            permits: 0,
            perProcessPermits: 0,
            storageCalls: 0,
            conflicts: 0,
            wasted: 0,
            lateStarts: 0,
            lateEnds: 0,
          },
          storage: 'notConfigured',
        };
        return;
      }
      const { name: _name, ...status } = await q.inspect();
      families[family] = status;
      if (status.mode === 'perProcess')
        problems.push(
          `${family}: this instance uses its own limiter since ${status.since} (${status.reason}); storage is tried again at ${status.retryAt}`,
        );
      else if (status.storage === 'unreachable')
        problems.push(`${family}: the quota row could not be read (${status.storageError})`);
    }),
  );
  if (!quotas.incidents && !quotas.hunting)
    problems.push(
      'no storage configured (AzureWebJobsStorage): each instance keeps its own limiter, so several instances together can exceed the tenant quota',
    );
  return problems.length > 0 ? { status: 'warn', message: problems.join('; '), families } : { status: 'ok', families };
}
