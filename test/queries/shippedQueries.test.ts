// Every shipped query (queries/*.kql) loads, binds with its header examples and with its defaults, and parses with no
// diagnostics, both as syntax and against the advanced hunting schema data (schemas/hunting/), so a wrong column name
// fails here, offline.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { encodeKqlLiteral, loadQueryLibrary, type QueryDefinition, type QueryLibrary } from '../../shared/queries';
import { isKqlFunction, kqlDiagnostics, kqlHuntingDiagnostics, parseKql } from '../helpers/kqlParser';
import { QUERY_DIR, exampleValues } from './queryTestUtil';

let library: QueryLibrary;
const shipped = readdirSync(QUERY_DIR).filter((f) => f.endsWith('.kql'));

before(async () => {
  library = await loadQueryLibrary(QUERY_DIR);
});

test('ships at least six queries, all loaded', () => {
  assert.ok(shipped.length >= 6, `only ${shipped.length} queries`);
  assert.deepEqual(library.names(), shipped.map((f) => f.replace(/\.kql$/, '')).sort());
});

describe('each shipped query', () => {
  for (const file of shipped) {
    const name = file.replace(/\.kql$/, '');
    test(name, () => {
      const def = library.get(name) as QueryDefinition;
      assert.ok(def.description.length > 20, 'has a real description');
      assert.ok(def.params.length > 0, 'takes the incident entities as parameters');

      // Every parameter documents itself and has an example; names stay clear of KQL functions.
      for (const p of def.params) {
        assert.ok(p.description, `${p.name} has a description`);
        assert.notEqual(p.example, undefined, `${p.name} has an example`);
        assert.equal(isKqlFunction(p.name), false, `${p.name} shadows a KQL function`);
      }

      const bound = library.bind(name, exampleValues(def));
      assert.deepEqual(kqlDiagnostics(bound), [], 'parses with the examples bound');
      assert.deepEqual(kqlHuntingDiagnostics(bound), [], 'names only real tables and columns');

      // Only required parameters given: defaults and nulls bind and still analyse cleanly.
      const requiredOnly = Object.fromEntries(def.params.filter((p) => p.required).map((p) => [p.name, p.example]));
      const minimal = library.bind(name, requiredOnly);
      assert.deepEqual(kqlHuntingDiagnostics(minimal), []);
      const parsed = parseKql(minimal);
      for (const p of def.params.filter((x) => x.default !== undefined)) {
        const literal = parsed.lets.find((l) => l.name === p.name);
        assert.equal(literal?.text, encodeKqlLiteral(p, p.default), `${p.name} takes its default`);
      }

      // The unbound body alone must fail analysis only for the parameters (it really uses them as variables).
      const unbound = kqlHuntingDiagnostics(def.body).map((d) => d.message);
      for (const p of def.params) {
        assert.ok(
          unbound.some((m) => m.includes(`'${p.name}'`)),
          `body refers to ${p.name}`,
        );
      }
    });
  }
});

// Workflows name queries by `query:`; each must exist in the library (and so is checked above). Inline KQL, if a
// workflow carries any, is parsed directly.
test('every query referenced by a workflow exists and parses', () => {
  const dir = join(QUERY_DIR, '..', 'workflows');
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
    : [];
  const references: Array<{ file: string; query: string }> = [];
  const walk = (node: unknown, file: string): void => {
    if (Array.isArray(node)) node.forEach((n) => walk(n, file));
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'query' || k === 'queryName') && typeof v === 'string') references.push({ file, query: v });
        else walk(v, file);
      }
    }
  };
  for (const f of files) walk(parseYaml(readFileSync(join(dir, f), 'utf8')), f);
  for (const { file, query } of references) {
    if (/^[a-z0-9-]+$/.test(query)) assert.ok(library.get(query), `${file} references unknown query "${query}"`);
    else assert.deepEqual(kqlDiagnostics(query), [], `${file}: inline query must parse`);
  }
});
