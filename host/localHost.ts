// A local stand-in for the Azure Functions host (Core Tools cannot be installed here). It loads the app's real
// function modules, captures their registrations through the fake worker core, and serves them: HTTP routes with
// auth levels, NCRONTAB timers, and storage queue triggers against Azurite. See webhooks-and-host.md §5.
import './fakeCore'; // must precede anything that loads @azure/functions
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expandEntries, loadEntries } from './entries';
import {
  keepHttpStreamOff,
  registrations,
  runAppStartHooks,
  runAppTerminateHooks,
  setSystemLogSink,
  triggerOf,
  type RpcBindingInfo,
} from './fakeCore';
import { readHostConfig, resolveSettingRefs, type HostConfig } from './hostConfig';
import { createHttpHandler, type HttpFunction } from './httpHost';
import { Invoker } from './invoker';
import { stamp, describeError } from './log';
import { parseNcrontab } from './ncrontab';
import { QueueListener } from './queueListener';
import { compileRoute } from './routeTemplate';
import { QueueClients, encodeMessage, outputMessages, resolveConnectionString } from './storageQueues';
import { TimerRunner } from './timerRunner';

export interface LocalHostOptions {
  /** Module paths or globs (TS via tsx, or compiled JS) to load, e.g. `functions/*.ts`. */
  entry: string[];
  /** Default 7071; 0 picks a free port. */
  port?: number;
  /** Default: host.json `extensions.http.routePrefix`, else `api`. */
  routePrefix?: string;
  hostJsonPath?: string;
  /** App settings: `%Name%` resolution, and copied into process.env before the entry modules load. */
  settings?: Record<string, string>;
  /** Accepted for authLevel `function` (random if absent). */
  functionKey?: string;
  /** Accepted for every auth level, and the only key for `admin` (random if absent). */
  masterKey?: string;
  /** Storage used when a binding's connection setting is missing or `UseDevelopmentStorage=true` (Azurite). */
  storageConnectionString?: string;
  /** Fire timers on their schedule (default true). */
  timers?: boolean;
  logger?: (line: string) => void;
  /** Request body cap; default 100 MB, the host's limit. */
  maxRequestBytes?: number;
  /** Base directory for relative entries (default process.cwd()). */
  cwd?: string;
  /**
   * How long a received queue message stays invisible while it runs (default: 10 minutes, or functionTimeout + 1 min).
   * Crash tests shorten it so a killed host's messages come back in seconds rather than minutes.
   */
  queueLeaseMs?: number;
}

export interface FunctionInfo {
  name: string;
  kind: 'http' | 'timer' | 'queue';
  route?: string;
  url?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
  nextRun?: string;
  queueName?: string;
}

export interface LocalHost {
  url: string;
  functionKey: string;
  masterKey: string;
  functions(): FunctionInfo[];
  invokeTimer(name: string, opts?: { isPastDue?: boolean }): Promise<void>;
  /** Resolve once every queue-triggered queue is empty and nothing runs; rejects after `timeoutMs`. */
  drainQueues(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** How long close() waits for running invocations before giving up on them. */
const CLOSE_GRACE_MS = 5000;
/** Receive lease for queue messages: the extension uses 10 minutes, longer when functionTimeout needs it. */
const MIN_QUEUE_LEASE_MS = 10 * 60_000;

function lower(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v.toLowerCase() : fallback;
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Load the app and start serving it.
 * @throws {Error} when an entry matches no file, a module fails to load, or the port is taken
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = stamp(options.logger ?? ((line) => console.log(line)));
  const config: HostConfig = readHostConfig(options.hostJsonPath);
  const routePrefix = (options.routePrefix ?? config.routePrefix).replace(/^\/+|\/+$/g, '');
  const settings = options.settings ?? {};
  for (const [k, v] of Object.entries(settings)) process.env[k] = v;
  const lookup = (name: string): string | undefined => settings[name] ?? process.env[name];
  const functionKey = options.functionKey ?? randomBytes(32).toString('base64url');
  const masterKey = options.masterKey ?? randomBytes(32).toString('base64url');

  setSystemLogSink((level, message) => log(`System${level === 'information' ? '' : ` [${level}]`}: ${message}`));
  loadEntries(expandEntries(options.entry, options.cwd));
  if (keepHttpStreamOff())
    log('app.setup({ enableHttpStream: true }) is not supported locally; HTTP requests are buffered');
  await runAppStartHooks(options.cwd ?? process.cwd());

  const queueClients = new QueueClients();
  const listeners = new Map<string, QueueListener>();
  const invoker = new Invoker({
    functionTimeoutMs: config.functionTimeoutMs,
    log,
    async writeOutput(functionName, binding, data) {
      if (binding.type.toLowerCase() !== 'queue') {
        log(`Functions.${functionName}: output binding type '${binding.type}' is not supported locally; value dropped`);
        return;
      }
      const queueName = resolveSettingRefs(String(binding.options.queueName ?? ''), lookup);
      const conn = resolveConnectionString(binding.options.connection, lookup, options.storageConnectionString);
      if (!conn) throw new Error(`No storage connection for output binding '${binding.name}' of ${functionName}`);
      const client = await queueClients.get(conn, queueName);
      for (const message of outputMessages(data)) {
        await client.sendMessage(encodeMessage(message, config.queues.messageEncoding));
      }
      // The host's shared queue watcher makes a local listener poll at once instead of waiting out its backoff.
      for (const l of listeners.values()) if (l.queueName === queueName) l.wake();
    },
  });

  const httpFunctions: HttpFunction[] = [];
  const timers = new Map<string, TimerRunner>();
  const infos: FunctionInfo[] = [];
  const pendingQueueStarts: Array<Promise<void>> = [];

  for (const [name, reg] of registrations) {
    if (/^(true|1)$/i.test(lookup(`AzureWebJobs.${name}.Disabled`) ?? '')) {
      log(`Function '${name}' is disabled by its AzureWebJobs.${name}.Disabled setting`);
      continue;
    }
    const [, trigger] = triggerOf(reg.metadata);
    const type = lower(trigger.type, '');
    try {
      if (type === 'httptrigger') {
        const route = typeof trigger.route === 'string' ? trigger.route : name;
        const methods = (Array.isArray(trigger.methods) ? (trigger.methods as string[]) : ['GET', 'POST']).map((m) =>
          m.toUpperCase(),
        );
        const authLevel = lower(trigger.authLevel, 'anonymous') as HttpFunction['authLevel'];
        if (!['anonymous', 'function', 'admin'].includes(authLevel)) throw new Error(`unknown authLevel ${authLevel}`);
        const compiled = compileRoute(route);
        httpFunctions.push({ name, route: compiled, methods: new Set(methods), authLevel });
        infos.push({ name, kind: 'http', route: compiled.template, methods, authLevel });
      } else if (type === 'timertrigger') {
        const schedule = resolveSettingRefs(String(trigger.schedule ?? ''), lookup);
        const runner = new TimerRunner({
          functionName: name,
          schedule: parseNcrontab(schedule),
          runOnStartup: trigger.runOnStartup === true,
          ...(reg.metadata.retryOptions ? { retry: reg.metadata.retryOptions } : {}),
          invoker,
          log,
        });
        timers.set(name, runner);
        infos.push({ name, kind: 'timer', schedule });
      } else if (type === 'queuetrigger') {
        const queueName = resolveSettingRefs(String(trigger.queueName ?? ''), lookup);
        infos.push({ name, kind: 'queue', queueName });
        pendingQueueStarts.push(startQueueListener(name, queueName, trigger));
      } else {
        log(`Function '${name}': trigger type '${String(trigger.type)}' is not supported by the local host; skipped`);
      }
    } catch (err) {
      // The host indexes the other functions and reports this one as in error.
      log(`Function '${name}' failed indexing: ${(err as Error).message}`);
    }
  }

  async function startQueueListener(name: string, queueName: string, trigger: RpcBindingInfo): Promise<void> {
    const conn = resolveConnectionString(trigger.connection, lookup, options.storageConnectionString);
    if (!conn) {
      log(
        `Function '${name}': no storage connection (setting '${String(trigger.connection ?? 'AzureWebJobsStorage')}'); not listening`,
      );
      return;
    }
    let client;
    try {
      client = await queueClients.get(conn, queueName);
    } catch (err) {
      // Like the host: the listener stays down, everything else still runs.
      log(`Function '${name}': cannot reach queue '${queueName}'; not listening: ${(err as Error).message}`);
      return;
    }
    const listener = new QueueListener({
      functionName: name,
      queueName,
      client,
      getPoisonClient: () => queueClients.get(conn, `${queueName}-poison`),
      settings: config.queues,
      invoker,
      leaseMs: options.queueLeaseMs ?? Math.max(MIN_QUEUE_LEASE_MS, (config.functionTimeoutMs ?? 0) + 60_000),
      log,
    });
    listeners.set(name, listener);
    listener.start();
  }

  const server = createServer(
    createHttpHandler({
      routePrefix,
      functions: httpFunctions,
      keys: { functionKey, masterKey },
      invoker,
      log,
      ...(options.maxRequestBytes !== undefined ? { maxRequestBytes: options.maxRequestBytes } : {}),
      admin: {
        invokeNonHttp(name, input) {
          const timer = timers.get(name);
          if (timer) {
            void timer.fire(false);
            return true;
          }
          const info = infos.find((i) => i.name === name && i.kind === 'queue');
          if (!info) return false;
          void invoker.run(
            name,
            { string: input },
            {
              reason: 'This function was programmatically called via the host APIs.',
              triggerMetadata: {
                DequeueCount: { int: 1 },
                Id: { string: randomUUID() },
                QueueTrigger: { string: input },
              },
            },
          );
          return true;
        },
      },
    }),
  );
  let port: number;
  try {
    await Promise.all(pendingQueueStarts);
    port = await listen(server, options.port ?? 7071);
  } catch (err) {
    await Promise.allSettled([...listeners.values()].map((l) => l.stop(1000)));
    server.close();
    throw err;
  }
  const url = `http://127.0.0.1:${port}`;
  // App Service sets WEBSITE_HOSTNAME to the app's host name and Core Tools to localhost:<port>; the app names itself
  // from it (the OpenAPI document's server). A value from the settings wins, as it does in Azure.
  if (!settings.WEBSITE_HOSTNAME) process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
  const prefixPath = routePrefix ? `/${routePrefix}` : '';
  for (const info of infos) if (info.kind === 'http') info.url = `${url}${prefixPath}/${info.route ?? ''}`;
  if (options.timers !== false) for (const t of timers.values()) t.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    functionKey,
    masterKey,
    functions: () =>
      infos.map((i) => {
        const next = timers.get(i.name)?.nextOccurrence;
        return next ? { ...i, nextRun: next.toISOString() } : { ...i };
      }),
    async invokeTimer(name, opts = {}) {
      const timer = timers.get(name);
      if (!timer) throw new Error(`No timer function named "${name}"`);
      await timer.fire(opts.isPastDue ?? false);
    },
    async drainQueues(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const l of listeners.values()) l.wake();
        const idle = await Promise.all([...listeners.values()].map((l) => l.isIdle()));
        if (idle.every(Boolean) && invoker.inFlightCount === 0) return;
        if (Date.now() > deadline) {
          const busy = [...listeners.values()].filter((_, i) => !idle[i]).map((l) => l.queueName);
          throw new Error(`queues not drained after ${timeoutMs}ms: ${busy.join(', ') || '(invocations running)'}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.all([...timers.values()].map((t) => t.stop(CLOSE_GRACE_MS)));
        await Promise.all([...listeners.values()].map((l) => l.stop(CLOSE_GRACE_MS)));
        const left = await invoker.waitIdle(CLOSE_GRACE_MS);
        if (left > 0) log(`Host stopped with ${left} invocation(s) still running`);
        server.closeAllConnections();
        await closed;
        try {
          await runAppTerminateHooks();
        } catch (err) {
          log(`appTerminate hook failed: ${describeError(err)}`);
        }
        setSystemLogSink(() => {});
      })();
      return closing;
    },
  };
}
