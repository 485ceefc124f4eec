// One side of the hunt100k figure, in its own process so its peak RSS is its own (bench/hunt100k.ts starts it, as
// compiled JavaScript).
//   riposte: the bench workflow (hunt step → forEach over every row with a trivial set step) through the real
//            loader, composition root and engine;
//   raw:     axios POST of the same request, then JSON.parse of the body.
// Prints one JSON line: { ms, cpuMs, fetchMs?, parseMs?, bodyBytes?, rows, rssBeforeMb, peakRssMb }. cpuMs is the
// process's CPU time (user + system) over the same span: less moved than wall time by other processes on a shared box.
// Never prints tokens.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import axios from 'axios';
import { loadConfig } from '../shared/config';
import { createDeps } from '../shared/deps';
import { runWorkflow } from '../shared/engine';
import { silentLogger } from '../shared/logger';
import { loadQueryLibrary } from '../shared/queries';
import { createMemoryStateStore } from '../shared/state/memoryState';
import { loadWorkflowFile } from '../shared/workflows';

// The compiled child (bench/hunt100k.ts runs it from a temporary build) is told where the sources are.
export const BENCH_CONTENT = process.env.BENCH_CONTENT_DIR ?? join(__dirname, 'content');
export const BENCH_WORKFLOW = join(BENCH_CONTENT, 'workflows', 'bench-hunt-foreach.yaml');
export const BENCH_QUERY = 'bench-process-events';

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const peakRssMb = (): number => mb(process.resourceUsage().maxRSS * 1024);
const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1000;
};

async function riposte(): Promise<Record<string, unknown>> {
  const config = loadConfig(process.env);
  const deps = createDeps(config, { logger: silentLogger });
  const queries = await loadQueryLibrary(join(BENCH_CONTENT, 'queries'));
  const workflow = await loadWorkflowFile(BENCH_WORKFLOW, queries);
  await deps.tokens.getToken(); // Key Vault and Entra before the clock starts, as on a warm instance
  const rssBefore = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runWorkflow(
    workflow,
    { trigger: 'http' },
    { defender: deps.defender, queries, state: createMemoryStateStore(), logger: silentLogger },
  );
  const ms = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  const each = report.steps.find((s) => s.id === 'eachRow');
  if (report.status !== 'succeeded')
    throw new Error(`bench workflow ${report.status}: ${JSON.stringify(report.error)}`);
  return { ms, cpuMs, rows: each?.counts.succeeded ?? 0, rssBeforeMb: mb(rssBefore), peakRssMb: peakRssMb() };
}

async function raw(): Promise<Record<string, unknown>> {
  const ca = readFileSync(process.env.TLS_CA_FILE ?? '', 'utf8');
  const agent = new https.Agent({ keepAlive: true, ca });
  const url = `${process.env.DEFENDER_API_BASE_URL}/security/runHuntingQuery`;
  const body = { Query: process.env.BENCH_KQL, Timespan: 'P30D' };
  const headers = { Authorization: `Bearer ${process.env.BENCH_TOKEN}` };
  const rssBefore = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await axios.post<Buffer>(url, body, { httpsAgent: agent, headers, responseType: 'arraybuffer' });
  const t1 = performance.now();
  const parsed = JSON.parse(res.data.toString('utf8')) as { results?: unknown[] };
  const t2 = performance.now();
  const cpuMs = cpuMsSince(cpu0);
  return {
    ms: t2 - t0,
    cpuMs,
    fetchMs: t1 - t0,
    parseMs: t2 - t1,
    bodyBytes: res.data.length,
    rows: parsed.results?.length ?? 0,
    rssBeforeMb: mb(rssBefore),
    peakRssMb: peakRssMb(),
  };
}

if (require.main === module) {
  const side = process.argv[2];
  (side === 'riposte' ? riposte() : raw())
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((e: unknown) => {
      // The message only: an axios error object would carry the request headers.
      process.stderr.write(`${side}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
