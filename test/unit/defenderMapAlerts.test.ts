// Incident alerts and their entities from both wire shapes: legacy alerts[].devices[] + entities[] (documented style
// with every key and nulls, live style with null keys left out, §1.3), Graph $expand=alerts with evidence[] (§2.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapGraphIncident, mapLegacyIncident } from '../../shared/defender/mapIncident';
import type { IncidentAlert } from '../../shared/defender/types';

type FlatAlert = Omit<IncidentAlert, 'evidence'>;
/** The flat entity lists (typed evidence is covered by defenderEvidence.test.ts). */
const flat = (alerts: IncidentAlert[] | undefined): FlatAlert[] | undefined =>
  alerts?.map(({ evidence: _evidence, ...rest }) => rest);

const expected: FlatAlert = {
  id: 'da637291085411733957_-1043898914',
  title: 'Suspicious PowerShell command line',
  severity: 'high',
  status: 'inProgress',
  createdDateTime: '2024-05-01T10:00:00Z',
  devices: ['ws-fin-042.contoso.local'],
  users: ['megan@contoso.com', 'svc-backup'],
  ips: ['203.0.113.7'],
  files: [{ name: 'payload.ps1', sha1: 'aa11', sha256: 'bb22' }, { sha256: 'cc33' }],
  mailboxes: ['megan@contoso.com', 'shared@contoso.com'],
};

const legacyIncident = (alerts: unknown): unknown => ({ incidentId: 7, alerts });

describe('legacy alerts', () => {
  it('maps devices[] and entities[] in the documented style (every key, nulls) and the live style (keys left out)', () => {
    const nulls = {
      sha1: null,
      sha256: null,
      fileName: null,
      ipAddress: null,
      accountName: null,
      userPrincipalName: null,
      mailboxAddress: null,
    };
    const alert = {
      alertId: expected.id,
      title: expected.title,
      severity: 'High',
      status: 'InProgress',
      creationTime: expected.createdDateTime,
      devices: [{ deviceDnsName: 'WS-FIN-042.contoso.local' }, { deviceDnsName: null }, { mdatpDeviceId: 'x' }],
      entities: [
        { ...nulls, entityType: 'User', userPrincipalName: 'megan@contoso.com', accountName: 'megan' },
        { ...nulls, entityType: 'User', accountName: 'svc-backup' },
        { entityType: 'Ip', ipAddress: '203.0.113.7' },
        { ...nulls, entityType: 'File', fileName: 'payload.ps1', sha1: 'aa11', sha256: 'bb22' },
        { entityType: 'File', sha256: 'cc33' },
        { ...nulls, entityType: 'File' },
        { ...nulls, entityType: 'MailBox', mailboxAddress: 'megan@contoso.com' },
        { entityType: 'Mailbox', mailboxAddress: 'shared@contoso.com' },
        { entityType: 'Process', fileName: 'powershell.exe', accountName: 'megan' },
        { entityType: 'Url', url: 'http://x' },
        null,
        'junk',
      ],
    };
    const incident = mapLegacyIncident(legacyIncident([alert]));
    assert.deepEqual(flat(incident.alerts), [expected]);
  });

  it('tolerates an alert with no devices, entities or other keys', () => {
    assert.deepEqual(flat(mapLegacyIncident(legacyIncident([{ alertId: 'a1', devices: null }])).alerts), [
      {
        id: 'a1',
        title: '',
        severity: 'unknown',
        status: 'unknown',
        createdDateTime: '',
        devices: [],
        users: [],
        ips: [],
        files: [],
        mailboxes: [],
      },
    ]);
    assert.deepEqual(mapLegacyIncident(legacyIncident([])).alerts, []);
    assert.equal(mapLegacyIncident({ incidentId: 7 }).alerts, undefined);
  });
});

describe('Graph alerts ($expand=alerts)', () => {
  const ev = (type: string, fields: Record<string, unknown>): Record<string, unknown> => ({
    '@odata.type': `#microsoft.graph.security.${type}`,
    verdict: 'suspicious',
    roles: [],
    ...fields,
  });

  it('maps device, user, IP, file and mailbox evidence and ignores the other kinds', () => {
    const alert = {
      '@odata.type': '#microsoft.graph.security.alert',
      id: expected.id,
      title: expected.title,
      severity: 'high',
      status: 'inProgress',
      createdDateTime: expected.createdDateTime,
      evidence: [
        ev('deviceEvidence', { deviceDnsName: 'ws-fin-042.Contoso.local', hostName: 'ws-fin-042' }),
        ev('deviceEvidence', { deviceDnsName: 'WS-FIN-042.contoso.local' }),
        ev('userEvidence', { userAccount: { accountName: 'megan', userPrincipalName: 'megan@contoso.com' } }),
        ev('userEvidence', { userAccount: { accountName: 'svc-backup', userPrincipalName: null } }),
        ev('userEvidence', { userAccount: null }),
        ev('ipEvidence', { ipAddress: '203.0.113.7', countryLetterCode: null }),
        ev('fileEvidence', { fileDetails: { fileName: 'payload.ps1', sha1: 'aa11', sha256: 'bb22', md5: null } }),
        ev('fileEvidence', { fileDetails: { fileName: null, sha1: null, sha256: 'cc33' } }),
        ev('fileEvidence', {}),
        ev('mailboxEvidence', { primaryAddress: 'megan@contoso.com', userAccount: { userPrincipalName: 'x@y' } }),
        ev('mailboxEvidence', { primaryAddress: null, userAccount: { userPrincipalName: 'shared@contoso.com' } }),
        ev('processEvidence', { imageFile: { fileName: 'powershell.exe' }, userAccount: { accountName: 'megan' } }),
        ev('urlEvidence', { url: 'http://x' }),
        { '@odata.type': null },
      ],
    };
    const incident = mapGraphIncident({ id: '2972395', alerts: [alert] });
    assert.deepEqual(flat(incident.alerts), [expected]);
  });

  it('leaves alerts out when the incident was not expanded, and tolerates an alert without evidence', () => {
    assert.equal(mapGraphIncident({ id: '1' }).alerts, undefined);
    const [a] = mapGraphIncident({ id: '1', alerts: [{ id: 'g1', status: 'new', evidence: null }] }).alerts ?? [];
    assert.equal(a?.status, 'new');
    assert.deepEqual([a?.devices, a?.users, a?.files], [[], [], []]);
  });
});
