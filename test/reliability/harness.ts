// Wiring for the reliability and security suites, as `npm start` does it (scripts/start.ts): the sandbox and
// Azurite in the test process, and the app (functions/*.ts) in the local host, either in this process (one app per
// test file: getDeps()/getAutomation() are memoised per process) or in a child process that can be SIGKILLed and
// started again against the same sandbox and Azurite.
import '../../host/fakeCore'; // must precede anything that loads @azure/functions
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startLocalHost, type LocalHost, type LocalHostOptions } from '../../host/localHost';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index';
import { signJira, signStandardWebhook } from '../../shared/webhooks';

export const ROOT = join(__dirname, '..', '..');

/** Fresh webhook secrets per app: distinct per source, so a delivery signed for one source fails on another. */
export function newWebhookSecrets(): Record<'generic' | 'servicenow' | 'jira', string> {
  return {
    generic: `whsec_${randomBytes(32).toString('base64')}`,
    servicenow: `whsec_${randomBytes(32).toString('base64')}`,
    jira: randomBytes(24).toString('hex'),
  };
}

export interface HostJsonOverrides {
  functionTimeout?: string;
  visibilityTimeout?: string;
  maxPollingInterval?: string;
  maxDequeueCount?: number;
  batchSize?: number;
  newBatchThreshold?: number;
}

/** A throwaway folder for content copies and host.json variants, removed by cleanup(). */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'riposte-rel-'));

  /** host.json with shorter queue timings (the shipped one waits 30 s before a failed message is retried). */
  hostJson(o: HostJsonOverrides = {}): string {
    const base = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as {
      functionTimeout?: string;
      extensions: { queues: Record<string, unknown> };
    };
    if (o.functionTimeout) base.functionTimeout = o.functionTimeout;
    const q = base.extensions.queues;
    if (o.visibilityTimeout) q.visibilityTimeout = o.visibilityTimeout;
    if (o.maxPollingInterval) q.maxPollingInterval = o.maxPollingInterval;
    if (o.maxDequeueCount !== undefined) q.maxDequeueCount = o.maxDequeueCount;
    if (o.batchSize !== undefined) q.batchSize = o.batchSize;
    if (o.newBatchThreshold !== undefined) q.newBatchThreshold = o.newBatchThreshold;
    const path = join(this.dir, `host-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(path, JSON.stringify(base, null, 2));
    return path;
  }

  /**
   * A copy of the shipped content (queries/, workflows/, mappings/) for CONTENT_DIR, with extra workflow files and
   * edits to shipped ones; the shipped files themselves are never touched.
   */
  content(
    o: { extraWorkflows?: Record<string, string>; edit?: Record<string, (text: string) => string> } = {},
  ): string {
    const dir = mkdtempSync(join(this.dir, 'content-'));
    for (const sub of ['queries', 'workflows', 'mappings'])
      cpSync(join(ROOT, sub), join(dir, sub), { recursive: true });
    for (const [file, edit] of Object.entries(o.edit ?? {})) {
      const path = join(dir, 'workflows', file);
      const before = readFileSync(path, 'utf8');
      const after = edit(before);
      if (after === before) throw new Error(`content edit of ${file} changed nothing`);
      writeFileSync(path, after);
    }
    for (const [file, text] of Object.entries(o.extraWorkflows ?? {}))
      writeFileSync(join(dir, 'workflows', file), text);
    return dir;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Backends {
  sandbox: Sandbox;
  azurite: Azurite;
}

export async function startBackends(options: SandboxOptions = {}): Promise<Backends> {
  const [sandbox, azurite] = await Promise.all([
    startSandbox({ rateLimits: false, ...options }),
    startAzurite({ inMemory: true, ports: 'random' }),
  ]);
  return { sandbox, azurite };
}

/** The app settings `npm start` would give, plus fast client quota windows and the webhook secrets. */
export function appSettings(
  b: Backends,
  secrets: Record<'generic' | 'servicenow' | 'jira', string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...b.sandbox.settings('graph'),
    AzureWebJobsStorage: b.azurite.connectionString,
    // The client's own quota (50 incident calls a minute) would make a 300-delivery test take minutes.
    RATE_LIMIT_WINDOW_SCALE: '0.001',
    WEBHOOK_SECRET_GENERIC: secrets.generic,
    WEBHOOK_SECRET_SERVICENOW: secrets.servicenow,
    WEBHOOK_SECRET_JIRA: secrets.jira,
    ...extra,
  };
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
}

export interface CallOptions {
  body?: string | Buffer | object;
  headers?: Record<string, string>;
  /** Function key; `null` sends none. */
  key?: string | null;
  signal?: AbortSignal;
}

/** One HTTP call to the local host. */
export async function httpCall(
  baseUrl: string,
  defaultKey: string,
  method: string,
  path: string,
  o: CallOptions = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  const key = o.key === undefined ? defaultKey : o.key;
  if (key !== null) headers['x-functions-key'] = key;
  let body: string | Buffer | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

/** A Standard Webhooks (generic / servicenow) delivery signed with `secret`. */
export function signedStandard(
  body: unknown,
  secret: string,
  o: { id?: string; timestamp?: number | Date } = {},
): SignedDelivery {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = signStandardWebhook({
    id: o.id ?? `msg_${randomBytes(8).toString('hex')}`,
    timestamp: o.timestamp ?? new Date(),
    body: text,
    secret,
  });
  return { body: text, headers: { ...headers, 'content-type': 'application/json' } };
}

/** A Jira admin webhook delivery signed with `secret`. */
export function signedJira(body: unknown, secret: string, deliveryId = randomBytes(8).toString('hex')): SignedDelivery {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    body: text,
    headers: {
      ...signJira(text, secret),
      'x-atlassian-webhook-identifier': deliveryId,
      'content-type': 'application/json',
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  o: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100));
  }
}

/** Every message in a queue (peek only: up to 32 per call, as the service allows), decoded from base64 JSON. */
export async function peekQueue(connectionString: string, queueName: string): Promise<unknown[]> {
  const q = new QueueClient(connectionString, queueName);
  if (!(await q.exists())) return [];
  const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
  return receivedMessageItems.map((m) => {
    const text = Buffer.from(m.messageText, 'base64').toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  });
}

export async function queueLength(connectionString: string, queueName: string): Promise<number> {
  const q = new QueueClient(connectionString, queueName);
  if (!(await q.exists())) return 0;
  return (await q.getProperties()).approximateMessagesCount ?? 0;
}

export interface InProcessApp {
  host: LocalHost;
  url: string;
  functionKey: string;
  /** Every host log line (invocations, function context logs, system lines). */
  hostLines: string[];
  call(method: string, path: string, o?: CallOptions): Promise<HttpAnswer>;
}

/** The app in this process's local host. Settings go into process.env before functions/*.ts load. */
export async function startInProcessApp(
  settings: Record<string, string>,
  o: Partial<LocalHostOptions> = {},
): Promise<InProcessApp> {
  const hostLines: string[] = [];
  const host = await startLocalHost({
    entry: ['functions/*.ts'],
    cwd: ROOT,
    port: 0,
    hostJsonPath: join(ROOT, 'host.json'),
    settings,
    storageConnectionString: settings.AzureWebJobsStorage,
    timers: false,
    logger: (line) => hostLines.push(line),
    ...o,
  });
  return {
    host,
    url: host.url,
    functionKey: host.functionKey,
    hostLines,
    call: (method, path, co) => httpCall(host.url, host.functionKey, method, path, co),
  };
}

export interface HostProcess {
  url: string;
  functionKey: string;
  masterKey: string;
  pid: number;
  /** stdout and stderr lines of the child, in order. */
  lines: string[];
  call(method: string, path: string, o?: CallOptions): Promise<HttpAnswer>;
  /** Run a timer function now (the admin API, master key), as the portal's "Test/Run" does. */
  fireTimer(name: string): Promise<void>;
  /** SIGKILL: no clean-up, no grace period. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after a few seconds. */
  stop(): Promise<void>;
}

export interface HostProcessOptions {
  settings: Record<string, string>;
  hostJsonPath?: string;
  queueLeaseMs?: number;
  startTimeoutMs?: number;
  /** Receives every child output line as it arrives (default: kept in `lines` only). */
  onLine?: (line: string) => void;
}

/** Starts the app in a child process (test/reliability/hostProcess.ts) and waits until it serves. */
export async function startHostProcess(o: HostProcessOptions): Promise<HostProcess> {
  const functionKey = randomBytes(32).toString('base64url');
  const masterKey = randomBytes(32).toString('base64url');
  const config = {
    settings: o.settings,
    hostJsonPath: o.hostJsonPath ?? join(ROOT, 'host.json'),
    functionKey,
    masterKey,
    ...(o.queueLeaseMs !== undefined ? { queueLeaseMs: o.queueLeaseMs } : {}),
  };
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './test/setup/loopbackGuard.ts', join(__dirname, 'hostProcess.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, RIPOSTE_TEST_HOST: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killOnExit));
  const lines: string[] = [];
  let onReady: ((url: string) => void) | undefined;
  const onData = (): ((chunk: Buffer) => void) => {
    let buffered = '';
    return (chunk) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        o.onLine?.(line);
        const m = /^RIPOSTE_HOST_READY (\S+)$/.exec(line);
        if (m?.[1]) onReady?.(m[1]);
      }
    };
  };
  child.stdout?.on('data', onData());
  child.stderr?.on('data', onData());
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`host process did not start: ${lines.slice(-5).join(' | ')}`)),
      o.startTimeoutMs ?? 30_000,
    );
    onReady = (u) => {
      clearTimeout(timer);
      resolve(u);
    };
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`host process exited during start: ${lines.slice(-5).join(' | ')}`));
    });
  });
  const call = (method: string, path: string, co?: CallOptions): Promise<HttpAnswer> =>
    httpCall(url, functionKey, method, path, co);
  return {
    url,
    functionKey,
    masterKey,
    pid: child.pid ?? 0,
    lines,
    call,
    async fireTimer(name) {
      const r = await call('POST', `/admin/functions/${encodeURIComponent(name)}`, { key: masterKey, body: {} });
      if (r.status !== 202) throw new Error(`firing ${name}: HTTP ${r.status}`);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
