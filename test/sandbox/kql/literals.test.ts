// Literal decoding: every string form of hunting-schema.md §3.1, timespans, datetimes, numbers, dynamic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStringLiteral } from '../../../sandbox/kql/literals';
import { typeOf, value } from './fixtures';

/** Other control characters as \uXXXX (the last step of the §3.2 recipe). */
function escapeControls(text: string): string {
  return [...text]
    .map((c) => (c.charCodeAt(0) < 0x20 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
    .join('');
}

describe('string literals', () => {
  it('decodes every escape the Kusto decoder accepts', () => {
    assert.equal(value(String.raw`"a\"b\\c\'d"`), `a"b\\c'd`);
    assert.equal(value(String.raw`'it\'s'`), "it's");
    assert.equal(value(String.raw`"\t\n\r"`), '\t\n\r');
    assert.equal(value(String.raw`"\a\b\f\v"`), '\x07\b\f\v');
    assert.equal(value(String.raw`"\u00e9\x41\101"`), 'éAA');
    assert.equal(value(String.raw`"\U0001F600!"`), '😀!');
    assert.equal(value(String.raw`"\0end"`), '\0end');
  });

  it('keeps the other quote unescaped', () => {
    assert.equal(value(`"it's"`), "it's");
    assert.equal(value(`'say "hi"'`), 'say "hi"');
  });

  it('reads verbatim strings with doubled quotes and literal backslashes', () => {
    assert.equal(value(String.raw`@"C:\Windows\System32\cmd.exe"`), String.raw`C:\Windows\System32\cmd.exe`);
    assert.equal(value(`@"say ""hi"""`), 'say "hi"');
    assert.equal(value(`@'it''s'`), "it's");
  });

  it('reads obfuscated h-strings like plain ones', () => {
    assert.equal(value(`h"secret"`), 'secret');
    assert.equal(value(`H'x'`), 'x');
    assert.equal(value(String.raw`h@"C:\temp"`), String.raw`C:\temp`);
  });

  it('concatenates adjacent literals, across comments', () => {
    assert.equal(value(`"Hello" ', ' @"world!"`), 'Hello, world!');
    assert.equal(value(`"a" // comment\n "b"`), 'ab');
  });

  it('reads multi-line strings without escapes', () => {
    assert.equal(value('```line one\nline "two" \\n```'), 'line one\nline "two" \\n');
    assert.equal(value('~~~x~~~'), 'x');
  });

  it('decodes the client-side binder escaping of arbitrary text', () => {
    // §3.2 recipe: \ → \\, " → \", CR/LF/TAB → \r \n \t, other controls → \uXXXX
    const original = 'a"b\\c\r\nd\te\u0001f';
    const encoded = `"${escapeControls(
      original
        .replace(/\\/g, '\\\\')
        .replace(/"/g, '\\"')
        .replace(/\r/g, '\\r')
        .replace(/\n/g, '\\n')
        .replace(/\t/g, '\\t'),
    )}"`;
    assert.equal(value(encoded), original);
  });

  it('decodeStringLiteral handles each token form directly', () => {
    assert.equal(decodeStringLiteral('""'), '');
    assert.equal(decodeStringLiteral(`@""""`), '"');
    assert.equal(decodeStringLiteral('```a```'), 'a');
    assert.equal(decodeStringLiteral(String.raw`"\\x"`), '\\x');
  });
});

describe('timespan literals', () => {
  it('reads every unit the parser accepts', () => {
    assert.equal(value('7d'), '7.00:00:00');
    assert.equal(value('1h'), '01:00:00');
    assert.equal(value('30m'), '00:30:00');
    assert.equal(value('2min'), '00:02:00');
    assert.equal(value('10s'), '00:00:10');
    assert.equal(value('100ms'), '00:00:00.1000000');
    assert.equal(value('10microsecond'), '00:00:00.0000100');
    assert.equal(value('1tick'), '00:00:00.0000001');
    assert.equal(value('1.5h'), '01:30:00');
    assert.equal(value('2days'), '2.00:00:00');
  });

  it('reads time(...) forms', () => {
    assert.equal(value('time(1.02:03:04)'), '1.02:03:04');
    assert.equal(value('time(15 seconds)'), '00:00:15');
    assert.equal(value('time(2)'), '2.00:00:00');
    assert.equal(value('time(null)'), null);
  });

  it('supports unary minus and arithmetic', () => {
    assert.equal(value('-1h'), '-01:00:00');
    assert.equal(value('1d + 2h - 30m'), '1.01:30:00');
    assert.equal(value('1h * 3'), '03:00:00');
    assert.equal(value('2 * 1h'), '02:00:00');
    assert.equal(value('1h / 4'), '00:15:00');
    assert.equal(value('1d / 1h'), 24);
    assert.equal(typeOf('1d / 1h'), 'real');
  });
});

describe('datetime literals', () => {
  it('returns ISO text with seven fractional digits', () => {
    assert.equal(value('datetime(2026-11-01T00:00:00Z)'), '2026-11-01T00:00:00.0000000Z');
    assert.equal(value('datetime(2015-12-31 23:59:59.9)'), '2015-12-31T23:59:59.9000000Z');
    assert.equal(value('datetime(2015-12-31)'), '2015-12-31T00:00:00.0000000Z');
    assert.equal(value('datetime(2020-08-30T06:38:35.7664356Z)'), '2020-08-30T06:38:35.7664356Z');
    assert.equal(value('datetime(2020-01-01T02:00:00+02:00)'), '2020-01-01T00:00:00.0000000Z');
    assert.equal(value('datetime(null)'), null);
    assert.equal(typeOf('datetime(2020-01-01)'), 'datetime');
  });

  it('does datetime arithmetic exactly, to the tick', () => {
    assert.equal(value('datetime(2020-08-30T06:38:35.7664356Z) + 1tick'), '2020-08-30T06:38:35.7664357Z');
    assert.equal(value('datetime(2020-01-01) - 1d'), '2019-12-31T00:00:00.0000000Z');
    assert.equal(value('datetime(2020-01-02) - datetime(2020-01-01T12:00:00Z)'), '12:00:00');
    assert.equal(value('1h + datetime(2020-01-01)'), '2020-01-01T01:00:00.0000000Z');
  });
});

describe('number, bool, guid and dynamic literals', () => {
  it('reads numbers with their types', () => {
    assert.equal(value('123'), 123);
    assert.equal(typeOf('123'), 'long');
    assert.equal(value('0x1F'), 31);
    assert.equal(value('1.5'), 1.5);
    assert.equal(typeOf('1.5'), 'real');
    assert.equal(value('1e3'), 1000);
    assert.equal(value('int(7)'), 7);
    assert.equal(typeOf('int(7)'), 'int');
    assert.equal(value('long(null)'), null);
    assert.equal(value('real(nan)'), 'NaN');
    assert.equal(value('real(-inf)'), '-Infinity');
    assert.equal(value('-5'), -5);
  });

  it('reads bools and guids', () => {
    assert.equal(value('true'), true);
    assert.equal(value('bool(false)'), false);
    assert.equal(value('bool(null)'), null);
    assert.equal(value('guid(74BE27DE-1E4E-49D9-B579-FE0B331D3642)'), '74be27de-1e4e-49d9-b579-fe0b331d3642');
    assert.equal(typeOf('guid(74be27de-1e4e-49d9-b579-fe0b331d3642)'), 'guid');
  });

  it('reads dynamic arrays and objects, with KQL literals inside', () => {
    assert.deepEqual(value(`dynamic(['a', "b", 1, -2, 1.5, true, null])`), ['a', 'b', 1, -2, 1.5, true, null]);
    assert.deepEqual(value('dynamic({"a": 1, "b": {"c": [1, 2]}})'), { a: 1, b: { c: [1, 2] } });
    assert.deepEqual(value('dynamic({"d": datetime(1970-05-11), "t": 1h})'), {
      d: '1970-05-11T00:00:00.0000000Z',
      t: '01:00:00',
    });
    assert.equal(value('dynamic(null)'), null);
    assert.equal(typeOf('dynamic([1])'), 'dynamic');
  });
});
