// Microsoft's documented Graph alerts_v2 examples (fixtures/graph/security-*alert*) fed to Riposte's real clients
// through the vendor double: what Riposte makes of the documented answers (the Alert and its typed evidence) and what
// it sends (the documented request shapes). fixtures/INDEX.md names each page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox';
import { loadConfig } from '../../shared/config';
import type { AlertsClient } from '../../shared/defender/alertTypes';
import { createDeps } from '../../shared/deps';
import { silentLogger } from '../../shared/logger';
import { fixtureJson } from './fixtures';
import { startVendorDouble, type VendorDouble } from './vendorDouble';

let sandbox: Sandbox;
let vendor: VendorDouble;
let caDir: string;

before(async () => {
  caDir = mkdtempSync(join(tmpdir(), 'riposte-contract-ca-'));
  sandbox = await startSandbox({ rateLimits: false, dataDir: caDir, persistCa: true });
  vendor = await startVendorDouble(sandbox, caDir);
});
after(async () => {
  await vendor?.close();
  await sandbox?.close();
  rmSync(caDir, { recursive: true, force: true });
});
beforeEach(() => vendor.clear());

function alerts(): AlertsClient {
  const settings: Record<string, string> = {
    ...sandbox.settings('graph'),
    AUTHORITY_HOST: vendor.url,
    KEY_VAULT_URL: vendor.url,
    DEFENDER_API_BASE_URL: `${vendor.url}/v1.0`,
    MAX_RETRIES: '0',
  };
  process.env.IDENTITY_ENDPOINT = sandbox.identityEndpoint;
  process.env.IDENTITY_HEADER = sandbox.identityHeader;
  const client = createDeps(loadConfig(settings), { logger: silentLogger }).defender.alerts;
  assert.ok(client);
  return client;
}

const sent = (method: string) =>
  vendor.received().filter((r) => r.method === method && r.path.startsWith('/v1.0/security/alerts_v2'));

const DEVICE = '73e7e2de709dff64ef64b1d0c30e67fab63279db';
const SHA256 = '8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec';

describe('Graph alerts_v2 examples', () => {
  it('GET alert: the documented example maps to the alert and its evidence, typed', async () => {
    const body = fixtureJson('graph/security-alert-get.json');
    vendor.answer({
      method: 'GET',
      path: /^\/v1\.0\/security\/alerts_v2\/da637578995287051192_756343937$/,
      status: 200,
      body,
    });
    const a = await alerts().getAlert('da637578995287051192_756343937');
    assert.equal(a.incidentId, '28282');
    assert.deepEqual([a.status, a.severity, a.classification, a.determination], ['new', 'low', 'unknown', 'unknown']);
    assert.equal(a.serviceSource, 'microsoftDefenderForEndpoint');
    assert.deepEqual(a.mitreTechniques, ['T1564.001']);
    // deviceEvidence, plus the same device named by the file's and the process's mdeDeviceId: one device.
    assert.deepEqual(a.evidence.devices, [
      {
        mdeDeviceId: DEVICE,
        azureAdDeviceId: null,
        deviceDnsName: 'tempdns',
        osPlatform: 'Windows10',
        riskScore: 'medium',
        healthStatus: 'active',
        roles: ['compromised'],
        verdict: 'unknown',
      },
    ]);
    // fileEvidence and the process's imageFile are the same file (same sha256): one file.
    assert.deepEqual(a.evidence.files, [
      {
        sha1: '5f1e8acedc065031aad553b710838eb366cfee9a',
        sha256: SHA256,
        md5: null,
        fileName: 'MsSense.exe',
        filePath: 'C:\\Program Files\\temp',
        fileSize: 6136392,
        mdeDeviceId: DEVICE,
        detectionStatus: 'detected',
        verdict: 'unknown',
      },
    ]);
    const req = sent('GET').at(-1);
    assert.equal(req?.headers.prefer, 'include-unknown-enum-members', 'asks for Defender for Cloud enum members');
    assert.match(String(req?.headers.authorization), /^Bearer /);
    // The process ran as SYSTEM (no UPN, no Entra id): not a user anyone can act on; registry evidence is not kept.
    assert.deepEqual([a.evidence.users, a.evidence.ips, a.evidence.urls, a.evidence.mailboxes], [[], [], [], []]);
  });

  it('List alerts_v2: the documented collection is read, paging by its (absent) nextLink', async () => {
    const body = fixtureJson('graph/security-list-alerts_v2.json');
    vendor.answer({ method: 'GET', path: /^\/v1\.0\/security\/alerts_v2\?/, status: 200, body });
    const listed: string[] = [];
    for await (const a of alerts().listAlerts({ status: ['new'] })) listed.push(a.id);
    assert.deepEqual(listed, ['da637551227677560813_-961444813']);
    const req = sent('GET').at(-1);
    assert.ok(req);
    const q = new URL(req.path, 'https://x').searchParams;
    assert.equal(q.get('$filter'), "(status eq 'new')", req.path);
    assert.equal(q.get('$top'), '100', 'the page size the list page itself asks for');
  });

  it('PATCH alert: sends the documented request shape; maps the documented answer', async () => {
    const body = fixtureJson('graph/security-alert-update-response.json');
    const documented = fixtureJson('graph/security-alert-update-request.json');
    vendor.answer({
      method: 'PATCH',
      path: /^\/v1\.0\/security\/alerts_v2\/da637551227677560813_-961444813$/,
      status: 200,
      body,
    });
    const a = await alerts().updateAlert('da637551227677560813_-961444813', {
      assignedTo: 'secAdmin@contoso.onmicrosoft.com',
      classification: 'truePositive',
      determination: 'malware',
      status: 'inProgress',
    });
    assert.deepEqual(
      [a.status, a.assignedTo, a.classification, a.determination],
      ['inProgress', 'secAdmin@contoso.onmicrosoft.com', 'truePositive', 'malware'],
    );
    const req = sent('PATCH').at(-1);
    assert.ok(req);
    assert.deepEqual(JSON.parse(req.body), documented);
  });

  it('POST comment: sends the documented body; reads the documented answer (every comment)', async () => {
    const body = fixtureJson('graph/security-alert-post-comments-response.json');
    vendor.answer({
      method: 'POST',
      path: /^\/v1\.0\/security\/alerts_v2\/da637865765418431569_-773071023\/comments$/,
      status: 200,
      body,
    });
    const comments = await alerts().addAlertComment('da637865765418431569_-773071023', 'Demo for docs');
    assert.deepEqual(comments, [
      { comment: 'test', createdBy: 'secAdmin@contoso.com', createdDateTime: '2022-10-13T07:08:30.1606766Z' },
      { comment: 'Demo for docs', createdBy: 'secAdmin@contoso.com', createdDateTime: '2022-10-13T07:08:40.3825324Z' },
    ]);
    const req = sent('POST').at(-1);
    assert.deepEqual(JSON.parse(req?.body ?? ''), {
      '@odata.type': 'microsoft.graph.security.alertComment',
      comment: 'Demo for docs',
    });
  });
});
