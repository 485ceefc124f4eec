// Identity-based storage, as the deployment template configures it (AzureWebJobsStorage__accountName, no key):
// endpoints per cloud, the token scope asked of the managed identity, precedence of the connection string, and the
// client-factory path through the state store, delivery log and ticket queue against Azurite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { startAzurite, type Azurite } from '../../host/azurite';
import { createAutomation } from '../../shared/automation';
import { createTableDeliveryLog } from '../../shared/automation/deliveryLog';
import {
  createStorageClients,
  storageClientsFromConnectionString,
  storageClientsFromIdentity,
} from '../../shared/automation/storageClients';
import { createTicketQueue } from '../../shared/automation/ticketQueue';
import { loadConfig } from '../../shared/config';
import { createDeps } from '../../shared/deps';
import { ConfigError } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import { createTableStateStore } from '../../shared/state/tableState';

const base = {
  TENANT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  KEY_VAULT_URL: 'https://riposte-kv.vault.azure.net',
  CLIENT_SECRET_NAME: 'riposte-client-secret',
};

/** A credential that records the scopes asked for and refuses, so no request ever leaves the process. */
function recordingCredential(): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      throw new Error('recording credential: no token');
    },
  };
}

describe('identity-based storage', () => {
  it('builds table and queue endpoints from the account name and the cloud', () => {
    const credential = recordingCredential();
    const pub = storageClientsFromIdentity({ accountName: 'ripostest01', cloud: 'public', credential });
    assert.equal(pub.mode, 'managedIdentity');
    assert.equal(pub.table('RiposteWrites').url, 'https://ripostest01.table.core.windows.net');
    assert.equal(pub.table('RiposteWrites').tableName, 'RiposteWrites');
    assert.equal(
      pub.queue('riposte-ticket-events').url,
      'https://ripostest01.queue.core.windows.net/riposte-ticket-events',
    );
    const gov = storageClientsFromIdentity({ accountName: 'ripostest01', cloud: 'gcc-high', credential });
    assert.equal(gov.queue('q1').url, 'https://ripostest01.queue.core.usgovcloudapi.net/q1');
    const gcc = storageClientsFromIdentity({ accountName: 'ripostest01', cloud: 'gcc', credential });
    assert.equal(gcc.table('T').url, 'https://ripostest01.table.core.windows.net');
  });

  it('asks the managed identity for a storage token (no account key involved)', async () => {
    const credential = recordingCredential();
    const clients = storageClientsFromIdentity({ accountName: 'ripostest01', cloud: 'public', credential });
    await assert.rejects(clients.queue('q1').sendMessage('x'), /no token/);
    await assert.rejects(clients.table('T1').createTable(), /no token/);
    assert.deepEqual([...new Set(credential.scopes)], ['https://storage.azure.com/.default']);
  });

  it('prefers the connection string, and names both settings when neither is set', () => {
    const cs = 'UseDevelopmentStorage=true';
    const config = loadConfig({ ...base, AzureWebJobsStorage: cs, AzureWebJobsStorage__accountName: 'ripostest01' });
    assert.equal(createStorageClients(config).mode, 'connectionString');
    const identity = loadConfig({ ...base, AzureWebJobsStorage__accountName: 'ripostest01' });
    assert.equal(identity.storageAccountName, 'ripostest01');
    assert.equal(createStorageClients(identity, { credential: recordingCredential() }).mode, 'managedIdentity');
    assert.throws(
      () => createStorageClients(loadConfig(base)),
      (e: unknown) =>
        e instanceof ConfigError &&
        /AzureWebJobsStorage \(a connection string\) or AzureWebJobsStorage__accountName/.test(e.message),
    );
  });

  it('rejects an account name that storage would not accept', () => {
    assert.throws(
      () => loadConfig({ ...base, AzureWebJobsStorage__accountName: 'Riposte_Storage' }),
      /AzureWebJobsStorage__accountName must be a storage account name/,
    );
  });

  it('lets the automation root run on the account name alone', async () => {
    const config = loadConfig({ ...base, AzureWebJobsStorage__accountName: 'ripostest01', DRY_RUN: 'true' });
    const credential = recordingCredential();
    const automation = await createAutomation(createDeps(config, { logger: silentLogger }), { credential });
    assert.ok(automation.workflows.size > 0);
    await assert.rejects(automation.ticketQueue.send({ kind: 'ticketEvent' }), /no token/);
    await assert.rejects(automation.deliveries.seen('generic', 'evt-1'), /no token/);
    assert.ok(credential.scopes.length >= 2);
  });
});

describe('the client factory path against Azurite', () => {
  let azurite: Azurite;
  before(async () => {
    azurite = await startAzurite({ inMemory: true, ports: 'random' });
  });
  after(async () => {
    await azurite?.stop();
  });

  it('keeps state, deliveries and queue messages through StorageClients', async () => {
    const clients = storageClientsFromConnectionString(azurite.connectionString);
    const state = createTableStateStore(clients, { tablePrefix: `Dep${Date.now() % 1e7}` });
    const end = new Date().toISOString();
    await state.claimWindow('wf', { runId: 'r1', start: '2024-01-01T00:00:00.000Z', end, startedAt: end }, undefined);
    await state.completeWindow('wf', 'r1', end);
    assert.equal((await state.getWatermark('wf')).watermark, end);

    const deliveries = createTableDeliveryLog(clients, `Del${Date.now() % 1e7}`);
    assert.equal(await deliveries.seen('jira', 'e1'), false);
    const claim = await deliveries.claim('jira', 'e1', { deliveryId: 'd1', incidentId: '42' });
    assert.equal(claim.status, 'claimed');
    if (claim.status === 'claimed') await deliveries.markQueued(claim.claim);
    assert.equal(await deliveries.seen('jira', 'e1'), true);

    const name = `dep-${Date.now() % 1e7}`;
    await createTicketQueue(clients, name).send({ hello: 'queue' });
    const peeked = await clients.queue(name).peekMessages({ numberOfMessages: 1 });
    const text = Buffer.from(peeked.peekedMessageItems[0]?.messageText ?? '', 'base64').toString('utf8');
    assert.deepEqual(JSON.parse(text), { hello: 'queue' });
  });
});
