// The whole app the way a deployment runs it, for the contract and journey suites: the sandbox (Entra, Key Vault,
// Graph or legacy API) and an in-memory Azurite in this process, and the Functions host in a separate process
// (test/reliability/hostProcess.ts) on its own port. Optionally a vendor double (test/contracts/vendorDouble.ts) sits
// in front of the sandbox so chosen requests get a vendor's documented answer. close() stops everything it started,
// the child first; a child whose parent dies exits on its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox } from '../../sandbox';
import { startVendorDouble, type VendorDouble } from '../contracts/vendorDouble';
import {
  newWebhookSecrets,
  queueLength,
  Scratch,
  startHostProcess,
  waitFor,
  type CallOptions,
  type HostProcess,
  type HttpAnswer,
} from '../reliability/harness';

export type Api = 'graph' | 'legacy';

export interface AppStackOptions {
  api: Api;
  /** Put a vendor double in front of Entra, Key Vault and the Defender API. */
  vendorDouble?: boolean;
  /** Extra or overriding app settings. */
  settings?: Record<string, string>;
  /** Start the host process now (default true); false leaves it to startHost(). */
  startHost?: boolean;
}

export interface AppStack {
  api: Api;
  sandbox: Sandbox;
  azurite: Azurite;
  vendor: VendorDouble | undefined;
  secrets: Record<'generic' | 'servicenow' | 'jira', string>;
  /** The host's app settings (they hold secrets: never print them). */
  settings: Record<string, string>;
  /** The running host process (throws before startHost()). */
  readonly host: HostProcess;
  startHost(extra?: Record<string, string>): Promise<HostProcess>;
  stopHost(): Promise<void>;
  call(method: string, path: string, o?: CallOptions): Promise<HttpAnswer>;
  /** Fires a timer through the admin API and waits for its invocation to end; returns its outcome. */
  fireTimer(name: string, timeoutMs?: number): Promise<'Succeeded' | 'Failed'>;
  /** Finished invocations of a function so far (the host's "Executed 'Functions.<name>'" lines). */
  invocations(name: string): number;
  /** Waits until `name` has finished more than `count` invocations. */
  waitForInvocations(name: string, count: number, timeoutMs?: number): Promise<void>;
  /**
   * After a delivery was queued: waits until the queue trigger has run at least once more than `before` and the
   * ticket-event queue is empty (a failed attempt puts the message back; its retry or the poison queue ends it).
   */
  settleTicketQueue(before: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** host.json with queue timings small enough for tests: 1 s visibility, 200 ms polling, three attempts. */
const QUEUE_TIMINGS = { visibilityTimeout: '00:00:01', maxPollingInterval: '00:00:00.2', maxDequeueCount: 3 };

export async function startAppStack(o: AppStackOptions): Promise<AppStack> {
  const caDir = mkdtempSync(join(tmpdir(), 'riposte-stack-ca-'));
  const scratch = new Scratch();
  const [sandbox, azurite] = await Promise.all([
    startSandbox({ rateLimits: false, dataDir: caDir, persistCa: true }),
    startAzurite({ inMemory: true, ports: 'random' }),
  ]);
  let vendor: VendorDouble | undefined;
  let host: HostProcess | undefined;
  const close = async (): Promise<void> => {
    await host?.stop().catch(() => undefined);
    await vendor?.close().catch(() => undefined);
    await Promise.allSettled([sandbox.close(), azurite.stop()]);
    scratch.cleanup();
    rmSync(caDir, { recursive: true, force: true });
  };
  try {
    if (o.vendorDouble) vendor = await startVendorDouble(sandbox, caDir);
    const secrets = newWebhookSecrets();
    const base = sandbox.settings(o.api);
    const settings: Record<string, string> = {
      ...base,
      ...(vendor
        ? {
            AUTHORITY_HOST: vendor.url,
            KEY_VAULT_URL: vendor.url,
            DEFENDER_API_BASE_URL: o.api === 'graph' ? `${vendor.url}/v1.0` : vendor.url,
          }
        : {}),
      AzureWebJobsStorage: azurite.connectionString,
      // The client's own quota would make a suite wait for its windows; the sandbox enforces none either.
      RATE_LIMIT_WINDOW_SCALE: '0.001',
      WEBHOOK_SECRET_GENERIC: secrets.generic,
      WEBHOOK_SECRET_SERVICENOW: secrets.servicenow,
      WEBHOOK_SECRET_JIRA: secrets.jira,
      QUEUE_MAX_DEQUEUE_COUNT: String(QUEUE_TIMINGS.maxDequeueCount),
      ...o.settings,
    };
    const hostJsonPath = scratch.hostJson(QUEUE_TIMINGS);
    const stack: AppStack = {
      api: o.api,
      sandbox,
      azurite,
      vendor,
      secrets,
      settings,
      get host(): HostProcess {
        if (!host) throw new Error('the host process is not running');
        return host;
      },
      async startHost(extra = {}) {
        await host?.stop();
        host = await startHostProcess({ settings: { ...settings, ...extra }, hostJsonPath });
        return host;
      },
      async stopHost() {
        await host?.stop();
        host = undefined;
      },
      call: (method, path, co) => stack.host.call(method, path, co),
      async fireTimer(name, timeoutMs = 60_000) {
        const h = stack.host;
        const done = new RegExp(`Executed 'Functions\\.${name}' \\((Succeeded|Failed)`);
        const before = h.lines.filter((l) => done.test(l)).length;
        await h.fireTimer(name);
        const line = await waitFor(`timer ${name} to finish`, () => h.lines.filter((l) => done.test(l))[before], {
          timeoutMs,
        });
        return done.exec(line)![1] as 'Succeeded' | 'Failed';
      },
      invocations: (name) => stack.host.lines.filter((l) => l.includes(`Executed 'Functions.${name}' (`)).length,
      async waitForInvocations(name, count, timeoutMs = 30_000) {
        await waitFor(`${count + 1} invocation(s) of ${name}`, () => stack.invocations(name) > count, { timeoutMs });
      },
      async settleTicketQueue(before, timeoutMs = 30_000) {
        await stack.waitForInvocations('applyTicketEvent', before, timeoutMs);
        const queue = settings.TICKET_EVENTS_QUEUE ?? 'riposte-ticket-events';
        await waitFor(
          `queue ${queue} to empty`,
          async () => (await queueLength(azurite.connectionString, queue)) === 0,
          {
            timeoutMs,
          },
        );
      },
      close,
    };
    if (o.startHost !== false) await stack.startHost();
    return stack;
  } catch (e) {
    await close();
    throw e;
  }
}
