// A tenant's slice of the state store and of the engine: windows, write records and idempotency keys apart per
// tenant (incident ids repeat across tenants), run records shared by run id, the deployment's own tenant unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../shared/config';
import type { EngineDeps } from '../../shared/engine';
import type { Logger } from '../../shared/logger';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { WriteRecord } from '../../shared/state/types';
import { partitionedState } from '../../shared/tenants/partitionedState';
import type { TenantDeps } from '../../shared/tenants/tenantDeps';
import { tenantEngine } from '../../shared/tenants/tenantEngine';

const write = (owner: string): WriteRecord => ({
  key: 'stale-incident-triage/42/abc',
  state: 'done',
  owner,
  runId: owner,
  incidentId: '42',
  leaseUntil: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('state partitions per tenant', () => {
  it('keeps windows, write records and idempotency keys apart; the home partition is the store itself', async () => {
    const store = createMemoryStateStore();
    const fabrikam = partitionedState(store, 'fabrikam');
    const northwind = partitionedState(store, 'northwind');
    assert.equal(partitionedState(store, ''), store);

    await fabrikam.claimWindow('triage', { start: 'a', end: 'b', runId: 'r1', startedAt: 'a' }, undefined);
    await fabrikam.completeWindow('triage', 'r1', '2026-01-02T00:00:00.000Z');
    assert.equal((await fabrikam.getWatermark('triage')).watermark, '2026-01-02T00:00:00.000Z');
    assert.equal((await fabrikam.getWatermark('triage')).workflow, 'triage', 'callers see their own name');
    assert.equal((await northwind.getWatermark('triage')).watermark, undefined);
    assert.equal((await store.getWatermark('triage')).watermark, undefined);

    // The same write key (same workflow, incident 42, same change) in two tenants: two records.
    assert.ok(await fabrikam.createWrite('stale-incident-triage', write('fab')));
    assert.ok(await northwind.createWrite('stale-incident-triage', write('nw')));
    assert.equal((await fabrikam.getWrite('stale-incident-triage', write('').key))?.record.owner, 'fab');
    assert.equal((await northwind.getWrite('stale-incident-triage', write('').key))?.record.owner, 'nw');
    assert.equal(await store.getWrite('stale-incident-triage', write('').key), undefined);
  });
});

describe('tenantEngine', () => {
  const base = {
    TENANT_ID: '11111111-2222-3333-4444-555555555555',
    CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    KEY_VAULT_URL: 'https://riposte-kv.vault.azure.net/',
    CLIENT_SECRET_NAME: 'defender-client-secret',
  };
  const lines: Array<[string, Record<string, unknown> | undefined]> = [];
  const logger: Logger = {
    debug: () => {},
    info: (m, p) => lines.push([m, p]),
    warn: () => {},
    error: () => {},
  };
  const engine = {
    state: createMemoryStateStore(),
    logger,
    followUps: { track: async () => {} },
  } as unknown as EngineDeps;

  it('is the engine as it was without TENANTS', () => {
    const config = loadConfig(base);
    const deps = { config, tenant: () => assert.fail('no tenant clients are built') };
    assert.equal(tenantEngine({ deps, engine }, 'default'), engine);
    assert.throws(() => tenantEngine({ deps, engine }, 'fabrikam'), /unknown tenant 'fabrikam'/);
  });

  it("uses the tenant's clients and partition, names it on every line, and leaves device follow-ups home", async () => {
    const config = loadConfig({
      ...base,
      TENANTS: JSON.stringify([{ key: 'fabrikam', tenantId: '22222222-2222-3333-4444-555555555555' }]),
    });
    const defender = { marker: 'fabrikam-client' };
    const deps = {
      config,
      tenant: (key: string) =>
        ({ tenant: config.tenants.tenants.find((t) => t.key === key), defender, apis: {} }) as unknown as TenantDeps,
    };
    const e = tenantEngine({ deps, engine }, 'fabrikam');
    assert.equal(e.tenant, 'fabrikam');
    assert.equal(e.defender, defender);
    assert.equal(e.followUps, undefined);
    e.logger?.info('[engine] run started', { runId: 'r' });
    assert.deepEqual(lines.at(-1), ['[engine] run started', { tenant: 'fabrikam', runId: 'r' }]);
    await e.state.claimWindow('triage', { start: 'a', end: 'b', runId: 'r', startedAt: 'a' }, undefined);
    await e.state.completeWindow('triage', 'r', '2026-01-02T00:00:00.000Z');
    assert.equal((await e.state.getWatermark('triage')).watermark, '2026-01-02T00:00:00.000Z');
    assert.equal((await engine.state.getWatermark('triage')).watermark, undefined, 'not in the home partition');
  });
});
