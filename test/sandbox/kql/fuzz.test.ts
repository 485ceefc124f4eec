// Property tests (fast-check) of the sandbox's KQL evaluator over generated pipelines: random tables of the schema,
// operators and expressions over their columns, and malformed variants (cut short, tokens swapped in, unknown
// operators). Whatever the input, the evaluator answers rows or a KqlError (a 400), never anything else (a 5xx), and
// always ends (the work budget); what it cannot run says "not supported by the sandbox" with the line and column.
// 200 runs each in CI; RIPOSTE_FUZZ_RUNS=<n> runs more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AxiosInstance } from 'axios';
import fc from 'fast-check';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { createSeedTables, KqlError, runKql, SEED_TABLE_NAMES } from '../../../sandbox/kql';
import { schemaOf } from '../../../sandbox/kql/seedSchemas';
import { apiClient } from '../helpers';
import { NOW } from './fixtures';

const RUNS = Number(process.env.RIPOSTE_FUZZ_RUNS ?? 200);
const tables = createSeedTables(NOW);
// A small budget keeps every run short; exceeding it is one of the answers under test.
const ctx = { tables, now: NOW, limits: { maxRows: 200_000, timeMs: 2_000 } };

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const LITERALS: Record<string, fc.Arbitrary<string>> = {
  string: fc.oneof(
    fc.constantFrom("'powershell.exe'", "'contoso'", "''", "'ws-fin-042'", "'10.10.1.42'"),
    fc.string({ maxLength: 8 }).map(quote),
  ),
  long: fc.integer({ min: -5, max: 70_000 }).map(String),
  int: fc.integer({ min: -5, max: 70_000 }).map(String),
  real: fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map((d) => `real(${d})`),
  bool: fc.constantFrom('true', 'false'),
  datetime: fc.constantFrom('ago(1d)', 'ago(1h)', 'now()', 'datetime(2026-11-01)', 'datetime(null)'),
  timespan: fc.constantFrom('1h', '30m', '2d', 'time(null)'),
  guid: fc.constantFrom("guid('00000000-0000-0000-0000-000000000000')"),
  dynamic: fc.constantFrom('dynamic([])', 'dynamic({"a":1})', 'dynamic(null)'),
};

const COMPARISONS: Record<string, readonly string[]> = {
  string: ['==', '!=', '=~', 'has', 'contains', 'startswith', '!has', 'in~', 'matches regex', 'has_any'],
  long: ['==', '>', '<=', '!=', 'in'],
  int: ['==', '>', '<=', '!=', 'in'],
  real: ['>', '<'],
  bool: ['==', '!='],
  datetime: ['>', '<', 'between'],
  timespan: ['>', '<'],
  guid: ['=='],
  dynamic: ['has', 'contains'],
};

/** A comparison over one of the table's columns (or a deliberately unknown one). */
function predicate(columns: readonly { name: string; type: string }[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...columns).chain((c) =>
      fc
        .tuple(fc.constantFrom(...(COMPARISONS[c.type] ?? ['=='])), LITERALS[c.type] ?? LITERALS.string!)
        .map(([op, lit]) => {
          if (op === 'in' || op === 'in~' || op === 'has_any') return `${c.name} ${op} (${lit}, ${lit})`;
          if (op === 'between') return `${c.name} between (${lit} .. now())`;
          return `${c.name} ${op} ${lit}`;
        }),
    ),
    fc.constantFrom('isnotempty(NoSuchColumn)', 'true', '1 == 1', "tostring(1) == '1'"),
  );
}

const SCALAR_FUNCS = [
  'tostring',
  'tolower',
  'strlen',
  'isempty',
  'parse_json',
  'tolong',
  'todatetime',
  'bin',
  'ipv4_is_private',
  'geo_info_from_ip_address',
  'base64_decode_tostring',
  'extract',
  'split',
  'array_length',
  'bag_keys',
  'hash_sha256',
  'format_datetime',
  'datetime_diff',
  'coalesce',
  'iff',
];

function expression(columns: readonly { name: string; type: string }[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...columns).map((c) => c.name),
    fc
      .tuple(fc.constantFrom(...SCALAR_FUNCS), fc.constantFrom(...columns), fc.constantFrom('', ', 1', ", 'x'", ', 1h'))
      .map(([f, c, extra]) => `${f}(${c.name}${extra})`),
    fc.constantFrom(...columns).map((c) => `${c.name} + 1`),
  );
}

function operator(table: string): fc.Arbitrary<string> {
  const columns = schemaOf(table);
  const col = fc.constantFrom(...columns).map((c) => c.name);
  const other = fc.constantFrom(...SEED_TABLE_NAMES);
  return fc.oneof(
    predicate(columns).map((p) => `where ${p}`),
    fc.uniqueArray(col, { minLength: 1, maxLength: 4 }).map((cs) => `project ${cs.join(', ')}`),
    expression(columns).map((e) => `extend X = ${e}`),
    fc
      .tuple(
        fc.constantFrom('count()', 'dcount(%)', 'make_set(%)', 'arg_max(%, *)', 'min(%)', 'countif(% == 1)', 'avg(%)'),
        col,
        col,
      )
      .map(([agg, a, b]) => `summarize ${agg.replace('%', a)} by ${b}`),
    fc.integer({ min: 0, max: 50 }).map((n) => `take ${n}`),
    fc.tuple(fc.integer({ min: 1, max: 20 }), col).map(([n, c]) => `top ${n} by ${c}`),
    col.map((c) => `sort by ${c} desc`),
    col.map((c) => `distinct ${c}`),
    fc
      .tuple(fc.constantFrom('inner', 'leftouter', 'leftanti', 'rightsemi', 'fullouter', 'innerunique'), other, col)
      .map(([k, t, c]) => `join kind=${k} (${t} | take 20) on ${c}`),
    fc.tuple(other, col).map(([t, c]) => `lookup (${t} | take 20) on ${c}`),
    other.map((t) => `union (${t} | take 5)`),
    col.map((c) => `mv-expand ${c}`),
    col.map((c) => `parse ${c} with * "a" Rest`),
    col.map((c) => `make-series n = count() default = 0 on Timestamp step 1h by ${c}`),
    fc.constant('render timechart'),
    fc.constant('count'),
    fc.constant('getschema'),
    fc.constant('search "powershell"'),
    fc.constant('invoke FileProfile()'),
    col.map((c) => `evaluate bag_unpack(${c})`),
    fc.constantFrom(
      'scan with (step s: true)',
      'evaluate autocluster()',
      'fork (take 1)',
      'frobnicate',
      'sample-distinct 3 of DeviceId',
    ),
  );
}

const pipeline: fc.Arbitrary<string> = fc
  .constantFrom(...SEED_TABLE_NAMES)
  .chain((table) => fc.array(operator(table), { maxLength: 5 }).map((ops) => [table, ...ops].join('\n| ')));

const NOISE = ['|', '(', ')', ',', "'", '"', '==', 'let', ';', '$left', '..', 'by', '[', ']', '{', '}', '\\', '\n'];

/** Inputs built to exhaust something: rows, time, the regex engine, the stack. */
const pathological: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 20, max: 5000 }).map((n) => `print s = strrep('a', ${n}) | where s matches regex "(a+)+$b"`),
  fc
    .integer({ min: 20, max: 5000 })
    .map((n) => `print s = strrep('ab', ${n}) | extend m = extract_all(@"((a|b)*)*c", s)`),
  fc.integer({ min: 6, max: 12 }).map((e) => `range x from 1 to ${10 ** e} step 1 | summarize count()`),
  fc
    .constantFrom(...SEED_TABLE_NAMES)
    .map(
      (t) =>
        `${t} | extend k = 1 | join kind=inner (${t} | extend k = 1) on k | join kind=inner (${t} | extend k = 1) on k | count`,
    ),
  fc.integer({ min: 500, max: 50_000 }).map((n) => `print parse_json(strcat(strrep('[', ${n}), strrep(']', ${n})))`),
  fc.integer({ min: 10, max: 200 }).map((n) => `print x = ${'('.repeat(n)}1${')'.repeat(n)}`),
);

/** Valid-looking pipelines, and malformed ones: cut short, a token swapped in, or prefixed with a let. */
const query: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: pathological },
  { weight: 3, arbitrary: pipeline },
  {
    weight: 1,
    arbitrary: fc.tuple(pipeline, fc.nat()).map(([q, n]) => q.slice(0, n % (q.length + 1))),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(pipeline, fc.nat(), fc.constantFrom(...NOISE)).map(([q, n, tok]) => {
      const at = n % (q.length + 1);
      return q.slice(0, at) + tok + q.slice(at);
    }),
  },
  { weight: 1, arbitrary: pipeline.map((q) => `let T = ${q};\nT | take 3`) },
);

/** The evaluator's answer: rows, or a KqlError whose 'unsupported' message names where. Anything else throws. */
function answer(q: string): void {
  try {
    runKql(q, ctx);
  } catch (e) {
    assert.ok(e instanceof KqlError, `not a KqlError (would be a 5xx) for:\n${q}\n${String(e)}`);
    if (e.kind === 'unsupported' && /not supported by the sandbox/.test(e.message))
      assert.match(e.message, /\(line \d+, column \d+\)$/, `no position for:\n${q}\n${e.message}`);
  }
}

describe('fuzzed pipelines (fast-check)', () => {
  it(`the evaluator answers rows or a 400 for every input (${RUNS} runs)`, () => {
    fc.assert(fc.property(query, answer), { numRuns: RUNS, seed: Number(process.env.RIPOSTE_FUZZ_SEED ?? 12) });
  });

  it('an unsupported operator is named, with its line and column', () => {
    fc.assert(
      fc.property(
        pipeline,
        fc.constantFrom('scan with (step s: true)', 'fork (take 1)', 'sample-distinct 3 of DeviceId'),
        (q, op) => {
          const text = `${q}\n| ${op}`;
          try {
            runKql(text, ctx);
            assert.fail(`answered rows for:\n${text}`);
          } catch (e) {
            assert.ok(e instanceof KqlError, String(e));
            if (e.kind !== 'unsupported') return; // Kusto found the pipeline before it wrong: Defender's 400.
            // The first construct the sandbox cannot run is named (the generated pipeline may hold one before op).
            const named = /'([^']+)'[^']*not supported by the sandbox/.exec(e.message)?.[1];
            assert.ok(named !== undefined && text.includes(named), `${e.message}\nfor:\n${text}`);
            assert.match(e.message, /\(line \d+, column \d+\)$/, text);
          }
        },
      ),
      { numRuns: Math.max(20, Math.floor(RUNS / 4)) },
    );
  });
});

describe('inputs that used to escape the work budget', () => {
  it('a catastrophic regular expression ends (RE2 is linear; the sandbox falls back to a linear engine)', () => {
    const r = runKql(`print s = strrep('a', 40) | where s matches regex "(a+)+$b"`, ctx);
    assert.deepEqual(r.rows, []);
  });

  it('lookaround and backreferences, which RE2 lacks, are refused', () => {
    for (const pattern of ['(?=a)a', '(?<!b)a', '(a)\\1'])
      assert.throws(
        () => runKql(`print s = 'aa' | where s matches regex @"${pattern}"`, ctx),
        (e: unknown) => e instanceof KqlError && /not RE2 syntax/.test(e.message),
        pattern,
      );
  });

  it('JSON nested too deeply to serialise is refused, not answered', () => {
    assert.throws(
      () => runKql(`print parse_json(strcat(strrep('[', 5000), strrep(']', 5000)))`, ctx),
      (e: unknown) => e instanceof KqlError && /exceeded the sandbox's limits/.test(e.message),
    );
  });
});

describe('fuzzed pipelines over HTTP', () => {
  let sandbox: Sandbox;
  let graph: AxiosInstance;
  before(async () => {
    sandbox = await startSandbox({ rateLimits: false, now: () => NOW });
    graph = await apiClient(sandbox, 'graph');
  });
  after(() => sandbox.close());

  it('Graph runHuntingQuery answers 200 or 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const res = await graph.post('/security/runHuntingQuery', { Query: q });
        assert.ok(res.status === 200 || res.status === 400, `${res.status} for:\n${q}\n${JSON.stringify(res.data)}`);
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 8)) },
    );
  });
});
