// Webhook acceptance is atomic across instances: two automations (two "Function App instances", each with its own
// clients and delivery log) on one Azurite accept the same event at the same moment, and it is queued exactly once.
// Also: an abandoned claim is taken over after the stale limit, a failed enqueue releases the claim so the sender's
// retry is accepted at once, an accepted delivery costs three storage calls, and the memory log keeps the protocol.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { azuriteConnectionString, startAzurite, type Azurite } from '../../host/azurite';
import { createAutomation, type Automation, type AutomationOverrides } from '../../shared/automation';
import { acceptDelivery, type AcceptOutcome } from '../../shared/automation/acceptDelivery';
import { createTableDeliveryLog } from '../../shared/automation/deliveryLog';
import { createMemoryDeliveryLog } from '../../shared/automation/memoryDeliveryLog';
import type { TicketQueue } from '../../shared/automation/ticketQueue';
import { loadConfig } from '../../shared/config';
import { createDeps } from '../../shared/deps';
import { isAppError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { SECRETS, standardDelivery } from './helpers';

const base = {
  TENANT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  KEY_VAULT_URL: 'https://riposte-kv.vault.azure.net',
  CLIENT_SECRET_NAME: 'riposte-client-secret',
  WEBHOOK_SECRET_GENERIC: SECRETS.generic,
};

let azurite: Azurite;
let queueSeq = 0;

before(async () => {
  azurite = await startAzurite({ inMemory: true, ports: 'random' });
});

after(async () => {
  await azurite?.stop();
});

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const noop = (): void => {};
  return { warnings, debug: noop, info: noop, error: noop, warn: (m: string) => void warnings.push(m) };
}

/** One "instance": its own deps, clients and delivery log, on the given storage and queue. */
async function instance(
  queue: string,
  overrides: AutomationOverrides = {},
  connectionString = azurite.connectionString,
): Promise<Automation & { warnings: string[] }> {
  const logger = recordingLogger();
  const config = loadConfig({ ...base, AzureWebJobsStorage: connectionString, TICKET_EVENTS_QUEUE: queue });
  const automation = await createAutomation(createDeps(config, { logger }), overrides);
  return Object.assign(automation, { warnings: logger.warnings });
}

const newQueue = (): string => `claim-test-${process.pid}-${++queueSeq}`;

/** A signed generic delivery of event `id` (each copy with its own delivery id, as a sender's retries have). */
const copyOf = (id: string, copy: number) =>
  standardDelivery('generic', { id, incidentId: '3309', comment: `race ${id}` }, { id: `msg_${id}_${copy}` });

async function queuedEventIds(queue: string): Promise<string[]> {
  const q = new QueueClient(azurite.connectionString, queue);
  await q.createIfNotExists();
  const ids: string[] = [];
  // Received (not peeked: peek stops at 32) and left invisible, so each message is counted once.
  for (;;) {
    const got = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (got.receivedMessageItems.length === 0) return ids.sort();
    for (const m of got.receivedMessageItems) {
      const message = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as {
        event: { eventId: string };
      };
      ids.push(message.event.eventId);
    }
  }
}

/** The outcome, or the error code thrown (STORAGE_UNAVAILABLE). */
const outcomeOf = (p: Promise<AcceptOutcome>): Promise<AcceptOutcome | { status: string }> =>
  p.catch((e: unknown) => {
    if (isAppError(e)) return { status: e.code };
    throw e;
  });

describe('two instances accepting the same event', () => {
  it('20 races: each event accepted once, the others duplicate or in progress, one queue message per event', async () => {
    const queue = newQueue();
    const [a, b] = await Promise.all([instance(queue), instance(queue)]);
    const races = 20;
    const tally: Record<string, number> = {};
    for (let r = 0; r < races; r++) {
      const id = `race-${r}`;
      // Two copies on each instance, started together, alternating who goes first.
      const [first, second] = r % 2 === 0 ? [a, b] : [b, a];
      const outcomes = await Promise.all(
        [first, second, first, second].map((inst, copy) => acceptDelivery(inst, copyOf(id, copy))),
      );
      const statuses = outcomes.map((o) => o.status);
      for (const s of statuses) tally[s] = (tally[s] ?? 0) + 1;
      assert.equal(statuses.filter((s) => s === 'accepted').length, 1, `race ${r}: ${statuses.join(',')}`);
      for (const o of outcomes) {
        assert.ok(['accepted', 'duplicate', 'inProgress'].includes(o.status), `race ${r}: ${o.status}`);
        if (o.status === 'inProgress') assert.ok(o.retryAfterSeconds >= 1 && o.retryAfterSeconds <= 5);
      }
    }
    const expected = Array.from({ length: races }, (_, r) => `generic:race-${r}`).sort();
    assert.deepEqual(await queuedEventIds(queue), expected, 'exactly one message per event');
    // Once queued, a later copy on either instance is a duplicate.
    assert.equal((await acceptDelivery(a, copyOf('race-0', 9))).status, 'duplicate');
    assert.equal((await acceptDelivery(b, copyOf('race-7', 9))).status, 'duplicate');
    assert.equal(tally.accepted, races);
    console.log(`acceptClaim: ${races} races of 4 copies on 2 instances: ${JSON.stringify(tally)}`);
  });

  it('copies reaching one instance together wait for each other: one accepted, the rest duplicate (never 409)', async () => {
    const queue = newQueue();
    const a = await instance(queue);
    const outcomes = await Promise.all([0, 1, 2, 3, 4].map((c) => acceptDelivery(a, copyOf('one-instance', c))));
    assert.deepEqual(outcomes.map((o) => o.status).sort(), [
      'accepted',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    assert.deepEqual(await queuedEventIds(queue), ['generic:one-instance']);
  });

  it('a recent claim of another instance is in progress; one older than the stale limit is taken over', async () => {
    const queue = newQueue();
    const b = await instance(queue);
    // Instance A claimed at its "now" and died before enqueueing (its clock, not a sleep, makes the claim old).
    let clockA = Date.now();
    const crashed = createTableDeliveryLog(azurite.connectionString, 'RiposteDeliveries', {
      now: () => new Date(clockA),
    });
    const details = { deliveryId: 'msg_x', incidentId: '3309' };
    const claimA = await crashed.claim('generic', 'generic:abandoned', details);
    assert.equal(claimA.status, 'claimed');

    const busy = await acceptDelivery(b, copyOf('abandoned', 1));
    assert.equal(busy.status, 'inProgress');
    assert.deepEqual(await queuedEventIds(queue), []);

    // Claimed 61 s ago: B takes it over, queues the event and says so in a warning.
    clockA -= 61_000;
    const claimOld = await crashed.claim('generic', 'generic:abandoned-2', details);
    assert.equal(claimOld.status, 'claimed');
    const taken = await acceptDelivery(b, copyOf('abandoned-2', 1));
    assert.equal(taken.status, 'accepted');
    assert.ok(
      b.warnings.some((w) => /took over an abandoned delivery claim/.test(w)),
      b.warnings.join('\n'),
    );
    assert.deepEqual(await queuedEventIds(queue), ['generic:abandoned-2']);

    // The crashed instance's late writes fail on the ETag and leave B's record alone.
    if (claimOld.status !== 'claimed') return;
    await assert.rejects(crashed.markQueued(claimOld.claim), (e: { statusCode?: number }) => e.statusCode === 412);
    await crashed.release(claimOld.claim);
    assert.equal(await b.deliveries.seen('generic', 'generic:abandoned-2'), true);
    assert.equal((await acceptDelivery(b, copyOf('abandoned-2', 2))).status, 'duplicate');
  });

  it('a failed enqueue releases the claim: the retry (on any instance) is accepted at once, queued once', async () => {
    const queue = newQueue();
    let sends = 0;
    const failing: TicketQueue = {
      send: async () => {
        sends += 1;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      sendPoison: async () => {},
    };
    const [a, b] = await Promise.all([instance(queue, { ticketQueue: failing }), instance(queue)]);
    const down = await outcomeOf(acceptDelivery(a, copyOf('send-fails', 1)));
    assert.equal(down.status, 'STORAGE_UNAVAILABLE');
    assert.equal(sends, 1);
    assert.equal(await b.deliveries.seen('generic', 'generic:send-fails'), false, 'no record left behind');
    const retried = await acceptDelivery(b, copyOf('send-fails', 2));
    assert.equal(retried.status, 'accepted');
    assert.deepEqual(await queuedEventIds(queue), ['generic:send-fails']);
  });
});

/** A loopback HTTP proxy in front of Azurite's table and queue ports that counts the requests it forwards. */
async function countingProxy(target: number): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${(req.url ?? '').replace(/\?.*$/, '')}`);
    const upstream = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

describe('storage calls', () => {
  it('an accepted delivery costs three storage calls (claim, send, mark queued); a duplicate two', async () => {
    const [table, queueProxy] = await Promise.all([countingProxy(azurite.tablePort), countingProxy(azurite.queuePort)]);
    try {
      const viaProxy = azuriteConnectionString({ blob: azurite.blobPort, queue: queueProxy.port, table: table.port });
      const a = await instance(newQueue(), {}, viaProxy);
      // The first delivery also creates the table and the queue (once per process).
      assert.equal((await acceptDelivery(a, copyOf('calls-warmup', 1))).status, 'accepted');
      table.requests.length = 0;
      queueProxy.requests.length = 0;

      assert.equal((await acceptDelivery(a, copyOf('calls', 1))).status, 'accepted');
      assert.deepEqual(
        { table: table.requests.map((r) => r.split(' ')[0]), queue: queueProxy.requests.map((r) => r.split(' ')[0]) },
        { table: ['POST', 'PATCH'], queue: ['POST'] },
        JSON.stringify([table.requests, queueProxy.requests]),
      );
      table.requests.length = 0;
      queueProxy.requests.length = 0;
      assert.equal((await acceptDelivery(a, copyOf('calls', 2))).status, 'duplicate');
      assert.deepEqual(
        table.requests.map((r) => r.split(' ')[0]),
        ['POST', 'GET'],
      );
      assert.equal(queueProxy.requests.length, 0);
    } finally {
      table.server.close();
      queueProxy.server.close();
    }
  });
});

describe('the memory delivery log', () => {
  it('keeps the protocol: claimed, in progress, queued, stale takeover, release', async () => {
    let clock = Date.parse('2024-11-25T14:05:00Z');
    const log = createMemoryDeliveryLog({ now: () => new Date(clock) });
    const d = { deliveryId: 'm1', incidentId: '1' };
    const first = await log.claim('generic', 'e1', d);
    assert.equal(first.status, 'claimed');
    const second = await log.claim('generic', 'e1', d);
    assert.equal(second.status, 'inProgress');
    assert.equal(second.status === 'inProgress' && second.retryAfterSeconds, 5);
    if (first.status !== 'claimed') return;
    await log.markQueued(first.claim);
    assert.deepEqual(await log.claim('generic', 'e1', d), { status: 'queued' });
    assert.equal(await log.seen('generic', 'e1'), true);

    // Abandoned: claimed, then 60 s pass without enqueueing.
    const abandoned = await log.claim('generic', 'e2', d);
    clock += 59_500;
    const almost = await log.claim('generic', 'e2', d);
    assert.deepEqual(almost, { status: 'inProgress', retryAfterSeconds: 1 });
    clock += 500;
    const taken = await log.claim('generic', 'e2', d);
    assert.equal(taken.status, 'claimed');
    assert.equal(taken.status === 'claimed' && taken.claim.tookOver, true);
    if (abandoned.status !== 'claimed' || taken.status !== 'claimed') return;
    await assert.rejects(log.markQueued(abandoned.claim), /taken over/);
    await log.release(abandoned.claim);
    assert.equal((await log.claim('generic', 'e2', d)).status, 'inProgress', 'the late release deleted nothing');

    // Released by its claimant: claimable again at once.
    await log.release(taken.claim);
    assert.equal(await log.seen('generic', 'e2'), false);
    assert.equal((await log.claim('generic', 'e2', d)).status, 'claimed');
  });

  it('through acceptDelivery: a failed send releases the claim, the retry is accepted, then duplicates', async () => {
    const deliveries = createMemoryDeliveryLog();
    const sent: unknown[] = [];
    let fail = true;
    const queue: TicketQueue = {
      send: async (m) => {
        if (fail) throw new Error('queue down');
        sent.push(m);
      },
      sendPoison: async () => {},
    };
    const a = await instance(newQueue(), { deliveries, ticketQueue: queue });
    assert.equal((await outcomeOf(acceptDelivery(a, copyOf('mem', 1)))).status, 'STORAGE_UNAVAILABLE');
    fail = false;
    const outcomes = await Promise.all([2, 3, 4].map((c) => acceptDelivery(a, copyOf('mem', c))));
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['accepted', 'duplicate', 'duplicate']);
    assert.equal(sent.length, 1);
  });
});
