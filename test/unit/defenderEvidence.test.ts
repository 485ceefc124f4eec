// Evidence → AlertEvidence: Graph's evidence types (by @odata.type, fields from the evidence resource pages) and the
// legacy API's devices[] + entities[] give the same typed shape; entities are kept once and merged per incident.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphEvidence, legacyEvidence, mergeEvidence } from '../../shared/defender/evidence';
import { mapGraphIncident, mapLegacyIncident } from '../../shared/defender/mapIncident';

const ev = (type: string, fields: Record<string, unknown>): Record<string, unknown> => ({
  '@odata.type': `#microsoft.graph.security.${type}`,
  verdict: 'malicious',
  roles: [],
  ...fields,
});

describe('Graph evidence', () => {
  it('types users, IPs, URLs and mailboxes, and skips kinds it has no slot for', () => {
    const e = graphEvidence([
      ev('userEvidence', {
        userAccount: {
          accountName: 'megan',
          domainName: 'CONTOSO',
          userSid: 'S-1-5-21-1',
          azureAdUserId: '8e9a7c3b-0000-4000-8000-000000000001',
          userPrincipalName: 'megan@contoso.com',
          displayName: 'Megan Bowen',
        },
        roles: ['compromised'],
      }),
      ev('ipEvidence', { ipAddress: '203.0.113.7', countryLetterCode: 'NL' }),
      ev('urlEvidence', { url: 'https://evil.example/login' }),
      ev('mailboxEvidence', {
        primaryAddress: 'Megan@contoso.com',
        displayName: 'Megan Bowen',
        upn: 'megan@contoso.com',
        userAccount: { azureAdUserId: '8e9a7c3b-0000-4000-8000-000000000001' },
      }),
      ev('analyzedMessageEvidence', {
        urls: ['https://evil.example/login', 'https://other.example'],
        senderIp: '198.51.100.9',
      }),
      ev('registryValueEvidence', { registryKey: 'x' }),
      ev('cloudApplicationEvidence', { appId: 1 }),
      { '@odata.type': 42 },
      null,
    ]);
    assert.deepEqual(e.users, [
      {
        userPrincipalName: 'megan@contoso.com',
        objectId: '8e9a7c3b-0000-4000-8000-000000000001',
        accountName: 'megan',
        domainName: 'CONTOSO',
        userSid: 'S-1-5-21-1',
        displayName: 'Megan Bowen',
        roles: ['compromised'],
        verdict: 'malicious',
      },
    ]);
    assert.deepEqual(e.ips, [
      { ipAddress: '203.0.113.7', countryLetterCode: 'NL', verdict: 'malicious' },
      { ipAddress: '198.51.100.9', countryLetterCode: null, verdict: 'malicious' },
    ]);
    assert.deepEqual(
      e.urls.map((u) => u.url),
      ['https://evil.example/login', 'https://other.example'],
    );
    assert.deepEqual(e.mailboxes, [
      {
        primaryAddress: 'megan@contoso.com',
        userPrincipalName: 'megan@contoso.com',
        displayName: 'Megan Bowen',
        objectId: '8e9a7c3b-0000-4000-8000-000000000001',
        verdict: 'malicious',
      },
    ]);
    assert.deepEqual([e.devices, e.files], [[], []]);
  });
});

describe('legacy evidence', () => {
  it('gives the same shape from devices[] and entities[] (either MailBox spelling, PascalCase verdicts)', () => {
    const e = legacyEvidence(
      [{ mdatpDeviceId: 'abc123', aadDeviceId: null, deviceDnsName: 'WS-FIN-042.contoso.local', riskScore: 'High' }],
      [
        { entityType: 'User', userPrincipalName: 'megan@contoso.com', aadUserId: 'oid-1', accountName: 'megan' },
        { entityType: 'File', sha256: 'AB12', fileName: 'payload.ps1', deviceId: 'abc123', verdict: 'Malicious' },
        { entityType: 'Process', sha256: 'ab12', fileName: 'payload.ps1', deviceId: 'abc123' },
        { entityType: 'Ip', ipAddress: '203.0.113.7' },
        { entityType: 'Url', url: 'https://evil.example' },
        { entityType: 'MailBox', mailboxAddress: 'Megan@contoso.com', mailboxDisplayName: 'Megan' },
        { entityType: 'Mailbox', mailboxAddress: 'shared@contoso.com' },
        { entityType: 'MailMessage', sender: 'x@evil.example' },
      ],
    );
    assert.deepEqual(
      e.devices.map((d) => [d.mdeDeviceId, d.deviceDnsName, d.riskScore]),
      [['abc123', 'ws-fin-042.contoso.local', 'high']],
    );
    assert.deepEqual(
      e.users.map((u) => [u.userPrincipalName, u.objectId]),
      [['megan@contoso.com', 'oid-1']],
    );
    assert.deepEqual(
      e.files.map((f) => [f.sha256, f.fileName, f.mdeDeviceId, f.verdict]),
      [['ab12', 'payload.ps1', 'abc123', 'malicious']],
    );
    assert.deepEqual(
      e.mailboxes.map((m) => m.primaryAddress),
      ['megan@contoso.com', 'shared@contoso.com'],
    );
    assert.deepEqual([e.ips.length, e.urls.length], [1, 1]);
  });
});

describe('incident evidence', () => {
  it('merges every alert’s evidence on both APIs, each entity once', () => {
    const device = ev('deviceEvidence', { mdeDeviceId: 'abc123', deviceDnsName: 'ws1' });
    const graph = mapGraphIncident({
      id: '1',
      alerts: [
        { id: 'a1', evidence: [device, ev('ipEvidence', { ipAddress: '203.0.113.7' })] },
        { id: 'a2', evidence: [device, ev('fileEvidence', { mdeDeviceId: 'abc123', fileDetails: { sha1: 'F1' } })] },
      ],
    });
    assert.deepEqual(
      graph.evidence?.devices.map((d) => d.mdeDeviceId),
      ['abc123'],
    );
    assert.deepEqual(
      graph.evidence?.files.map((f) => f.sha1),
      ['f1'],
    );
    assert.equal(graph.alerts?.[1]?.evidence.devices.length, 1);
    const legacy = mapLegacyIncident({
      incidentId: 2,
      alerts: [
        { alertId: 'l1', devices: [{ mdatpDeviceId: 'abc123' }], entities: [] },
        { alertId: 'l2', devices: [{ mdatpDeviceId: 'abc123', deviceDnsName: 'ws1' }], entities: [] },
      ],
    });
    assert.deepEqual(
      legacy.evidence?.devices.map((d) => [d.mdeDeviceId, d.deviceDnsName]),
      [['abc123', 'ws1']],
    );
    assert.equal(mapGraphIncident({ id: '3' }).evidence, undefined, 'no alerts, no evidence');
    assert.deepEqual(mergeEvidence([]).devices, []);
  });
});
