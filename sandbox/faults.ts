// Injected faults: the next N (or a seeded-random share of) matching requests fail, hang, or lose their connection.
// Faults apply before authentication, like a gateway or network failure would.
import { mulberry32 as prng } from './prng';

/** The Defender API routes: what the fault target `api` covers. */
const API_ROUTES = ['hunting', 'incidents', 'alerts', 'machineActions', 'indicators', 'identity'] as const;
type ApiRoute = (typeof API_ROUTES)[number];
/** The notification receivers (sandbox/notify): Teams Workflows webhooks, Jira Cloud, ServiceNow. */
export type NotifyRouteTarget = 'teams' | 'jira' | 'servicenow';
/** What a route is, for fault matching. Discovery and JWKS are only hit by `all`. */
export type RouteTarget = 'token' | 'keyvault' | 'mi' | ApiRoute | 'other' | NotifyRouteTarget;
/** A route, or `api` (every Defender API route) or `all`. */
export type FaultTarget = Exclude<RouteTarget, 'other'> | 'api' | 'all';

export interface FaultSpec {
  /** Default 'api' (hunting, incidents, Graph alerts_v2, MDE machines, machine actions and indicators). */
  target?: FaultTarget;
  /** Only requests with this HTTP method (e.g. 'PATCH' to fail incident updates while reads still work). */
  method?: string;
  /** e.g. 500, 503, 429. */
  status?: number;
  /** Fail the next N matching requests (default: until cleared). */
  count?: number;
  /** 0..1 instead of count; deterministic PRNG seeded by `seed`. */
  probability?: number;
  seed?: number;
  /** `Retry-After` header on 429/503 faults; omit for none. */
  retryAfterSeconds?: number;
  /** A 429 whose only wait hint is the body text "... Try again in N seconds." (no header). */
  retryAfterInBodyOnly?: boolean;
  /** Hang this long before answering; with `status` undefined, then answer normally. */
  delayMs?: number;
  /** Reset the connection (socket destroy) instead of answering. */
  outage?: boolean;
}

export interface FiredFault {
  spec: FaultSpec;
}

interface ActiveFault {
  spec: FaultSpec;
  remaining: number | undefined;
  random: (() => number) | undefined;
}

function matches(target: FaultTarget, route: RouteTarget): boolean {
  switch (target) {
    case 'all':
      return true;
    case 'api':
      return (API_ROUTES as readonly RouteTarget[]).includes(route);
    default:
      return target === route;
  }
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    if (spec.probability !== undefined && (spec.probability < 0 || spec.probability > 1)) {
      throw new RangeError('FaultSpec.probability must be between 0 and 1');
    }
    if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) {
      throw new RangeError('FaultSpec.count must be a positive integer');
    }
    this.faults.push({
      spec: { ...spec },
      remaining: spec.count,
      random: spec.probability !== undefined ? prng(spec.seed ?? 1) : undefined,
    });
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault that applies to this request, if any; consumes one use of a counted fault. */
  take(route: RouteTarget, method?: string): FiredFault | undefined {
    for (const f of this.faults) {
      if (!matches(f.spec.target ?? 'api', route)) continue;
      if (f.spec.method !== undefined && f.spec.method.toUpperCase() !== method?.toUpperCase()) continue;
      if (f.random && f.random() >= (f.spec.probability ?? 0)) continue;
      if (f.remaining !== undefined) {
        f.remaining -= 1;
        if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
      }
      return { spec: f.spec };
    }
    return undefined;
  }
}

/** "2.5" for 2.5, "3" for 3: the wait as a body text shows it (up to 3 decimals). */
export function formatSeconds(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000);
}
