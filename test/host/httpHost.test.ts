// The local host over real HTTP: routing, methods, auth levels, bodies, headers and cookies, errors and limits.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalHost, type LocalHost } from '../../host/localHost';
import { eventsOf, sleep } from '../fixtures/hostApp/lib/recorder';

const fixture = join(__dirname, '..', 'fixtures', 'hostApp');
const FUNCTION_KEY = 'fixture-function-key-0123';
const MASTER_KEY = 'fixture-master-key-4567';
const lines: string[] = [];
let host: LocalHost;

before(async () => {
  host = await startLocalHost({
    entry: [join(fixture, '*.ts')],
    port: 0,
    hostJsonPath: join(fixture, 'host.json'),
    settings: { TICK_SCHEDULE: '*/1 * * * * *', WORK_QUEUE: 'work' },
    functionKey: FUNCTION_KEY,
    masterKey: MASTER_KEY,
    timers: false,
    logger: (l) => lines.push(l),
  });
});

after(async () => {
  await host.close();
});

const get = (path: string, init: RequestInit = {}) => fetch(`${host.url}${path}`, init);

describe('local host: HTTP', () => {
  it('lists every function with its trigger details and resolved settings', () => {
    const byName = new Map(host.functions().map((f) => [f.name, f]));
    assert.deepEqual(byName.get('hello'), {
      name: 'hello',
      kind: 'http',
      route: 'hello/{name?}',
      url: `${host.url}/api/hello/{name?}`,
      methods: ['GET', 'POST'],
      authLevel: 'anonymous',
    });
    assert.equal(byName.get('echo')?.route, 'echo'); // no route → the function name
    assert.equal(byName.get('tick')?.schedule, '*/1 * * * * *'); // %TICK_SCHEDULE%
    assert.equal(byName.get('onWork')?.queueName, 'work'); // %WORK_QUEUE%
    assert.equal(byName.get('onWork')?.kind, 'queue');
  });

  it('runs app hooks: appStart once per host start, preInvocation around the handler', async () => {
    assert.equal(eventsOf('appStart').length, 1);
    assert.equal(await (await get('/api/hooked')).text(), 'replaced by preInvocation hook');
    assert.ok(lines.some((l) => l.includes('enableHttpStream: true }) is not supported locally')));
  });

  it('routes with parameters and passes the query through', async () => {
    const res = await get('/api/hello/bob?x=1&x=2&y=z');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('transfer-encoding'), null, 'buffered like the host: a content-length, not chunks');
    assert.equal(Number(res.headers.get('content-length')), JSON.stringify(await res.clone().json()).length);
    assert.deepEqual(await res.json(), { name: 'bob', method: 'GET', query: { x: '1,2', y: 'z' }, text: null });
    const bare = await get('/API/Hello');
    assert.deepEqual(await bare.json(), { name: null, method: 'GET', query: {}, text: null });
    assert.ok(
      lines.some((l) => l.includes('hello: hello bob')),
      'context.log reaches the host log',
    );
  });

  it('delivers text bodies and matches methods (404 for others, like the host)', async () => {
    const res = await get('/api/hello/ann', {
      method: 'POST',
      body: 'plain words',
      headers: { 'content-type': 'text/plain' },
    });
    assert.deepEqual(await res.json(), { name: 'ann', method: 'POST', query: {}, text: 'plain words' });
    assert.equal((await get('/api/hello/ann', { method: 'PUT', body: 'x' })).status, 404);
    const none = await get('/api/noContent', { method: 'DELETE' });
    assert.equal(none.status, 204);
    assert.equal(await none.text(), '');
  });

  it('prefers constrained routes and supports catch-alls', async () => {
    const h = { 'x-functions-key': FUNCTION_KEY };
    assert.deepEqual(await (await get('/api/items/42', { headers: h })).json(), { id: '42', kind: 'byId' });
    assert.deepEqual(await (await get('/api/items/abc', { headers: h })).json(), { name: 'abc', kind: 'byName' });
    assert.equal(await (await get('/api/files/a/b/c.txt')).text(), 'path=a/b/c.txt');
    assert.equal(await (await get('/api/files')).text(), 'path=');
    assert.equal((await get('/api/nothing-here')).status, 404);
    assert.equal((await get('/nothing-here')).status, 404);
  });

  it('enforces function and admin keys from the header first, then ?code=', async () => {
    const noKey = await get('/api/items/1');
    assert.equal(noKey.status, 401);
    // Azure's host answers this 401 with an empty body; locally it is the app's JSON error shape.
    assert.match(noKey.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(((await noKey.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    assert.equal((await get('/api/items/1', { headers: { 'x-functions-key': 'wrong' } })).status, 401);
    assert.equal((await get('/api/items/1', { headers: { 'x-functions-key': FUNCTION_KEY } })).status, 200);
    assert.equal((await get(`/api/items/1?code=${FUNCTION_KEY}`)).status, 200);
    // The header wins even when ?code= would have been right.
    assert.equal(
      (await get(`/api/items/1?code=${FUNCTION_KEY}`, { headers: { 'x-functions-key': 'nope' } })).status,
      401,
    );
    assert.equal((await get(`/api/items/1?code=${MASTER_KEY}`)).status, 200); // master key opens every level
    assert.equal((await get(`/api/adminOnly?code=${FUNCTION_KEY}`)).status, 401);
    const admin = await get('/api/adminOnly', { headers: { 'x-functions-key': MASTER_KEY } });
    assert.equal(admin.status, 200);
    assert.equal(await admin.text(), 'admin ok');
  });

  it('turns JSON bodies, status, headers and cookies into the HTTP response', async () => {
    const res = await get('/api/echo', {
      method: 'POST',
      headers: { 'x-functions-key': FUNCTION_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1, b: ['x'] }),
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-echo'), 'yes');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { got: { a: 1, b: ['x'] }, contentType: 'application/json' });
    assert.deepEqual(res.headers.getSetCookie(), [
      'session=a%20b; max-age=60; path=/; samesite=strict; httponly',
      'plain=v; path=/api',
    ]);
  });

  it('answers 500 with an empty body when the function throws, and logs why', async () => {
    const res = await get('/api/boom');
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
    assert.ok(lines.some((l) => /Executed 'Functions\.boom' \(Failed/.test(l)));
    assert.ok(lines.some((l) => l.includes('fixture failure')));
  });

  it('refuses bodies over 100 MB with 413 before reading them', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${host.url}/api/hello/big`);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-length': String(100 * 1024 * 1024 + 1) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('only a little');
    });
    assert.equal(status, 413);
  });

  it('enforces functionTimeout from host.json with a 500', async () => {
    assert.equal(await (await get('/api/slow?ms=20')).text(), 'slept 20');
    const started = Date.now();
    const res = await get('/api/slow?ms=2600');
    const took = Date.now() - started;
    assert.equal(res.status, 500);
    assert.ok(took >= 1900 && took < 2500, `timed out after ${took}ms (functionTimeout is 2 s)`);
    assert.ok(lines.some((l) => l.includes('Timeout value of 00:00:02 was exceeded by function: Functions.slow')));
  });

  it('serves the admin API with the master key only', async () => {
    assert.equal((await get('/admin/host/status')).status, 401);
    assert.equal((await get('/admin/host/status', { headers: { 'x-functions-key': FUNCTION_KEY } })).status, 401);
    const ok = await get('/admin/host/status', { headers: { 'x-functions-key': MASTER_KEY } });
    assert.equal(((await ok.json()) as { state: string }).state, 'Running');
    const before = eventsOf('startup').length;
    const fired = await get('/admin/functions/startup', {
      method: 'POST',
      headers: { 'x-functions-key': MASTER_KEY, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    assert.equal(fired.status, 202);
    for (let i = 0; i < 50 && eventsOf('startup').length === before; i++) await sleep(20);
    assert.equal(eventsOf('startup').length, before + 1);
  });

  it('honours a routePrefix override, and caps streamed bodies without a content-length', async () => {
    const bare = await startLocalHost({
      entry: [join(fixture, 'httpFunctions.ts')],
      port: 0,
      routePrefix: '',
      timers: false,
      maxRequestBytes: 1024,
      logger: () => {},
    });
    try {
      const res = await fetch(`${bare.url}/hello/zed`);
      assert.equal(((await res.json()) as { name: string }).name, 'zed');
      assert.equal((await fetch(`${bare.url}/api/hello/zed`)).status, 404);
      const chunks = async function* () {
        for (let i = 0; i < 3; i++) yield new Uint8Array(600); // 1800 bytes, chunked: no length to check upfront
      };
      const big = await fetch(`${bare.url}/hello/zed`, {
        method: 'POST',
        body: chunks(),
        duplex: 'half',
      } as RequestInit);
      assert.equal(big.status, 413);
      const small = await fetch(`${bare.url}/hello/zed`, { method: 'POST', body: 'x'.repeat(1024) });
      assert.equal(small.status, 200);
    } finally {
      await bare.close();
    }
  });

  it('never writes keys to the log', () => {
    assert.ok(lines.length > 10);
    for (const l of lines) {
      assert.ok(!l.includes(FUNCTION_KEY) && !l.includes(MASTER_KEY), `key leaked in: ${l}`);
    }
  });
});
