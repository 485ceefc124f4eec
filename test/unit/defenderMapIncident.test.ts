import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapGraphIncident, mapHuntingResult, mapLegacyIncident } from '../../shared/defender/mapIncident';
import { AppError } from '../../shared/errors';

// Shapes as documented (defender-api.md §1.3 and §2.2), trimmed.
const legacyWire = {
  incidentId: 924565,
  incidentUri: 'https://security.microsoft.com/incidents/924565?tid=t',
  redirectIncidentId: null,
  incidentName: 'Ransomware activity',
  createdTime: '2020-09-06T14:46:57.073Z',
  lastUpdateTime: '2020-09-06T14:46:57.29Z',
  assignedTo: null,
  classification: 'Unknown',
  determination: 'NotAvailable',
  status: 'InProgress',
  severity: 'UnSpecified',
  tags: ['Demo'],
  comments: [{ comment: 'checked', createdBy: 'secop2@contoso.com', createdTime: '2021-01-26T01:00:37.8404534Z' }],
  alerts: [],
};

const graphWire = {
  '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#security/incidents/$entity',
  id: '2972395',
  incidentWebUrl: 'https://security.microsoft.com/incidents/2972395?tid=t',
  redirectIncidentId: null,
  displayName: 'Multi-stage incident',
  tenantId: 't',
  createdDateTime: '2021-08-13T08:43:35.5533333Z',
  lastUpdateDateTime: '2021-09-30T09:35:45.1133333Z',
  assignedTo: 'KaiC@contoso.onmicrosoft.com',
  classification: 'truePositive',
  determination: 'compromisedUser',
  status: 'active',
  severity: 'medium',
  customTags: ['Demo'],
  systemTags: ['Defender Experts'],
  description: 'd',
  comments: [
    {
      comment: 'Demo incident',
      createdByDisplayName: 'DavidS@contoso.onmicrosoft.com',
      createdDateTime: '2021-09-30T12:07:37.2756993Z',
    },
  ],
};

describe('mapLegacyIncident', () => {
  it('maps the PascalCase entity to the domain', () => {
    assert.deepEqual(mapLegacyIncident(legacyWire), {
      id: '924565',
      displayName: 'Ransomware activity',
      status: 'inProgress',
      severity: 'unknown',
      classification: 'unknown',
      determination: 'unknown',
      assignedTo: null,
      tags: ['Demo'],
      systemTags: [],
      createdDateTime: '2020-09-06T14:46:57.073Z',
      lastUpdateDateTime: '2020-09-06T14:46:57.29Z',
      webUrl: 'https://security.microsoft.com/incidents/924565?tid=t',
      redirectIncidentId: null,
      description: null,
      comments: [
        { comment: 'checked', createdBy: 'secop2@contoso.com', createdDateTime: '2021-01-26T01:00:37.8404534Z' },
      ],
      alerts: [],
      evidence: { devices: [], users: [], files: [], ips: [], urls: [], mailboxes: [] },
    });
  });
  it('tolerates omitted keys and reads legacy determination spellings', () => {
    const i = mapLegacyIncident({
      incidentId: 7,
      determination: 'NoEnoughDataToValidate',
      classification: 'FalsePositive',
    });
    assert.equal(i.id, '7');
    assert.equal(i.determination, 'insufficientData');
    assert.equal(i.classification, 'falsePositive');
    assert.deepEqual(i.tags, []);
    assert.deepEqual(i.comments, []);
  });
  it('refuses an entity without an id', () => {
    assert.throws(() => mapLegacyIncident({ incidentName: 'x' }), AppError);
  });
});

describe('mapGraphIncident', () => {
  it('maps the camelCase resource to the domain', () => {
    const i = mapGraphIncident(graphWire);
    assert.equal(i.id, '2972395');
    assert.equal(i.determination, 'compromisedAccount');
    assert.equal(i.classification, 'truePositive');
    assert.equal(i.severity, 'medium');
    assert.deepEqual(i.tags, ['Demo']);
    assert.deepEqual(i.systemTags, ['Defender Experts']);
    assert.equal(i.webUrl, graphWire.incidentWebUrl);
    assert.deepEqual(i.comments, [
      {
        comment: 'Demo incident',
        createdBy: 'DavidS@contoso.onmicrosoft.com',
        createdDateTime: '2021-09-30T12:07:37.2756993Z',
      },
    ]);
  });
});

describe('mapHuntingResult', () => {
  it('normalises Graph (camelCase) and legacy (PascalCase, Stats) to one shape', () => {
    const graph = mapHuntingResult({
      schema: [{ name: 'Timestamp', type: 'DateTime' }],
      results: [{ Timestamp: '2024-01-01T00:00:00Z' }],
    });
    const legacy = mapHuntingResult({
      Stats: { ExecutionTime: 0.09 },
      Schema: [{ Name: 'Timestamp', Type: 'DateTime' }],
      Results: [{ Timestamp: '2024-01-01T00:00:00Z' }],
    });
    assert.deepEqual(graph, {
      schema: [{ name: 'Timestamp', type: 'DateTime' }],
      rows: [{ Timestamp: '2024-01-01T00:00:00Z' }],
    });
    assert.deepEqual(legacy, { ...graph, stats: { ExecutionTime: 0.09 } });
  });
  it('normalises in place: the rows are the wire’s own array and objects, not a copy (up to 100,000 rows)', () => {
    const results: unknown[] = [{ a: 1 }, 'not a row', { b: 2 }];
    const first = results[0];
    const r = mapHuntingResult({ schema: [], results });
    assert.equal(r.rows, results);
    assert.equal(r.rows[0], first);
    assert.deepEqual(r.rows, [{ a: 1 }, {}, { b: 2 }]);
  });

  it('refuses a body that is not a hunting result', () => {
    assert.throws(() => mapHuntingResult({ value: [] }), /without schema or results/);
  });
});
