// Queue triggers and queue output bindings on the local host, against a real Azurite started for this file.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startLocalHost, type LocalHost } from '../../host/localHost';
import { eventsOf } from '../fixtures/hostApp/lib/recorder';

const fixture = join(__dirname, '..', 'fixtures', 'hostApp');
const lines: string[] = [];
let azurite: Azurite;
let host: LocalHost;
let work: QueueClient;
let poison: QueueClient;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

before(async () => {
  azurite = await startAzurite({ ports: 'random', inMemory: true });
  host = await startLocalHost({
    entry: [join(fixture, 'queueFunctions.ts'), join(fixture, 'httpFunctions.ts')],
    port: 0,
    hostJsonPath: join(fixture, 'host.json'),
    // UseDevelopmentStorage=true would mean fixed ports: the host swaps in the Azurite it was given.
    settings: { WORK_QUEUE: 'work', AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
    storageConnectionString: azurite.connectionString,
    timers: false,
    logger: (l) => lines.push(l),
  });
  work = new QueueClient(azurite.connectionString, 'work');
  poison = new QueueClient(azurite.connectionString, 'work-poison');
});

after(async () => {
  await host?.close();
  const pid = azurite?.pid;
  await azurite?.stop();
  if (pid) assert.throws(() => process.kill(pid, 0), /ESRCH/, 'Azurite is gone');
});

describe('local host: queue triggers (Azurite)', () => {
  it('creates the trigger queue and uses the explicit connection string', async () => {
    assert.equal(await work.exists(), true);
    assert.match(azurite.connectionString, new RegExp(`QueueEndpoint=http://127\\.0\\.0\\.1:${azurite.queuePort}/`));
  });

  it('delivers a base64 JSON message as an object with trigger metadata, then deletes it', async () => {
    const sent = await work.sendMessage(b64(JSON.stringify({ hello: 'world', n: 1 })));
    await host.drainQueues(5000);
    const got = eventsOf('onWork').find((e) => e.data.id === sent.messageId);
    assert.ok(got, 'message delivered');
    assert.deepEqual(got.data.message, { hello: 'world', n: 1 });
    assert.equal(got.data.dequeueCount, 1);
    assert.equal(typeof got.data.popReceipt, 'string');
    assert.equal(got.data.insertionTime, sent.insertedOn.toISOString());
    assert.equal(got.data.expirationTime, sent.expiresOn.toISOString());
    assert.ok(Date.parse(String(got.data.nextVisibleTime)) > Date.now(), 'leased while it ran');
    assert.equal((await work.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length, 0);
    assert.equal((await work.getProperties()).approximateMessagesCount, 0);
  });

  it('delivers non-JSON text as a string', async () => {
    const sent = await work.sendMessage(b64('just some text'));
    await host.drainQueues(5000);
    assert.equal(eventsOf('onWork').find((e) => e.data.id === sent.messageId)?.data.message, 'just some text');
  });

  it('retries a failing message with a growing dequeueCount, then moves it to <queue>-poison', async () => {
    const text = b64(JSON.stringify({ fail: true, tag: 'retry-me' }));
    const sent = await work.sendMessage(text);
    await host.drainQueues(8000);
    const attempts = eventsOf('onWork').filter((e) => e.data.id === sent.messageId);
    assert.deepEqual(
      attempts.map((e) => e.data.dequeueCount),
      [1, 2, 3], // maxDequeueCount is 3 in the fixture host.json
    );
    const poisoned = (await poison.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems;
    assert.equal(poisoned.length, 1);
    assert.equal(poisoned[0]!.messageText, text, 'the original wire text');
    await poison.deleteMessage(poisoned[0]!.messageId, poisoned[0]!.popReceipt);
    assert.equal((await work.getProperties()).approximateMessagesCount, 0);
  });

  it('sends a message that is not base64 straight to poison without invoking', async () => {
    const before = eventsOf('onWork').length;
    await work.sendMessage('not base64 at all!');
    await host.drainQueues(5000);
    assert.equal(eventsOf('onWork').length, before);
    const poisoned = (await poison.receiveMessages()).receivedMessageItems;
    assert.equal(poisoned[0]?.messageText, 'not base64 at all!');
    await poison.deleteMessage(poisoned[0]!.messageId, poisoned[0]!.popReceipt);
  });

  it('writes queue output bindings (one message per array element, base64) that the trigger then consumes', async () => {
    const before = eventsOf('onWork').length;
    const res = await fetch(`${host.url}/api/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ item: 'a' }, { item: 'b' }, 'plain']),
    });
    assert.equal(res.status, 202);
    await host.drainQueues(5000);
    const got = eventsOf('onWork')
      .slice(before)
      .map((e) => e.data.message);
    assert.deepEqual(
      got.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      ['plain', { item: 'a' }, { item: 'b' }],
    );
  });
});
