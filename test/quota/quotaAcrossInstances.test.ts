// The shared quota through the real composition root (createDeps: Table SDK against Azurite, axios against the
// sandbox), with two "instances" in this process that share nothing but storage: the row's ETag contract, a 429
// seen by one instance holding back the other's next call until its reset, and storage going away and coming back
// (calls go on under the per-process limiter, deep health says so with the reason, and the shared quota resumes).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { emptyState } from '../../shared/quota/quotaLog';
import { quotaHealth } from '../../shared/quota/quotaHealth';
import { createTableQuotaStore } from '../../shared/quota/quotaStore';
import { sandboxDeps } from '../integration/sandboxDeps';
import { waitFor } from '../reliability/harness';

let sb: Sandbox;
let azurite: Azurite;
const others: Azurite[] = [];

before(async () => {
  [sb, azurite] = await Promise.all([
    startSandbox({ rateLimits: false }),
    startAzurite({ inMemory: true, ports: 'random' }),
  ]);
});
after(async () => {
  await Promise.all([sb?.close(), azurite?.stop(), ...others.map((a) => a.stop())]);
});

const quotaTable = (connectionString: string) =>
  createTableQuotaStore(
    TableClient.fromConnectionString(connectionString, 'RiposteQuota', { allowInsecureConnection: true }),
  );

describe('the quota row in Table storage', () => {
  it('inserts once, replaces only at the ETag it read, and reports a lost race instead of overwriting', async () => {
    const store = quotaTable(azurite.connectionString);
    const key = { tenantId: '11111111-2222-3333-4444-555555555555', family: 'contract' };
    assert.equal(await store.read(key), undefined);
    const first = await store.write(key, { ...emptyState(), lastSlot: 1 }, undefined, 'a');
    assert.ok(first);
    assert.equal(await store.write(key, emptyState(), undefined, 'b'), undefined, 'a second insert loses (409)');
    const row = await store.read(key);
    assert.equal(row?.state.lastSlot, 1);
    assert.equal(row?.updatedBy, 'a');
    const second = await store.write(key, { ...emptyState(), lastSlot: 2 }, row?.etag, 'a');
    assert.ok(second);
    assert.equal(await store.write(key, emptyState(), row?.etag, 'b'), undefined, 'a stale ETag loses (412)');
    assert.equal((await store.read(key))?.state.lastSlot, 2);
  });
});

describe('two instances sharing one storage account', () => {
  it('a 429 seen by one instance holds back the other’s next call until the reset, and health shows the pause', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    const a = sandboxDeps(sb, 'graph', env);
    const b = sandboxDeps(sb, 'graph', env);
    const id = String(sb.control.addIncident().id);
    // Both have tokens and have seen the row.
    await Promise.all([a.defender.getIncident(id), b.defender.getIncident(id)]);

    sb.control.injectFaults({ target: 'incidents', status: 429, retryAfterSeconds: 3, count: 1 });
    const aCall = a.defender.getIncident(id);
    const store = quotaTable(azurite.connectionString);
    const paused = await waitFor('the pause in the quota row', async () => {
      const row = await store.read({ tenantId: a.config.tenantId, family: 'incidents' });
      return row && row.state.pausedUntil > 0 ? row.state : undefined;
    });
    assert.match(paused.pauseReason ?? '', /^429 from GET \/security\/incidents\/\d+ \(wait 3 s\)$/);

    // The other instance reads the pause from the row (health reads it now) and keeps its next call until then.
    const health = await quotaHealth(b.config, b.quotas);
    assert.equal(health.families.incidents?.pausedUntil, new Date(paused.pausedUntil).toISOString());
    assert.equal(health.families.incidents?.pauseReason, paused.pauseReason);
    const logFrom = sb.control.requests().length;
    await b.defender.getIncident(id);
    await aCall;
    const after = sb.control.requests().slice(logFrom);
    const gets = after.filter((r) => r.family === 'incidentsGet');
    assert.equal(gets.length, 2, 'the other instance’s call and the throttled one’s retry');
    for (const g of gets) assert.ok(g.at >= paused.pausedUntil, `a call arrived ${paused.pausedUntil - g.at} ms early`);
    assert.equal(after.filter((r) => r.status === 429).length, 0, 'no second 429: nobody called into the pause');
  });

  it('storage unreachable: calls go on under the per-process limiter, health warns with the reason, then it resumes', async () => {
    const own = await startAzurite({ inMemory: true, ports: 'random' });
    others.push(own);
    const ports = Object.fromEntries(
      ['Blob', 'Queue', 'Table'].map((s) => [
        s.toLowerCase(),
        Number(new RegExp(`${s}Endpoint=http://127\\.0\\.0\\.1:(\\d+)`).exec(own.connectionString)?.[1]),
      ]),
    ) as { blob: number; queue: number; table: number };
    const c = sandboxDeps(
      sb,
      'graph',
      { AzureWebJobsStorage: own.connectionString },
      { quotaRetryStorageAfterMs: 1000 },
    );
    const id = String(sb.control.addIncident().id);
    await c.defender.getIncident(id);
    assert.equal(c.quotas.incidents?.status().stats.permits, 1, 'a shared permit');

    await own.stop();
    // The call does not fail for want of storage.
    assert.equal((await c.defender.getIncident(id)).id, id);
    const down = await quotaHealth(c.config, c.quotas);
    assert.equal(down.status, 'warn');
    const fam = down.families.incidents;
    assert.equal(fam?.mode, 'perProcess');
    assert.equal(fam?.storage, 'unreachable');
    assert.match(fam?.reason ?? '', /^Table storage unavailable \(/);
    assert.match(
      down.message ?? '',
      /incidents: this instance uses its own limiter since .+; storage is tried again at /,
    );
    assert.equal(fam?.stats.perProcessPermits, 1);
    assert.ok(!JSON.stringify(down).includes('AccountKey') && !JSON.stringify(down).includes(own.connectionString));
    assert.ok(c.logs.some((l) => l.startsWith('warn [quota] incidents: shared quota unavailable')));

    // Storage is back (the same endpoint); after the retry interval calls draw from the shared quota again.
    const back = await startAzurite({ inMemory: true, ports });
    others.push(back);
    await new Promise((r) => setTimeout(r, 1100));
    await c.defender.getIncident(id);
    const up = await quotaHealth(c.config, c.quotas);
    assert.equal(up.status, 'ok', up.message);
    assert.equal(up.families.incidents?.mode, 'shared');
    assert.equal(up.families.incidents?.stats.permits, 2);
    assert.ok(c.logs.some((l) => l.startsWith('info [quota] incidents: shared quota reachable again')));
  });
});
