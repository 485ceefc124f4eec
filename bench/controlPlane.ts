// Control-plane calls: Key Vault reads and token requests (Entra client credentials, and the managed-identity
// endpoint that Key Vault access uses) over 1,000 warm invocations in one token lifetime, counted by the sandbox.
// A fresh process and stack, so the first of each happens inside the window and is subtracted; 8 callers at once,
// so concurrent first calls must share one acquisition too. The invocations mix the functions that reach Defender.
import { incidentIds, startStack } from './stack';
import { round } from './stats';

export interface ControlPlaneResult {
  invocations: number;
  concurrency: number;
  counts: { keyVaultReads: number; tokenRequests: number; miTokenRequests: number };
  /** Each count minus its first, summed: the figure. */
  beyondFirst: number;
  failed: number;
  elapsedMs: number;
  byFunction: Record<string, number>;
}

export async function measureControlPlane(
  options: { invocations?: number; concurrency?: number } = {},
): Promise<ControlPlaneResult> {
  const invocations = options.invocations ?? 1000;
  const concurrency = options.concurrency ?? 8;
  const stack = await startStack();
  try {
    const { sandbox, hostClient } = stack;
    const ids = incidentIds(sandbox);
    sandbox.control.resetCounters();
    const kinds = [
      (i: number) => hostClient.patch(`/api/incidents/${ids[i % ids.length]}`, { assignedTo: `cp${i}@contoso.com` }),
      (i: number) => hostClient.get(`/api/incidents/${ids[i % ids.length]}`),
      () => hostClient.get('/api/incidents?limit=5'),
      (i: number) =>
        hostClient.post('/api/workflows/ticket-sync/run', {
          input: { incidentId: ids[i % ids.length], assignedTo: `cpw${i}@contoso.com` },
        }),
    ];
    const names = ['updateIncident', 'getIncident', 'listIncidents', 'runWorkflow'];
    const byFunction: Record<string, number> = {};
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < invocations) {
          const i = next++;
          const res = await (kinds[i % kinds.length] as (i: number) => Promise<{ status: number }>)(i);
          const name = names[i % names.length] as string;
          byFunction[name] = (byFunction[name] ?? 0) + 1;
          if (res.status !== 200) failed++;
        }
      }),
    );
    const elapsedMs = round(performance.now() - t0, 1);
    const c = sandbox.control.counters();
    const counts = {
      keyVaultReads: c.keyVaultReads,
      tokenRequests: c.tokenRequests,
      miTokenRequests: c.miTokenRequests,
    };
    const beyondFirst = Object.values(counts).reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    return { invocations, concurrency, counts, beyondFirst, failed, elapsedMs, byFunction };
  } finally {
    await stack.close();
  }
}
