// `npm run kql-coverage -- <pages folder> [--json] [--no-write] [--list]`: how much of what hunters write Riposte
// checks and runs, measured on a corpus built at run time from Markdown pages (every ```kusto / ```kql block of every
// .md page under the folder; RIPOSTE_KQL_CORPUS gives the folder too). Reports, per the issue's targets:
// - agreement of `riposte validate` with Kusto.Language's own diagnostics (same errors at the same line, column and
//   code), and false errors on queries Kusto finds clean;
// - the share of valid queries the sandbox answers 200 (valid: Kusto.Language finds neither a syntax nor a semantic
//   error, i.e. Defender would run them; a query Kusto rejects must get a 400, as in Defender, so it is not counted
//   against the sandbox; the share over merely syntax-valid queries is reported beside it), and of those answers
//   holding a row;
// - what stands behind every other answer (operator, function, or the message's kind).
// Writes the figures into bench/results.json (`kqlCoverage`) unless --no-write.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCorpus, type Corpus } from './corpus';
import { kustoVerdicts, sandboxAnswers, validateVerdicts, type ErrorAt, type SandboxAnswer } from './measure';

const RESULTS_FILE = join(__dirname, '..', '..', 'bench', 'results.json');

const TARGETS = {
  validateAgreementPct: { op: '>=', value: 100 },
  falseSchemaErrors: { op: '<=', value: 0 },
  sandboxAnsweredPct: { op: '>=', value: 90 },
  answersWithRowsPct: { op: '>=', value: 30 },
} as const;

/** What stands behind an answer other than 200: the operator or function a message names, else its kind. */
export function blockerOf(a: SandboxAnswer): string {
  if (a.status >= 500) return `${a.status} (sandbox fault)`;
  const m = a.message ?? '';
  const named = /The '([^']+)' (operator|function|aggregation function|plugin)/.exec(m);
  if (named) return `${named[2]} ${named[1]}`;
  const fn = /The function '([^']+)'/.exec(m);
  if (fn) return `function ${fn[1]}`;
  if (/not supported by the sandbox/.test(m))
    return `unsupported: ${m
      .replace(/^This query is not supported by the sandbox: /, '')
      .split(/[:(]/)[0]
      ?.trim()}`;
  if (/budget|too much work|too long/i.test(m)) return 'work budget';
  return `rejected as Defender would (${a.status}): ${m.split('\n')[0]?.slice(0, 90)}`;
}

const key = (e: ErrorAt): string => `${e.line}:${e.column}:${e.code}`;
const sameErrors = (a: readonly ErrorAt[], b: readonly ErrorAt[]): boolean =>
  a.length === b.length && [...a].map(key).sort().join('|') === [...b].map(key).sort().join('|');
const pct = (n: number, d: number): number => (d === 0 ? 0 : Math.round((1000 * n) / d) / 10);

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

export interface CoverageReport {
  corpus: { source: string; pages: number; pagesWithQueries: number; queries: number; commentOnlyBlocks: number };
  figures: {
    validateAgreementPct: number;
    falseSchemaErrors: number;
    sandboxAnsweredPct: number;
    sandboxAnsweredOfSyntaxValidPct: number;
    answersWithRowsPct: number;
  };
  targets: Record<string, string>;
  met: Record<string, boolean>;
  counts: {
    kustoSyntaxErrors: number;
    kustoSemanticErrors: number;
    kustoClean: number;
    syntacticallyValid: number;
    answered200: number;
    answeredWithRows: number;
    answered200OfKustoClean: number;
    sandbox5xx: number;
    /** Queries where Kusto's only objection was a column named in an invoke function's arguments (not an error in
     * Defender, and not one for riposte validate either). */
    kustoPipedColumnArgumentsExcused: number;
  };
  /** Names Kusto could not resolve in syntactically valid queries (what the corpus uses that the schema lacks). */
  unresolvedNames: Record<string, number>;
  blockers: Record<string, number>;
  disagreements: { id: string; kusto: ErrorAt[]; validate: ErrorAt[] }[];
  queries?: { id: string; kustoErrors: number; syntaxErrors: number; status: number; rows: number; blocker?: string }[];
  date: string;
  durationSeconds: number;
}

async function measure(corpus: Corpus, source: string): Promise<CoverageReport> {
  const started = Date.now();
  const qs = corpus.queries;
  const kusto = kustoVerdicts(qs);
  const validate = await validateVerdicts(qs);
  const valid = qs.map((_q, i) => kusto[i]!.syntaxErrors.length === 0);
  const validQueries = qs.filter((_q, i) => valid[i]);
  const answers = await sandboxAnswers(validQueries);
  const answerOf = new Map(validQueries.map((q, i) => [q.id, answers[i]!]));

  const disagreements = qs
    .map((q, i) => ({ id: q.id, kusto: kusto[i]!.errors, validate: validate[i]! }))
    .filter((d) => !sameErrors(d.kusto, d.validate));
  const falseSchemaErrors = qs.filter((_q, i) => kusto[i]!.errors.length === 0 && validate[i]!.length > 0).length;
  const answered = answers.filter((a) => a.status === 200);
  const cleanIds = new Set(qs.filter((_q, i) => kusto[i]!.errors.length === 0).map((q) => q.id));
  const unresolved = qs.flatMap((_q, i) =>
    valid[i] ? kusto[i]!.errors.flatMap((e) => /The name '([^']+)' does not refer/.exec(e.message)?.[1] ?? []) : [],
  );
  const figures = {
    validateAgreementPct: pct(qs.length - disagreements.length, qs.length),
    falseSchemaErrors,
    sandboxAnsweredPct: pct(
      validQueries.filter((q) => cleanIds.has(q.id) && answerOf.get(q.id)?.status === 200).length,
      cleanIds.size,
    ),
    sandboxAnsweredOfSyntaxValidPct: pct(answered.length, validQueries.length),
    answersWithRowsPct: pct(answered.filter((a) => a.rows > 0).length, answered.length),
  };
  const met = Object.fromEntries(
    Object.entries(TARGETS).map(([k, t]) => {
      const v = figures[k as keyof typeof figures];
      return [k, t.op === '>=' ? v >= t.value : v <= t.value];
    }),
  );
  return {
    corpus: {
      source,
      pages: corpus.pages,
      pagesWithQueries: corpus.pagesWithQueries,
      queries: qs.length,
      commentOnlyBlocks: corpus.commentOnlyBlocks,
    },
    figures,
    targets: Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, `${t.op} ${t.value}`])),
    met,
    counts: {
      kustoSyntaxErrors: valid.filter((v) => !v).length,
      kustoSemanticErrors: qs.filter((_q, i) => valid[i] && kusto[i]!.errors.length > 0).length,
      kustoClean: cleanIds.size,
      syntacticallyValid: validQueries.length,
      answered200: answered.length,
      answeredWithRows: answered.filter((a) => a.rows > 0).length,
      answered200OfKustoClean: validQueries.filter((q) => cleanIds.has(q.id) && answerOf.get(q.id)?.status === 200)
        .length,
      sandbox5xx: answers.filter((a) => a.status >= 500).length,
      kustoPipedColumnArgumentsExcused: kusto.filter((k) => k.pipedColumnArguments > 0 && k.errors.length === 0).length,
    },
    unresolvedNames: countBy(unresolved),
    blockers: countBy(answers.filter((a) => a.status !== 200).map(blockerOf)),
    disagreements,
    queries: qs.map((q, i) => {
      const a = answerOf.get(q.id);
      return {
        id: q.id,
        syntaxErrors: kusto[i]!.syntaxErrors.length,
        kustoErrors: kusto[i]!.errors.length,
        status: a?.status ?? 0,
        rows: a?.rows ?? 0,
        ...(a && a.status !== 200 ? { blocker: blockerOf(a) } : {}),
      };
    }),
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

function print(r: CoverageReport, list: boolean): void {
  const c = r.counts;
  const line = (name: string, value: string, target: string, ok: boolean): string =>
    `  ${name.padEnd(52)} ${value.padStart(8)}   target ${target.padEnd(6)} ${ok ? 'met' : 'NOT met'}`;
  console.log(
    `KQL coverage on ${r.corpus.queries} queries from ${r.corpus.pagesWithQueries} of ${r.corpus.pages} pages (${r.corpus.source})`,
  );
  console.log(
    `  Kusto.Language: ${c.kustoClean} clean (${c.kustoPipedColumnArgumentsExcused} of them once a column named in an invoke function's arguments is not held against them, as Defender does not), ${c.kustoSemanticErrors} with semantic errors, ${c.kustoSyntaxErrors} with syntax errors`,
  );
  console.log(
    line(
      'riposte validate agrees with Kusto.Language',
      `${r.figures.validateAgreementPct} %`,
      r.targets.validateAgreementPct!,
      r.met.validateAgreementPct!,
    ),
  );
  console.log(
    line(
      'false errors on queries Kusto finds clean',
      String(r.figures.falseSchemaErrors),
      r.targets.falseSchemaErrors!,
      r.met.falseSchemaErrors!,
    ),
  );
  console.log(
    line(
      `sandbox answers 200 (${c.answered200OfKustoClean} of ${c.kustoClean} valid queries)`,
      `${r.figures.sandboxAnsweredPct} %`,
      r.targets.sandboxAnsweredPct!,
      r.met.sandboxAnsweredPct!,
    ),
  );
  console.log(
    line(
      `answers holding a row (${c.answeredWithRows} of ${c.answered200})`,
      `${r.figures.answersWithRowsPct} %`,
      r.targets.answersWithRowsPct!,
      r.met.answersWithRowsPct!,
    ),
  );
  console.log(
    `  of all ${c.syntacticallyValid} syntactically valid queries (${c.kustoSemanticErrors} of them rejected by Kusto's semantic analysis, as Defender would), the sandbox answers ${c.answered200} (${r.figures.sandboxAnsweredOfSyntaxValidPct} %); 5xx answers: ${c.sandbox5xx}`,
  );
  if (Object.keys(r.blockers).length > 0) {
    console.log('Behind the other answers:');
    for (const [b, n] of Object.entries(r.blockers)) console.log(`  ${String(n).padStart(4)}  ${b}`);
  }
  if (Object.keys(r.unresolvedNames).length > 0) {
    console.log('Names Kusto cannot resolve against the schema (in syntactically valid queries):');
    for (const [b, n] of Object.entries(r.unresolvedNames)) console.log(`  ${String(n).padStart(4)}  ${b}`);
  }
  for (const d of r.disagreements)
    console.log(
      `Disagreement ${d.id}: Kusto [${d.kusto.map((e) => `${e.line}:${e.column} ${e.code}`).join(', ')}] validate [${d.validate.map((e) => `${e.line}:${e.column} ${e.code}`).join(', ')}]`,
    );
  if (list)
    for (const q of r.queries ?? [])
      console.log(
        `  ${q.id.padEnd(70)} kusto ${q.syntaxErrors > 0 ? 'syntax' : q.kustoErrors > 0 ? 'semantic' : 'clean '} ${q.status || '-'} rows ${q.rows}${q.blocker ? `  ${q.blocker}` : ''}`,
      );
}

/** Keeps the bench's figures; replaces only the kqlCoverage section. */
function writeResults(r: CoverageReport): void {
  const current = existsSync(RESULTS_FILE)
    ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>)
    : {};
  const { queries: _perQuery, ...section } = r;
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...current, kqlCoverage: section }, null, 2)}\n`);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const folder = positionals[0] ?? process.env.RIPOSTE_KQL_CORPUS;
  if (values.help || !folder) {
    console.error(
      'Usage: npm run kql-coverage -- <folder of Markdown pages> [--json] [--list] [--no-write]\n' +
        '  (or RIPOSTE_KQL_CORPUS=<folder>). Every ```kusto/```kql block of every .md page under the folder is a query.\n' +
        '  Writes the figures into bench/results.json (kqlCoverage) unless --no-write. Exit 0 when every target is met,\n' +
        '  1 when one is not, 2 on a usage problem.',
    );
    return values.help ? 0 : 2;
  }
  const dir = resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    console.error(`kql-coverage: ${folder}: not a folder`);
    return 2;
  }
  const corpus = buildCorpus(dir);
  if (corpus.queries.length === 0) {
    console.error(`kql-coverage: no \`\`\`kusto or \`\`\`kql blocks in the .md pages under ${folder}`);
    return 2;
  }
  const report = await measure(corpus, process.env.RIPOSTE_KQL_CORPUS_SOURCE ?? folder);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else print(report, values.list === true);
  if (!values['no-write']) writeResults(report);
  return Object.values(report.met).every(Boolean) ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`kql-coverage: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(2);
    },
  );
}
