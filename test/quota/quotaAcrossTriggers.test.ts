// One tenant allowance for every trigger: the Function App answering HTTP calls and `riposte run` (its own process,
// tenant mode) against the same storage, at the same time, against a sandbox enforcing the incident quota
// (time-scaled: a 3-second "minute"). Together they never put more than the allowance (50 incident calls) into any
// window, so the API never has to throttle either of them; each alone would have spent the whole allowance.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { baseEnv, REPO, riposte } from '../cli/cliProcess';
import {
  appSettings,
  newWebhookSecrets,
  startBackends,
  startInProcessApp,
  waitFor,
  type Backends,
  type InProcessApp,
} from '../reliability/harness';
import { maxInWindow } from '../scale/yardstick';

const SCALE = 0.05;
const WINDOW_MS = 60_000 * SCALE;
const INCIDENT_FAMILIES = new Set(['incidentsList', 'incidentsGet', 'incidentsUpdate', 'comments']);
const STALE = new Date(Date.now() - 30 * 86_400_000).toISOString();

let b: Backends;
let app: InProcessApp;

before(async () => {
  b = await startBackends({ rateLimits: true, rateLimitScale: SCALE });
  app = await startInProcessApp(appSettings(b, newWebhookSecrets(), { RATE_LIMIT_WINDOW_SCALE: String(SCALE) }));
});
after(async () => {
  await app?.host.close();
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
});

describe('the Function App and the CLI against the same storage', () => {
  it('share one incident allowance: no window over it, no 429, every change applied', async () => {
    const control = b.sandbox.control;
    // For the CLI: 25 stale incidents (one list call, then a read, a PATCH and a comment each: 76 incident calls).
    const stale = Array.from({ length: 25 }, () =>
      control.addIncident({ status: 'active', lastUpdateDateTime: STALE }),
    );
    // For the app: 60 assignments over HTTP (one PATCH each), 16 at a time.
    const targets = Array.from({ length: 10 }, () => String(control.addIncident().id));
    const logFrom = control.requests().length;

    const env = baseEnv({
      ...b.sandbox.settings('graph'),
      AzureWebJobsStorage: b.azurite.connectionString,
      RATE_LIMIT_WINDOW_SCALE: String(SCALE),
    });
    const cli = riposte(['run', 'stale-incident-triage', '--json', '--dir', REPO], { env });
    // Start the HTTP burst once the CLI is calling the API, so the two overlap.
    await waitFor('the CLI’s first API call', () =>
      control
        .requests()
        .slice(logFrom)
        .some((r) => r.family === 'incidentsList'),
    );
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 60) {
          const i = next++;
          const r = await app.call('PATCH', `/api/incidents/${targets[i % targets.length]}`, {
            body: { assignedTo: `analyst${i}@contoso.com` },
          });
          statuses.push(r.status);
        }
      }),
    );
    const done = await cli.finished;

    assert.equal(done.code, 0, done.stderr.slice(-2000));
    const report = JSON.parse(done.stdout) as RunReport;
    assert.equal(report.status, 'succeeded');
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      'every HTTP update answered 200',
    );
    for (const inc of stale) assert.ok(control.incident(inc.id)?.customTags.includes('stale'), `incident ${inc.id}`);
    for (const [n, id] of targets.entries())
      assert.match(control.incident(id)?.assignedTo ?? '', /^analyst\d+@contoso\.com$/, `incident ${n}`);

    const calls = control
      .requests()
      .slice(logFrom)
      .filter((r) => INCIDENT_FAMILIES.has(r.family));
    assert.ok(calls.length >= 136, `${calls.length} incident calls`);
    const busiest = maxInWindow(
      calls.map((r) => r.at),
      WINDOW_MS,
    );
    assert.ok(busiest <= 50, `${busiest} incident calls in one ${WINDOW_MS} ms window (allowance 50)`);
    assert.equal(calls.filter((r) => r.status === 429).length, 0, 'the API never had to throttle');

    // Deep health on the app: the shared quota, with what the CLI spent counted in the permits left.
    const health = await app.call('GET', '/api/health/deep');
    const quota = (health.json as { quota?: { status: string; families: Record<string, { mode: string }> } }).quota;
    assert.equal(quota?.status, 'ok');
    assert.equal(quota?.families.incidents?.mode, 'shared');
  });
});
