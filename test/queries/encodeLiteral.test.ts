// encodeKqlLiteral and kqlStringLiteral: the literal each type produces, and the exact InputError each wrong value
// gives. Literals are also decoded by Microsoft's parser, so "right" means "means the same to Kusto".
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../shared/errors';
import { encodeKqlLiteral, kqlStringLiteral, type QueryParamDef } from '../../shared/queries';
import { parseKql, type KqlValue } from '../helpers/kqlParser';

const def = (type: QueryParamDef['type'], extra: Partial<QueryParamDef> = {}): QueryParamDef => ({
  name: 'p',
  type,
  required: true,
  ...extra,
});

/** The parser's decoded value of a literal. */
function decoded(literal: string): KqlValue | undefined {
  const parsed = parseKql(`let p = ${literal};\nT | take 1`);
  assert.deepEqual(parsed.diagnostics, [], literal);
  return parsed.lets[0]?.value;
}

function assertInputError(fn: () => unknown, field: string, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.code, 'INPUT_INVALID');
    assert.equal(e.field, field);
    assert.equal(e.message, message);
    return true;
  });
}

describe('kqlStringLiteral', () => {
  test('escapes backslash first, then quotes and line breaks', () => {
    assert.equal(kqlStringLiteral('a\\"b'), '"a\\\\\\"b"');
    assert.equal(kqlStringLiteral('x\r\n\ty'), '"x\\r\\n\\ty"');
    assert.equal(kqlStringLiteral("it's"), `"it's"`);
    assert.equal(kqlStringLiteral(''), '""');
  });

  test('escapes other controls, DEL, U+2028/2029 and unpaired surrogates as \\uXXXX; leaves the rest', () => {
    assert.equal(kqlStringLiteral('\u0000\u001b\u007f\u2028\u2029'), '"\\u0000\\u001b\\u007f\\u2028\\u2029"');
    assert.equal(kqlStringLiteral('\ud800x\udc00'), '"\\ud800x\\udc00"');
    assert.equal(kqlStringLiteral('😀 | ; // ``` @" h\' \u202e'), '"😀 | ; // ``` @\\" h\' \u202e"');
  });

  test('every UTF-16 code unit, in one literal, decodes back exactly and stays on one line', () => {
    let all = '';
    for (let c = 0; c < 0x10000; c++) all += String.fromCharCode(c);
    all += '\u{1F600}\u{10FFFF}';
    const literal = kqlStringLiteral(all);
    assert.doesNotMatch(literal, /[\r\n\u2028\u2029]/);
    assert.equal(decoded(literal), all);
  });
});

describe('encodeKqlLiteral: accepted values', () => {
  test('string', () => {
    assert.equal(encodeKqlLiteral(def('string'), 'a"b'), '"a\\"b"');
  });

  test('int and long: integers only, digits emitted', () => {
    assert.equal(encodeKqlLiteral(def('int'), 5), 'int(5)');
    assert.equal(encodeKqlLiteral(def('int'), -2147483648), 'int(-2147483648)');
    assert.equal(encodeKqlLiteral(def('long'), 9007199254740991), '9007199254740991');
    assert.equal(encodeKqlLiteral(def('long'), -42), 'long(-42)');
    assert.equal(encodeKqlLiteral(def('long'), -0), '0');
    assert.equal(decoded('int(-2147483648)'), -2147483648);
    assert.equal(decoded('long(-42)'), -42n);
  });

  test('real, bool', () => {
    assert.equal(encodeKqlLiteral(def('real'), 0.5), 'real(0.5)');
    assert.equal(encodeKqlLiteral(def('real'), 1e21), 'real(1e+21)');
    assert.equal(decoded('real(1e+21)'), 1e21);
    assert.equal(encodeKqlLiteral(def('bool'), true), 'true');
    assert.equal(encodeKqlLiteral(def('bool'), false), 'false');
  });

  test('datetime: ISO 8601 with a zone, normalised to UTC with 7 fractional digits', () => {
    const cases: Array<[string | Date, string]> = [
      ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.0000000Z'],
      ['2026-11-25T10:00Z', '2026-11-25T10:00:00.0000000Z'],
      ['2026-11-25T11:30:00.1234567+01:30', '2026-11-25T10:00:00.1234567Z'],
      ['2026-12-31T23:00:00-02:00', '2027-01-01T01:00:00.0000000Z'],
      ['2026-11-25', '2026-11-25T00:00:00.0000000Z'],
      ['2024-02-29T00:00:00.5Z', '2024-02-29T00:00:00.5000000Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.0000000Z'],
      ['9999-12-31T23:59:59.9999999Z', '9999-12-31T23:59:59.9999999Z'],
      [new Date('2026-11-25T10:00:00.123Z'), '2026-11-25T10:00:00.1230000Z'],
    ];
    for (const [input, utc] of cases) {
      const literal = encodeKqlLiteral(def('datetime'), input);
      assert.equal(literal, `datetime(${utc})`);
      assert.equal((decoded(literal) as Date).getTime(), Date.parse(utc.slice(0, 23) + 'Z'), literal);
    }
  });

  test('timespan: KQL and ISO 8601 forms, emitted in the largest exact unit', () => {
    const cases: Array<[string, string, bigint]> = [
      ['1d', '1d', 864_000_000_000n],
      ['90m', '90m', 54_000_000_000n],
      ['1.5h', '90m', 54_000_000_000n],
      ['2h', '2h', 72_000_000_000n],
      ['30s', '30s', 300_000_000n],
      ['120min', '2h', 72_000_000_000n],
      ['1500ms', '1500ms', 15_000_000n],
      ['10microsecond', '100tick', 100n],
      ['78813microsecond', '788130tick', 788_130n],
      ['7tick', '7tick', 7n],
      ['3days', '3d', 2_592_000_000_000n],
      ['0s', '0s', 0n],
      ['PT1H', '1h', 36_000_000_000n],
      ['P7D', '7d', 6_048_000_000_000n],
      ['P1W', '7d', 6_048_000_000_000n],
      ['P1DT12H', '36h', 1_296_000_000_000n],
      ['PT1M30.5S', '90500ms', 905_000_000n],
      ['PT0.0000001S', '1tick', 1n],
    ];
    for (const [input, literal, ticks] of cases) {
      assert.equal(encodeKqlLiteral(def('timespan'), input), literal, input);
      assert.deepEqual(decoded(literal), { ticks }, input);
    }
  });

  test('dynamic lists of each item type', () => {
    assert.equal(encodeKqlLiteral(def('dynamic', { items: 'string' }), ['a', 'b"c']), 'dynamic(["a", "b\\"c"])');
    assert.equal(encodeKqlLiteral(def('dynamic', { items: 'string' }), []), 'dynamic([])');
    assert.equal(encodeKqlLiteral(def('dynamic', { items: 'long' }), [1, -2]), 'dynamic([1, -2])');
    assert.equal(encodeKqlLiteral(def('dynamic', { items: 'real' }), [2, 0.5]), 'dynamic([2.0, 0.5])');
    assert.equal(encodeKqlLiteral(def('dynamic', { items: 'bool' }), [true, false]), 'dynamic([true, false])');
    assert.deepEqual(decoded('dynamic([1, -2])'), [1n, -2n]);
    assert.deepEqual(decoded('dynamic([2.0, 0.5])'), [2, 0.5]);
  });
});

describe('encodeKqlLiteral: wrong values are InputErrors naming the field', () => {
  test('string', () => {
    assertInputError(() => encodeKqlLiteral(def('string'), 5), 'params.p', 'params.p must be a string (got number 5)');
    assertInputError(
      () => encodeKqlLiteral(def('string'), ['a']),
      'params.p',
      'params.p must be a string (got a list of 1)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('string'), 'a'.repeat(4097)),
      'params.p',
      'params.p is too long: 4097 characters, at most 4096 allowed',
    );
    assertInputError(
      () => encodeKqlLiteral(def('string', { maxLength: 3 }), 'abcd'),
      'params.p',
      'params.p is too long: 4 characters, at most 3 allowed',
    );
    assertInputError(
      () => encodeKqlLiteral(def('string'), 'ab\u0000'),
      'params.p',
      'params.p must not contain NUL (U+0000) characters (found at index 2)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('string'), 'x\ud800'),
      'params.p',
      'params.p contains an unpaired UTF-16 surrogate at index 1 (not valid Unicode)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('string', { pattern: '[0-9a-f]{40}' }), 'zz'),
      'params.p',
      'params.p does not match the pattern this query requires: [0-9a-f]{40} (got "zz")',
    );
  });

  test('the pattern must match the whole value', () => {
    assert.throws(() => encodeKqlLiteral(def('string', { pattern: '[a-z]+' }), 'abc"def'), InputError);
    assert.throws(() => encodeKqlLiteral(def('string', { pattern: 'a|b' }), 'ab'), InputError);
  });

  test('int and long', () => {
    assertInputError(
      () => encodeKqlLiteral(def('int'), '5'),
      'params.p',
      'params.p must be an integer number (got "5")',
    );
    assertInputError(
      () => encodeKqlLiteral(def('int'), 1.5),
      'params.p',
      'params.p must be a whole number (got number 1.5)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('int'), 2147483648),
      'params.p',
      'params.p is out of range for int (-2147483648 to 2147483647; got 2147483648)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('int'), NaN),
      'params.p',
      'params.p must be a whole number (got number NaN)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('long'), 2 ** 53),
      'params.p',
      'params.p is out of the exactly representable range for long (±9007199254740991; got 9007199254740992)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('long'), 10n),
      'params.p',
      'params.p must be an integer number (got bigint 10)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('int', { min: 1, max: 10 }), 0),
      'params.p',
      'params.p must be at least 1 (got 0)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('int', { min: 1, max: 10 }), 11),
      'params.p',
      'params.p must be at most 10 (got 11)',
    );
  });

  test('real and bool', () => {
    assertInputError(
      () => encodeKqlLiteral(def('real'), Infinity),
      'params.p',
      'params.p must be a finite number (got Infinity)',
    );
    assertInputError(() => encodeKqlLiteral(def('real'), '0.5'), 'params.p', 'params.p must be a number (got "0.5")');
    assertInputError(
      () => encodeKqlLiteral(def('bool'), 'true'),
      'params.p',
      'params.p must be true or false (got "true")',
    );
    assertInputError(
      () => encodeKqlLiteral(def('bool'), 1),
      'params.p',
      'params.p must be true or false (got number 1)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('bool'), null),
      'params.p',
      'params.p must be true or false (got null)',
    );
  });

  test('datetime', () => {
    const cases: Array<[unknown, string]> = [
      [
        '2026-11-25T10:00:00',
        'needs a time zone: end it with "Z" or an offset like "+01:00" (got "2026-11-25T10:00:00")',
      ],
      ['2026-02-30T10:00:00Z', 'is not a valid calendar date and time (got "2026-02-30T10:00:00Z")'],
      ['2026-11-25T24:00:00Z', 'is not a valid calendar date and time (got "2026-11-25T24:00:00Z")'],
      ['2026-11-25T23:59:60Z', 'is not a valid calendar date and time (got "2026-11-25T23:59:60Z")'],
      [
        '2026-11-25T10:00:00.12345678Z',
        'has more than 7 fractional-second digits (KQL datetimes have 100 ns resolution) (got "2026-11-25T10:00:00.12345678Z")',
      ],
      ['2026-11-25T10:00:00+25:00', 'has an invalid UTC offset (got "2026-11-25T10:00:00+25:00")'],
      [
        '0001-01-01T00:00:00+01:00',
        'is outside the KQL datetime range (years 0001 to 9999) (got "0001-01-01T00:00:00+01:00")',
      ],
      [
        'Wed, 25 Nov 2026 10:00:00 GMT',
        'must be an ISO 8601 date-time like "2026-11-25T10:00:00Z" (got "Wed, 25 Nov 2026 10:00:00 GMT")',
      ],
      [
        '2026-11-25T10:00:00Z) | take 1 //',
        'must be an ISO 8601 date-time like "2026-11-25T10:00:00Z" (got "2026-11-25T10:00:00Z) | take 1 //")',
      ],
      [
        '2026-11-25 10:00:00Z',
        'must be an ISO 8601 date-time like "2026-11-25T10:00:00Z" (got "2026-11-25 10:00:00Z")',
      ],
      [1764064800000, 'must be an ISO 8601 date-time string like "2026-11-25T10:00:00Z" (got number 1764064800000)'],
    ];
    for (const [value, message] of cases) {
      assertInputError(() => encodeKqlLiteral(def('datetime'), value), 'params.p', `params.p ${message}`);
    }
    assertInputError(
      () => encodeKqlLiteral(def('datetime'), new Date(NaN)),
      'params.p',
      'params.p must be a valid date (got an invalid Date)',
    );
  });

  test('timespan', () => {
    const forms = 'like "1d", "90m", "30s" or an ISO 8601 duration like "PT1H"';
    const cases: Array<[unknown, string]> = [
      ['1 day', `must be a timespan ${forms} (got "1 day")`],
      ['1D', `must be a timespan ${forms} (got "1D")`],
      ['-1d', 'must not be negative (got "-1d")'],
      ['1w', `has an unknown unit "w"; use ${forms} (got "1w")`],
      ['P1M', 'uses ISO 8601 years or months, which have no fixed length; use days (e.g. "P30D") (got "P1M")'],
      ['P1Y2D', 'uses ISO 8601 years or months, which have no fixed length; use days (e.g. "P30D") (got "P1Y2D")'],
      ['PT', `must be a timespan ${forms} (got "PT")`],
      ['0.00000001s', 'is more precise than one tick (100 ns) (got "0.00000001s")'],
      ['99999999999999d', 'exceeds the largest KQL timespan (got "99999999999999d")'],
      ['1d) | take 1 //', `must be a timespan ${forms} (got "1d) | take 1 //")`],
      [3600, 'must be a timespan string like "1d", "90m" or "PT1H" (got number 3600)'],
    ];
    for (const [value, message] of cases) {
      assertInputError(() => encodeKqlLiteral(def('timespan'), value), 'params.p', `params.p ${message}`);
    }
    assertInputError(
      () => encodeKqlLiteral(def('timespan', { max: '30d' }), '31d'),
      'params.p',
      'params.p must be at most 30d (got "31d")',
    );
    assertInputError(
      () => encodeKqlLiteral(def('timespan', { min: '1m' }), '30s'),
      'params.p',
      'params.p must be at least 1m (got "30s")',
    );
    assert.equal(encodeKqlLiteral(def('timespan', { max: '30d' }), 'P30D'), '30d');
  });

  test('dynamic lists: the list itself and each item', () => {
    const list = def('dynamic', { items: 'string' });
    assertInputError(
      () => encodeKqlLiteral(list, 'a'),
      'params.p',
      'params.p must be a list of string values (got "a")',
    );
    assertInputError(
      () => encodeKqlLiteral(list, ['a', 5]),
      'params.p[1]',
      'params.p[1] must be a string (got number 5)',
    );
    assertInputError(
      () => encodeKqlLiteral(list, ['a', 'b\u0000']),
      'params.p[1]',
      'params.p[1] must not contain NUL (U+0000) characters (found at index 1)',
    );
    const sparse = ['a', 'b', 'c'];
    delete sparse[1];
    assertInputError(() => encodeKqlLiteral(list, sparse), 'params.p[1]', 'params.p[1] must be a string (got nothing)');
    assertInputError(
      () => encodeKqlLiteral(list, Array(1001).fill('a')),
      'params.p',
      'params.p has too many items: 1001, at most 1000 allowed',
    );
    assertInputError(
      () => encodeKqlLiteral({ ...list, maxItems: 2 }, ['a', 'b', 'c']),
      'params.p',
      'params.p has too many items: 3, at most 2 allowed',
    );
    assertInputError(
      () => encodeKqlLiteral({ ...list, minItems: 1 }, []),
      'params.p',
      'params.p needs at least 1 item (got 0)',
    );
    assertInputError(
      () => encodeKqlLiteral({ ...list, pattern: '[0-9.]+' }, ['1.2.3.4', '1.2.3.4" or true']),
      'params.p[1]',
      'params.p[1] does not match the pattern this query requires: [0-9.]+ (got "1.2.3.4\\" or true")',
    );
    assertInputError(
      () => encodeKqlLiteral(def('dynamic', { items: 'long' }), [1, 1.5]),
      'params.p[1]',
      'params.p[1] must be a whole number (got number 1.5)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('dynamic', { items: 'long' }), ['1']),
      'params.p[0]',
      'params.p[0] must be an integer number (got "1")',
    );
    assertInputError(
      () => encodeKqlLiteral(def('dynamic', { items: 'real' }), [NaN]),
      'params.p[0]',
      'params.p[0] must be a finite number (got NaN)',
    );
    assertInputError(
      () => encodeKqlLiteral(def('dynamic', { items: 'bool' }), ['false']),
      'params.p[0]',
      'params.p[0] must be true or false (got "false")',
    );
  });

  test('long string values are shortened in messages and stay on one line', () => {
    assertInputError(
      () => encodeKqlLiteral(def('timespan'), 'x\n'.repeat(30)),
      'params.p',
      `params.p must be a timespan like "1d", "90m", "30s" or an ISO 8601 duration like "PT1H" (got ${JSON.stringify('x\n'.repeat(20))}… (60 characters))`,
    );
  });
});
