// Property tests (fast-check): for arbitrary values, encoding then parsing with Microsoft's parser gives the value
// back, and a bound shipped query always parses with exactly one statement per parameter plus its body.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import fc from 'fast-check';
import {
  bindQuery,
  encodeKqlLiteral,
  kqlStringLiteral,
  loadQueryLibrary,
  type QueryDefinition,
  type QueryParamDef,
} from '../../shared/queries';
import { parseKql, type KqlValue } from '../helpers/kqlParser';
import { QUERY_DIR, exampleValues, stringParams, withoutStringConstraints } from './queryTestUtil';

const NUM_RUNS = 200;

/** Characters that matter to KQL and to JSON, mixed with arbitrary code units and code points. */
const nasty = fc.constantFrom(
  '"',
  "'",
  '\\',
  '\n',
  '\r',
  '\t',
  '|',
  ';',
  '/',
  '*',
  '`',
  '@',
  'h',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u202e',
  '\u200b',
  '\u007f',
  '\u001b',
  ' ',
  ']',
  ')',
  '}',
);
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const arbitraryText = fc.string({
  unit: fc.oneof(nasty, anyCodeUnit, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 80,
});

/** Strings encodeKqlLiteral accepts: well-formed Unicode without NUL. */
const validText = fc
  .string({ unit: fc.oneof(nasty, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 80 })
  .map((s) => s.split('\u0000').join(''));

/** Parses `let v0 = <literal0>; let v1 = ...; T | take 1` once and returns each decoded value. */
function decodedLets(...literals: string[]): Array<KqlValue | undefined> {
  const text = literals.map((l, i) => `let v${i} = ${l};\n`).join('') + 'T | take 1';
  const parsed = parseKql(text);
  assert.deepEqual(parsed.diagnostics, [], text);
  assert.equal(parsed.statementCount, literals.length + 1);
  return parsed.lets.map((l) => l.value);
}

const decodedLet = (literal: string): KqlValue | undefined => decodedLets(literal)[0];

test('kqlStringLiteral: any UTF-16 string (lone surrogates included) round-trips and stays on one line', () => {
  fc.assert(
    fc.property(arbitraryText, (s) => {
      const literal = kqlStringLiteral(s);
      assert.doesNotMatch(literal, /[\r\n\u2028\u2029]/);
      assert.equal(decodedLet(literal), s);
    }),
    { numRuns: NUM_RUNS },
  );
});

test('string lists round-trip through encodeKqlLiteral', () => {
  const def: QueryParamDef = { name: 'p', type: 'dynamic', items: 'string', required: true };
  fc.assert(
    fc.property(fc.array(validText, { maxLength: 8 }), (list) => {
      assert.deepEqual(decodedLet(encodeKqlLiteral(def, list)), list);
    }),
    { numRuns: NUM_RUNS },
  );
});

test('numbers, booleans and lists of them round-trip', () => {
  const p = (type: QueryParamDef['type'], items?: QueryParamDef['items']): QueryParamDef => ({
    name: 'p',
    type,
    required: true,
    ...(items ? { items } : {}),
  });
  fc.assert(
    fc.property(
      fc.integer({ min: -2147483648, max: 2147483647 }),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.array(fc.maxSafeInteger(), { maxLength: 5 }),
      fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 5 }),
      fc.array(fc.boolean(), { maxLength: 5 }),
      (int, long, real, longs, reals, bools) => {
        const decoded = decodedLets(
          encodeKqlLiteral(p('int'), int),
          encodeKqlLiteral(p('long'), long),
          encodeKqlLiteral(p('real'), real),
          encodeKqlLiteral(p('dynamic', 'long'), longs),
          encodeKqlLiteral(p('dynamic', 'real'), reals),
          encodeKqlLiteral(p('dynamic', 'bool'), bools),
        );
        const noNegativeZero = (n: number): number => (n === 0 ? 0 : n);
        assert.deepEqual(decoded, [
          noNegativeZero(int),
          BigInt(long),
          noNegativeZero(real),
          longs.map(BigInt),
          reals.map(noNegativeZero),
          bools,
        ]);
      },
    ),
    { numRuns: NUM_RUNS },
  );
});

test('datetimes and timespans round-trip to the same instant and tick count', () => {
  const dt: QueryParamDef = { name: 'p', type: 'datetime', required: true };
  const ts: QueryParamDef = { name: 'p', type: 'timespan', required: true };
  const units: Array<[string, bigint]> = [
    ['microsecond', 10n],
    ['d', 864_000_000_000n],
    ['h', 36_000_000_000n],
    ['m', 600_000_000n],
    ['s', 10_000_000n],
    ['ms', 10_000n],
    ['tick', 1n],
  ];
  fc.assert(
    fc.property(
      fc.date({
        min: new Date('0001-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59.999Z'),
        noInvalidDate: true,
      }),
      fc.integer({ min: -14 * 60, max: 14 * 60 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.constantFrom(...units),
      (date, offsetMinutes, amount, [unit, size]) => {
        // The same instant written with an arbitrary UTC offset.
        const local = new Date(date.getTime() + offsetMinutes * 60_000);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        const text = local
          .toISOString()
          .replace(/^\+0*(\d{4})/, '$1')
          .replace('Z', zone);
        if (!/^\d{4}-/.test(text)) return; // outside the four-digit-year range once shifted
        const literal = encodeKqlLiteral(dt, text);
        const [instant, span] = decodedLets(literal, encodeKqlLiteral(ts, `${amount}${unit}`));
        assert.equal((instant as Date).getTime(), date.getTime(), `${text} -> ${literal}`);
        assert.deepEqual(span, { ticks: BigInt(amount) * size });
      },
    ),
    { numRuns: NUM_RUNS },
  );
});

let definitions: QueryDefinition[] = [];
before(async () => {
  const library = await loadQueryLibrary(QUERY_DIR);
  definitions = library.names().map((n) => withoutStringConstraints(library.get(n) as QueryDefinition));
});

test('bound shipped queries always parse, with one statement per parameter and the body unchanged', () => {
  const bodyStatements = new Map(definitions.map((d) => [d.name, parseKql(d.body).statementCount]));
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1000 }),
      validText,
      fc.array(validText, { maxLength: 5 }),
      (pick, text, list) => {
        const def = definitions[pick % definitions.length] as QueryDefinition;
        const values: Record<string, unknown> = { ...exampleValues(def) };
        for (const p of stringParams(def)) values[p.name] = p.type === 'string' ? text : list;
        const bound = bindQuery(def, values);
        const parsed = parseKql(bound);
        assert.deepEqual(parsed.diagnostics, []);
        assert.equal(parsed.statementCount, def.params.length + (bodyStatements.get(def.name) ?? NaN));
        assert.ok(bound.endsWith(`\n${def.body}`));
        for (const p of stringParams(def)) {
          assert.deepEqual(parsed.lets.find((l) => l.name === p.name)?.value, values[p.name]);
        }
      },
    ),
    { numRuns: 100 },
  );
});
