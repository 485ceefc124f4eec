// Sliding-window quotas (defender-api.md §1.2/§1.3): a call is allowed when every window it belongs to has room.
// Windows run on a monotonic clock, so a test that freezes the sandbox's `now` does not freeze its quotas.

export interface QuotaWindow {
  /** Shared key: windows with the same key count the same calls (e.g. the hourly incidents quota). */
  key: string;
  limit: number;
  /** Real window length in ms before scaling (60 000 = a minute). */
  windowMs: number;
}

export type QuotaDecision =
  { ok: true } | { ok: false; retryAfterMs: number; window: QuotaWindow; scaledWindowMs: number };

export class SlidingWindowLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly scale: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Checks every window; records the call in all of them only when all allow it (throttled calls do not count). */
  take(windows: readonly QuotaWindow[]): QuotaDecision {
    const now = this.clock();
    let worst: QuotaDecision = { ok: true };
    for (const w of windows) {
      const span = w.windowMs * this.scale;
      const list = (this.calls.get(w.key) ?? []).filter((t) => t > now - span);
      this.calls.set(w.key, list);
      if (list.length >= w.limit) {
        const oldest = list[list.length - w.limit] ?? now;
        const retryAfterMs = Math.max(0, oldest + span - now);
        if (worst.ok || retryAfterMs > worst.retryAfterMs)
          worst = { ok: false, retryAfterMs, window: w, scaledWindowMs: span };
      }
    }
    if (!worst.ok) return worst;
    for (const w of windows) this.calls.get(w.key)?.push(now);
    return worst;
  }

  reset(): void {
    this.calls.clear();
  }
}

/** A .NET TimeSpan as the legacy API prints it in quota messages: 00:01:00, or 00:00:00.6000000 when scaled. */
export function formatTimeSpan(ms: number): string {
  const totalTicks = Math.round(ms * 10_000);
  const ticksPerSecond = 10_000_000;
  const secondsTotal = Math.floor(totalTicks / ticksPerSecond);
  const fraction = totalTicks % ticksPerSecond;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor(secondsTotal / 3600))}:${pad(Math.floor(secondsTotal / 60) % 60)}:${pad(secondsTotal % 60)}`;
  return fraction ? `${hms}.${String(fraction).padStart(7, '0')}` : hms;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export type QuotaFamily =
  | 'hunting'
  | 'incidentsList'
  | 'incidentsGet'
  | 'incidentsUpdate'
  | 'comments'
  | 'alertsList'
  | 'alertsGet'
  | 'alertsUpdate'
  | 'alertComments'
  | 'mdeRead'
  | 'mdeIsolate'
  | 'mdeScan'
  | 'mdeCollect'
  | 'mdeRestrict'
  | 'mdeQuarantine'
  | 'usersGet'
  | 'usersUpdate'
  | 'usersRevoke'
  | 'riskyUsersAction';

/** The documented quotas per call family; `api` keeps Graph and legacy counters apart. */
export function quotaWindows(api: 'graph' | 'legacy' | 'mde', family: QuotaFamily): QuotaWindow[] {
  const k = (s: string): string => `${api}:${s}`;
  switch (family) {
    case 'hunting':
      return [
        { key: k('hunting:minute'), limit: 45, windowMs: MINUTE },
        { key: k('hunting:hour'), limit: 1500, windowMs: HOUR },
      ];
    case 'incidentsList':
      return [
        { key: k('incidents:list:minute'), limit: 50, windowMs: MINUTE },
        { key: k('incidents:hour'), limit: 1500, windowMs: HOUR },
      ];
    case 'incidentsGet':
      return [
        { key: k('incidents:get:minute'), limit: 100, windowMs: MINUTE },
        { key: k('incidents:hour'), limit: 1500, windowMs: HOUR },
      ];
    case 'incidentsUpdate':
    case 'comments':
      return [
        { key: k('incidents:update:minute'), limit: 50, windowMs: MINUTE },
        { key: k('incidents:hour'), limit: 1500, windowMs: HOUR },
      ];
    case 'alertsList':
    case 'alertsGet':
    case 'alertsUpdate':
    case 'alertComments':
      // Graph concepts/throttling-limits.md: any operation on alert under /security, 150 a minute per app and tenant.
      return [{ key: k('alerts:minute'), limit: 150, windowMs: MINUTE }];
    case 'mdeRead':
    case 'mdeIsolate':
    case 'mdeScan':
    case 'mdeCollect':
    case 'mdeRestrict':
    case 'mdeQuarantine':
      // Every machine and machine-action page: 100 calls per minute and 1,500 per hour (response-actions.md §1.2,
      // §4), per app and tenant (§1.1). The pages state the limit per API; one shared count is the stricter reading.
      return [
        { key: k('machines:minute'), limit: 100, windowMs: MINUTE },
        { key: k('machines:hour'), limit: 1500, windowMs: HOUR },
      ];
    case 'usersGet':
    case 'usersUpdate':
    case 'usersRevoke':
      // Identity and access writes: 3,000 per 2.5 minutes per app and tenant (concepts/throttling-limits.md).
      return [{ key: k('identity:writes'), limit: 3000, windowMs: 150_000 }];
    case 'riskyUsersAction':
      // Identity protection: 1 request a second per tenant (includes/throttling-identityprotection-ca.md).
      return [{ key: k('riskyUsers:second'), limit: 1, windowMs: 1000 }];
  }
}
