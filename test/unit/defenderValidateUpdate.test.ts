import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateUpdate } from '../../shared/defender/validateUpdate';
import { InputError } from '../../shared/errors';

function fieldOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.code, 'INPUT_INVALID');
    return { field: e.field, message: e.message };
  }
  assert.fail('expected an InputError');
}

describe('validateUpdate', () => {
  it('normalises enum case and aliases', () => {
    assert.deepEqual(
      validateUpdate(
        { status: 'RESOLVED', classification: 'FalsePositive', determination: 'notEnoughDataToValidate' },
        'legacy',
      ),
      { status: 'resolved', classification: 'falsePositive', determination: 'insufficientData' },
    );
    assert.deepEqual(validateUpdate({ severity: 'HIGH', assignedTo: ' a@b.c ' }, 'graph'), {
      severity: 'high',
      assignedTo: 'a@b.c',
    });
  });

  it('allows unassigning with an empty string', () => {
    assert.deepEqual(validateUpdate({ assignedTo: '' }, 'graph'), { assignedTo: '' });
  });

  it('refuses an empty update', () => {
    assert.equal(fieldOf(() => validateUpdate({}, 'graph')).field, 'update');
    assert.equal(fieldOf(() => validateUpdate({ status: undefined }, 'graph')).field, 'update');
  });

  it('refuses a determination without a classification in the same update', () => {
    const e = fieldOf(() => validateUpdate({ determination: 'malware' }, 'graph'));
    assert.equal(e.field, 'determination');
    assert.match(e.message, /needs classification in the same update/);
  });

  it('refuses a determination the classification does not allow, listing the allowed ones', () => {
    const e = fieldOf(() => validateUpdate({ classification: 'falsePositive', determination: 'Malware' }, 'legacy'));
    assert.equal(e.field, 'determination');
    assert.match(
      e.message,
      /not allowed with classification 'falsePositive'; use one of: clean, insufficientData, other/,
    );
    assert.deepEqual(
      validateUpdate(
        { classification: 'informationalExpectedActivity', determination: 'ConfirmedUserActivity' },
        'graph',
      ),
      {
        classification: 'informationalExpectedActivity',
        determination: 'confirmedActivity',
      },
    );
  });

  it('names Graph-only fields on the legacy API', () => {
    for (const field of ['severity', 'displayName', 'description', 'summary', 'resolvingComment']) {
      const e = fieldOf(() => validateUpdate({ [field]: field === 'severity' ? 'high' : 'x' }, 'legacy'));
      assert.equal(e.field, field);
      assert.match(e.message, /only be updated through the Graph API/);
    }
  });

  it('refuses tags.replace combined with add or remove, and empty tag changes', () => {
    assert.equal(
      fieldOf(() => validateUpdate({ tags: { replace: ['a'], add: ['b'] } }, 'graph')).field,
      'tags.replace',
    );
    assert.equal(
      fieldOf(() => validateUpdate({ tags: { replace: ['a'], remove: ['b'] } }, 'legacy')).field,
      'tags.replace',
    );
    assert.equal(fieldOf(() => validateUpdate({ tags: {} }, 'graph')).field, 'tags');
    assert.equal(fieldOf(() => validateUpdate({ tags: { add: ['ok', ' '] } }, 'graph')).field, 'tags.add[1]');
    assert.equal(fieldOf(() => validateUpdate({ tags: { append: ['x'] } }, 'graph')).field, 'tags.append');
    assert.deepEqual(validateUpdate({ tags: { replace: [] } }, 'graph'), { tags: { replace: [] } });
  });

  it('names unknown fields and bad values', () => {
    assert.equal(fieldOf(() => validateUpdate({ stauts: 'active' }, 'graph')).field, 'stauts');
    const s = fieldOf(() => validateUpdate({ status: 'awaitingAction' }, 'graph'));
    assert.equal(s.field, 'status');
    assert.match(s.message, /use one of: active, inProgress, resolved, redirected/);
    assert.equal(fieldOf(() => validateUpdate({ classification: 'unknown' }, 'graph')).field, 'classification');
    assert.equal(fieldOf(() => validateUpdate({ comment: '  ' }, 'graph')).field, 'comment');
    assert.equal(fieldOf(() => validateUpdate({ assignedTo: 5 }, 'graph')).field, 'assignedTo');
    assert.equal(fieldOf(() => validateUpdate(null, 'graph')).field, 'update');
  });
});
