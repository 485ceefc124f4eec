// One contract, two ticket-event clocks: Table storage (the real SDK against Azurite; two clients stand for two
// instances) and memory. The lease serialises ticket events per incident; stamps survive the lease.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type Azurite } from '../../host/azurite';
import { storageClientsFromConnectionString } from '../../shared/automation/storageClients';
import { createTableTicketEventClock } from '../../shared/state/tableTicketEventClock';
import {
  createMemoryTicketEventClock,
  LeaseLostError,
  type ClockEntry,
  type ClockHold,
  type TicketEventClock,
} from '../../shared/state/ticketEventClock';

let azurite: Azurite;
let tables = 0;

before(async () => {
  azurite = await startAzurite({ inMemory: true, ports: 'random' });
});

after(async () => {
  await azurite?.stop();
});

const entry = (eventId: string, at = '2026-03-01T12:00:00.000Z'): ClockEntry => ({
  at,
  ticket: 'jira:SEC-1',
  eventId,
});

function held(r: Awaited<ReturnType<TicketEventClock['acquire']>>): ClockHold {
  assert.equal(r.status, 'held');
  return r.hold;
}

/** `clocks(n, now)` makes n clocks over one store (n instances), all reading the same test clock. */
type Clocks = (n: number, now: () => Date) => TicketEventClock[];

function contract(name: string, clocks: Clocks): void {
  describe(`${name} ticket-event clock`, () => {
    it('one holder at a time; the others are told how long the lease still runs', async () => {
      const t = new Date('2026-03-01T12:00:00Z');
      const [a, b] = clocks(2, () => t);
      const hold = held(await a!.acquire('42', 60_000));
      assert.deepEqual(hold.fields, {});
      assert.equal(hold.tookOver, false);
      const busy = await b!.acquire('42', 60_000);
      assert.equal(busy.status, 'busy');
      assert.ok(busy.status === 'busy' && busy.retryAfterMs > 0 && busy.retryAfterMs <= 60_000);
      // Another incident is independent.
      held(await b!.acquire('43', 60_000));
      await hold.release();
      held(await b!.acquire('42', 60_000));
    });

    it('stamps recorded under one lease are what the next holder reads; null removes one', async () => {
      const t = new Date('2026-03-01T12:00:00Z');
      const [a, b] = clocks(2, () => t);
      const first = held(await a!.acquire('7', 60_000));
      await first.record({ status: entry('e2'), 'link:sec-1': entry('e2') });
      await first.record({ assignedTo: entry('e3') });
      await first.release();
      const second = held(await b!.acquire('7', 60_000));
      assert.deepEqual(second.fields, {
        status: entry('e2'),
        'link:sec-1': entry('e2'),
        assignedTo: entry('e3'),
      });
      await second.record({ assignedTo: null });
      assert.deepEqual(Object.keys(second.fields).sort(), ['link:sec-1', 'status']);
      await second.release();
    });

    it('an expired lease is taken over; its old holder can no longer record, and its release leaves the new one', async () => {
      let t = new Date('2026-03-01T12:00:00Z');
      const [a, b, c] = clocks(3, () => t);
      const stalled = held(await a!.acquire('9', 60_000));
      await stalled.record({ status: entry('old') });
      t = new Date(t.getTime() + 61_000);
      const taker = held(await b!.acquire('9', 60_000));
      assert.equal(taker.tookOver, true);
      assert.deepEqual(taker.fields, { status: entry('old') });
      await assert.rejects(stalled.record({ status: entry('stalled') }), LeaseLostError);
      await assert.rejects(stalled.renew(), LeaseLostError);
      await stalled.release();
      assert.equal((await c!.acquire('9', 60_000)).status, 'busy', 'the taker still holds it');
      await taker.record({ status: entry('new') });
      await taker.release();
      assert.deepEqual(held(await c!.acquire('9', 60_000)).fields, { status: entry('new') });
    });

    it('renewing keeps the lease past its first expiry', async () => {
      let t = new Date('2026-03-01T12:00:00Z');
      const [a, b] = clocks(2, () => t);
      const hold = held(await a!.acquire('11', 60_000));
      t = new Date(t.getTime() + 40_000);
      await hold.renew();
      t = new Date(t.getTime() + 40_000);
      assert.equal((await b!.acquire('11', 60_000)).status, 'busy');
    });

    it('many instances acquiring one incident at once: exactly one holds it', async () => {
      const t = new Date('2026-03-01T12:00:00Z');
      const all = clocks(8, () => t);
      const results = await Promise.all(all.map((c) => c.acquire('77', 60_000)));
      assert.equal(results.filter((r) => r.status === 'held').length, 1);
    });
  });
}

contract('memory', (_n, now) => {
  const one = createMemoryTicketEventClock({ now });
  return Array.from({ length: _n }, () => one);
});

contract('Table', (n, now) => {
  const table = `Clock${process.pid}n${++tables}`;
  // Separate storage clients per "instance", as separate processes would have.
  return Array.from({ length: n }, () =>
    createTableTicketEventClock(storageClientsFromConnectionString(azurite.connectionString), table, { now }),
  );
});

describe('Table ticket-event clock storage', () => {
  it('keeps one row per incident, the stamps as JSON beside the lease', async () => {
    const table = `ClockRow${process.pid}`;
    const clock = createTableTicketEventClock(storageClientsFromConnectionString(azurite.connectionString), table);
    const hold = held(await clock.acquire('4242', 60_000));
    await hold.record({ verdict: entry('e9') });
    await hold.release();
    const client = TableClient.fromConnectionString(azurite.connectionString, table, { allowInsecureConnection: true });
    const row = await client.getEntity<{ fields: string; leaseToken: string }>('4242', 'clock');
    assert.deepEqual(JSON.parse(row.fields), { verdict: entry('e9') });
    assert.equal(row.leaseToken, '');
  });
});
