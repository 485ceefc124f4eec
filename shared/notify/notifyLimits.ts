// The client-side quota of each notification target, one limiter per target and process, backed by the shared
// quota (one Table row per target, across every instance) when storage is configured, exactly like the Defender
// families (shared/quota). Per target, not per family: Teams throttles per webhook, Jira per site, ServiceNow per
// instance (and user).
// - Teams: the documented webhook limits are 4 requests per second, 60 per 30 s (Teams connector reference and the
//   Workflows webhook note, integration-conventions.md §6.1/§6.2; Workflows' own figures are not published).
// - Jira Cloud: burst limits per tenant, endpoint and method are not published as numbers; 429 carries Retry-After
//   and X-RateLimit-Reset (developer.atlassian.com/cloud/jira/platform/rate-limiting). QUOTA_JIRA_PER_MINUTE.
// - ServiceNow: rules count requests per hour per user, role or everyone, as the instance admin set them (ServiceNow
//   docs, inbound REST API rate limiting); 429 carries X-RateLimit-Reset. QUOTA_SERVICENOW_PER_HOUR.
import { createHash } from 'node:crypto';
import { createRateLimiter, type RateLimiter, type RateLimitWindow } from '../http/rateLimiter';
import type { Logger } from '../logger';
import { withSharedQuota } from '../quota/quotaLimiter';
import type { QuotaStore } from '../quota/quotaStore';
import { createSharedQuota } from '../quota/sharedQuota';
import type { NotifyTarget } from './notifyError';

export interface NotifyAllowance {
  teams: RateLimitWindow[];
  jira: RateLimitWindow[];
  servicenow: RateLimitWindow[];
}

export interface NotifyLimitersOptions {
  allowance: NotifyAllowance;
  /** The shared quota's rows; undefined: the per-process limiter only. */
  store: QuotaStore | undefined;
  /** Partition of the rows (the tenant id, as for the Defender families). */
  tenantId: string;
  logger: Logger;
}

export type NotifyLimiters = (target: Exclude<NotifyTarget, 'callback'>, key: string) => RateLimiter;

/** A short stable name for a key that may be a secret (a webhook URL): never the key itself. */
export const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** @returns the limiter of one target (`key`: the webhook URL's hash, the Jira site, the ServiceNow instance). */
export function createNotifyLimiters(o: NotifyLimitersOptions): NotifyLimiters {
  const limiters = new Map<string, RateLimiter>();
  return (target, key) => {
    const id = `${target}-${shortHash(key)}`;
    let limiter = limiters.get(id);
    if (limiter) return limiter;
    const windows = o.allowance[target];
    limiter = createRateLimiter({ name: id, windows });
    if (o.store) {
      const shared = createSharedQuota({
        key: { tenantId: o.tenantId, family: id },
        allowance: windows,
        store: o.store,
        name: id,
        logger: o.logger,
      });
      limiter = withSharedQuota(limiter, shared);
    }
    limiters.set(id, limiter);
    return limiter;
  };
}
