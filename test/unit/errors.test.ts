import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AxiosError } from 'axios';
import { DefenderApiError, InputError, isAppError, toError } from '../../shared/errors';

describe('isAppError', () => {
  it('recognises our errors and their codes', () => {
    const e = new DefenderApiError('x', { status: 429, method: 'GET', path: '/security/incidents' });
    assert.equal(isAppError(e), true);
    assert.equal(e.code, 'DEFENDER_THROTTLED');
    assert.equal(e.name, 'DefenderApiError');
    assert.equal(isAppError(new InputError('status', 'bad')), true);
  });

  it('does not mistake errors that merely carry a string code for ours', () => {
    assert.equal(isAppError(new AxiosError('boom', 'ECONNRESET')), false);
    const sys = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', name: 'SystemError' });
    assert.equal(isAppError(sys), false);
  });

  it('accepts a same-named error from another copy of the module', () => {
    const foreign = Object.assign(new Error('bad field'), { name: 'InputError', code: 'INPUT_INVALID', field: 'x' });
    assert.equal(isAppError(foreign), true);
  });
});

describe('toError', () => {
  it('wraps non-errors without losing their text', () => {
    assert.equal(toError('plain').message, 'plain');
    assert.equal(toError({ a: 1 }).message, '{"a":1}');
    const e = new Error('same');
    assert.equal(toError(e), e);
  });
});
