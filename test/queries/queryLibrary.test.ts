// QueryLibrary.bind: the `let` block it prepends, defaults and nulls, and the InputErrors for unknown, missing and
// malformed parameters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../shared/errors';
import { createQueryLibrary, MAX_BOUND_PARAMS_CHARS, parseQueryFile, QueryFileError } from '../../shared/queries';
import { parseKql } from '../helpers/kqlParser';

const QUERY = `// ---
// name: t
// description: Every type, to test binding.
// params:
//   names: { type: dynamic, items: string, maxItems: 10000, maxLength: 65536 }
//   lookback: { type: timespan, default: 1d }
//   since: { type: datetime, required: false }
//   maxRows: { type: int, required: false }
//   big: { type: long, required: false }
//   ratio: { type: real, required: false }
//   flag: { type: bool, required: false }
//   note: { type: string, required: false }
//   ids: { type: dynamic, items: long, required: false }
// ---
T
| where Name in~ (names) and Timestamp > ago(lookback) and Timestamp > since and isnotnull(maxRows)
| where isnotnull(big) and isnotnull(ratio) and isnotnull(flag) and note == "" and array_length(ids) == 0`;

const def = parseQueryFile(QUERY, 'queries/t.kql');
const library = createQueryLibrary([def]);

function assertInputError(fn: () => unknown, field: string, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof InputError && e.field === field && e.message === message);
}

describe('bind', () => {
  test('one let line per parameter in header order, then the body unchanged', () => {
    const bound = library.bind('t', {
      names: ['a'],
      lookback: 'PT2H',
      since: '2026-11-25T10:00:00Z',
      maxRows: 5,
      big: -7,
      ratio: 0.25,
      flag: true,
      note: 'x',
      ids: [1],
    });
    assert.equal(
      bound,
      [
        'let names = dynamic(["a"]);',
        'let lookback = 2h;',
        'let since = datetime(2026-11-25T10:00:00.0000000Z);',
        'let maxRows = int(5);',
        'let big = long(-7);',
        'let ratio = real(0.25);',
        'let flag = true;',
        'let note = "x";',
        'let ids = dynamic([1]);',
        def.body,
      ].join('\n'),
    );
    assert.deepEqual(parseKql(bound).diagnostics, []);
  });

  test('absent or null values take the default; optional ones without a default bind their type null', () => {
    const expected = [
      'let names = dynamic(["a"]);',
      'let lookback = 1d;',
      'let since = datetime(null);',
      'let maxRows = int(null);',
      'let big = long(null);',
      'let ratio = real(null);',
      'let flag = bool(null);',
      'let note = "";',
      'let ids = dynamic([]);',
      def.body,
    ].join('\n');
    assert.equal(library.bind('t', { names: ['a'] }), expected);
    assert.equal(library.bind('t', { names: ['a'], lookback: null, since: null, ids: undefined }), expected);
    assert.deepEqual(parseKql(expected).diagnostics, []);
  });

  test('inherited properties are not parameter values', () => {
    const values = Object.create({ lookback: '5d' }) as Record<string, unknown>;
    values['names'] = [];
    assert.match(library.bind('t', values), /^let names = dynamic\(\[\]\);\nlet lookback = 1d;/);
  });

  test('unknown query, unknown parameter, missing parameter, wrong shape', () => {
    assertInputError(() => library.bind('nope', {}), 'query', 'Unknown query "nope"; known queries: t');
    assertInputError(
      () => library.bind('t', { names: [], lookbak: '1d' }),
      'params.lookbak',
      'Unknown parameter "lookbak" for query "t" (its parameters: names, lookback, since, maxRows, big, ratio, flag, note, ids)',
    );
    assertInputError(
      () => library.bind('t', JSON.parse('{"names": [], "__proto__": {"x": 1}}') as Record<string, unknown>),
      'params.__proto__',
      'Unknown parameter "__proto__" for query "t" (its parameters: names, lookback, since, maxRows, big, ratio, flag, note, ids)',
    );
    assertInputError(
      () => library.bind('t', {}),
      'params.names',
      'params.names is required (a list of string) by query "t"',
    );
    assertInputError(
      () => library.bind('t', { names: null }),
      'params.names',
      'params.names is required (a list of string) by query "t"',
    );
    assertInputError(
      () => library.bind('t', { names: [], maxRows: '5' }),
      'params.maxRows',
      'params.maxRows must be an integer number (got "5")',
    );
    assertInputError(
      () => library.bind('t', [] as unknown as Record<string, unknown>),
      'params',
      'params must be an object of parameter values (got a list of 0)',
    );
    assertInputError(
      () => library.bind('t', null as unknown as Record<string, unknown>),
      'params',
      'params must be an object of parameter values (got null)',
    );
  });

  test('the bound values as a whole are capped', () => {
    const names = Array.from({ length: 20 }, () => 'x'.repeat(60_000));
    assertInputError(
      () => library.bind('t', { names }),
      'params',
      `params are too large: the bound values exceed ${MAX_BOUND_PARAMS_CHARS} characters`,
    );
  });
});

describe('createQueryLibrary', () => {
  test('names are sorted and returned as a copy; get finds definitions', () => {
    const other = parseQueryFile(QUERY.replace('name: t', 'name: a'), 'a.kql');
    const lib = createQueryLibrary([def, other]);
    const names = lib.names();
    assert.deepEqual(names, ['a', 't']);
    names.push('x');
    assert.deepEqual(lib.names(), ['a', 't']);
    assert.equal(lib.get('a'), other);
    assert.equal(lib.get('missing'), undefined);
  });

  test('duplicate names are a QueryFileError', () => {
    assert.throws(
      () => createQueryLibrary([def, def]),
      (e: unknown) =>
        e instanceof QueryFileError && e.message === 'Invalid query file: queries/t.kql: duplicate query name "t"',
    );
  });
});
