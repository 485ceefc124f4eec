// `riposte validate [paths...]`: for the team's own CI, offline. A content folder (holding queries/, workflows/ or
// mappings/) is loaded the way the Function App loads it (queries, then workflows against those queries, then
// webhook mappings), and every query is analysed with Microsoft's Kusto.Language against the Advanced Hunting schema
// as it will run: each library query bound with its examples, each workflow hunt step's query bound with the step's
// values (and, for a scheduled workflow, with the legacy API's window). Any other folder, or a `.kql` file, is
// checked as KQL: every `.kql` file in it, plain queries as written and files with Riposte's header as library
// queries. Every problem is reported at once with file, line, column and Kusto's own message; Kusto's warnings are
// listed apart and do not fail the run. Exit code 1 when anything is wrong.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { checkHuntStep, checkLibraryQuery, checkPlainQuery, type KqlFinding } from './kql/checkQueries';
import { huntSteps } from './kql/huntSteps';
import {
  createQueryLibrary,
  formatQueryFileProblem,
  loadQueryLibrary,
  parseQueryFile,
  QueryFileError,
} from '../shared/queries';
import type { ApiBackend } from '../shared/defender/types';
import type { QueryDefinition, QueryLibrary } from '../shared/queries/types';
import { loadMappings } from '../shared/webhooks';
import { webhookWorkflowProblems } from '../shared/automation/webhookWorkflow';
import { loadWorkflows, WorkflowError, type Workflow } from '../shared/workflows';

export type ContentKind = 'queries' | 'workflows' | 'mappings';

export interface ContentCheck {
  kind: ContentKind;
  /** False when the folder does not exist (nothing to check; not a problem by itself). */
  present: boolean;
  /** Names of what loaded (query, workflow and source names). */
  loaded: string[];
  /** One line each: `<folder>/<file>[:<line>]: <where>: <what>`. */
  problems: string[];
}

export interface KqlCheck {
  /** Query files analysed (library and plain). */
  queries: number;
  /** Workflow hunt steps whose bound query was analysed. */
  huntSteps: number;
  /** Kusto's errors (and header problems of `.kql` files outside a content folder): each fails the run. */
  errors: KqlFinding[];
  /** Kusto's warnings: reported, never failing the run. */
  warnings: KqlFinding[];
}

export interface ValidationResult {
  /** The folder or file checked (absolute). */
  dir: string;
  /** `content`: a folder with queries/, workflows/ or mappings/. `kql`: `.kql` files. */
  kind: 'content' | 'kql';
  ok: boolean;
  /** Content folders only (empty for `kql`). */
  checks: ContentCheck[];
  kql: KqlCheck;
  /** Content problems plus KQL errors. */
  problemCount: number;
  warningCount: number;
}

export interface ValidationReport {
  ok: boolean;
  problemCount: number;
  warningCount: number;
  results: ValidationResult[];
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const CONTENT_KINDS: readonly ContentKind[] = ['queries', 'workflows', 'mappings'];

/** Every definition that parses on its own, so workflows can still be checked when one query file is broken. */
function partialLibrary(dir: string): QueryLibrary {
  const defs: QueryDefinition[] = [];
  const seen = new Set<string>();
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.kql'))
    .sort()) {
    try {
      const def = parseQueryFile(readFileSync(join(dir, name), 'utf8'), join(dir, name));
      if (!seen.has(def.name)) defs.push(def);
      seen.add(def.name);
    } catch {
      // Reported by the full load.
    }
  }
  return createQueryLibrary(defs);
}

/** Keeps the first of identical findings (a query's own check and a hunt step's often agree). */
function dedupe(findings: KqlFinding[]): KqlFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.file}:${f.line}:${f.column}:${f.code}:${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function kqlCheck(findings: KqlFinding[], queries: number, steps: number): KqlCheck {
  const unique = dedupe(findings);
  return {
    queries,
    huntSteps: steps,
    errors: unique.filter((f) => f.severity === 'error'),
    warnings: unique.filter((f) => f.severity === 'warning'),
  };
}

/** True when `dir` holds queries/, workflows/ or mappings/. */
export function isContentFolder(dir: string): boolean {
  return CONTENT_KINDS.some((k) => existsSync(join(dir, k)));
}

/**
 * @param dir - the folder holding queries/, workflows/ and mappings/ (a copy of this repo's layout).
 * @param options.ticketSyncWorkflow - the workflow webhook deliveries run (TICKET_SYNC_WORKFLOW; default ticket-sync).
 * @returns every problem found; `ok` is false when there is any, or when none of the three folders exists.
 */
export async function validateContent(
  dir: string,
  options: { ticketSyncWorkflow?: string | undefined; backend?: ApiBackend | undefined } = {},
): Promise<ValidationResult> {
  const root = resolve(dir);
  // Loaders name files by the path they were given: show them relative to the content folder.
  const relativeLine = (line: string): string => line.split(`${root}${sep}`).join('');
  const show = (file: string): string => relative(root, resolve(root, file)).split(sep).join('/');
  const check = (kind: ContentKind): ContentCheck => ({
    kind,
    present: existsSync(join(root, kind)),
    loaded: [],
    problems: [],
  });
  const queries = check('queries');
  const workflows = check('workflows');
  const mappings = check('mappings');

  let library: QueryLibrary = createQueryLibrary([]);
  if (queries.present) {
    try {
      library = await loadQueryLibrary(join(root, 'queries'));
      queries.loaded = library.names();
    } catch (e) {
      if (e instanceof QueryFileError)
        queries.problems = e.problems.map((p) => relativeLine(formatQueryFileProblem(p)));
      else queries.problems = [`queries: ${relativeLine(messageOf(e))}`];
      library = partialLibrary(join(root, 'queries'));
    }
  }
  let loadedWorkflows: Workflow[] = [];
  if (workflows.present) {
    try {
      const loaded = await loadWorkflows(join(root, 'workflows'), library, { backend: options.backend });
      loadedWorkflows = [...loaded.values()];
      workflows.loaded = [...loaded.keys()];
      workflows.problems = webhookWorkflowProblems(loaded, options.ticketSyncWorkflow || 'ticket-sync');
    } catch (e) {
      if (e instanceof WorkflowError) workflows.problems = e.problems.map(relativeLine);
      else workflows.problems = [`workflows: ${relativeLine(messageOf(e))}`];
    }
  }
  if (mappings.present) {
    try {
      mappings.loaded = [...(await loadMappings(join(root, 'mappings'))).keys()];
    } catch (e) {
      const problems = (e as { problems?: readonly string[] }).problems;
      mappings.problems = problems ? problems.map(relativeLine) : [`mappings: ${relativeLine(messageOf(e))}`];
    }
  }

  // KQL: every query that loaded, as the library binds it; then every hunt step of the workflows that loaded.
  const findings: KqlFinding[] = [];
  const names = library.names();
  for (const name of names) {
    const def = library.get(name) as QueryDefinition;
    findings.push(...checkLibraryQuery(def, show(def.file)));
  }
  const steps = huntSteps(loadedWorkflows);
  for (const step of steps) {
    const def = library.get(step.query);
    if (!def) continue; // reported by the workflow loader
    const workflowFile = show(step.workflow.file);
    findings.push(
      ...checkHuntStep(def, show(def.file), step.values, {
        context: `bound by ${workflowFile} ${step.path}`,
        scheduled: step.workflow.triggers.schedule !== undefined,
        workflowFile,
      }),
    );
  }
  const kql = kqlCheck(findings, names.length, steps.length);

  const checks = [queries, workflows, mappings];
  const problemCount = checks.reduce((n, c) => n + c.problems.length, 0) + kql.errors.length;
  const anyPresent = checks.some((c) => c.present);
  return {
    dir: root,
    kind: 'content',
    ok: anyPresent && problemCount === 0,
    checks,
    kql,
    problemCount,
    warningCount: kql.warnings.length,
  };
}

/** `.kql` files under `dir` (sorted; node_modules and dot folders skipped). */
function kqlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...kqlFiles(path));
    else if (name.toLowerCase().endsWith('.kql')) out.push(path);
  }
  return out;
}

/** One `.kql` file: with Riposte's header, a library query (header problems are errors); else a plain query. */
function checkKqlFile(path: string, display: string): KqlFinding[] {
  const text = readFileSync(path, 'utf8');
  if (!/^\uFEFF?\/\/ ---\s*$/m.test(text.split('\n', 1)[0] ?? '')) {
    return checkPlainQuery(display, text.replace(/^\uFEFF/, ''));
  }
  try {
    return checkLibraryQuery(parseQueryFile(text, path), display);
  } catch (e) {
    if (!(e instanceof QueryFileError)) throw e;
    return e.problems.map((p) => ({
      file: display,
      line: p.line ?? 1,
      column: 1,
      endLine: p.line ?? 1,
      endColumn: 1,
      severity: 'error' as const,
      code: 'RIPOSTE',
      message: p.field === undefined ? p.message : `${p.field}: ${p.message}`,
    }));
  }
}

/**
 * Checks `.kql` files: `target` is a file or a folder (every `.kql` file under it).
 * @param options.base - paths are shown relative to it (default: the working directory).
 */
export function validateKql(target: string, options: { base?: string } = {}): ValidationResult {
  const path = resolve(target);
  const base = resolve(options.base ?? process.cwd());
  const files = statSync(path).isDirectory() ? kqlFiles(path) : [path];
  // Relative to the working directory, as a CI log or an editor links it; absolute when it lies outside.
  const display = (f: string): string => {
    const rel = relative(base, f);
    return rel.startsWith('..') || isAbsolute(rel) ? f : rel.split(sep).join('/');
  };
  const findings = files.flatMap((f) => checkKqlFile(f, display(f)));
  const kql = kqlCheck(findings, files.length, 0);
  return {
    dir: path,
    kind: 'kql',
    ok: files.length > 0 && kql.errors.length === 0,
    checks: [],
    kql,
    problemCount: kql.errors.length,
    warningCount: kql.warnings.length,
  };
}

/**
 * `riposte validate [paths...]`: each path a content folder, another folder of `.kql` files, or a `.kql` file.
 * @throws {Error} (a usage problem) for a path that does not exist or is a file other than `.kql`
 */
export async function validatePaths(
  paths: readonly string[],
  options: { cwd: string; ticketSyncWorkflow?: string | undefined; backend?: ApiBackend | undefined },
): Promise<ValidationReport> {
  const results: ValidationResult[] = [];
  for (const p of paths.length > 0 ? paths : ['.']) {
    const path = resolve(options.cwd, p);
    if (!existsSync(path)) throw new PathError(`${p}: no such file or folder`);
    const isDir = statSync(path).isDirectory();
    if (!isDir && !path.toLowerCase().endsWith('.kql')) {
      throw new PathError(`${p}: not a folder or a .kql file`);
    }
    if (isDir && (isContentFolder(path) || kqlFiles(path).length === 0)) {
      results.push(
        await validateContent(path, { ticketSyncWorkflow: options.ticketSyncWorkflow, backend: options.backend }),
      );
    } else {
      results.push(validateKql(path, { base: options.cwd }));
    }
  }
  return {
    ok: results.every((r) => r.ok),
    problemCount: results.reduce((n, r) => n + r.problemCount, 0),
    warningCount: results.reduce((n, r) => n + r.warningCount, 0),
    results,
  };
}

/** A path given to validate that cannot be checked (the CLI answers it as a usage error). */
export class PathError extends Error {
  override name = 'PathError';
}

const plural = (n: number, word: string): string =>
  `${n} ${n === 1 ? word : word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`}`;

function findingLine(f: KqlFinding): string {
  const context = f.context ? ` [${f.context}]` : '';
  return `${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code}: ${f.message}${context}`;
}

function kqlLines(result: ValidationResult): string[] {
  const { queries, huntSteps: steps, errors, warnings } = result.kql;
  const what = `${plural(queries, 'query')}${steps > 0 ? `, ${plural(steps, 'hunt step')}` : ''}`;
  const label = 'kql'.padEnd(11);
  const head =
    errors.length === 0
      ? `  ok ${label} ${what} analysed with Kusto.Language: no errors${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''}`
      : `  !! ${label} ${plural(errors.length, 'error')}${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''} in ${what}`;
  return [head, ...[...errors, ...warnings].map((f) => `       ${findingLine(f)}`)];
}

/** Terminal text for one result: one line per folder, then each problem indented under it. */
export function formatValidation(result: ValidationResult): string {
  const lines: string[] = [];
  if (result.kind === 'kql') {
    lines.push(`Checking KQL in ${result.dir}`, '', ...kqlLines(result), '');
    if (result.kql.queries === 0) lines.push('No .kql file here: nothing was checked.');
    else if (result.problemCount === 0) lines.push('All queries are valid.');
    else lines.push(`${plural(result.problemCount, 'problem')} found.`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`Checking Riposte content in ${result.dir}`, '');
  for (const c of result.checks) {
    const label = `${c.kind}/`.padEnd(11);
    if (!c.present) lines.push(`  -  ${label} not present, skipped`);
    else if (c.problems.length === 0) lines.push(`  ok ${label} ${c.loaded.length} loaded: ${c.loaded.join(', ')}`);
    else {
      lines.push(`  !! ${label} ${plural(c.problems.length, 'problem')}`);
      for (const p of c.problems) lines.push(`       ${p}`);
    }
  }
  if (result.checks.some((c) => c.present)) lines.push(...kqlLines(result));
  lines.push('');
  if (!result.checks.some((c) => c.present)) {
    lines.push('No queries/, workflows/ or mappings/ folder and no .kql file here: nothing was checked.');
  } else if (result.problemCount === 0) {
    lines.push('All content is valid.');
  } else {
    lines.push(`${plural(result.problemCount, 'problem')} found.`);
  }
  return `${lines.join('\n')}\n`;
}

/** Terminal text for every path checked. */
export function formatReport(report: ValidationReport): string {
  return report.results.map(formatValidation).join('\n');
}
