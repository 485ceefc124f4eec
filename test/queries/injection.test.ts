// Every injection payload through every string-valued parameter of every shipped query: the bound text parses, has
// exactly one `let` per parameter and nothing more, keeps the body byte-identical, and the parser decodes the literal
// back to the payload. Payloads refused by policy fail as InputError, and no payload gets into a typed parameter.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { InputError } from '../../shared/errors';
import { bindQuery, loadQueryLibrary, type QueryDefinition } from '../../shared/queries';
import { kqlStatementCount, parseKql } from '../helpers/kqlParser';
import { injectionCorpus } from './injectionCorpus';
import { QUERY_DIR, exampleValues, letBlock, stringParams, withoutStringConstraints } from './queryTestUtil';

let definitions: QueryDefinition[] = [];
const bodyStatements = new Map<string, number>();

before(async () => {
  const library = await loadQueryLibrary(QUERY_DIR);
  definitions = library.names().map((n) => library.get(n) as QueryDefinition);
  for (const d of definitions) bodyStatements.set(d.name, kqlStatementCount(d.body));
});

test('the corpus is large and varied enough', () => {
  assert.ok(injectionCorpus.length >= 60, `only ${injectionCorpus.length} payloads`);
  assert.equal(new Set(injectionCorpus.map((p) => p.name)).size, injectionCorpus.length, 'payload names are unique');
  assert.equal(new Set(injectionCorpus.map((p) => p.payload)).size, injectionCorpus.length, 'payloads are unique');
});

/**
 * Binds `payload` into every string-valued parameter of `def` at once (lists get it twice around a benign item; the
 * other parameters get their examples), parses once, and checks everything the brief demands.
 */
function assertBoundSafely(def: QueryDefinition, payload: string): void {
  const targets = stringParams(def);
  const values: Record<string, unknown> = { ...exampleValues(def) };
  for (const p of targets) values[p.name] = p.type === 'string' ? payload : [payload, 'benign', payload];
  const bound = bindQuery(def, values);
  const parsed = parseKql(bound);
  assert.deepEqual(parsed.diagnostics, [], `${def.name}: bound query must parse cleanly`);
  assert.equal(
    parsed.statementCount,
    def.params.length + (bodyStatements.get(def.name) ?? NaN),
    'no injected statements',
  );
  assert.ok(bound.endsWith(def.body), 'body is byte-identical');
  assert.equal(letBlock(bound, def).split('\n').length - 1, def.params.length, 'exactly one line per parameter');
  const lets = parsed.lets.slice(0, def.params.length);
  assert.deepEqual(
    lets.map((l) => l.name),
    def.params.map((p) => p.name),
  );
  for (const p of targets) {
    const literal = lets.find((l) => l.name === p.name);
    assert.deepEqual(literal?.value, values[p.name], `${def.name}.${p.name}: decoded literal equals the payload`);
  }
}

describe('injection corpus through every string-valued parameter of every shipped query', () => {
  for (const { name, payload, rejected } of injectionCorpus) {
    test(name, () => {
      assert.ok(definitions.length >= 6);
      for (const strict of definitions) {
        const def = withoutStringConstraints(strict);
        if (!rejected) assertBoundSafely(def, payload);
        for (const p of stringParams(def)) {
          const value = p.type === 'string' ? payload : [payload, 'benign', payload];
          const bind = (d: QueryDefinition): string => bindQuery(d, { ...exampleValues(d), [p.name]: value });
          if (rejected) {
            const field = p.type === 'string' ? `params.${p.name}` : `params.${p.name}[0]`;
            assert.throws(
              () => bind(def),
              (e: unknown) => e instanceof InputError && e.field === field,
            );
            continue;
          }
          // With the header's own constraints the payload is either bound identically or refused as input.
          try {
            assert.equal(bind(strict), bind(def));
          } catch (e) {
            assert.ok(e instanceof InputError && e.field.startsWith(`params.${p.name}`), `unexpected ${String(e)}`);
          }
        }
      }
    });
  }

  test('no payload is accepted by a typed (non-string) parameter', () => {
    for (const def of definitions) {
      for (const p of def.params.filter((x) => !stringParams(def).includes(x))) {
        for (const { payload } of injectionCorpus) {
          const value = p.type === 'dynamic' ? [payload] : payload;
          assert.throws(
            () => bindQuery(def, { ...exampleValues(def), [p.name]: value }),
            (e: unknown) => e instanceof InputError && e.field.startsWith(`params.${p.name}`),
            `${def.name}.${p.name} accepted ${JSON.stringify(payload)}`,
          );
        }
      }
    }
  });

  test('payloads as parameter names are refused as unknown parameters', () => {
    const def = definitions[0] as QueryDefinition;
    for (const { payload } of injectionCorpus.slice(0, 40)) {
      assert.throws(
        () => bindQuery(def, { ...exampleValues(def), [payload]: 'x' }),
        (e: unknown) =>
          e instanceof InputError && e.field === `params.${payload}` && /^Unknown parameter /.test(e.message),
      );
    }
  });
});
