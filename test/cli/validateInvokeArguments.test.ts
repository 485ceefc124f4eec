// riposte validate and Defender's documented invoke functions: a bare column name in their arguments
// (`| invoke FileProfile(InitiatingProcessSHA256)`, as hunters write it) is resolved by Defender against the piped
// table, so it is not an error; a name that is no column anywhere still is, and so is everything outside the call.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPlainQuery } from '../../cli/kql/checkQueries';

const errors = (text: string) =>
  checkPlainQuery('q.kql', text)
    .filter((f) => f.severity === 'error')
    .map((f) => `${f.line}:${f.column} ${f.code} ${f.message}`);

describe('riposte validate: invoke FileProfile()/DeviceFromIP()/SeenBy() arguments', () => {
  it('accepts a column of the piped table as the argument', () => {
    assert.deepEqual(errors('DeviceEvents\n| take 3\n| invoke FileProfile(InitiatingProcessSHA256, 500)'), []);
    assert.deepEqual(errors('DeviceNetworkEvents\n| invoke DeviceFromIP(RemoteIP)'), []);
  });

  it('still reports a name that is no column, and unknown names outside the call', () => {
    assert.match(
      errors('DeviceEvents\n| invoke FileProfile(NotAColumnAnywhere)').join('\n'),
      /^2:\d+ KS142 .*NotAColumnAnywhere/,
    );
    assert.match(
      errors('DeviceEvents\n| where InitiatingProcessSHA256x == 1\n| invoke FileProfile(SHA1)').join('\n'),
      /^2:\d+ KS142 .*InitiatingProcessSHA256x/,
    );
  });
});
