// An enqueue against storage that accepts connections and never answers fails within the send timeout (the queue
// SDK has no client-side per-try timeout of its own), so a waiting webhook sender gets its 503 instead of hanging
// until the function times out.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTicketQueue } from '../../shared/automation/ticketQueue';

// Azurite's well-known development account key (public, in Microsoft's docs).
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

describe('ticket queue send timeout', () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  let connectionString = '';

  before(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
  });
  after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it('rejects a send to a silent server after the timeout, and again (not cached) on the next send', async () => {
    const queue = createTicketQueue(connectionString, 'riposte-ticket-events', 400);
    for (let n = 0; n < 2; n++) {
      const started = Date.now();
      await assert.rejects(queue.send({ n }), (e: Error) => e.name === 'AbortError');
      const took = Date.now() - started;
      assert.ok(took >= 350 && took < 5000, `failed after ${took} ms`);
    }
    assert.ok(sockets.length >= 2, 'each send reached the server');
  });
});
