// `riposte validate [dir]`: loads the security team's content the way the Function App does (queries, then
// workflows against those queries, then webhook mappings), offline, and reports every problem at once with the
// file, the place in it and what is wrong. For the team's own CI: exit code 1 when anything is wrong.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import {
  createQueryLibrary,
  formatQueryFileProblem,
  loadQueryLibrary,
  parseQueryFile,
  QueryFileError,
} from '../shared/queries';
import type { QueryDefinition, QueryLibrary } from '../shared/queries/types';
import { loadMappings } from '../shared/webhooks';
import { webhookWorkflowProblems } from '../shared/automation/webhookWorkflow';
import { loadWorkflows, WorkflowError } from '../shared/workflows';

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

export interface ValidationResult {
  dir: string;
  ok: boolean;
  checks: ContentCheck[];
  problemCount: number;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

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

/**
 * @param dir - the folder holding queries/, workflows/ and mappings/ (a copy of this repo's layout).
 * @param options.ticketSyncWorkflow - the workflow webhook deliveries run (TICKET_SYNC_WORKFLOW; default ticket-sync).
 * @returns every problem found; `ok` is false when there is any, or when none of the three folders exists.
 */
export async function validateContent(
  dir: string,
  options: { ticketSyncWorkflow?: string | undefined } = {},
): Promise<ValidationResult> {
  const root = resolve(dir);
  // Loaders name files by the path they were given: show them relative to the content folder.
  const relative = (line: string): string => line.split(`${root}${sep}`).join('');
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
      if (e instanceof QueryFileError) queries.problems = e.problems.map((p) => relative(formatQueryFileProblem(p)));
      else queries.problems = [`queries: ${relative(messageOf(e))}`];
      library = partialLibrary(join(root, 'queries'));
    }
  }
  if (workflows.present) {
    try {
      const loaded = await loadWorkflows(join(root, 'workflows'), library);
      workflows.loaded = [...loaded.keys()];
      workflows.problems = webhookWorkflowProblems(loaded, options.ticketSyncWorkflow || 'ticket-sync');
    } catch (e) {
      if (e instanceof WorkflowError) workflows.problems = e.problems.map(relative);
      else workflows.problems = [`workflows: ${relative(messageOf(e))}`];
    }
  }
  if (mappings.present) {
    try {
      mappings.loaded = [...(await loadMappings(join(root, 'mappings'))).keys()];
    } catch (e) {
      const problems = (e as { problems?: readonly string[] }).problems;
      mappings.problems = problems ? problems.map(relative) : [`mappings: ${relative(messageOf(e))}`];
    }
  }

  const checks = [queries, workflows, mappings];
  const problemCount = checks.reduce((n, c) => n + c.problems.length, 0);
  const anyPresent = checks.some((c) => c.present);
  return { dir: root, ok: anyPresent && problemCount === 0, checks, problemCount };
}

/** Terminal text: one line per folder, then each problem indented under it. */
export function formatValidation(result: ValidationResult): string {
  const lines = [`Checking Riposte content in ${result.dir}`, ''];
  for (const c of result.checks) {
    const label = `${c.kind}/`.padEnd(11);
    if (!c.present) lines.push(`  -  ${label} not present, skipped`);
    else if (c.problems.length === 0) lines.push(`  ok ${label} ${c.loaded.length} loaded: ${c.loaded.join(', ')}`);
    else {
      lines.push(`  !! ${label} ${c.problems.length} problem${c.problems.length === 1 ? '' : 's'}`);
      for (const p of c.problems) lines.push(`       ${p}`);
    }
  }
  lines.push('');
  if (!result.checks.some((c) => c.present)) {
    lines.push('No queries/, workflows/ or mappings/ folder here: nothing was checked.');
  } else if (result.problemCount === 0) {
    lines.push('All content is valid.');
  } else {
    lines.push(`${result.problemCount} problem${result.problemCount === 1 ? '' : 's'} found.`);
  }
  return `${lines.join('\n')}\n`;
}
