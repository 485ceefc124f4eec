// Warm step overhead: one incident update through Riposte against a raw axios PATCH to the same sandbox.
// Two loops, each alternating its paths in a fresh random order every iteration, so machine load (a shared 2-core
// box) and after-effects of one path (GC, Azurite work) land on every path alike:
// A (headline) raw    axios PATCH, keep-alive agent, token fetched once: the floor;
//              http   PATCH /api/incidents/{id} on the local host → updateIncident function → DefenderClient;
//              client getDeps().defender.updateIncident() in-process: Riposte's client alone, no host hop;
//              noop   GET /api/health on the local host: what the host hop alone costs (no Defender call).
// B            raw    as above;
//              engine POST /api/workflows/ticket-sync/run → engine → updateIncident step → DefenderClient.
// C            raw and http again with 50 ms added to every sandbox incident call (a fault delay): the same fixed
//              overhead against a round trip closer to a real API's (context, not the headline).
// Updates set only assignedTo, so the client sends one PATCH and no GET (tags would need a read first on Graph).
import { getDeps } from '../shared/deps';
import { fetchGraphToken, incidentIds, rawGraphClient, startStack } from './stack';
import { median, nowMs, round, summarize, type Summary } from './stats';

type PathName = 'raw' | 'http' | 'client' | 'noop' | 'engine';

export interface WarmStepResult {
  iterations: number;
  loopA: { ms: Record<'raw' | 'http' | 'client' | 'noop', Summary> };
  loopB: { ms: Record<'raw' | 'engine', Summary> };
  loopC: { delayMs: number; ms: Record<'raw' | 'http', Summary> };
  /** median(path) ÷ median(raw of the same loop). */
  ratios: { http: number; client: number; engine: number; httpAt50msApi: number };
  /** Sandbox API calls one update makes on each path, from the sandbox's own counters. */
  sandboxCallsPerUpdate: Record<'raw' | 'http' | 'client' | 'engine', Record<string, number>>;
  hostProblems: string[];
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function alternate<P extends PathName>(
  paths: readonly P[],
  calls: Record<P, () => Promise<void>>,
  warmup: number,
  iterations: number,
): Promise<Record<P, number[]>> {
  const samples = Object.fromEntries(paths.map((p) => [p, [] as number[]])) as Record<P, number[]>;
  for (let i = 0; i < warmup + iterations; i++) {
    for (const p of shuffled(paths)) {
      const t0 = nowMs();
      await calls[p]();
      const dt = nowMs() - t0;
      if (i >= warmup) samples[p].push(dt);
    }
  }
  return samples;
}

export async function measureWarmStep(
  options: { iterations?: number; warmup?: number; delayedIterations?: number } = {},
): Promise<WarmStepResult> {
  const iterations = options.iterations ?? 250;
  const warmup = options.warmup ?? 30;
  const delayedIterations = options.delayedIterations ?? 60;
  const delayMs = 50;
  const stack = await startStack();
  try {
    const { sandbox, hostClient } = stack;
    const ids = incidentIds(sandbox);
    const raw = rawGraphClient(sandbox, await fetchGraphToken(sandbox));
    let seq = 0;
    // Every update sets a new assignee, so the engine's updateIncident step (which sends only what differs, and keys
    // each write by its content) really patches each time.
    const nextUpdate = (): { id: string; assignedTo: string } => {
      seq++;
      return { id: ids[seq % ids.length] as string, assignedTo: `bench${seq}@contoso.com` };
    };
    const ok = (what: string, status: number, body: unknown): void => {
      if (status !== 200) throw new Error(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
    };
    const calls: Record<PathName, () => Promise<void>> = {
      async raw() {
        const u = nextUpdate();
        await raw.patch(`/security/incidents/${u.id}`, { assignedTo: u.assignedTo });
      },
      async http() {
        const u = nextUpdate();
        const res = await hostClient.patch(`/api/incidents/${u.id}`, { assignedTo: u.assignedTo });
        ok('updateIncident', res.status, res.data);
      },
      async client() {
        const u = nextUpdate();
        await getDeps().defender.updateIncident(u.id, { assignedTo: u.assignedTo });
      },
      async noop() {
        const res = await hostClient.get('/api/health');
        ok('health', res.status, res.data);
      },
      async engine() {
        const u = nextUpdate();
        const res = await hostClient.post('/api/workflows/ticket-sync/run', {
          input: { incidentId: u.id, assignedTo: u.assignedTo },
        });
        ok('ticket-sync', res.status, res.data);
        const report = res.data as { steps?: Array<{ changes?: Array<{ outcome?: string }> }> };
        if (report.steps?.[0]?.changes?.[0]?.outcome !== 'applied')
          throw new Error(`ticket-sync did not apply the update: ${JSON.stringify(res.data).slice(0, 500)}`);
      },
    };

    const counted = ['raw', 'http', 'client', 'engine'] as const;
    for (const p of counted) await calls[p](); // first use: token, Key Vault, Table creation
    const sandboxCallsPerUpdate = {} as WarmStepResult['sandboxCallsPerUpdate'];
    for (const p of counted) {
      sandbox.control.resetCounters();
      await calls[p]();
      const c = sandbox.control.counters();
      sandboxCallsPerUpdate[p] = Object.fromEntries(Object.entries(c.api).filter(([, n]) => n > 0));
    }

    const a = await alternate(['raw', 'http', 'client', 'noop'] as const, calls, warmup, iterations);
    const b = await alternate(['raw', 'engine'] as const, calls, Math.ceil(warmup / 2), iterations);
    sandbox.control.injectFaults({ target: 'incidents', delayMs });
    const c = await alternate(['raw', 'http'] as const, calls, 5, delayedIterations);
    sandbox.control.clearFaults();
    return {
      iterations,
      loopA: {
        ms: { raw: summarize(a.raw), http: summarize(a.http), client: summarize(a.client), noop: summarize(a.noop) },
      },
      loopB: { ms: { raw: summarize(b.raw), engine: summarize(b.engine) } },
      loopC: { delayMs, ms: { raw: summarize(c.raw), http: summarize(c.http) } },
      ratios: {
        http: round(median(a.http) / median(a.raw)),
        client: round(median(a.client) / median(a.raw)),
        engine: round(median(b.engine) / median(b.raw)),
        httpAt50msApi: round(median(c.http) / median(c.raw)),
      },
      sandboxCallsPerUpdate,
      hostProblems: stack.problems.slice(0, 5),
    };
  } finally {
    await stack.close();
  }
}
