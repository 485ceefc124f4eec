import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classificationToWire,
  determinationFromWire,
  determinationToWire,
  parseClassification,
  parseDetermination,
  parseSeverity,
  parseStatus,
  severityFromWire,
  statusFromWire,
  statusToWire,
} from '../../shared/defender/enums';
import { CLASSIFICATIONS, DETERMINATIONS, INCIDENT_STATUSES } from '../../shared/defender/types';

describe('enum parsing', () => {
  it('accepts any case and spacing', () => {
    assert.equal(parseStatus('INPROGRESS'), 'inProgress');
    assert.equal(parseStatus('in progress'), 'inProgress');
    assert.equal(parseStatus('in_progress'), 'inProgress');
    assert.equal(parseClassification('TRUEPOSITIVE'), 'truePositive');
    assert.equal(parseSeverity('High'), 'high');
  });
  it('maps documented aliases to one domain value', () => {
    assert.equal(parseDetermination('compromisedUser'), 'compromisedAccount');
    assert.equal(parseDetermination('CompromisedAccount'), 'compromisedAccount');
    assert.equal(parseDetermination('notMalicious'), 'clean');
    assert.equal(parseDetermination('NotEnoughDataToValidate'), 'insufficientData');
    assert.equal(parseDetermination('NoEnoughDataToValidate'), 'insufficientData');
    assert.equal(parseDetermination('InsufficientData'), 'insufficientData');
    assert.equal(parseDetermination('ConfirmedUserActivity'), 'confirmedActivity');
  });
  it('returns undefined for unknown input, and unknown for unknown wire values', () => {
    assert.equal(parseStatus('open'), undefined);
    assert.equal(parseDetermination(42), undefined);
    assert.equal(statusFromWire('somethingNew'), 'unknown');
    assert.equal(statusFromWire('unknownFutureValue'), 'unknown');
    assert.equal(severityFromWire('UnSpecified'), 'unknown');
    assert.equal(determinationFromWire('NotAvailable'), 'unknown');
    assert.equal(determinationFromWire('Apt'), 'apt');
  });
});

describe('enum values on the wire', () => {
  it('legacy: PascalCase with the update page spellings', () => {
    assert.equal(statusToWire('inProgress', 'legacy'), 'InProgress');
    assert.equal(classificationToWire('informationalExpectedActivity', 'legacy'), 'InformationalExpectedActivity');
    assert.equal(determinationToWire('compromisedAccount', 'legacy'), 'CompromisedAccount');
    assert.equal(determinationToWire('confirmedActivity', 'legacy'), 'ConfirmedActivity');
    assert.equal(determinationToWire('insufficientData', 'legacy'), 'NoEnoughDataToValidate');
    assert.equal(determinationToWire('clean', 'legacy'), 'Clean');
  });
  it('graph: the resource enum members, camelCase', () => {
    assert.equal(statusToWire('inProgress', 'graph'), 'inProgress');
    assert.equal(determinationToWire('compromisedAccount', 'graph'), 'compromisedUser');
    assert.equal(determinationToWire('insufficientData', 'graph'), 'insufficientData');
    assert.equal(determinationToWire('clean', 'graph'), 'clean');
  });
  it('round-trips every updatable value through both backends', () => {
    for (const backend of ['graph', 'legacy'] as const) {
      for (const d of DETERMINATIONS) assert.equal(parseDetermination(determinationToWire(d, backend)), d);
      for (const c of CLASSIFICATIONS) assert.equal(parseClassification(classificationToWire(c, backend)), c);
      for (const s of INCIDENT_STATUSES) assert.equal(parseStatus(statusToWire(s, backend)), s);
    }
  });
});
