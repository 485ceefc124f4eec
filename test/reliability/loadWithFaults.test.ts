// Load with faults: webhook deliveries at high concurrency with duplicates, malformed bodies and bad signatures,
// while the sandbox fails a fifth of the API calls (503, 500, 429) and goes down completely for a while midway.
// After recovery every valid delivery is applied exactly once (one marked comment per event on its incident),
// every bad one got the right status, the queue is empty and the poison queue holds only the deliberately
// unappliable events. CI size by default (300 deliveries, 20 concurrent, 3 s outage); the full size (2,000
// deliveries, 50 concurrent, a 30-second outage) needs a longer runner timeout:
//   RIPOSTE_FULL_LOAD=1 npm test -- --test-timeout=900000 test/reliability/loadWithFaults.test.ts
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { StoredIncident } from '../../sandbox/index';
import {
  appSettings,
  newWebhookSecrets,
  peekQueue,
  queueLength,
  Scratch,
  signedStandard,
  startBackends,
  startInProcessApp,
  type Backends,
  type HttpAnswer,
  type InProcessApp,
  type SignedDelivery,
} from './harness';
import { mulberry32 as prng } from '../../sandbox/prng';

const FULL = process.env.RIPOSTE_FULL_LOAD === '1';
const TOTAL = FULL ? 2000 : 300;
const CONCURRENCY = FULL ? 50 : 20;
const OUTAGE_MS = FULL ? 30_000 : 3000;
const INCIDENTS = 8;
/** Signed, well-formed deliveries for incidents that do not exist: retried, then poisoned with a reason. */
const UNAPPLIABLE = 3;
const QUEUE = 'riposte-ticket-events';

let b: Backends;
let app: InProcessApp;
const scratch = new Scratch();
const secrets = newWebhookSecrets();
const incidentIds: string[] = [];

before(async () => {
  b = await startBackends();
  for (let i = 0; i < INCIDENTS; i++) incidentIds.push(String(b.sandbox.control.addIncident().id));
  app = await startInProcessApp(appSettings(b, secrets), {
    // A failed message is visible again after 4 s (8 s in full size), so 5 attempts span well past the outage
    // (3 s; 30 s in full size). With 1 s, a message first tried as the outage began could spend four attempts in it
    // on a busy 2-core runner and meet a 15 % comment fault on the fifth: poisoned, as designed, but not a test of
    // recovery. 2 s was short once a 429 anywhere paused every consumer (the shared quota): poisoned once in CI.
    hostJsonPath: scratch.hostJson({
      visibilityTimeout: FULL ? '00:00:08' : '00:00:04',
      maxPollingInterval: '00:00:00.500',
    }),
  });
});

after(async () => {
  await app?.host.close();
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
  scratch.cleanup();
});

type Kind = 'valid' | 'duplicate' | 'malformed' | 'badSignature' | 'unappliable';

interface Planned {
  kind: Kind;
  /** Index of the delivery this one repeats (duplicates). */
  of?: number;
  delivery: SignedDelivery;
  /** The text that marks this event's comment (valid and unappliable). */
  token?: string;
  incidentId?: string;
  /** Also sent a second time, concurrently with the first. */
  twin?: boolean;
}

/** The poisoned events that should not be there, each with its reason and the host's lines about it. */
function unexpectedPoison(
  poisoned: Array<{ message?: { event?: { eventId?: string } }; reason?: string }>,
  hostLines: readonly string[],
): string {
  const extra = poisoned.filter((p) => !/gone-/.test(p.message?.event?.eventId ?? ''));
  return extra
    .map((p) => {
      const id = p.message?.event?.eventId ?? '?';
      const lines = hostLines
        .filter((l) => l.includes(id.replace(/^generic:/, '')) || /\[ticket-sync\]|lease|poison/i.test(l))
        .slice(0, 40);
      return `${id}: ${p.reason ?? '(no reason)'}\n  ${lines.join('\n  ')}`;
    })
    .join('\n');
}

function plan(): Planned[] {
  const random = prng(20_240_601);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const out: Planned[] = [];
  const valid = (n: number): Planned => {
    const incidentId = pick(incidentIds);
    const token = `load-evt-${n};`;
    const body = {
      id: `load-${n}`,
      incidentId,
      status: pick(['active', 'inProgress']),
      ticketId: `LOAD-${incidentId}`,
      comment: `${token} ticket update ${n}`,
    };
    return { kind: 'valid', delivery: signedStandard(body, secrets.generic, { id: `wh-${n}` }), token, incidentId };
  };
  const malformed = (n: number): SignedDelivery => {
    // Correctly signed, so only the body is at fault.
    const bodies: unknown[] = [
      `{"id": "bad-${n}", "incidentId": `,
      { id: `bad-${n}`, incidentId: 'not-a-number', comment: 'x' },
      { id: `bad-${n}`, incidentId: incidentIds[0], status: 'sideways' },
      { id: `bad-${n}`, incidentId: incidentIds[0], assignee: 'typo@contoso.com' },
      [1, 2, 3],
      { id: `bad-${n}`, incidentId: incidentIds[0], classification: 'falsePositive', determination: 'malware' },
    ];
    return signedStandard(bodies[n % bodies.length], secrets.generic, { id: `wh-bad-${n}` });
  };
  const badSignature = (n: number): SignedDelivery => {
    const body = { id: `forged-${n}`, incidentId: incidentIds[0], status: 'resolved', comment: `forged ${n}` };
    const d = signedStandard(body, n % 2 === 0 ? newWebhookSecrets().generic : secrets.generic, { id: `wh-f-${n}` });
    // Odd ones are signed with the right secret, then tampered with.
    return n % 2 === 0 ? d : { ...d, body: d.body.replace('resolved', 'active') };
  };
  for (let n = 0; n < TOTAL; n++) {
    const r = random();
    const earlier = out.map((p, i) => [p, i] as const).filter(([p]) => p.kind === 'valid');
    if (n < UNAPPLIABLE) {
      const token = `load-unappliable-${n};`;
      const body = { id: `gone-${n}`, incidentId: String(900_000 + n), comment: `${token} for a deleted incident` };
      out.push({ kind: 'unappliable', delivery: signedStandard(body, secrets.generic, { id: `wh-gone-${n}` }), token });
    } else if (r < 0.07 && earlier.length > 0) {
      const [p, i] = pick(earlier);
      out.push({ kind: 'duplicate', of: i, delivery: p.delivery });
    } else if (r < 0.1) {
      // Sent twice at the same moment: a sender retrying after its own timeout while the first is still in flight.
      out.push({ ...valid(n), twin: true });
    } else if (r < 0.15) out.push({ kind: 'malformed', delivery: malformed(n) });
    else if (r < 0.2) out.push({ kind: 'badSignature', delivery: badSignature(n) });
    else out.push(valid(n));
  }
  return out;
}

function injectBaseFaults(): void {
  // ≈ 10 % 503, 5 % 500 and 5 % 429 of Defender API calls (the first matching fault applies).
  b.sandbox.control.injectFaults({ target: 'api', probability: 0.1, status: 503, seed: 11 });
  b.sandbox.control.injectFaults({ target: 'api', probability: 0.056, status: 500, seed: 12 });
  b.sandbox.control.injectFaults({ target: 'api', probability: 0.059, status: 429, retryAfterSeconds: 1, seed: 13 });
}

test(
  `${TOTAL} webhook deliveries at ${CONCURRENCY} concurrent, 20 % API faults and a ${OUTAGE_MS / 1000} s outage: each valid one applied exactly once`,
  { timeout: FULL ? 900_000 : 120_000 },
  async () => {
    const deliveries = plan();
    const answers: Array<Promise<HttpAnswer> | undefined> = new Array(deliveries.length);
    const twins = new Map<number, Promise<HttpAnswer>>();
    const count = (k: Kind) => deliveries.filter((d) => d.kind === k).length;
    injectBaseFaults();

    const started = Date.now();
    let next = 0;
    let outage: Promise<void> | undefined;
    const send = (d: SignedDelivery) => app.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
    const worker = async (): Promise<void> => {
      while (next < deliveries.length) {
        const i = next++;
        const d = deliveries[i] as Planned;
        if (i === Math.floor(deliveries.length / 2)) {
          // The whole sandbox (Entra, Key Vault, Defender) drops every connection for a while.
          b.sandbox.control.clearFaults();
          b.sandbox.control.injectFaults({ target: 'all', outage: true });
          outage = new Promise((r) => setTimeout(r, OUTAGE_MS)).then(() => {
            b.sandbox.control.clearFaults();
            injectBaseFaults();
          });
        }
        // A plain duplicate is a redelivery after the original was answered.
        if (d.kind === 'duplicate' && d.of !== undefined) await answers[d.of];
        const p = send(d.delivery);
        answers[i] = p;
        if (d.twin) twins.set(i, send(d.delivery));
        await Promise.all([p, twins.get(i)]);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const sentMs = Date.now() - started;
    await outage;
    // Injected 429s now pause every consumer through the shared quota (issue 13), so the drain takes longer.
    await app.host.drainQueues(FULL ? 240_000 : 150_000);
    const drainedMs = Date.now() - started;

    // Every answer is the right one for what was sent; nothing was refused for the outage.
    const results = await Promise.all(answers as Array<Promise<HttpAnswer>>);
    deliveries.forEach((d, i) => {
      const r = results[i] as HttpAnswer;
      const body = r.json as { status?: string; error?: { code?: string } } | undefined;
      const where = `delivery ${i} (${d.kind}): ${r.status} ${r.text.slice(0, 200)}`;
      switch (d.kind) {
        case 'valid':
        case 'unappliable':
          if (d.twin) {
            // One of the two is accepted; the other is accepted too or found to be a duplicate.
            assert.ok(r.status === 202 || r.status === 200, where);
            break;
          }
          assert.equal(r.status, 202, where);
          assert.equal(body?.status, 'accepted', where);
          break;
        case 'duplicate':
          assert.equal(r.status, 200, where);
          assert.equal(body?.status, 'duplicate', where);
          break;
        case 'malformed':
          assert.equal(r.status, 400, where);
          assert.equal(body?.error?.code, 'INPUT_INVALID', where);
          break;
        case 'badSignature':
          assert.equal(r.status, 401, where);
          break;
      }
    });

    for (const [i, twin] of twins) {
      const statuses = [(results[i] as HttpAnswer).status, (await twin).status].sort();
      assert.ok(statuses[1] === 202 && [200, 202].includes(statuses[0] ?? 0), `twin ${i}: ${statuses.join(',')}`);
    }

    // Exactly once: one marked comment per valid event on its incident, and no other comment anywhere.
    const incidents = new Map<string, StoredIncident>(
      incidentIds.map((id) => [id, b.sandbox.control.incident(id) as StoredIncident]),
    );
    const valid = deliveries.filter((d) => d.kind === 'valid');
    // Read once (peekQueue receives, hiding what it read for a second). A missing event's fate is named on failure.
    const poisoned = (await peekQueue(b.azurite.connectionString, `${QUEUE}-poison`)) as Array<{
      message?: { event?: { eventId?: string } };
      reason?: string;
    }>;
    const poisonText = JSON.stringify(poisoned);
    for (const d of valid) {
      const comments = incidents.get(d.incidentId ?? '')?.comments ?? [];
      const found = comments.filter((c) => c.comment.includes(d.token ?? '')).length;
      // Tokens end with ';', so load-evt-16 never matches load-evt-160's message.
      const poison = poisoned.find((p) => JSON.stringify(p.message ?? {}).includes(d.token ?? '\0'));
      const fate = poison ? `poisoned: ${poison.reason ?? '(no reason)'}` : 'not in the poison queue';
      assert.equal(
        found,
        1,
        `${d.token} applied ${found} times on incident ${d.incidentId} (${fate}); poison queue: ${poisonText.slice(0, 600)}`,
      );
    }
    const totalComments = [...incidents.values()].reduce((n, i) => n + i.comments.length, 0);
    assert.equal(totalComments, valid.length, 'no comment beyond one per valid event');
    for (const inc of incidents.values()) {
      const expected = valid.some((d) => d.incidentId === String(inc.id)) ? [`ticket:LOAD-${inc.id}`] : [];
      assert.deepEqual(inc.customTags, expected, `tags of incident ${inc.id}`);
    }

    // Nothing lost: the queue is empty, and the poison queue holds exactly the unappliable events, with a reason.
    assert.equal(await queueLength(b.azurite.connectionString, QUEUE), 0);
    assert.deepEqual(
      poisoned.map((p) => p.message?.event?.eventId).sort(),
      deliveries.filter((d) => d.kind === 'unappliable').map((_, n) => `generic:gone-${n}`),
      unexpectedPoison(poisoned, app.hostLines),
    );
    for (const p of poisoned) assert.match(p.reason ?? '', /not ?found|404/i);

    const c = b.sandbox.control.counters();
    console.log(
      `load: ${TOTAL} deliveries (${valid.length} valid, ${count('duplicate')} duplicates, ${twins.size} sent twice at once, ` +
        `${count('malformed')} malformed, ${count('badSignature')} bad signatures, ${UNAPPLIABLE} unappliable) at ${CONCURRENCY} concurrent; ` +
        `sent in ${sentMs} ms, all applied in ${drainedMs} ms; sandbox faults fired ${c.faulted}, API calls ${JSON.stringify(c.api)}`,
    );
    assert.ok(c.faulted > valid.length * 0.2, `faults really fired (${c.faulted})`);
  },
);
