// `riposte permissions [path...]`: the application permissions a deployment needs for its workflows (the Function
// App's own, plus every step's, from shared/permissions.ts), per API with its resource app id. infra/postdeploy.sh
// grants exactly this list (--tsv). Workflow files are read as YAML and their steps walked (forEach and if
// included); nothing else is loaded, so it runs without the query library or Kusto.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { ApiBackend } from '../shared/defender/types';
import { neededPermissions, PERMISSION_APIS, stepPermissions, type Permission } from '../shared/permissions';
import { EXIT } from './exitCodes';
import { UsageError } from './usageError';

export const PERMISSIONS_OPTIONS = {
  api: { type: 'string' },
  tsv: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const PERMISSIONS_USAGE = `Usage: riposte permissions [path...] [--api graph|legacy] [--tsv | --json]

Lists the application permissions (admin consent) to grant the app registration: those the Function App's own
endpoints need (incidents and hunting) and those of every step in the workflows found at each path (a content
folder's workflows/, a folder of .yaml files, or one file; default: ./workflows when it exists), each with the API it belongs to.

Options:
  --api graph|legacy     The incident API (default: DEFENDER_API, else graph).
  --tsv                  One line per permission: resource app id, role, API name, the step kinds needing it.
  --json                 { api, workflows, permissions: [{ api, resourceAppId, resourceName, role, neededBy }] }.
  -h, --help             This text.

Exit codes: 0 listed; 1 a workflow could not be read or uses a step kind without recorded permissions; 2 usage error.`;

/** A workflow file could not be read, or names a kind no permission is recorded for. */
export class PermissionsError extends Error {}

/** Every step kind a parsed workflow uses, nested steps (forEach, if) included. */
export function stepKinds(doc: unknown): string[] {
  const out: string[] = [];
  const walk = (steps: unknown): void => {
    if (!Array.isArray(steps)) return;
    for (const s of steps) {
      if (typeof s !== 'object' || s === null) continue;
      const { kind, input } = s as { kind?: unknown; input?: Record<string, unknown> };
      if (typeof kind === 'string') out.push(kind);
      if (input && typeof input === 'object') {
        walk(input.steps);
        walk(input.then);
        walk(input.else);
      }
    }
  };
  walk((doc as { steps?: unknown } | null)?.steps);
  return out;
}

/** The workflow files at `path`: a content folder's workflows/, a folder's .yaml/.yml files, or the file itself. */
function workflowFiles(path: string): string[] {
  if (!existsSync(path)) throw new UsageError(`no such file or folder: ${path}`);
  if (statSync(path).isFile()) return [path];
  const dir = existsSync(join(path, 'workflows')) ? join(path, 'workflows') : path;
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface NeededPermission extends Permission {
  resourceAppId: string;
  resourceName: string;
  /** The step kinds needing it; 'app' for the Function App's own endpoints. */
  neededBy: string[];
}

/** The permissions the workflows at `paths` need on `backend`. @throws {PermissionsError} naming the file. */
export function permissionsFor(
  paths: readonly string[],
  backend: ApiBackend,
): { workflows: string[]; permissions: NeededPermission[] } {
  const files = paths.flatMap(workflowFiles);
  const kindsByFile = files.map((file) => {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new PermissionsError(`${file}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
    }
    const kinds = stepKinds(doc);
    for (const k of kinds) {
      try {
        stepPermissions(k, backend);
      } catch (e) {
        throw new PermissionsError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return kinds;
  });
  const kinds = [...new Set(kindsByFile.flat())].sort();
  const permissions = neededPermissions(kinds, backend).map((p) => {
    const needs = (k: string): boolean =>
      stepPermissions(k, backend).some((q) => q.api === p.api && (q.role === p.role || coveredBy(p.role, q.role)));
    return {
      ...p,
      resourceAppId: PERMISSION_APIS[p.api].appId,
      resourceName: PERMISSION_APIS[p.api].name,
      neededBy: [...(isBase(p, backend) ? ['app'] : []), ...kinds.filter(needs)],
    };
  });
  return { workflows: files, permissions };
}

const coveredBy = (have: string, read: string): boolean => have === read.replace(/\.Read\.All$/, '.ReadWrite.All');
const isBase = (p: Permission, backend: ApiBackend): boolean =>
  neededPermissions([], backend).some((b) => b.api === p.api && b.role === p.role);

export function permissionsCommand(
  args: string[],
  io: { stdout(t: string): void; stderr(t: string): void; cwd: string; env?: Record<string, string | undefined> },
): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: PERMISSIONS_OPTIONS });
  const api = (values.api ?? (io.env ?? process.env).DEFENDER_API ?? 'graph').trim().toLowerCase();
  if (api !== 'graph' && api !== 'legacy') throw new UsageError(`--api must be graph or legacy, got '${api}'`);
  if (values.tsv && values.json) throw new UsageError('--tsv and --json exclude each other');
  // Without a path: ./workflows when there is one, else none (the app's own permissions only).
  const fallback = existsSync(resolve(io.cwd, 'workflows')) ? ['workflows'] : [];
  const paths = (positionals.length > 0 ? positionals : fallback).map((p) => resolve(io.cwd, p));
  let result;
  try {
    result = permissionsFor(paths, api);
  } catch (e) {
    if (!(e instanceof PermissionsError)) throw e;
    io.stderr(`riposte: ${e.message}\n`);
    return EXIT.failed;
  }
  const { permissions, workflows } = result;
  if (values.json) io.stdout(`${JSON.stringify({ api, workflows, permissions }, null, 2)}\n`);
  else if (values.tsv)
    io.stdout(
      permissions.map((p) => `${p.resourceAppId}\t${p.role}\t${p.resourceName}\t${p.neededBy.join(',')}\n`).join(''),
    );
  else {
    io.stdout(`Application permissions for DEFENDER_API=${api} and ${workflows.length} workflow file(s):\n`);
    for (const p of permissions)
      io.stdout(`  ${p.resourceName.padEnd(28)} ${p.role.padEnd(32)} ${p.neededBy.join(', ')}\n`);
  }
  return EXIT.ok;
}
