import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareRoutes, compileRoute } from '../../host/routeTemplate';
import { hostConfigFrom, resolveSettingRefs } from '../../host/hostConfig';
import { parseTimeSpan } from '../../host/timeSpan';

describe('compileRoute', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    const r = compileRoute('Users/{id}/Profile');
    assert.deepEqual(r.match('/users/a%20b/PROFILE'), { id: 'a b' });
    assert.equal(r.match('/users/x'), null);
    assert.equal(r.match('/users/x/profile/more'), null);
  });

  it('leaves out trailing optional parameters and applies defaults', () => {
    assert.deepEqual(compileRoute('hello/{name?}').match('/hello'), {});
    assert.deepEqual(compileRoute('page/{n=1}').match('/page/'), { n: '1' });
    assert.equal(compileRoute('a/{b}').match('/a'), null);
  });

  it('captures the rest of the path with a catch-all', () => {
    const r = compileRoute('files/{*path}');
    assert.deepEqual(r.match('/files/a/b%2Fc/d.txt'), { path: 'a/b/c/d.txt' });
    assert.deepEqual(r.match('/files'), {});
    assert.throws(() => compileRoute('{*a}/b'), /last segment/);
  });

  it('checks inline constraints', () => {
    assert.deepEqual(compileRoute('items/{id:int}').match('/items/-42'), { id: '-42' });
    assert.equal(compileRoute('items/{id:int}').match('/items/4x'), null);
    assert.equal(compileRoute('n/{v:range(1,5)}').match('/n/6'), null);
    assert.deepEqual(compileRoute('n/{v:range(1,5)}').match('/n/5'), { v: '5' });
    assert.deepEqual(compileRoute('s/{v:regex(^ab+$)}').match('/s/ABB'), { v: 'ABB' });
    assert.equal(compileRoute('g/{v:guid}').match('/g/nope'), null);
    assert.throws(() => compileRoute('x/{v:bogus}'), /unknown route constraint/);
  });

  it('splits complex segments', () => {
    assert.deepEqual(compileRoute('dl/{name}.{ext}').match('/dl/report.v2.pdf'), { name: 'report', ext: 'v2.pdf' });
  });

  it('orders literal before constrained before plain before catch-all', () => {
    const routes = ['items/{*rest}', 'items/{name}', 'items/{id:int}', 'items/new'].map(compileRoute);
    assert.deepEqual(
      routes.sort(compareRoutes).map((r) => r.template),
      ['items/new', 'items/{id:int}', 'items/{name}', 'items/{*rest}'],
    );
  });
});

describe('host settings', () => {
  it('parses TimeSpans and applies host.json defaults', () => {
    assert.equal(parseTimeSpan('00:05:00'), 300_000);
    assert.equal(parseTimeSpan('1.02:00:00.5'), 93_600_500);
    assert.throws(() => parseTimeSpan('5 minutes'), /TimeSpan/);
    const d = hostConfigFrom({});
    assert.equal(d.functionTimeoutMs, 300_000);
    assert.equal(d.routePrefix, 'api');
    assert.deepEqual(d.queues, {
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 60_000,
      messageEncoding: 'base64',
    });
    assert.equal(hostConfigFrom({ functionTimeout: '-1' }).functionTimeoutMs, null);
    assert.equal(hostConfigFrom({ extensions: { http: { routePrefix: '' } } }).routePrefix, '');
    assert.throws(() => hostConfigFrom({ extensions: { queues: { batchSize: 64 } } }), /batchSize/);
  });

  it('resolves %Setting% references and names the missing one', () => {
    const lookup = (n: string) => ({ A: 'x', B: 'y' })[n];
    assert.equal(resolveSettingRefs('%A%-%B%', lookup), 'x-y');
    assert.throws(() => resolveSettingRefs('%C%', lookup), /'%C%' does not resolve/);
  });
});
