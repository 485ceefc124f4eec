// Applying queued ticket events in order (shared/automation/applyTicketEvent.ts) through the real ticket-sync
// workflow and engine, with an in-memory Defender, state and clock, and with Table clocks on Azurite standing for
// two instances: late events skip what newer ones set, the rest still applies, retries and poisoned events keep the
// stamps honest, and two tickets' link tags both survive concurrent application.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { applyTicketEvent, type ApplyOutcome } from '../../shared/automation/applyTicketEvent';
import type { TicketEventMessage } from '../../shared/automation/acceptDelivery';
import { createMemoryDeliveryLog, type MemoryDeliveryLog } from '../../shared/automation/memoryDeliveryLog';
import { storageClientsFromConnectionString } from '../../shared/automation/storageClients';
import type { Automation } from '../../shared/automation';
import type { AppDeps } from '../../shared/deps';
import { silentLogger, type Logger } from '../../shared/logger';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { createTableTicketEventClock } from '../../shared/state/tableTicketEventClock';
import { createMemoryTicketEventClock, type TicketEventClock } from '../../shared/state/ticketEventClock';
import type { TicketEvent } from '../../shared/webhooks/types';
import { createFakeDefender, createFakeQueries, incident, workflowOf, type FakeDefender } from '../engine/fakes';

const ROOT = join(__dirname, '..', '..');
const ticketSync = workflowOf(readFileSync(join(ROOT, 'workflows', 'ticket-sync.yaml'), 'utf8'));

interface Rig {
  automation: Parameters<typeof applyTicketEvent>[0];
  defender: FakeDefender;
  deliveries: MemoryDeliveryLog;
  poisoned: Array<{ reason: string }>;
  warnings: string[];
  apply(event: TicketEvent, dequeueCount?: number): Promise<ApplyOutcome>;
}

function rig(
  o: {
    defender?: FakeDefender;
    now?: () => Date;
    clock?: TicketEventClock;
    maxDequeue?: number;
    state?: ReturnType<typeof createMemoryStateStore>;
  } = {},
): Rig {
  const defender = o.defender ?? createFakeDefender([incident('7')]);
  const deliveries = createMemoryDeliveryLog();
  const poisoned: Array<{ reason: string }> = [];
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
  const queries = createFakeQueries();
  const automation = {
    workflows: new Map([['ticket-sync', ticketSync]]),
    engine: { defender, queries, state: o.state ?? createMemoryStateStore(), logger, ...(o.now ? { now: o.now } : {}) },
    ticketQueue: {
      send: async () => {},
      sendPoison: async (_m: unknown, reason: string) => void poisoned.push({ reason }),
    },
    ticketClock: o.clock ?? createMemoryTicketEventClock(),
    deliveries,
    deps: {
      config: { ticketSyncWorkflow: 'ticket-sync', queueMaxDequeueCount: o.maxDequeue ?? 5 },
    } as unknown as AppDeps,
  } satisfies Pick<Automation, 'workflows' | 'engine' | 'ticketQueue' | 'ticketClock' | 'deliveries' | 'deps'>;
  const message = (event: TicketEvent): TicketEventMessage => ({
    kind: 'ticketEvent',
    event,
    acceptedAt: new Date().toISOString(),
  });
  return {
    automation,
    defender,
    deliveries,
    poisoned,
    warnings,
    apply: (event, dequeueCount = 1) =>
      applyTicketEvent(automation, message(event), { dequeueCount, logger, sleep: async () => {} }),
  };
}

let changelog = 1000;
/** A Jira issue event as parseJira makes it. */
function jira(occurredAt: string, update: TicketEvent['update'], over: Partial<TicketEvent> = {}): TicketEvent {
  const id = String(++changelog);
  return {
    source: 'jira',
    deliveryId: `delivery-${id}`,
    eventId: `jira:issue:10042:changelog:${id}`,
    ticketId: 'SEC-42',
    incidentId: '7',
    occurredAt,
    sequence: id,
    update,
    echo: false,
    ...over,
  };
}

const T1 = '2026-03-01T12:00:00.000Z';
const T2 = '2026-03-01T12:05:00.000Z';

describe('a late ticket event never undoes a newer one', () => {
  it('resolved at t2, then "in progress" at t1: acknowledged, recorded stale, incident stays resolved', async () => {
    const r = rig();
    const newer = jira(T2, { status: 'resolved' });
    assert.equal((await r.apply(newer)).status, 'applied');
    assert.equal(r.defender.incidents.get('7')!.status, 'resolved');
    const late = jira(T1, { status: 'inProgress' });
    const outcome = await r.apply(late);
    assert.equal(outcome.status, 'applied', 'acknowledged: the message completes');
    assert.deepEqual(outcome.status === 'applied' && outcome.skippedFields, ['status', 'link:sec-42']);
    assert.equal(r.defender.incidents.get('7')!.status, 'resolved');
    assert.deepEqual(r.deliveries.outcome('jira', late.eventId), {
      outcome: 'stale',
      appliedFields: [],
      skippedFields: ['status', 'link:sec-42'],
      newerEvents: { status: newer.eventId, 'link:sec-42': newer.eventId },
    });
    assert.equal(r.deliveries.outcome('jira', newer.eventId)?.outcome, 'applied');
    assert.ok(r.warnings.some((w) => w.startsWith('[ticket-sync] stale jira event for incident 7')));
  });

  it('the fields of a late event that nothing newer set still apply, and so does its comment', async () => {
    const r = rig();
    await r.apply(jira(T2, { status: 'resolved' }));
    const late = jira(T1, { status: 'inProgress', assignedTo: 'ana@contoso.com', comment: '[SEC-42] on it' });
    await r.apply(late);
    const i = r.defender.incidents.get('7')!;
    assert.equal(i.status, 'resolved');
    assert.equal(i.assignedTo, 'ana@contoso.com');
    assert.ok(i.comments.some((c) => c.comment.startsWith('[SEC-42] on it')));
    assert.deepEqual(r.deliveries.outcome('jira', late.eventId)?.appliedFields, ['assignedTo']);
  });

  it('two ServiceNow updates in the same second: sys_mod_count decides, in either arrival order', async () => {
    for (const order of [
      ['8', '9'],
      ['9', '8'],
    ]) {
      const r = rig();
      const sn = (mod: string): TicketEvent => ({
        source: 'servicenow',
        deliveryId: `sys.${mod}`,
        eventId: `servicenow:abc:${mod}`,
        ticketId: 'INC0010001',
        incidentId: '7',
        occurredAt: '2026-03-01T12:00:00.000Z',
        sequence: mod,
        update: { status: mod === '9' ? 'resolved' : 'inProgress' },
        echo: false,
      });
      for (const mod of order) await r.apply(sn(mod));
      assert.equal(r.defender.incidents.get('7')!.status, 'resolved', `arrival order ${order.join(', ')}`);
    }
  });

  it('an event whose first attempt recorded and then failed is applied by its retry, while older ones stay skipped', async () => {
    const r = rig();
    let fail = true;
    r.defender.before = (call) => {
      if (call.method === 'updateIncident' && fail) throw new Error('socket hang up');
    };
    const newer = jira(T2, { status: 'resolved' });
    assert.equal((await r.apply(newer, 1)).status, 'retry');
    fail = false;
    // The older event arrives meanwhile: the newer one's stamp is already there, so it is skipped.
    await r.apply(jira(T1, { status: 'inProgress' }));
    assert.equal(r.defender.incidents.get('7')!.status, 'active');
    assert.equal((await r.apply(newer, 2)).status, 'applied');
    assert.equal(r.defender.incidents.get('7')!.status, 'resolved');
  });

  it('a poisoned event gives its stamps back, so an older event can still apply', async () => {
    const r = rig({ maxDequeue: 2 });
    const broken = jira(T2, { status: 'resolved' }, { incidentId: '404' });
    assert.equal((await r.apply(broken, 1)).status, 'poisoned'); // NOT_FOUND: permanent
    assert.equal(r.poisoned.length, 1);
    const clock = r.automation.ticketClock as ReturnType<typeof createMemoryTicketEventClock>;
    assert.deepEqual(clock.fields('404'), {});
  });

  it('an event with only stale fields and no comment runs nothing', async () => {
    const r = rig();
    await r.apply(jira(T2, { status: 'resolved' }));
    const writes = r.defender.writes().length;
    const outcome = await r.apply(jira(T1, { status: 'inProgress' }));
    assert.ok(outcome.status === 'applied' && outcome.report === undefined);
    assert.equal(r.defender.writes().length, writes);
  });
});

describe('an earlier attempt left a half-done engine write (crash between the claim and the PATCH)', () => {
  /** Fails the next PATCHes while `on` is set, as a connection lost mid-request would. */
  const failWrites = (r: Rig) => {
    const sw = { on: true };
    r.defender.before = (call) => {
      if (call.method === 'updateIncident' && sw.on) throw new Error('socket hang up');
    };
    return sw;
  };

  it('the old event’s retry does not replay its superseded status over the newer event', async () => {
    const r = rig();
    const fail = failWrites(r);
    const old = jira(T1, { status: 'inProgress', comment: '[SEC-42] looking' });
    assert.equal((await r.apply(old, 1)).status, 'retry');
    fail.on = false;
    await r.apply(jira(T2, { status: 'resolved' }));
    assert.equal(r.defender.incidents.get('7')!.status, 'resolved');
    // The retry still posts its comment; its pending status write must not come back to life.
    assert.equal((await r.apply(old, 2)).status, 'applied');
    const i = r.defender.incidents.get('7')!;
    assert.equal(i.status, 'resolved');
    assert.ok(i.comments.some((c) => c.comment.startsWith('[SEC-42] looking')));
  });

  it('nor does any later run that finishes it once its lease has ended', async () => {
    let now = new Date('2026-03-01T13:00:00Z');
    const r = rig({ defender: createFakeDefender([incident('7'), incident('8')]), now: () => now });
    const fail = failWrites(r);
    const old = jira(T1, { status: 'inProgress' });
    assert.equal((await r.apply(old, 1)).status, 'retry');
    fail.on = false;
    await r.apply(jira(T2, { status: 'resolved' }));
    now = new Date(now.getTime() + 11 * 60_000); // past the engine's 10-minute write lease
    // Any ticket-sync run finishes abandoned writes first: here one for another incident.
    await r.apply(jira(T2, { status: 'inProgress' }, { incidentId: '8', ticketId: 'SEC-8' }));
    assert.equal(r.defender.incidents.get('7')!.status, 'resolved');
  });
});

describe('two tickets linked to one incident, applied at once on two instances', () => {
  let azurite: Azurite;
  before(async () => {
    azurite = await startAzurite({ inMemory: true, ports: 'random' });
  });
  after(async () => {
    await azurite?.stop();
  });

  it('both link tags survive (each instance reads the tag list, adds its own, writes the whole list)', async () => {
    const defender = createFakeDefender([incident('7', { tags: ['phishing'] })]);
    // Slow writes: without the lease both instances would read ['phishing'] before either writes.
    defender.writeDelayMs = 50;
    const state = createMemoryStateStore(); // the engine's state is shared storage too
    const table = `ApplyClock${process.pid}`;
    const clock = (): TicketEventClock =>
      createTableTicketEventClock(storageClientsFromConnectionString(azurite.connectionString), table);
    const a = rig({ defender, clock: clock(), state });
    const b = rig({ defender, clock: clock(), state });
    const outcomes = await Promise.all([
      a.apply(jira(T1, { status: 'inProgress' }, { ticketId: 'SEC-1', eventId: 'jira:issue:1:changelog:1' })),
      b.apply(jira(T1, { status: 'inProgress' }, { ticketId: 'SEC-2', eventId: 'jira:issue:2:changelog:1' })),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['applied', 'applied'],
    );
    assert.deepEqual([...defender.incidents.get('7')!.tags].sort(), ['phishing', 'ticket:SEC-1', 'ticket:SEC-2']);
    assert.equal(defender.maxConcurrentWrites, 1, 'the two instances took turns');
  });
});
