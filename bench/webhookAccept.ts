// Webhook accept rate: signed generic deliveries answered 202 (verified, de-duplicated, enqueued) per second by the
// receiveWebhook function on the local host, with 32 concurrent clients, against a bare node:http server that only
// enqueues each body to the same Azurite queue. The queue consumer (applyTicketEvent) is switched off so applying
// events does not compete for the CPU. Sides alternate A-B-B-A; the load comes from a child process.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { REPO_ROOT, startStack } from './stack';
import { median, round } from './stats';

export interface WebhookAcceptResult {
  concurrency: number;
  durationMs: number;
  riposte: { rps: number[]; statuses: Record<string, number> };
  bare: { rps: number[]; statuses: Record<string, number> };
  /** median riposte accepted/s ÷ median bare accepted/s. */
  ratio: number;
}

interface LoadResult {
  statuses: Record<string, number>;
  elapsedMs: number;
}

function runLoad(url: string, durationMs: number, concurrency: number, env: NodeJS.ProcessEnv): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'webhookLoad.ts'), url, String(durationMs), String(concurrency)],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}: ${err.slice(-500)}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult);
    });
  });
}

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export async function measureWebhookAccept(
  options: { durationMs?: number; concurrency?: number; rounds?: number } = {},
): Promise<WebhookAcceptResult> {
  const durationMs = options.durationMs ?? 8000;
  const concurrency = options.concurrency ?? 32;
  const rounds = options.rounds ?? 2;
  const stack = await startStack({ disabled: ['applyTicketEvent'] });
  let bare: http.Server | undefined;
  try {
    const connection = stack.azurite?.connectionString ?? '';
    const queueName = stack.settings.TICKET_EVENTS_QUEUE ?? 'riposte-ticket-events';
    const queue = new QueueClient(connection, queueName);
    await queue.createIfNotExists();
    bare = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.once('end', () => {
        queue.sendMessage(Buffer.concat(chunks).toString('base64')).then(
          () => {
            res.writeHead(202, { 'content-type': 'application/json' });
            res.end('{"status":"accepted"}');
          },
          () => {
            res.writeHead(503);
            res.end();
          },
        );
      });
    });
    await new Promise<void>((r) => bare?.listen(0, '127.0.0.1', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/api/webhooks/generic`;
    const hostUrl = `${stack.host.url}/api/webhooks/generic`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BENCH_FUNCTION_KEY: stack.host.functionKey,
      BENCH_WEBHOOK_SECRET: stack.settings.WEBHOOK_SECRET_GENERIC,
      NODE_OPTIONS: '',
    };
    // Warm both: the automation (tables, queue, mappings) is built on the first delivery.
    await runLoad(hostUrl, 1000, 4, env);
    await runLoad(bareUrl, 1000, 4, env);

    const result = { riposte: { rps: [] as number[], statuses: {} }, bare: { rps: [] as number[], statuses: {} } };
    for (let i = 0; i < rounds; i++) {
      for (const side of i % 2 === 0 ? (['riposte', 'bare'] as const) : (['bare', 'riposte'] as const)) {
        const r = await runLoad(side === 'riposte' ? hostUrl : bareUrl, durationMs, concurrency, env);
        result[side].rps.push(round(((r.statuses['202'] ?? 0) * 1000) / r.elapsedMs, 1));
        merge(result[side].statuses, r.statuses);
      }
    }
    return {
      concurrency,
      durationMs,
      ...result,
      ratio: round(median(result.riposte.rps) / median(result.bare.rps)),
    };
  } finally {
    if (bare) {
      bare.closeAllConnections();
      await new Promise<void>((r) => bare?.close(() => r()));
    }
    await stack.close();
  }
}
