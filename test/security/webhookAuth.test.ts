// Webhook authentication over HTTP, for every source: missing, malformed, wrong, truncated and replayed signatures,
// a delivery presented at the wrong source, and a check that every signature comparison is constant-time (all
// pairs compared with crypto.timingSafeEqual on equal-length MACs, the count independent of where they differ).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyDelivery } from '../../shared/webhooks';
import {
  appSettings,
  newWebhookSecrets,
  ROOT,
  signedJira,
  signedStandard,
  startBackends,
  startInProcessApp,
  type Backends,
  type HttpAnswer,
  type InProcessApp,
  type SignedDelivery,
} from '../reliability/harness';

let b: Backends;
let app: InProcessApp;
const secrets = newWebhookSecrets();
let incidentId: string;

before(async () => {
  b = await startBackends();
  incidentId = String(b.sandbox.control.addIncident().id);
  app = await startInProcessApp(appSettings(b, secrets));
});

after(async () => {
  await app?.host.close();
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
});

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'test', 'webhooks', 'fixtures', name), 'utf8')) as Record<string, unknown>;

type Source = 'generic' | 'servicenow' | 'jira';

/** A correctly signed delivery of each source. */
function valid(source: Source, tag: string): SignedDelivery {
  if (source === 'jira') {
    return signedJira({ ...fixture('jira-issue-resolved.json'), timestamp: Date.now() }, secrets.jira, `jira-${tag}`);
  }
  if (source === 'servicenow') {
    const body = { ...fixture('servicenow-incident-resolved.json'), sys_mod_count: tag };
    return signedStandard(body, secrets.servicenow, { id: `sn-${tag}` });
  }
  return signedStandard({ id: `g-${tag}`, incidentId, comment: `auth ${tag}` }, secrets.generic, { id: `g-${tag}` });
}

const post = (source: string, d: SignedDelivery, headers: Record<string, string | undefined> = {}) => {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...d.headers, ...headers })) if (v !== undefined) merged[k] = v;
  return app.call('POST', `/api/webhooks/${source}`, { body: d.body, headers: merged });
};

function refused(r: HttpAnswer, pattern: RegExp): void {
  assert.equal(r.status, 401, r.text);
  const err = (r.json as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'UNAUTHENTICATED');
  assert.match(err.message, pattern);
  for (const s of Object.values(secrets)) assert.ok(!r.text.includes(s), 'no secret in the answer');
}

const signatureHeader = (source: Source): string => (source === 'jira' ? 'x-hub-signature' : 'webhook-signature');

describe('every source refuses what is not signed by its own secret', () => {
  for (const source of ['generic', 'servicenow', 'jira'] as const) {
    test(`${source}: valid is accepted; missing, malformed, wrong and truncated signatures are 401`, async () => {
      const ok = await post(source, valid(source, 'ok'));
      assert.ok(ok.status === 202 || ok.status === 200, ok.text);

      const header = signatureHeader(source);
      const d = valid(source, 'bad');
      const sig = d.headers[header] as string;
      refused(await post(source, d, { [header]: undefined }), /missing/i);
      const malformed =
        source === 'jira'
          ? ['sha256=', 'sha256=zz', 'sha1=' + 'a'.repeat(40), sig.toUpperCase().replace('SHA256', 'sha512'), 'garbage']
          : ['v1,', 'v1,!!!!', 'v2,' + sig.slice(3), 'v1a,' + sig.slice(3), 'garbage', `v1,${'A'.repeat(44)}x`];
      for (const m of malformed) refused(await post(source, d, { [header]: m }), /must be|no well-formed|malformed/i);
      // Truncated: the hex or base64 loses its tail, so it is no longer a 32-byte MAC.
      refused(await post(source, d, { [header]: sig.slice(0, -4) }), /must be|no well-formed/i);
      // Wrong: a well-formed MAC under another key, or the right MAC over a body cut short.
      const other = newWebhookSecrets();
      const forged =
        source === 'jira'
          ? signedJira(d.body, other.jira)
          : signedStandard(d.body, source === 'generic' ? other.generic : other.servicenow, {
              id: d.headers['webhook-id'] as string,
            });
      refused(
        await post(source, { body: d.body, headers: { ...d.headers, [header]: forged.headers[header] as string } }),
        /does not match/,
      );
      refused(await post(source, { ...d, body: d.body.slice(0, -1) }), /does not match/);
      if (source !== 'jira') {
        // The id and timestamp are signed too: changing either breaks the signature.
        refused(await post(source, d, { 'webhook-id': 'someone-else' }), /does not match/);
        const ts = String(Number(d.headers['webhook-timestamp']) + 1);
        refused(await post(source, d, { 'webhook-timestamp': ts }), /does not match/);
      }
    });
  }

  test('a delivery signed for one source is refused at another (wrong source), and unknown sources do not exist', async () => {
    const g = valid('generic', 'cross');
    refused(await post('servicenow', g), /does not match/);
    refused(await post('jira', g), /x-hub-signature/);
    const j = valid('jira', 'cross');
    refused(await post('generic', j), /missing/i);
    const unknown = await post('zendesk', g);
    assert.equal(unknown.status, 404, unknown.text);
    // The host checks the function key before anything else.
    const noKey = await app.call('POST', '/api/webhooks/generic', { body: g.body, headers: g.headers, key: null });
    assert.equal(noKey.status, 401);
  });
});

describe('replays', () => {
  test('a replayed delivery is answered duplicate and applied once; a stale one is refused', async () => {
    const d = valid('generic', 'replay');
    const first = await post('generic', d);
    assert.equal(first.status, 202, first.text);
    const replays = await Promise.all([post('generic', d), post('generic', d)]);
    for (const r of replays) assert.ok(r.status === 200 || r.status === 202, r.text);
    await app.host.drainQueues(30_000);
    const again = await post('generic', d);
    assert.equal(again.status, 200);
    assert.equal((again.json as { status: string }).status, 'duplicate');
    await app.host.drainQueues(30_000);
    const comments = (b.sandbox.control.incident(incidentId)?.comments ?? []).filter((c) =>
      c.comment.includes('auth replay'),
    );
    assert.equal(comments.length, 1, 'applied exactly once');

    // Captured and replayed after the tolerance window (300 s): refused even though the signature is genuine.
    const old = signedStandard({ id: 'g-old', incidentId, comment: 'old' }, secrets.generic, {
      id: 'g-old',
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    refused(await post('generic', old), /old; at most 300 s/);
    const future = signedStandard({ id: 'g-new', incidentId, comment: 'new' }, secrets.generic, {
      id: 'g-new',
      timestamp: Math.floor(Date.now() / 1000) + 301,
    });
    refused(await post('generic', future), /future/);
    const staleJira = signedJira(
      { ...fixture('jira-issue-resolved.json'), timestamp: Date.now() - 3601_000 },
      secrets.jira,
    );
    refused(await post('jira', staleJira), /old/);
  });
});

describe('constant-time comparison', () => {
  /** Counts crypto.timingSafeEqual calls (the module reads it from node:crypto at call time). */
  async function comparisons(fn: () => Promise<unknown>): Promise<Array<[number, number]>> {
    const original = crypto.timingSafeEqual;
    const calls: Array<[number, number]> = [];
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b2: NodeJS.ArrayBufferView) => {
      calls.push([a.byteLength, b2.byteLength]);
      return original(a, b2);
    }) as typeof crypto.timingSafeEqual;
    try {
      await fn().catch(() => undefined);
    } finally {
      crypto.timingSafeEqual = original;
    }
    return calls;
  }

  test('every signature is compared with timingSafeEqual against every secret, with no early exit', async () => {
    const current = newWebhookSecrets().generic;
    const previous = newWebhookSecrets().generic;
    const keys = { get: async () => [current, previous] };
    const body = JSON.stringify({ incidentId: '1', comment: 'x' });
    const now = new Date();
    const deliveryWith = (signature: string) => ({
      source: 'generic' as const,
      headers: {
        'webhook-id': 'id-1',
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: Buffer.from(body),
      receivedAt: now,
    });
    const sign = (secret: string) =>
      signedStandard(body, secret, { id: 'id-1', timestamp: now }).headers['webhook-signature'] as string;
    const good = sign(current);
    const goodPrevious = sign(previous);
    const mac = Buffer.from(good.slice(3), 'base64');
    const flip = (i: number) => {
      const m = Buffer.from(mac);
      m[i] = (m[i] ?? 0) ^ 1;
      return `v1,${m.toString('base64')}`;
    };
    const cases = {
      current: good,
      previous: goodPrevious,
      firstByteWrong: flip(0),
      lastByteWrong: flip(31),
      twoSignaturesSecondGood: `${flip(5)} ${good}`,
      twoSignaturesFirstGood: `${good} ${flip(5)}`,
    };
    const counts: Record<string, number> = {};
    for (const [name, sig] of Object.entries(cases)) {
      const calls = await comparisons(() => verifyDelivery(deliveryWith(sig), keys, { now }));
      assert.ok(calls.length > 0, `${name}: compared with timingSafeEqual`);
      for (const [x, y] of calls) assert.deepEqual([x, y], [32, 32], `${name}: equal-length MACs`);
      counts[name] = calls.length;
    }
    // One comparison per (signature, secret) pair whether or not, and wherever, it matches.
    assert.deepEqual(counts, {
      current: 2,
      previous: 2,
      firstByteWrong: 2,
      lastByteWrong: 2,
      twoSignaturesSecondGood: 4,
      twoSignaturesFirstGood: 4,
    });
  });

  test('over HTTP too: the function key and the webhook MAC go through timingSafeEqual', async () => {
    const d = valid('generic', 'timing');
    const calls = await comparisons(() => post('generic', d));
    // The host's key check (sha256 digests, 32 bytes) and the MAC check (32 bytes).
    assert.ok(calls.length >= 2, `${calls.length} constant-time comparisons`);
    for (const [x, y] of calls) assert.equal(x, y);
    await app.host.drainQueues(30_000);
  });
});
