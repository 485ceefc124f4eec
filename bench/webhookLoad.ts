// Load generator for the webhook figure, in its own process so signing and HTTP client work do not share the
// server's event loop: `concurrency` clients post signed generic deliveries (unique ids) for `durationMs`.
// Usage: node --import tsx bench/webhookLoad.ts <url> <durationMs> <concurrency>; the function key and the webhook
// secret come in BENCH_FUNCTION_KEY and BENCH_WEBHOOK_SECRET. Prints one JSON line: { statuses, elapsedMs }.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { signStandardWebhook } from '../shared/webhooks';

interface Reply {
  status: number;
}

function post(agent: http.Agent, url: URL, headers: Record<string, string>, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

export async function generateLoad(
  target: string,
  durationMs: number,
  concurrency: number,
  functionKey: string,
  secret: string,
): Promise<{ statuses: Record<string, number>; elapsedMs: number }> {
  const url = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const prefix = randomBytes(4).toString('hex');
  const statuses: Record<string, number> = {};
  let seq = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const n = seq++;
        const body = JSON.stringify({
          incidentId: String(3301 + (n % 12)),
          ticketId: `BENCH-${n}`,
          status: 'inProgress',
        });
        const signed = signStandardWebhook({
          id: `msg_${prefix}_${n}`,
          timestamp: Math.floor(Date.now() / 1000),
          body,
          secret,
        });
        let status: number;
        try {
          status = (
            await post(
              agent,
              url,
              { 'content-type': 'application/json', 'x-functions-key': functionKey, ...signed },
              body,
            )
          ).status;
        } catch {
          status = 0;
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  agent.destroy();
  return { statuses, elapsedMs };
}

if (require.main === module) {
  const [target, duration, concurrency] = process.argv.slice(2);
  generateLoad(
    target ?? '',
    Number(duration),
    Number(concurrency),
    process.env.BENCH_FUNCTION_KEY ?? '',
    process.env.BENCH_WEBHOOK_SECRET ?? '',
  )
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
