// The `.kql` header: what a valid file turns into, and the exact QueryFileError each kind of mistake gives (file and
// line or field named), including loadQueryLibrary collecting the problems of every file into one error.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadQueryLibrary, parseQueryFile, QueryFileError } from '../../shared/queries';
import { kqlKeywords } from '../helpers/kqlParser';

const GOOD = `// ---
// name: t
// description: A test query that does things.
// params:
//   lookback: { type: timespan, default: 1d }
// ---
T | where Timestamp > ago(lookback)
`;

function problemsOf(text: string, file = 'queries/t.kql'): string[] {
  try {
    parseQueryFile(text, file);
  } catch (e) {
    assert.ok(e instanceof QueryFileError, `expected QueryFileError, got ${String(e)}`);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e.problems.map((p) => `${p.line ?? '-'}|${p.field ?? '-'}|${p.message}`);
  }
  assert.fail('expected the file to be rejected');
}

describe('parseQueryFile: a valid file', () => {
  test('gives the definition with typed params, constraints and the body', () => {
    const text = `\uFEFF// ---\r
// name: hosts-by-name\r
// description: >-\r
//   Folded description\r
//   over two lines.\r
// tags: [endpoint]\r
// params:\r
//   deviceNames:\r
//     type: dynamic\r
//     items: string\r
//     pattern: '[a-z.]+'\r
//     maxLength: 64\r
//     minItems: 1\r
//     maxItems: 5\r
//     description: Names.\r
//     example: [a.b]\r
//   lookback: { type: timespan, default: 1d, min: 1h, max: 30d }\r
//   maxRows: { type: int, required: false, min: 1, max: 100 }\r
//   since: { type: datetime, example: 2026-11-25T10:00:00Z }\r
// ---\r
\r
// a comment in the body\r
DeviceInfo | where DeviceName in~ (deviceNames) and Timestamp > ago(lookback) and Timestamp > since | take maxRows\r
\r
`;
    const def = parseQueryFile(text, join('queries', 'hosts-by-name.kql'));
    assert.equal(def.name, 'hosts-by-name');
    assert.equal(def.description, 'Folded description over two lines.');
    assert.deepEqual(def.tags, ['endpoint']);
    assert.equal(
      def.body,
      '// a comment in the body\nDeviceInfo | where DeviceName in~ (deviceNames) and Timestamp > ago(lookback) and Timestamp > since | take maxRows',
    );
    assert.deepEqual(def.params, [
      {
        name: 'deviceNames',
        type: 'dynamic',
        items: 'string',
        required: true,
        description: 'Names.',
        pattern: '[a-z.]+',
        maxLength: 64,
        minItems: 1,
        maxItems: 5,
        example: ['a.b'],
      },
      { name: 'lookback', type: 'timespan', required: false, default: '1d', min: '1h', max: '30d' },
      { name: 'maxRows', type: 'int', required: false, min: 1, max: 100 },
      { name: 'since', type: 'datetime', required: true, example: '2026-11-25T10:00:00Z' },
    ]);
  });

  test('a query may take no parameters', () => {
    const def = parseQueryFile('// ---\n// name: t\n// description: Everything.\n// ---\nT | take 1\n', 't.kql');
    assert.deepEqual(def.params, []);
  });
});

describe('parseQueryFile: header errors name the file and the line or field', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'bad YAML',
      GOOD.replace('default: 1d }', 'default: 1d'),
      ['5|-|invalid YAML: Flow map in block collection must be sufficiently indented and end with a }'],
    ],
    [
      'duplicate key',
      GOOD.replace('// params:', '// name: t\n// params:'),
      ['4|-|invalid YAML: Map keys must be unique'],
    ],
    [
      'missing name',
      GOOD.replace('// name: t\n', ''),
      ['2|name|is missing: the query name, equal to the file name without .kql'],
    ],
    [
      'name is not the file name',
      GOOD.replace('name: t', 'name: other'),
      ['2|name|"other" does not match the file name "t.kql" (expected "t")'],
    ],
    [
      'name not kebab-case',
      GOOD.replace('name: t', 'name: My_Query'),
      ['2|name|"My_Query" must be lower-case kebab-case (letters, digits, single hyphens)'],
    ],
    [
      'missing description',
      GOOD.replace(/\/\/ description.*\n/, ''),
      ['2|description|is missing: one or two sentences saying what the query finds'],
    ],
    [
      'unknown header field',
      GOOD.replace('// params:', '// parms: 1\n// params:'),
      ['4|parms|unknown header field; allowed: name, description, params, tags'],
    ],
    [
      'unknown type',
      GOOD.replace('type: timespan', 'type: duration'),
      [
        '5|params.lookback.type|"duration" is not a type; use one of string, int, long, real, bool, datetime, timespan, dynamic',
      ],
    ],
    [
      'missing type',
      GOOD.replace('type: timespan, ', ''),
      ['5|params.lookback.type|is required; use one of string, int, long, real, bool, datetime, timespan, dynamic'],
    ],
    [
      'param unused in body',
      GOOD.replace('ago(lookback)', 'ago(1d)'),
      ['5|params.lookback|is declared but never used in the query body'],
    ],
    [
      'param only in a string or comment',
      GOOD.replace('ago(lookback)', 'ago(1d) and X == "lookback" // lookback'),
      ['5|params.lookback|is declared but never used in the query body'],
    ],
    [
      'default of the wrong type',
      GOOD.replace('default: 1d', 'default: 5'),
      ['5|params.lookback.default|must be a timespan string like "1d", "90m" or "PT1H" (got number 5)'],
    ],
    [
      'default outside max',
      GOOD.replace('default: 1d', 'default: 31d, max: 30d'),
      ['5|params.lookback.default|must be at most 30d (got "31d")'],
    ],
    [
      'list default item of the wrong type',
      GOOD.replace('{ type: timespan, default: 1d }', '{ type: dynamic, items: long, default: [1, "2"] }'),
      ['5|params.lookback.default[1]|must be an integer number (got "2")'],
    ],
    [
      'example of the wrong type',
      GOOD.replace('default: 1d', 'default: 1d, example: yesterday'),
      [
        '5|params.lookback.example|must be a timespan like "1d", "90m", "30s" or an ISO 8601 duration like "PT1H" (got "yesterday")',
      ],
    ],
    [
      'no opening fence',
      GOOD.replace(/^\/\/ ---\n/, ''),
      ['1|-|must start with a "// ---" line opening the YAML header'],
    ],
    [
      'no closing fence',
      GOOD.replace(/\/\/ ---\nT/, 'T'),
      ['1|-|the header opened on line 1 is never closed by a "// ---" line'],
    ],
    ['header line without //', GOOD.replace('// params:', 'params:'), ['4|-|header lines must start with "//"']],
    [
      'keyword as parameter name',
      GOOD.replace(/lookback/g, 'where'),
      ['5|params.where|"where" is a KQL keyword and cannot be a parameter name'],
    ],
    [
      'function as parameter name',
      GOOD.replace(/lookback/g, 'ago').replace('ago(ago)', 'ago(ago)'),
      ['5|params.ago|"ago" is a KQL function and cannot be a parameter name'],
    ],
    [
      'table as parameter name',
      GOOD.replace(/lookback/g, 'deviceInfo'),
      ['5|params.deviceInfo|"deviceInfo" is a hunting table and cannot be a parameter name'],
    ],
    [
      'upper-case parameter name',
      GOOD.replace(/lookback/g, 'Lookback'),
      [
        '5|params.Lookback|parameter names must be KQL identifiers that start with a lower-case letter (then letters, digits, _)',
      ],
    ],
    [
      'unknown parameter field',
      GOOD.replace('default: 1d', 'default: 1d, requried: true'),
      [
        '5|params.lookback.requried|unknown field; allowed: type, items, required, default, example, description, pattern, maxLength, min, max, minItems, maxItems',
      ],
    ],
    [
      'required with a default',
      GOOD.replace('default: 1d', 'default: 1d, required: true'),
      ['5|params.lookback.required|a parameter with a default cannot also be required: true'],
    ],
    [
      'dynamic without items',
      GOOD.replace('{ type: timespan, default: 1d }', '{ type: dynamic }'),
      ['5|params.lookback.items|is required for a dynamic list; use one of string, long, real, bool'],
    ],
    [
      'constraints that do not apply',
      GOOD.replace('default: 1d', 'default: 1d, pattern: x, maxItems: 3'),
      [
        '5|params.lookback.pattern|only applies to string values',
        '5|params.lookback.maxItems|only applies to type dynamic',
      ],
    ],
    [
      'invalid pattern',
      GOOD.replace('{ type: timespan, default: 1d }', '{ type: string, pattern: "(" }').replace(
        'ago(lookback)',
        'ago(1d) and X == lookback',
      ),
      [
        '5|params.lookback.pattern|is not a valid regular expression: Invalid regular expression: /^(?:()$/u: Unterminated group',
      ],
    ],
    [
      'min above max',
      GOOD.replace('default: 1d', 'default: 1d, min: 2d, max: 1h'),
      ['5|params.lookback.min|min (2d) is greater than max (1h)'],
    ],
    ['empty body', GOOD.replace(/T \| where.*\n/, ''), ['7|-|has no query body after the header']],
    [
      'body redeclares a parameter',
      GOOD.replace('T | where', 'let lookback = 2d;\nT | where'),
      ['7|-|the body redeclares parameter "lookback" with let'],
    ],
    [
      'declare query_parameters',
      GOOD.replace('T | where', 'declare query_parameters(x:string);\nT | where'),
      [
        '7|-|declare query_parameters is not supported (the hunting APIs take no parameters); declare them in the header',
      ],
    ],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => assert.deepEqual(problemsOf(text), expected));
  }

  test('the message names the file, line and field; several problems are all reported', () => {
    const text = GOOD.replace('name: t', 'name: x').replace('default: 1d', 'default: 5');
    assert.throws(
      () => parseQueryFile(text, 'queries/t.kql'),
      (e: unknown) =>
        e instanceof QueryFileError &&
        e.message ===
          'Invalid query files:\n' +
            '  - queries/t.kql:2: name: "x" does not match the file name "t.kql" (expected "t")\n' +
            '  - queries/t.kql:5: params.lookback.default: must be a timespan string like "1d", "90m" or "PT1H" (got number 5)',
    );
  });

  test('every identifier-shaped keyword of Kusto.Language is refused as a parameter name', () => {
    const keywords = kqlKeywords().filter((k) => /^[a-z][A-Za-z0-9_]*$/.test(k));
    assert.ok(keywords.length > 150);
    for (const k of keywords) {
      // Quoted in YAML so that `null` stays a string key.
      const text = GOOD.replace('//   lookback:', `//   '${k}':`).replace('ago(lookback)', `ago(${k})`);
      assert.ok(
        problemsOf(text).some((p) => p.includes(`"${k}" is a KQL keyword`) || p.includes(`"${k}" is a KQL function`)),
        `"${k}" accepted as a parameter name`,
      );
    }
  });
});

describe('loadQueryLibrary', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'riposte-queries-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('loads every .kql file and ignores other files and folders', async () => {
    const d = join(dir, 'ok');
    await mkdir(join(d, 'nested.kql'), { recursive: true });
    await writeFile(join(d, 't.kql'), GOOD);
    await writeFile(join(d, 'README.md'), '# not a query');
    const library = await loadQueryLibrary(d);
    assert.deepEqual(library.names(), ['t']);
    assert.equal(library.get('t')?.file, join(d, 't.kql'));
  });

  test('collects the problems of every file into one QueryFileError', async () => {
    const d = join(dir, 'bad');
    await mkdir(d);
    await writeFile(join(d, 'a.kql'), GOOD.replace('name: t', 'name: a').replace('type: timespan', 'type: nope'));
    await writeFile(join(d, 'b.kql'), GOOD);
    await writeFile(join(d, 'c.kql'), Buffer.from([0x2f, 0x2f, 0xff, 0xfe]));
    await writeFile(join(d, 't.kql'), GOOD);
    await assert.rejects(loadQueryLibrary(d), (e: unknown) => {
      assert.ok(e instanceof QueryFileError);
      assert.deepEqual(
        e.problems.map((p) => [p.file, p.line, p.field, p.message]),
        [
          [
            join(d, 'a.kql'),
            5,
            'params.lookback.type',
            '"nope" is not a type; use one of string, int, long, real, bool, datetime, timespan, dynamic',
          ],
          [join(d, 'b.kql'), 2, 'name', '"t" does not match the file name "b.kql" (expected "b")'],
          [join(d, 'c.kql'), undefined, undefined, 'is not valid UTF-8'],
        ],
      );
      assert.match(e.message, /^Invalid query files:\n {2}- .*a\.kql:5: params\.lookback\.type: /);
      return true;
    });
  });

  test('a missing folder is a QueryFileError naming it', async () => {
    const missing = join(dir, 'missing');
    await assert.rejects(
      loadQueryLibrary(missing),
      (e: unknown) =>
        e instanceof QueryFileError &&
        e.problems[0]?.file === missing &&
        /cannot read the query folder/.test(e.message),
    );
  });
});
