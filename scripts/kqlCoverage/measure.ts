// The three measurements of `npm run kql-coverage`, each against an independent judge:
// - Kusto.Language itself (syntax from its parser alone; errors from its analysis against the schema JSON, built
//   here from the JSON's text, not through Riposte's loader),
// - `riposte validate` run as users run it (a child process over a folder of .kql files, --json),
// - the sandbox over HTTPS (Graph runHuntingQuery, as Riposte calls it).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import axios from 'axios';
import { positionAt } from '../../cli/kql/checkQueries';
import { functionDeclaration } from '../../cli/kql/huntingGlobals';
import { withoutPipedColumnArguments } from '../../cli/kql/invokeArguments';
import { analyzeKql, kustoLanguage, toArray } from '../../cli/kql/kusto';
import type { HuntingSchema } from '../../shared/queries/huntingSchema';
import { startSandbox } from '../../sandbox';
import type { CorpusQuery } from './corpus';

const REPO_ROOT = join(__dirname, '..', '..');
const SCHEMA_FILE = join(REPO_ROOT, 'schemas', 'hunting', 'advanced-hunting-schema.json');

export interface ErrorAt {
  line: number;
  column: number;
  code: string;
  message: string;
}

export interface KustoVerdict {
  /** Errors of Kusto's parser alone (no schema). */
  syntaxErrors: ErrorAt[];
  /** Errors of Kusto's analysis against the schema (syntax and semantic), less those Defender does not raise. */
  errors: ErrorAt[];
  /** Kusto's KS142 errors for a column named in a documented invoke function's arguments (Defender resolves it). */
  pipedColumnArguments: number;
}

/** Kusto's global state with the schema's tables (declared from their column text) and documented functions. */
function referenceGlobals(): unknown {
  const K = kustoLanguage();
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as HuntingSchema;
  const members: unknown[] = schema.tables.map(
    (t) =>
      new K.Symbols.TableSymbol.$ctor7(t.name, `(${t.columns.map((c) => `['${c.name}']:${c.type}`).join(', ')})`, null),
  );
  for (const f of schema.functions) {
    const { parameters, body } = functionDeclaration(f);
    members.push(new K.Symbols.FunctionSymbol.$ctor16(f.name, parameters, body, null));
  }
  return K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('hunting', members));
}

export function kustoVerdicts(queries: readonly CorpusQuery[]): KustoVerdict[] {
  const K = kustoLanguage();
  const globals = referenceGlobals();
  return queries.map((q) => {
    const at = (start: number, code: string, message: string): ErrorAt => ({
      ...positionAt(q.text, start),
      code,
      message,
    });
    const syntaxErrors = toArray(K.KustoCode.Parse(q.text).GetDiagnostics())
      .filter((d) => d.Severity === 'Error')
      .map((d) => at(d.Start, d.Code, d.Message));
    const all = analyzeKql(q.text, globals).filter((d) => d.severity === 'error');
    // Kusto cannot see the piped columns an invoke function's arguments name; Defender resolves them.
    const errors = withoutPipedColumnArguments(q.text, all).map((d) => at(d.start, d.code, d.message));
    return { syntaxErrors, errors, pipedColumnArguments: all.length - errors.length };
  });
}

interface ValidateJson {
  results: { kql: { errors: { file: string; line: number; column: number; code: string; message: string }[] } }[];
}

/** `riposte validate <folder> --json` over one .kql file per query: each query's errors. */
export async function validateVerdicts(queries: readonly CorpusQuery[]): Promise<ErrorAt[][]> {
  const dir = mkdtempSync(join(os.tmpdir(), 'kql-coverage-'));
  try {
    const name = (i: number): string => join(dir, `q${String(i).padStart(4, '0')}.kql`);
    queries.forEach((q, i) => writeFileSync(name(i), q.text));
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'riposte.js'), 'validate', dir, '--json'],
        {
          cwd: REPO_ROOT,
          maxBuffer: 64 * 1024 * 1024,
        },
      ));
    } catch (e) {
      // Exit 1 means "errors found": the report is still on stdout.
      const out = (e as { stdout?: string; code?: number }).stdout;
      if ((e as { code?: number }).code !== 1 || !out) throw e;
      stdout = out;
    }
    const report = JSON.parse(stdout) as ValidateJson;
    const byFile = new Map<string, ErrorAt[]>();
    for (const r of report.results)
      for (const f of r.kql.errors) {
        const list = byFile.get(f.file) ?? [];
        list.push({ line: f.line, column: f.column, code: f.code, message: f.message });
        byFile.set(f.file, list);
      }
    return queries.map((_q, i) => byFile.get(name(i)) ?? []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SandboxAnswer {
  status: number;
  rows: number;
  message?: string;
}

/** Each query sent to a fresh seeded sandbox's Graph runHuntingQuery (quotas off: this is not a rate test). */
export async function sandboxAnswers(queries: readonly CorpusQuery[]): Promise<SandboxAnswer[]> {
  const sandbox = await startSandbox({ rateLimits: false });
  try {
    const agent = new https.Agent({ ca: sandbox.caPem, keepAlive: true });
    const http = axios.create({ httpsAgent: agent, validateStatus: () => true, proxy: false, timeout: 120_000 });
    const tokenRes = await http.post(
      `${sandbox.url}/${sandbox.tenantId}/oauth2/v2.0/token`,
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sandbox.clientId,
        client_secret: sandbox.control.currentSecret(),
        scope: 'https://graph.microsoft.com/.default',
      }),
    );
    const token = (tokenRes.data as { access_token: string }).access_token;
    const answers: SandboxAnswer[] = [];
    for (const q of queries) {
      const res = await http.post(
        `${sandbox.graphBaseUrl}/security/runHuntingQuery`,
        { Query: q.text },
        { headers: { Authorization: `Bearer ${token}` } },
      );
      const data = res.data as { results?: unknown[]; error?: { message?: string } };
      answers.push(
        res.status === 200
          ? { status: 200, rows: data.results?.length ?? 0 }
          : { status: res.status, rows: 0, message: data.error?.message ?? JSON.stringify(res.data).slice(0, 300) },
      );
    }
    agent.destroy();
    return answers;
  } finally {
    await sandbox.close();
  }
}
