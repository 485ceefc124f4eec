// Health checks. The shallow one reads settings only; the deep one proves each hop of the path (Key Vault →
// Entra ID → Defender API) with one cheap call each, reporting which hop failed and why, never a secret.
import { allowanceFor, loadConfig, type Env } from './config';
import type { AppDeps } from './deps';
import { isAppError, toError } from './errors';
import { redact } from './logger';
import { quotaHealth, type QuotaHealth } from './quota/quotaHealth';

export interface ShallowHealth {
  status: 'ok' | 'misconfigured';
  api?: string;
  cloud?: string;
  apiHost?: string;
  /** CREDENTIAL_SOURCE: how the app proves itself (the names behind it are in deep health, behind the function key). */
  credentialSource?: string;
  problems?: readonly string[];
}

export function shallowHealth(env: Env): ShallowHealth {
  try {
    const c = loadConfig(env);
    return {
      status: 'ok',
      api: c.api,
      cloud: c.cloud,
      apiHost: new URL(c.apiBaseUrl).host,
      credentialSource: c.credentialSource,
    };
  } catch (e) {
    const problems = (e as { problems?: readonly string[] }).problems ?? ['configuration could not be read'];
    return { status: 'misconfigured', problems };
  }
}

export interface CheckResult {
  /** keyVault: the client secret or certificate; managedIdentity: the federated credential's token. */
  name: 'keyVault' | 'managedIdentity' | 'token' | 'api';
  ok: boolean;
  durationMs: number;
  error?: { code: string; message: string };
}

/**
 * Ticket events that failed for good. Not a hop (the path to Defender can be fine while deliveries failed), so it
 * never makes the check fail; 'warn' tells the operator to look (`npx riposte poison list`).
 */
export interface PoisonQueueHealth {
  queue: string;
  status: 'ok' | 'warn' | 'unknown';
  /** Approximate count (the queue service's own); absent when it could not be read. */
  messages?: number;
  /** What to do, when status is warn or unknown. */
  message?: string;
  error?: { code: string; message: string };
}

export interface DeepHealth {
  status: 'ok' | 'failing';
  api: string;
  cloud: string;
  /** The credential source and its non-secret names (secret or certificate name and thumbprint, identity client id). */
  credential?: Record<string, string>;
  checks: CheckResult[];
  poisonQueue?: PoisonQueueHealth;
  /** The shared quota per API family (shared or per-process, permits left, pause); never fails the check. */
  quota?: QuotaHealth;
  /** Several tenants (TENANTS): each enabled tenant's own shared quota, by tenant key. */
  tenantQuotas?: Record<string, QuotaHealth>;
  /**
   * Several tenants: each enabled customer tenant's own path (its token, one API read), by tenant key. It never
   * changes `status`, which is the deployment's own tenant's: one customer withdrawing consent must not take the
   * app out of a load balancer that serves every other tenant.
   */
  tenants?: Record<string, TenantHealth>;
}

export interface TenantHealth {
  status: 'ok' | 'failing';
  /** Token, then API; stops at the first failure. */
  checks: CheckResult[];
}

export interface DeepHealthOptions {
  /** The ticket-event poison queue to count, when storage is configured. */
  poisonQueue?: { name: string; count(): Promise<number> };
}

async function poisonQueueHealth(q: NonNullable<DeepHealthOptions['poisonQueue']>): Promise<PoisonQueueHealth> {
  try {
    const messages = await q.count();
    if (messages === 0) return { queue: q.name, status: 'ok', messages };
    return {
      queue: q.name,
      status: 'warn',
      messages,
      message: `${messages} ticket event(s) could not be applied: npx riposte poison list shows why; fix the cause, then npx riposte poison replay --all`,
    };
  } catch (e) {
    return {
      queue: q.name,
      status: 'unknown',
      message: 'the poison queue could not be read',
      error: { code: isAppError(e) ? e.code : 'STORAGE_UNAVAILABLE', message: redact(toError(e).message) },
    };
  }
}

async function check(name: CheckResult['name'], run: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  try {
    await run();
    return { name, ok: true, durationMs: Math.round(performance.now() - started) };
  } catch (e) {
    const err = toError(e);
    const code = isAppError(e) ? e.code : 'ERROR';
    return {
      name,
      ok: false,
      durationMs: Math.round(performance.now() - started),
      error: { code, message: redact(err.message) },
    };
  }
}

/** The deployment's hops (stopping at the first failure), its quotas, and each customer tenant's own path. */
export async function deepHealth(
  deps: Pick<AppDeps, 'config' | 'secrets' | 'tokens' | 'defender'> &
    Partial<Pick<AppDeps, 'quotas' | 'credential' | 'tenant'>>,
  options: DeepHealthOptions = {},
): Promise<DeepHealth> {
  const checks: CheckResult[] = [];
  const { credential } = deps;
  const steps: Array<[CheckResult['name'], () => Promise<unknown>]> = [
    // Read anew, not from cache: a cached value would report a disabled or deleted secret as healthy until the TTL ends.
    credential ? [credential.checkName, () => credential.check()] : ['keyVault', () => deps.secrets.refresh()],
    ...pathChecks(deps),
  ];
  checks.push(...(await runInOrder(steps)));
  const ok = checks.length === steps.length && checks.every((c) => c.ok);
  const tenantOf = deps.tenant;
  const customers = tenantOf ? deps.config.tenants.tenants.filter((t) => t.enabled && t.partition !== '') : [];
  return {
    status: ok ? 'ok' : 'failing',
    api: deps.config.api,
    cloud: deps.config.cloud,
    ...(deps.credential ? { credential: deps.credential.describe() } : {}),
    checks,
    ...(options.poisonQueue ? { poisonQueue: await poisonQueueHealth(options.poisonQueue) } : {}),
    ...(deps.quotas ? { quota: await quotaHealth(deps.config, deps.quotas) } : {}),
    ...(deps.quotas && deps.tenant && deps.config.tenants.explicit
      ? { tenantQuotas: await tenantQuotaHealth(deps.config, deps.tenant) }
      : {}),
    ...(tenantOf && customers.length > 0
      ? { tenants: await customerTenantHealth(customers.map((t) => [t.key, tenantOf(t.key)] as const)) }
      : {}),
  };
}

/** The token, then the cheapest authorised read on both backends (one incident). */
function pathChecks(
  clients: Pick<AppDeps, 'tokens' | 'defender'>,
): Array<[CheckResult['name'], () => Promise<unknown>]> {
  return [
    ['token', () => clients.tokens.getToken()],
    [
      'api',
      async () => {
        for await (const _ of clients.defender.listIncidents({ limit: 1 })) break;
      },
    ],
  ];
}

/** Runs the hops in order and stops at the first failure (later hops would only repeat it). */
async function runInOrder(steps: Array<[CheckResult['name'], () => Promise<unknown>]>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const [name, run] of steps) {
    const result = await check(name, run);
    out.push(result);
    if (!result.ok) break;
  }
  return out;
}

/** Each customer tenant's path, side by side (their tokens and reads are independent). */
async function customerTenantHealth(
  tenants: ReadonlyArray<readonly [string, Pick<AppDeps, 'tokens' | 'defender'>]>,
): Promise<Record<string, TenantHealth>> {
  const entries = await Promise.all(
    tenants.map(async ([key, clients]) => {
      const checks = await runInOrder(pathChecks(clients));
      const ok = checks.length === 2 && checks.every((c) => c.ok);
      return [key, { status: ok ? 'ok' : 'failing', checks } satisfies TenantHealth] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Each enabled tenant's quota (its clients are built here if no run has built them yet: no I/O until a call). */
async function tenantQuotaHealth(
  config: AppDeps['config'],
  tenant: AppDeps['tenant'],
): Promise<Record<string, QuotaHealth>> {
  const enabled = config.tenants.tenants.filter((t) => t.enabled);
  const entries = await Promise.all(
    enabled.map(
      async (t) =>
        [
          t.key,
          await quotaHealth(
            { tenantId: t.tenantId, rateLimits: allowanceFor(config, t.tenantId) },
            tenant(t.key).quotas,
          ),
        ] as const,
    ),
  );
  return Object.fromEntries(entries);
}
