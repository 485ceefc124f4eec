// A process that dies in the middle of an alert write: the write stays pending in the state store with its intent,
// and the next run of the workflow finishes it (replayWrites → replayAlertWrite) — the PATCH sent once, the
// comment never twice (its marker is found) — and reports it as replayed, naming the alert and its incident.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import type { StoredAlert } from '../../sandbox/incidents/model';
import type { AlertsClient } from '../../shared/defender/alertTypes';
import type { DefenderClient } from '../../shared/defender/types';
import { runWorkflow } from '../../shared/engine';
import { createQueryLibrary } from '../../shared/queries';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { isRiposteComment } from '../../shared/steps';
import { parseWorkflow } from '../../shared/workflows';
import { sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ rateLimits: false });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const queries = createQueryLibrary([]);

function openAlert(): StoredAlert {
  const a = sb.control
    .incidents()
    .flatMap((i) => i.alerts)
    .find((x) => x.status === 'new');
  assert.ok(a, 'a seeded alert with status new');
  return a;
}
const alertNow = (id: string): StoredAlert | undefined =>
  sb.control
    .incidents()
    .flatMap((i) => i.alerts)
    .find((a) => a.id === id);

/** A state store that stops answering once `dead()` is true, as a process that died would. */
function mortal(store: StateStore, dead: () => boolean): StateStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (dead()) return Promise.reject(new Error('simulated crash: the process died'));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The real client whose alerts calls die at `crash` ('before' the call is sent, or 'after' it landed). */
function dying(real: DefenderClient, method: keyof AlertsClient, crash: 'before' | 'after', onCrash: () => void) {
  const alerts = real.alerts;
  assert.ok(alerts);
  const wrapped: AlertsClient = {
    ...alerts,
    [method]: async (...args: unknown[]) => {
      if (crash === 'before') {
        onCrash();
        throw new Error('simulated crash: the process died');
      }
      await (alerts[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      onCrash();
      throw new Error('simulated crash: the process died');
    },
  };
  return { ...real, alerts: wrapped } as DefenderClient;
}

const wf = (alertId: string) =>
  parseWorkflow(
    `name: alert-write
triggers: { http: true }
steps:
  - id: triage
    kind: updateAlert
    input: { alertId: ${alertId}, status: inProgress, assignedTo: tier2@contoso.com }
  - id: note
    kind: commentAlert
    input: { alertId: ${alertId}, text: Triaged by Riposte }
`,
    'alert-write.yaml',
    queries,
    { backend: 'graph' },
  );

describe('alert writes across a crash', () => {
  for (const [method, crash] of [
    ['updateAlert', 'before'],
    ['addAlertComment', 'after'],
  ] as const) {
    it(`${method} dies ${crash} its call: the next run finishes it once and reports it replayed`, async () => {
      const alert = openAlert();
      const store = createMemoryStateStore();
      let dead = false;
      const real = sandboxDeps(sb, 'graph').defender;
      const first = await runWorkflow(
        wf(alert.id),
        { trigger: 'http' },
        { defender: dying(real, method, crash, () => (dead = true)), queries, state: mortal(store, () => dead) },
      ).catch((e: unknown) => e);
      assert.ok(first instanceof Error || (first as { status?: string }).status !== 'succeeded');
      assert.ok(
        store.writes().some((w) => w.state === 'pending' && w.incidentId === `alert:${alert.id}` && w.intent),
        'the write is left pending with its intent',
      );
      // The next run, after the dead run's lease: the pending write is finished before the steps run.
      const later = new Date(Date.now() + 5 * 60_000);
      const second = await runWorkflow(
        wf(alert.id),
        { trigger: 'http' },
        { defender: real, queries, state: store, now: () => later },
      );
      assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
      const resumed = second.resumedWrites ?? [];
      assert.equal(resumed.length, 1, JSON.stringify(second));
      assert.equal(resumed[0]?.alertId, alert.id);
      assert.ok(resumed[0]?.incidentId && resumed[0].incidentId !== `alert:${alert.id}`, 'named by its incident');
      assert.equal(resumed[0]?.replayed, true);
      const now = alertNow(alert.id);
      assert.deepEqual([now?.status, now?.assignedTo], ['inProgress', 'tier2@contoso.com']);
      assert.equal(now?.comments.filter((c) => isRiposteComment(c.comment)).length, 1, 'one comment, never two');
      assert.equal(sb.control.counters().api.alertsUpdate, 1, 'the PATCH sent once');
      assert.ok(store.writes().every((w) => w.state === 'done'));
    });
  }
});
