// The sandbox as a whole: TLS trust, routing misses, the request log (never credentials), reset, the settings it
// hands to Riposte, the persistent CA, and the standalone CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../sandbox';
import { loadConfig } from '../../shared/config';
import { client, GRAPH_SCOPE, token } from './helpers';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sandbox.close());

function get(host: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const port = Number(new URL(sandbox.url).port);
    https
      .get(
        {
          host,
          port,
          path: `/${sandbox.tenantId}/v2.0/.well-known/openid-configuration`,
          ...(ca ? { ca } : {}),
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on('error', reject);
  });
}

describe('sandbox server', () => {
  it('serves TLS for 127.0.0.1 and localhost with its CA, which is written to caFile; untrusted otherwise', async () => {
    assert.equal(readFileSync(sandbox.caFile, 'utf8'), sandbox.caPem);
    const ca = new X509Certificate(sandbox.caPem);
    assert.equal(ca.ca, true);
    assert.equal(await get('127.0.0.1', sandbox.caPem), 200);
    assert.equal(await get('localhost', sandbox.caPem), 200);
    await assert.rejects(get('127.0.0.1'), /self[- ]signed|unable to (get|verify)/i);
  });

  it('answers 404 and 405 for unknown routes', async () => {
    const c = client(sandbox);
    assert.equal((await c.get('/nothing/here')).status, 404);
    assert.equal((await c.delete('/v1.0/security/incidents')).status, 405);
  });

  it('logs method, path, status and family, never secrets or tokens', async () => {
    sandbox.control.reset();
    const secret = sandbox.control.currentSecret();
    const t = await token(sandbox, GRAPH_SCOPE);
    await client(sandbox).post(
      `/${sandbox.tenantId}/oauth2/v2.0/token?client_secret=${encodeURIComponent(secret)}`,
      'grant_type=client_credentials',
    );
    await client(sandbox, sandbox.graphBaseUrl).get('/security/incidents?$top=1', {
      headers: { authorization: `Bearer ${t}` },
    });
    const log = sandbox.control.requests();
    assert.deepEqual(
      log.map((r) => [r.method, r.family, r.status]),
      [
        ['POST', 'token', 200],
        ['POST', 'token', 400],
        ['GET', 'incidentsList', 200],
      ],
    );
    assert.equal(log[2]?.path, '/v1.0/security/incidents?%24top=1');
    assert.equal(log[2]?.api, 'graph');
    assert.ok(typeof log[0]?.at === 'number');
    const everything = JSON.stringify([log, sandbox.control.counters()]);
    assert.ok(!everything.includes(secret) && !everything.includes(encodeURIComponent(secret)));
    assert.ok(!everything.includes(t.slice(-20)));
  });

  it('reset() restores the seed state and the original secret', async () => {
    const secret = sandbox.control.currentSecret();
    sandbox.control.rotateSecret();
    sandbox.control.addIncident({ displayName: 'extra' });
    sandbox.control.injectFaults({ status: 500 });
    sandbox.control.setRoles([]);
    sandbox.control.reset();
    assert.equal(sandbox.control.currentSecret(), secret);
    assert.equal(sandbox.control.incidents().length, 13);
    assert.deepEqual(sandbox.control.counters().api, {
      hunting: 0,
      incidentsList: 0,
      incidentsGet: 0,
      incidentsUpdate: 0,
      comments: 0,
      alertsList: 0,
      alertsGet: 0,
      alertsUpdate: 0,
      alertComments: 0,
      mdeRead: 0,
      mdeIsolate: 0,
      mdeScan: 0,
      mdeCollect: 0,
      mdeRestrict: 0,
      mdeQuarantine: 0,
      usersGet: 0,
      usersUpdate: 0,
      usersRevoke: 0,
      riskyUsersAction: 0,
    });
    const api = client(sandbox, sandbox.graphBaseUrl);
    const res = await api.get('/security/incidents/3309', {
      headers: { authorization: `Bearer ${await token(sandbox, GRAPH_SCOPE)}` },
    });
    assert.equal(res.status, 200);
  });

  it('settings() are valid Riposte configuration for both backends', () => {
    for (const api of ['graph', 'legacy'] as const) {
      const s = sandbox.settings(api);
      const config = loadConfig(s);
      assert.equal(config.api, api);
      assert.equal(config.authorityHost, sandbox.url);
      assert.equal(config.apiBaseUrl, api === 'graph' ? sandbox.graphBaseUrl : sandbox.url);
      assert.equal(config.keyVaultChallengeVerification, false);
      assert.equal(config.tlsCaFile, sandbox.caFile);
      assert.equal(config.rateLimits.incidents[0]?.windowMs, 3000);
      assert.equal(s.IDENTITY_ENDPOINT, sandbox.identityEndpoint);
    }
  });
});

describe('standalone', () => {
  it('keeps its CA and identity header across restarts when persistCa is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-sandbox-test-'));
    try {
      const a = await startSandbox({ dataDir: dir, persistCa: true, seed: false });
      await a.close();
      const b = await startSandbox({ dataDir: dir, persistCa: true, seed: false });
      await b.close();
      assert.equal(b.caPem, a.caPem);
      assert.equal(b.identityHeader, a.identityHeader);
      assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), a.caPem);
      const c = await startSandbox({ dataDir: dir, seed: false });
      await c.close();
      assert.notEqual(c.caPem, a.caPem);
      assert.notEqual(c.identityHeader, a.identityHeader);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm run sandbox prints the endpoints and settings, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-sandbox-cli-'));
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'sandbox/cli.ts', '--port', '0', '--mi-port', '0', '--data-dir', dir],
        {
          cwd: join(__dirname, '..', '..'),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (!out.includes('Press Ctrl-C to stop.')) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`CLI did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const settings = Object.fromEntries([...out.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
      const url = settings.AUTHORITY_HOST ?? '';
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(settings.TLS_CA_FILE, join(dir, 'ca.crt'));
      const json = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
        Values: Record<string, string>;
      };
      assert.deepEqual(json.Values, settings);
      assert.doesNotThrow(() => loadConfig(settings));
      // It really serves: discovery over TLS with the printed CA file.
      const ca = readFileSync(settings.TLS_CA_FILE ?? '', 'utf8');
      const res = await client({ caPem: ca } as Sandbox, url).get(
        `/${settings.TENANT_ID}/v2.0/.well-known/openid-configuration`,
      );
      assert.equal(res.status, 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
