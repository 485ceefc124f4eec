// Incident quotas under a scaled window, and injected faults: count, seeded probability, delay, outage, 429 with the
// wait only in the body, and faults aimed at the token endpoint, Key Vault and managed identity.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import type { AxiosInstance } from 'axios';
import { startSandbox, type Sandbox } from '../../sandbox';
import { apiClient, client, GRAPH_SCOPE } from './helpers';

let sandbox: Sandbox;
let graph: AxiosInstance;
let legacy: AxiosInstance;
before(async () => {
  // 0.05: 3-second "minutes".
  sandbox = await startSandbox({ rateLimitScale: 0.05, seed: false });
  [graph, legacy] = await Promise.all([apiClient(sandbox, 'graph'), apiClient(sandbox, 'legacy')]);
});
after(() => sandbox.close());
beforeEach(() => {
  sandbox.control.clearFaults();
  sandbox.control.resetCounters();
});

const burst = (n: number, call: () => Promise<{ status: number }>) => Promise.all(Array.from({ length: n }, call));

describe('incident quotas', () => {
  it('list: 50 per minute, then 429 with Retry-After; get has its own 100; Graph and legacy bodies', async () => {
    sandbox.control.addIncident({ id: 1 });
    const lists = await burst(51, () => graph.get('/security/incidents'));
    assert.deepEqual(lists.map((r) => r.status).sort(), [...Array<number>(50).fill(200), 429]);
    const throttled = lists.find((r) => r.status === 429) as unknown as {
      headers: Record<string, string>;
      data: { error: { code: string; message: string; innerError: object } };
    };
    const wait = Number(throttled.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 3);
    assert.equal(throttled.data.error.code, 'TooManyRequests');
    assert.equal(throttled.data.error.message, `Too many requests. Try again in ${wait} seconds.`);
    assert.ok(throttled.data.error.innerError);
    // Gets are counted separately (100 per minute) even while lists are throttled.
    assert.equal((await graph.get('/security/incidents/1')).status, 200);

    const legacyLists = await burst(51, () => legacy.get('/api/incidents'));
    const legacyThrottled = legacyLists.find((r) => r.status === 429) as unknown as {
      headers: Record<string, string>;
      data: { error: Record<string, string> };
    };
    assert.ok(Number(legacyThrottled.headers['retry-after']) >= 1);
    assert.equal(legacyThrottled.data.error.code, 'TooManyRequests');
    assert.equal(legacyThrottled.data.error.message, 'API calls quota exceeded! maximum allowed 50 per 00:00:03');
    assert.equal(sandbox.control.counters().throttled, 2);
    assert.equal(sandbox.control.counters().api.incidentsList, 102);

    sandbox.control.setRateLimits(false);
    assert.equal((await graph.get('/security/incidents')).status, 200);
    sandbox.control.setRateLimits(true);
    await new Promise((r) => setTimeout(r, wait * 1000));
    assert.equal((await graph.get('/security/incidents')).status, 200);
  });
});

describe('faults', () => {
  it('fails the next N matching requests, then answers normally', async () => {
    sandbox.control.injectFaults({ status: 503, count: 2, retryAfterSeconds: 4 });
    const a = await graph.get('/security/incidents');
    const b = await legacy.get('/api/incidents');
    const c = await graph.get('/security/incidents');
    assert.deepEqual([a.status, b.status, c.status], [503, 503, 200]);
    assert.equal(a.headers['retry-after'], '4');
    assert.equal(a.data.error.code, 'ServiceUnavailable');
    assert.ok(a.data.error.innerError);
    assert.equal(typeof b.data.error.target, 'string');
    assert.equal(sandbox.control.counters().faulted, 2);
    // Faults come before authentication, as a gateway failure would.
    sandbox.control.injectFaults({ status: 500, count: 1 });
    const anon = await client(sandbox, sandbox.graphBaseUrl).get('/security/incidents');
    assert.deepEqual([anon.status, anon.data.error.code], [500, 'UnknownError']);
  });

  it('a method filter fails only those requests: PATCH refused while reads answer', async () => {
    sandbox.control.addIncident({ id: 9101 });
    sandbox.control.injectFaults({ target: 'incidents', method: 'PATCH', status: 400 });
    const read = await graph.get('/security/incidents/9101');
    const write = await graph.patch('/security/incidents/9101', { status: 'inProgress' });
    assert.deepEqual([read.status, write.status, write.data.error.code], [200, 400, 'BadRequest']);
    assert.equal(sandbox.control.incident(9101)?.status, 'active');
  });

  it('probability faults follow the seed: same seed, same pattern', async () => {
    const pattern = async (): Promise<number[]> => {
      sandbox.control.clearFaults();
      sandbox.control.injectFaults({ status: 500, probability: 0.5, seed: 42, target: 'incidents' });
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await graph.get('/security/incidents')).status);
      return out;
    };
    const first = await pattern();
    assert.deepEqual(await pattern(), first);
    const failures = first.filter((s) => s === 500).length;
    assert.ok(failures > 2 && failures < 14, String(failures));
    assert.deepEqual([...new Set(first)].sort(), [200, 500]);
  });

  it('delay: a client timeout fires; without a status the answer follows the delay', async () => {
    sandbox.control.injectFaults({ delayMs: 1500, count: 1 });
    const timedOut = await graph.get('/security/incidents', { timeout: 200 }).catch((e: { code?: string }) => e.code);
    assert.equal(timedOut, 'ECONNABORTED');
    sandbox.control.injectFaults({ delayMs: 300, count: 1 });
    const started = Date.now();
    const slow = await graph.get('/security/incidents');
    assert.equal(slow.status, 200);
    assert.ok(Date.now() - started >= 290);
  });

  it('outage resets the connection', async () => {
    sandbox.control.injectFaults({ outage: true, count: 1, target: 'hunting' });
    const err = await graph
      .post('/security/runHuntingQuery', { Query: 'print x = 1' })
      .catch((e: { code?: string }) => e.code);
    assert.ok(err === 'ECONNRESET' || err === 'ERR_BAD_RESPONSE' || err === 'EPIPE', String(err));
    assert.equal(sandbox.control.requests().at(-1)?.status, 0);
  });

  it('429 with the wait only in the body (no Retry-After), fractional when scaled', async () => {
    sandbox.control.injectFaults({ status: 429, count: 2, retryAfterSeconds: 2.5, retryAfterInBodyOnly: true });
    const g = await graph.get('/security/incidents');
    assert.equal(g.status, 429);
    assert.equal(g.headers['retry-after'], undefined);
    assert.equal(g.data.error.message, 'Too many requests. Try again in 2.5 seconds.');
    const l = await legacy.get('/api/incidents');
    assert.equal(l.headers['retry-after'], undefined);
    assert.match(
      l.data.error.message,
      /^API calls quota exceeded! maximum allowed 50 per 00:01:00\. Try again in 2\.5 seconds\.$/,
    );
  });

  it('targets the token endpoint, Key Vault and managed identity', async () => {
    sandbox.control.injectFaults({ target: 'token', status: 503, count: 1 });
    const cred = new ClientSecretCredential(sandbox.tenantId, sandbox.clientId, sandbox.control.currentSecret(), {
      authorityHost: sandbox.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: sandbox.caPem },
      retryOptions: { maxRetries: 0 },
    });
    await assert.rejects(cred.getToken(GRAPH_SCOPE), /temporarily_unavailable: Error\(s\): 90033 /);
    // MSAL remembers a 429/5xx from the token endpoint and refuses the same request itself for a while (60 s
    // without Retry-After): the same credential fails again without calling the sandbox; a new one gets through.
    await assert.rejects(cred.getToken(GRAPH_SCOPE), /90033/);
    assert.equal(sandbox.control.counters().tokenRequests, 1);
    const fresh = new ClientSecretCredential(sandbox.tenantId, sandbox.clientId, sandbox.control.currentSecret(), {
      authorityHost: sandbox.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: sandbox.caPem },
    });
    assert.ok((await fresh.getToken(GRAPH_SCOPE)).token);
    assert.equal(sandbox.control.counters().tokenRequests, 2);
    assert.equal((await graph.get('/security/incidents')).status, 200);

    sandbox.control.injectFaults({ target: 'keyvault', status: 429, count: 1, retryAfterSeconds: 1 });
    const kv = await client(sandbox).get(`/secrets/${sandbox.secretName}?api-version=7.5`);
    assert.deepEqual([kv.status, kv.data.error.code, kv.headers['retry-after']], [429, 'Throttled', '1']);

    sandbox.control.injectFaults({ target: 'mi', status: 500, count: 1 });
    const mi = await client(sandbox, sandbox.identityEndpoint).get('', {
      params: { 'api-version': '2019-08-01', resource: 'https://vault.azure.net' },
      headers: { 'x-identity-header': sandbox.identityHeader },
    });
    assert.equal(mi.status, 500);
    assert.equal(sandbox.control.counters().faulted, 3);
  });
});
