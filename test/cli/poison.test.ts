// `riposte poison list|show|replay|purge` as its own process, against the storage of a running app (the local host
// with its real queue trigger, the sandbox and Azurite, in this process). Deliveries fail for real: a signed webhook
// for an incident Defender does not have is accepted, the queue trigger applies it, Defender answers 404, and
// Riposte poisons it with the reason. After the fix, a replay puts it back and the trigger applies it, once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { after, before, describe, it } from 'node:test';
import { riposteCommentsOf, startHarness, waitFor, type Harness } from '../e2e/harness';
import { baseEnv, riposte, type Finished } from './cliProcess';

let h: Harness;
let cwd: string;

before(async () => {
  h = await startHarness({ maxDequeueCount: 2 });
  // No local.settings.json here: storage comes from the environment, as an operator's shell would give it.
  cwd = mkdtempSync(join(tmpdir(), 'riposte-poison-'));
});
after(async () => {
  await h?.close();
  rmSync(cwd, { recursive: true, force: true });
});

const env = () => baseEnv({ AzureWebJobsStorage: h.azurite.connectionString });
const poison = (...args: string[]): Promise<Finished> => riposte(['poison', ...args], { cwd, env: env() }).finished;
const poisonQueue = () => new QueueClient(h.azurite.connectionString, `${h.queueName}-poison`);

interface Listed {
  id: string;
  writer: string;
  reason?: string;
  source?: string;
  eventId?: string;
  incidentId?: string;
  replayable: boolean;
  message: unknown;
}

async function listed(): Promise<Listed[]> {
  const r = await poison('list', '--json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { messages: Listed[] }).messages;
}

/** Sends a delivery for an incident that does not exist, and waits until Riposte has poisoned it. */
async function poisoned(incidentId: string, comment: string): Promise<void> {
  const r = await h.webhook('generic', { incidentId, comment, status: 'inProgress', ticketId: `CHG-${incidentId}` });
  assert.equal(r.status, 202, r.text);
  await waitFor(`incident ${incidentId} poisoned`, async () => {
    if (!(await poisonQueue().exists())) return false;
    const { peekedMessageItems } = await poisonQueue().peekMessages({ numberOfMessages: 32 });
    return peekedMessageItems.some((m) => Buffer.from(m.messageText, 'base64').toString().includes(incidentId));
  });
}

/** Never in any output: the webhook secrets and the storage account key. */
function assertNoSecrets(r: Finished): void {
  const text = r.stdout + r.stderr;
  for (const s of [h.secrets.generic, h.secrets.servicenow, h.secrets.jira])
    assert.ok(!text.includes(s), 'a secret leaked');
  assert.ok(!/AccountKey=/.test(text), 'the storage key leaked');
}

describe('riposte poison (own process, real queue trigger)', () => {
  it('list and show say which delivery failed and why; replay after the fix applies it once', async () => {
    assert.deepEqual(await listed(), []);
    const empty = await poison('list');
    assert.match(empty.stdout, /riposte-ticket-events-poison: empty/);

    await poisoned('88888888', 'nobody home');
    const [entry] = await listed();
    assert.ok(entry);
    assert.equal(entry.writer, 'riposte');
    assert.equal(entry.source, 'generic');
    assert.equal(entry.incidentId, '88888888');
    assert.match(entry.eventId ?? '', /^generic:msg_/);
    assert.match(entry.reason ?? '', /NOT_FOUND/);
    assert.equal(entry.replayable, true);

    const human = await poison('list');
    assert.equal(human.code, 0);
    assert.ok(human.stdout.includes(entry.id));
    assert.match(human.stdout, /generic +88888888 +generic:msg_/);
    assert.match(human.stdout, /NOT_FOUND/);

    // An unambiguous prefix is enough.
    const show = await poison('show', entry.id.slice(0, 8));
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^Message ${entry.id} on riposte-ticket-events-poison`));
    assert.match(show.stdout, /reason {5}run \S+ failed: NOT_FOUND/);
    assert.match(show.stdout, /"comment": "\[CHG-88888888\] nobody home"/);
    assertNoSecrets(show);
    assertNoSecrets(human);

    // The fix: the incident exists now. The replay hands the delivery back to the queue trigger.
    h.sandbox.control.addIncident({ id: 88888888 });
    const replay = await poison('replay', entry.id);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /^1 message\(s\) replayed to riposte-ticket-events:/);
    await waitFor('the replayed delivery applied', () => riposteCommentsOf(h, 88888888).length > 0);
    await h.host.drainQueues(10_000);
    assert.equal(h.sandbox.control.incident(88888888)?.status, 'inProgress');
    assert.equal(riposteCommentsOf(h, 88888888).length, 1);
    assert.deepEqual(await listed(), []);

    // Repeating it finds nothing to do, and says so.
    const again = await poison('replay', entry.id);
    assert.equal(again.code, 1);
    assert.match(again.stdout, new RegExp(`Not found: ${entry.id}`));
  });

  it('two operators replaying --all at once: every message replayed by one of them, every delivery applied once', async () => {
    const ids = ['77777771', '77777772', '77777773'];
    for (const id of ids) await poisoned(id, `stuck ${id}`);
    // The same event twice, as the Functions host would leave it after its own last attempt (the bare message).
    const { peekedMessageItems } = await poisonQueue().peekMessages({ numberOfMessages: 32 });
    const first = JSON.parse(Buffer.from(peekedMessageItems[0]?.messageText ?? '', 'base64').toString()) as {
      message: unknown;
    };
    await poisonQueue().sendMessage(Buffer.from(JSON.stringify(first.message)).toString('base64'));
    const before = await listed();
    assert.equal(before.length, 4);
    assert.deepEqual(before.map((e) => e.writer).sort(), ['host', 'riposte', 'riposte', 'riposte']);
    assert.match((await poison('list')).stdout, /no reason recorded: moved by the Functions host/);

    for (const id of ids) h.sandbox.control.addIncident({ id: Number(id) });
    const [a, b] = await Promise.all([poison('replay', '--all', '--json'), poison('replay', '--all', '--json')]);
    const replayed = [a, b].flatMap((r) => {
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { replayed: Listed[] }).replayed.map((e) => e.id);
    });
    assert.deepEqual([...replayed].sort(), before.map((e) => e.id).sort(), 'each replayed exactly once');

    await waitFor('all three applied', () => ids.every((id) => riposteCommentsOf(h, Number(id)).length > 0));
    await h.host.drainQueues(10_000);
    for (const id of ids) assert.equal(riposteCommentsOf(h, Number(id)).length, 1, `incident ${id}: one comment`);
    assert.deepEqual(await listed(), [], 'nothing failed again');
  });

  it('a message that is not a ticket event cannot be replayed; purge needs --yes, then removes it', async () => {
    // Not base64: the queue trigger cannot decode it, and the host moves it to the poison queue unchanged.
    await new QueueClient(h.azurite.connectionString, h.queueName).sendMessage('{not base64!}');
    await waitFor('the undecodable message poisoned', async () => (await listed()).length === 1);
    const [entry] = await listed();
    assert.equal(entry?.writer, 'unknown');
    assert.equal(entry?.replayable, false);

    const replay = await poison('replay', entry?.id ?? '');
    assert.equal(replay.code, 1);
    assert.match(replay.stdout, /Not replayed: \S+: not a ticket event/);

    const unconfirmed = await poison('purge', '--all');
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /purge deletes every poison message for good: add --yes to confirm/);
    assert.equal((await listed()).length, 1, 'nothing deleted without --yes');

    const purge = await poison('purge', '--all', '--yes');
    assert.equal(purge.code, 0, purge.stderr);
    assert.match(purge.stdout, /^1 message\(s\) purged:/);
    assert.deepEqual(await listed(), []);
  });

  it('deep health counts the poison queue: warn while it holds messages, ok when empty', async () => {
    await poisoned('66666666', 'for the health check');
    const warn = await h.call('GET', '/api/health/deep');
    assert.equal(warn.status, 200, warn.text);
    const body = warn.json<{
      status: string;
      poisonQueue: { queue: string; status: string; messages: number; message: string };
    }>();
    assert.equal(body.status, 'ok', 'the path to Defender is fine');
    assert.equal(body.poisonQueue.queue, 'riposte-ticket-events-poison');
    assert.equal(body.poisonQueue.status, 'warn');
    assert.equal(body.poisonQueue.messages, 1);
    assert.match(body.poisonQueue.message, /npx riposte poison list/);

    assert.equal((await poison('purge', '--all', '--yes')).code, 0);
    const ok = (await h.call('GET', '/api/health/deep')).json<{ poisonQueue: { status: string; messages: number } }>();
    assert.deepEqual(ok.poisonQueue, { queue: 'riposte-ticket-events-poison', status: 'ok', messages: 0 });
  });

  it('usage errors: no storage configured, a subcommand missing or unknown, ids and --all together', async () => {
    const noStorage = await riposte(['poison', 'list'], { cwd, env: baseEnv() }).finished;
    assert.equal(noStorage.code, 2);
    assert.match(noStorage.stderr, /no storage configured: set AzureWebJobsStorage/);
    for (const [args, message] of [
      [[], /poison needs a subcommand/],
      [['frob'], /unknown poison subcommand 'frob'/],
      [['replay', 'abc', '--all'], /takes message ids or --all \(not both\)/],
      [['show'], /poison show takes one id/],
    ] as const) {
      const r = await poison(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
  });
});
