// workflowStepOverheadRatio: one incident update through the engine against a raw axios PATCH, with the latencies of
// Azure instead of loopback's: the sandbox holds every API call 50 ms (its delay fault) and a proxy in front of
// Azurite holds every storage call 5 ms (bench/delayProxy.ts). The engine runs in this process through the real
// composition root: Key Vault secret → Entra token → DefenderClient, Table state through the proxy, the bench
// workflow bench/content/workflows/bench-update.yaml (one updateIncident step setting assignedTo).
// Paths, in a fresh random order every iteration:
//   raw      axios PATCH, keep-alive agent, token fetched once: the floor;
//   rawRead  axios GET then PATCH: the API calls the engine's update makes (it reads the incident first, to send
//            only what differs and to find comment markers), without the engine;
//   engine   runWorkflow(bench-update): replay check, read of the write record, claim, GET, PATCH, completion.
// The sandbox and the proxy count the calls each path makes, so the figure can be read against its floor.
import { join } from 'node:path';
import { startAzurite, type Azurite } from '../host/azurite';
import { startSandbox, type Sandbox } from '../sandbox';
import { loadConfig } from '../shared/config';
import { createDeps } from '../shared/deps';
import { runWorkflow } from '../shared/engine';
import { silentLogger } from '../shared/logger';
import { loadQueryLibrary } from '../shared/queries';
import { createTableStateStore } from '../shared/state/tableState';
import { loadWorkflowFile } from '../shared/workflows';
import { startDelayProxy, type DelayProxy } from './delayProxy';
import { BENCH_CONTENT } from './huntChild';
import { fetchGraphToken, incidentIds, rawGraphClient, UNBOUND_CLIENT_RATE_SCALE } from './stack';
import { median, nowMs, round, summarize, type Summary } from './stats';

export const API_DELAY_MS = 50;
export const STORAGE_DELAY_MS = 5;

type PathName = 'raw' | 'rawRead' | 'engine';

export interface WorkflowStepResult {
  iterations: number;
  apiDelayMs: number;
  storageDelayMs: number;
  ms: Record<PathName, Summary>;
  /** median(engine) ÷ median(raw): the headline. */
  ratio: number;
  /** median(engine) ÷ median(rawRead): the engine against the same API calls made bare. */
  ratioToSameApiCalls: number;
  /** API and storage calls one update makes on each path (sandbox and proxy counters). */
  callsPerUpdate: Record<PathName, { api: Record<string, number>; storage: number }>;
  /**
   * What the calls alone cost at the added latencies, ÷ median(raw): the ratio no engine could beat with these calls
   * (each API call as long as a raw PATCH, each storage call its added delay).
   */
  floorRatio: number;
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export async function measureWorkflowStep(
  options: { iterations?: number; warmup?: number } = {},
): Promise<WorkflowStepResult> {
  const iterations = options.iterations ?? 60;
  const warmup = options.warmup ?? 5;
  let sandbox: Sandbox | undefined;
  let azurite: Azurite | undefined;
  let proxy: DelayProxy | undefined;
  try {
    sandbox = await startSandbox({ rateLimits: false });
    azurite = await startAzurite({ inMemory: true, ports: 'random' });
    proxy = await startDelayProxy({ port: azurite.tablePort }, STORAGE_DELAY_MS);
    const tableConnection = azurite.connectionString.replace(
      /TableEndpoint=[^;]+/,
      `TableEndpoint=${proxy.url}/devstoreaccount1`,
    );
    const settings: Record<string, string> = {
      ...sandbox.settings('graph'),
      RATE_LIMIT_WINDOW_SCALE: UNBOUND_CLIENT_RATE_SCALE,
      AzureWebJobsStorage: tableConnection,
    };
    // The managed identity (Key Vault) reads its endpoint from the environment only.
    for (const [k, v] of Object.entries(settings)) process.env[k] = v;
    const deps = createDeps(loadConfig(settings), { logger: silentLogger });
    const queries = await loadQueryLibrary(join(BENCH_CONTENT, 'queries'));
    const workflow = await loadWorkflowFile(join(BENCH_CONTENT, 'workflows', 'bench-update.yaml'), queries);
    const engine = {
      defender: deps.defender,
      queries,
      state: createTableStateStore(tableConnection),
      logger: silentLogger,
    };
    const ids = incidentIds(sandbox);
    const raw = rawGraphClient(sandbox, await fetchGraphToken(sandbox));
    let seq = 0;
    // A new assignee every time, so each engine update is a new write that really patches.
    const nextUpdate = (): { id: string; assignedTo: string } => {
      seq++;
      return { id: ids[seq % ids.length] as string, assignedTo: `bench${seq}@contoso.com` };
    };
    const calls: Record<PathName, () => Promise<void>> = {
      async raw() {
        const u = nextUpdate();
        await raw.patch(`/security/incidents/${u.id}`, { assignedTo: u.assignedTo });
      },
      async rawRead() {
        const u = nextUpdate();
        await raw.get(`/security/incidents/${u.id}`);
        await raw.patch(`/security/incidents/${u.id}`, { assignedTo: u.assignedTo });
      },
      async engine() {
        const u = nextUpdate();
        const report = await runWorkflow(
          workflow,
          { trigger: 'http', input: { incidentId: u.id, assignedTo: u.assignedTo } },
          engine,
        );
        const outcome = report.steps[0]?.changes[0]?.outcome;
        if (report.status !== 'succeeded' || outcome !== 'applied')
          throw new Error(`bench-update did not apply the update: ${JSON.stringify(report).slice(0, 500)}`);
      },
    };
    const paths = ['raw', 'rawRead', 'engine'] as const;
    for (const p of paths) await calls[p](); // first use: token, Key Vault, Table creation

    sandbox.control.injectFaults({ target: 'api', delayMs: API_DELAY_MS });
    const callsPerUpdate = {} as WorkflowStepResult['callsPerUpdate'];
    for (const p of paths) {
      sandbox.control.resetCounters();
      const before = proxy.calls();
      await calls[p]();
      const api = Object.fromEntries(Object.entries(sandbox.control.counters().api).filter(([, n]) => n > 0));
      callsPerUpdate[p] = { api, storage: proxy.calls() - before };
    }
    const samples: Record<PathName, number[]> = { raw: [], rawRead: [], engine: [] };
    for (let i = 0; i < warmup + iterations; i++) {
      for (const p of shuffled(paths)) {
        const t0 = nowMs();
        await calls[p]();
        if (i >= warmup) samples[p].push(nowMs() - t0);
      }
    }
    sandbox.control.clearFaults();
    const rawMs = median(samples.raw);
    const engineCalls = callsPerUpdate.engine;
    const apiCalls = Object.values(engineCalls.api).reduce((a, b) => a + b, 0);
    return {
      iterations,
      apiDelayMs: API_DELAY_MS,
      storageDelayMs: STORAGE_DELAY_MS,
      ms: { raw: summarize(samples.raw), rawRead: summarize(samples.rawRead), engine: summarize(samples.engine) },
      ratio: round(median(samples.engine) / rawMs),
      ratioToSameApiCalls: round(median(samples.engine) / median(samples.rawRead)),
      callsPerUpdate,
      floorRatio: round((apiCalls * rawMs + engineCalls.storage * STORAGE_DELAY_MS) / rawMs),
    };
  } finally {
    await proxy?.close().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
  }
}
