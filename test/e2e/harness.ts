// The whole app as `npm start` runs it (scripts/start.ts), in this process and on random ports: the sandbox, an
// in-memory Azurite and the local Functions host loading functions/*.ts, driven over real HTTP.
// One harness per test FILE: the host copies settings into process.env before loading the entries, and the
// functions memoise getDeps()/getAutomation() per process, so a second harness in the same file would reuse the
// first one's clients. node --test runs each file in its own process.
import '../../host/fakeCore'; // must precede anything that loads @azure/functions
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startLocalHost, type LocalHost } from '../../host/localHost';
import { startSandbox, type Sandbox } from '../../sandbox';
import { isRiposteComment } from '../../shared/engine';
import { signJira, signStandardWebhook } from '../../shared/webhooks';

export const REPO = join(__dirname, '..', '..');

export interface HarnessOptions {
  /** Which Defender API the app talks to (default graph). */
  api?: 'graph' | 'legacy';
  /** Extra or overriding app settings. */
  settings?: Record<string, string>;
  /** host.json maxDequeueCount, mirrored in QUEUE_MAX_DEQUEUE_COUNT (default 3). */
  maxDequeueCount?: number;
  /** Sandbox quota windows (default 0.05: 3-second "minutes"). */
  rateLimitScale?: number;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

export interface ErrorReply {
  code: string;
  message: string;
  field?: string;
  invocationId?: string;
}

export interface CallOptions {
  /** Sent as JSON unless a string or Buffer (then as is). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The function key to send; false sends none (default: the host's function key). */
  key?: string | false;
}

export interface SignedOptions {
  /** `webhook-id` (Standard Webhooks) or `x-atlassian-webhook-identifier` (Jira); random when absent. */
  id?: string;
  /** Unix seconds for `webhook-timestamp` (default now). */
  timestamp?: number;
  /** Sign with this secret instead of the configured one. */
  secret?: string;
  /** Added after signing (override or drop a header with undefined). */
  headers?: Record<string, string | undefined>;
}

export interface Harness {
  sandbox: Sandbox;
  azurite: Azurite;
  host: LocalHost;
  /** The app settings the host was started with (they contain secrets: never print them). */
  settings: Record<string, string>;
  secrets: { generic: string; servicenow: string; jira: string };
  /** Host log lines (invocations, function logs), for assertions on what timers and queues did. */
  logs: string[];
  queueName: string;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** POST /api/webhooks/{source}, signed the way the source signs. */
  webhook(source: 'generic' | 'servicenow' | 'jira', body: string | object, options?: SignedOptions): Promise<Reply>;
  /** Messages now in a queue (peeked, base64 JSON decoded when possible). */
  peekQueue(name: string): Promise<unknown[]>;
  close(): Promise<void>;
}

/** host.json of the repo with queue timings small enough for tests (1 s visibility, 200 ms polling). */
function testHostJson(dir: string, maxDequeueCount: number): string {
  const hostJson = JSON.parse(readFileSync(join(REPO, 'host.json'), 'utf8')) as {
    extensions: { queues: Record<string, unknown> };
  };
  Object.assign(hostJson.extensions.queues, {
    maxDequeueCount,
    visibilityTimeout: '00:00:01',
    maxPollingInterval: '00:00:00.2',
  });
  const file = join(dir, 'host.json');
  writeFileSync(file, JSON.stringify(hostJson, null, 2));
  return file;
}

export function toReply(res: Response, text: string): Reply {
  return {
    status: res.status,
    headers: res.headers,
    text,
    json<T>(): T {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`expected a JSON body, got ${res.status}: ${text.slice(0, 200)}`);
      }
    },
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const maxDequeueCount = options.maxDequeueCount ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'riposte-e2e-'));
  const [sandbox, azurite] = await Promise.all([
    startSandbox({ rateLimitScale: options.rateLimitScale ?? 0.05 }),
    startAzurite({ ports: 'random', inMemory: true }),
  ]);
  const secrets = {
    generic: `whsec_${randomBytes(24).toString('base64')}`,
    servicenow: `whsec_${randomBytes(24).toString('base64')}`,
    jira: randomBytes(16).toString('hex'),
  };
  const settings: Record<string, string> = {
    ...sandbox.settings(options.api ?? 'graph'),
    AzureWebJobsStorage: azurite.connectionString,
    WEBHOOK_SECRET_GENERIC: secrets.generic,
    WEBHOOK_SECRET_SERVICENOW: secrets.servicenow,
    WEBHOOK_SECRET_JIRA: secrets.jira,
    QUEUE_MAX_DEQUEUE_COUNT: String(maxDequeueCount),
    ...options.settings,
  };
  const logs: string[] = [];
  const verbose = process.env.E2E_VERBOSE === '1';
  let host: LocalHost;
  try {
    host = await startLocalHost({
      entry: ['functions/*.ts'],
      cwd: REPO,
      port: 0,
      hostJsonPath: testHostJson(dir, maxDequeueCount),
      settings,
      storageConnectionString: azurite.connectionString,
      // Timers fire only when a test invokes them: a schedule must not change the sandbox under a test's feet.
      timers: false,
      logger: (line) => {
        logs.push(line);
        if (verbose) process.stderr.write(`${line}\n`);
      },
    });
  } catch (e) {
    await Promise.allSettled([sandbox.close(), azurite.stop()]);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const queueName = settings.TICKET_EVENTS_QUEUE ?? 'riposte-ticket-events';

  async function call(method: string, path: string, o: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? host.functionKey : o.key;
    if (key !== false) headers['x-functions-key'] = key;
    let body: string | Buffer | undefined;
    if (o.body !== undefined) {
      if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) body = o.body;
      else {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    const res = await fetch(`${host.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    return toReply(res, await res.text());
  }

  async function webhook(
    source: 'generic' | 'servicenow' | 'jira',
    payload: string | object,
    o: SignedOptions = {},
  ): Promise<Reply> {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const signed =
      source === 'jira'
        ? {
            ...signJira(body, o.secret ?? secrets.jira),
            'x-atlassian-webhook-identifier': o.id ?? randomUUID(),
            'x-atlassian-webhook-flow': 'Primary',
          }
        : signStandardWebhook({
            id: o.id ?? `msg_${randomUUID()}`,
            timestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
            body,
            secret: o.secret ?? secrets[source],
          });
    const headers: Record<string, string> = { 'content-type': 'application/json', ...signed };
    for (const [k, v] of Object.entries(o.headers ?? {})) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    return call('POST', `/api/webhooks/${source}`, { body, headers });
  }

  async function peekQueue(name: string): Promise<unknown[]> {
    const q = new QueueClient(azurite.connectionString, name);
    if (!(await q.exists())) return [];
    const { peekedMessageItems } = await q.peekMessages({ numberOfMessages: 32 });
    return peekedMessageItems.map((m) => {
      const text = Buffer.from(m.messageText, 'base64').toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return m.messageText;
      }
    });
  }

  let closing: Promise<void> | undefined;
  return {
    sandbox,
    azurite,
    host,
    settings,
    secrets,
    logs,
    queueName,
    call,
    webhook,
    peekQueue,
    close() {
      closing ??= (async () => {
        await host.close();
        await Promise.allSettled([sandbox.close(), azurite.stop()]);
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The error envelope every function answers with: `{ error: { code, message, field? } }`. */
export function errorOf(reply: Reply): ErrorReply {
  const body = reply.json<{ error?: ErrorReply }>();
  if (!body.error || typeof body.error.code !== 'string') {
    throw new Error(`expected an error body, got ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
  return body.error;
}

/** A vendor-shaped payload from test/webhooks/fixtures. */
export function webhookFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO, 'test', 'webhooks', 'fixtures', name), 'utf8')) as Record<string, unknown>;
}

/** The sandbox's current copy of an incident (fails the test when it does not exist). */
export function storedIncident(h: Harness, id: number): NonNullable<ReturnType<Sandbox['control']['incident']>> {
  const i = h.sandbox.control.incident(id);
  if (!i) throw new Error(`sandbox incident ${id} does not exist`);
  return i;
}

/** Comments on an incident that carry Riposte's marker. */
export function riposteCommentsOf(h: Harness, id: number): string[] {
  return storedIncident(h, id)
    .comments.map((c) => c.comment)
    .filter((c) => isRiposteComment(c));
}
