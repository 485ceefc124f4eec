// Fault matrix: one failure of a dependency per test, each against a freshly started app (a child process, so
// "cold start" is real: no cached secret, token or client), over HTTP, against the sandbox and Azurite. Each test
// checks the answer while the fault lasts (a clear 5xx with the cause named, never a hang or a secret) and that the
// app heals by itself once the dependency is back, without a restart.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { isRiposteComment } from '../../shared/steps';
import {
  appSettings,
  newWebhookSecrets,
  Scratch,
  signedStandard,
  startBackends,
  startHostProcess,
  type Backends,
  type HostProcess,
  type HostProcessOptions,
} from './harness';

let b: Backends;
const scratch = new Scratch();
const secrets = newWebhookSecrets();
const running: HostProcess[] = [];
let incidentId: string;

before(async () => {
  b = await startBackends();
});

after(async () => {
  await Promise.all(running.map((h) => h.kill()));
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
  scratch.cleanup();
});

beforeEach(() => {
  b.sandbox.control.reset();
  incidentId = String(b.sandbox.control.incidents()[0]?.id);
});

async function app(extra: Record<string, string> = {}, o: Partial<HostProcessOptions> = {}): Promise<HostProcess> {
  const h = await startHostProcess({
    settings: appSettings(b, secrets, extra),
    hostJsonPath: scratch.hostJson({ visibilityTimeout: '00:00:01', maxPollingInterval: '00:00:00.500' }),
    ...o,
  });
  running.push(h);
  return h;
}

interface ErrorBody {
  error: { code: string; message: string };
}

const errorOf = (json: unknown): ErrorBody['error'] => {
  assert.ok(json && typeof json === 'object' && 'error' in json, `error body: ${JSON.stringify(json)}`);
  return (json as ErrorBody).error;
};

/** The secret values, tokens and keys of this sandbox/app: none may appear in an answer or a log line. */
function assertNoSecrets(h: HostProcess, texts: string[]): void {
  const values = [
    b.sandbox.control.currentSecret(),
    ...b.sandbox.control.issuedTokens(),
    h.functionKey,
    h.masterKey,
    ...Object.values(secrets),
  ];
  const haystack = [...texts, ...h.lines].join('\n');
  for (const v of values) assert.ok(!haystack.includes(v), 'a secret value, token or key leaked');
}

describe('fault matrix', () => {
  test('token endpoint down at cold start, then back: 503 naming the authority, then 200 without a restart', async () => {
    b.sandbox.control.injectFaults({ target: 'token', outage: true });
    const h = await app();
    const t0 = Date.now();
    const down = await h.call('GET', `/api/incidents/${incidentId}`);
    assert.equal(down.status, 503, down.text);
    assert.ok(Number(down.headers.get('retry-after')) >= 1, 'Retry-After tells the caller when');
    const err = errorOf(down.json);
    assert.equal(err.code, 'AUTH_UNAVAILABLE');
    assert.match(err.message, /Entra ID|authority/i);
    assert.ok(Date.now() - t0 < 60_000, 'fails in bounded time');
    assert.ok(b.sandbox.control.counters().faulted >= 1, 'the token endpoint was really tried');

    b.sandbox.control.clearFaults();
    const up = await h.call('GET', `/api/incidents/${incidentId}`);
    assert.equal(up.status, 200, up.text);
    assert.equal((up.json as { id: string }).id, incidentId);
    assertNoSecrets(h, [down.text, up.text]);
    await h.stop();
  });

  test('Key Vault 5xx at cold start: 503 naming vault and secret (never a value), then 200 once it recovers', async () => {
    b.sandbox.control.injectFaults({ target: 'keyvault', status: 500 });
    const h = await app();
    const down = await h.call('GET', `/api/incidents/${incidentId}`);
    assert.equal(down.status, 503, down.text);
    assert.ok(Number(down.headers.get('retry-after')) >= 1);
    const err = errorOf(down.json);
    assert.equal(err.code, 'SECRET_UNAVAILABLE');
    assert.ok(err.message.includes(b.sandbox.secretName), `names the Key Vault secret: ${err.message}`);
    assert.match(err.message, /unavailable|retried/i);
    const vault = () => b.sandbox.control.requests().filter((r) => r.family === 'keyvault');
    assert.ok(
      vault().some((r) => r.status === 500),
      'Key Vault was really tried',
    );
    assert.equal(b.sandbox.control.counters().keyVaultReads, 0);

    b.sandbox.control.clearFaults();
    // A failed read is not cached: the next invocation reads Key Vault again.
    const up = await h.call('GET', `/api/incidents/${incidentId}`);
    assert.equal(up.status, 200, up.text);
    assert.equal(b.sandbox.control.counters().keyVaultReads, 1, 'read again, once');
    assertNoSecrets(h, [down.text, up.text]);
    await h.stop();
  });

  /** Starts stale-incident-triage over HTTP with every API call slowed, and runs `midway` after the first update. */
  async function triageWithFaultMidway(h: HostProcess, midway: () => void) {
    const warm = await h.call('GET', `/api/incidents/${incidentId}`);
    assert.equal(warm.status, 200, warm.text);
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
    for (let i = 0; i < 4; i++)
      b.sandbox.control.addIncident({ createdDateTime: tenDaysAgo, lastUpdateDateTime: tenDaysAgo });
    b.sandbox.control.injectFaults({ target: 'api', delayMs: 150 });
    const updatesBefore = b.sandbox.control.counters().api.incidentsUpdate;
    const run = h.call('POST', '/api/workflows/stale-incident-triage/run', { body: { input: { staleDays: 1 } } });
    let fired = false;
    const poll = setInterval(() => {
      if (!fired && b.sandbox.control.counters().api.incidentsUpdate > updatesBefore) {
        fired = true;
        midway();
      }
    }, 20);
    const res = await run.finally(() => clearInterval(poll));
    assert.ok(fired, `the fault happened while the run was writing: ${res.status} ${res.text.slice(0, 1500)}`);
    b.sandbox.control.clearFaults();
    assert.equal(res.status, 200, res.text);
    const report = res.json as { status: string; steps: { id: string; counts: Record<string, number> }[] };
    assert.equal(report.status, 'succeeded');
    const marked = report.steps.find((s) => s.id === 'markStale')?.counts.updated ?? 0;
    assert.ok(marked >= 2, `several incidents were updated (${marked})`);
    // Every stale incident got exactly one triage comment, written around the fault.
    for (const inc of b.sandbox.control.incidents().filter((i) => i.customTags.includes('stale'))) {
      const triage = inc.comments.filter((c) => isRiposteComment(c.comment) && /tagged stale/.test(c.comment));
      assert.equal(triage.length, 1, `incident ${inc.id} has one triage comment`);
    }
    return report;
  }

  test('token revoked mid-run (401): the token is refreshed, the run completes, nothing written twice', async () => {
    const h = await app();
    let tokensAtRevoke = 0;
    await triageWithFaultMidway(h, () => {
      b.sandbox.control.revokeTokens();
      tokensAtRevoke = b.sandbox.control.counters().tokenRequests;
    });
    const c = b.sandbox.control.counters();
    // Each call that saw the 401 refreshes once; calls in flight together (forEach concurrency 4) may each do so.
    const refreshes = c.tokenRequests - tokensAtRevoke;
    assert.ok(refreshes >= 1 && refreshes <= 4, `new tokens after the revocation: ${refreshes}`);
    assert.ok(b.sandbox.control.requests().some((r) => r.status === 401 && r.family !== 'token'));
    assertNoSecrets(h, []);
    await h.stop();
  });

  test('secret rotated mid-run: the rejected secret is re-read from Key Vault once and the run completes', async () => {
    const h = await app();
    let readsAtRotation = 0;
    await triageWithFaultMidway(h, () => {
      // Rotation alone leaves issued tokens valid; revoking them makes the app ask Entra with the old secret now.
      b.sandbox.control.rotateSecret();
      b.sandbox.control.revokeTokens();
      readsAtRotation = b.sandbox.control.counters().keyVaultReads;
    });
    assert.equal(b.sandbox.control.counters().keyVaultReads, readsAtRotation + 1, 'one Key Vault re-read');
    assert.ok(
      b.sandbox.control.requests().some((r) => r.family === 'token' && r.status === 401),
      'Entra refused the old secret first',
    );
    assertNoSecrets(h, []);
    await h.stop();
  });

  // Before the 429 below: a 429 pauses the tenant's shared quota (Table storage, every host) until its reset time.
  test('API hanging past the request timeout: retried after the timeout; a persistent hang ends in 503 + Retry-After', async () => {
    const h = await app({ REQUEST_TIMEOUT_SECONDS: '1' });
    assert.equal((await h.call('GET', `/api/incidents/${incidentId}`)).status, 200);
    b.sandbox.control.injectFaults({ target: 'incidents', delayMs: 10_000, count: 1 });
    const t0 = Date.now();
    const ok = await h.call('GET', `/api/incidents/${incidentId}`);
    assert.equal(ok.status, 200, ok.text);
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 6000, `gave up on the hung call after ~1 s (${took} ms)`);

    b.sandbox.control.injectFaults({ target: 'incidents', delayMs: 10_000 });
    const t1 = Date.now();
    const hung = await h.call('GET', `/api/incidents/${incidentId}`);
    const hungFor = Date.now() - t1;
    assert.equal(hung.status, 503, hung.text);
    assert.ok(Number(hung.headers.get('retry-after')) >= 1);
    assert.equal(errorOf(hung.json).code, 'DEFENDER_UNAVAILABLE');
    // 4 attempts of 1 s plus backoff (at most 0.5 + 1 + 2 s): far below the 10 s hang and the function timeout.
    assert.ok(hungFor < 9000, `bounded by the timeout and retries (${hungFor} ms)`);
    b.sandbox.control.clearFaults();
    assert.equal((await h.call('GET', `/api/incidents/${incidentId}`)).status, 200);
    await h.stop();
  });

  test('429 whose only reset time is in the body: waits that long and succeeds; too long → 503 + Retry-After', async () => {
    const h = await app();
    assert.equal((await h.call('GET', `/api/incidents/${incidentId}`)).status, 200);
    const logged = b.sandbox.control.requests().length;
    b.sandbox.control.injectFaults({
      target: 'incidents',
      status: 429,
      retryAfterInBodyOnly: true,
      retryAfterSeconds: 1.5,
      count: 1,
    });
    const t0 = Date.now();
    const ok = await h.call('GET', `/api/incidents/${incidentId}`);
    const waited = Date.now() - t0;
    assert.equal(ok.status, 200, ok.text);
    assert.ok(waited >= 1400, `waited the body's 1.5 s (${waited} ms)`);
    assert.deepEqual(
      b.sandbox.control
        .requests()
        .slice(logged)
        .filter((r) => r.family === 'incidentsGet')
        .map((r) => r.status),
      [429, 200],
    );

    // Beyond MAX_RETRY_AFTER_SECONDS (60 s) the app does not sit in the invocation: the caller is told when to retry.
    b.sandbox.control.injectFaults({
      target: 'incidents',
      status: 429,
      retryAfterInBodyOnly: true,
      retryAfterSeconds: 120,
    });
    const t1 = Date.now();
    const throttled = await h.call('GET', `/api/incidents/${incidentId}`);
    assert.equal(throttled.status, 503, throttled.text);
    assert.equal(throttled.headers.get('retry-after'), '120');
    assert.equal(errorOf(throttled.json).code, 'DEFENDER_THROTTLED');
    assert.ok(Date.now() - t1 < 5000, 'answered at once');
    await h.stop();
  });

  test('Azurite unavailable: the webhook answers 503 with Retry-After, never 202; accepted again once it is back', async () => {
    // Its own Azurite, so stopping it leaves the others' alone; on disk, as a storage account keeps its queues.
    const location = join(scratch.dir, 'azurite');
    let storage: Azurite = await startAzurite({ location, ports: 'random' });
    const ports = { blob: storage.blobPort, queue: storage.queuePort, table: storage.tablePort };
    const h = await app({ AzureWebJobsStorage: storage.connectionString });
    const deliver = (n: number) =>
      signedStandard({ id: `az-${n}`, incidentId, comment: `storage check ${n}` }, secrets.generic);
    const send = (n: number) => {
      const d = deliver(n);
      return h.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
    };
    assert.equal((await send(0)).status, 202);

    await storage.stop();
    const t0 = Date.now();
    const answers = await Promise.all([1, 2, 3].map(send));
    const took = Date.now() - t0;
    console.log(`Azurite down: three webhooks answered 503 in ${took} ms`);
    // Acceptance storage clients fail fast (one retry after 200 ms), where the SDK defaults took ~5 s.
    assert.ok(took < 3000, `503 without the SDKs' long retries (${took} ms)`);
    for (const a of answers) {
      assert.equal(a.status, 503, a.text);
      assert.ok(Number(a.headers.get('retry-after')) >= 1, 'Retry-After tells the sender when');
      assert.doesNotMatch(a.text, /ECONNREFUSED|127\.0\.0\.1|at .*\(/, 'no internals in the body');
    }

    storage = await startAzurite({ location, ports });
    try {
      const back = await send(1);
      assert.equal(back.status, 202, back.text);
    } finally {
      await h.stop();
      await storage.stop();
    }
  });
});
