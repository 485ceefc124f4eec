// Settings for commands run here (riposte run, riposte poison, npm start), with Azure Functions Core Tools'
// precedence: a Values entry of local.settings.json is used only when the environment does not already hold a
// non-empty value of that name (Core Tools' `func start` copies each one into the process environment unless
// Environment.GetEnvironmentVariable is non-empty, and prints "Skipping '<name>' from local settings as it's already
// defined in current environment variables": Azure/azure-functions-core-tools, StartHostAction.cs,
// UpdateEnvironmentVariables).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../shared/config';
import { UsageError } from './usageError';

/**
 * @param file - the settings file; `explicit` when the user named it (then it must exist).
 * @returns its Values as strings ({} when an implicit file is absent).
 * @throws {UsageError} when a named file is missing, or any file is not JSON with an object `Values`.
 */
export function readSettingsFile(file: string, explicit: boolean): Env {
  if (!existsSync(file)) {
    if (explicit) throw new UsageError(`settings file not found: ${file}`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`settings file ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values ?? {};
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new UsageError(`settings file ${file}: "Values" must be an object of setting names and values`);
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}

/** Names the environment sets (non-empty): they win over the file. */
export const setInEnvironment = (env: Env, name: string): boolean => (env[name] ?? '') !== '';

/** The file's Values under the environment: a variable that is set (non-empty) wins, as in Core Tools. */
export function layerSettings(fromFile: Env, env: Env): Env {
  const merged: Env = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (v !== '' || !(k in merged))) merged[k] = v;
  return merged;
}

/** The effective settings: the environment over the settings file (default <cwd>/local.settings.json). */
export function effectiveSettings(options: { settingsFile?: string; cwd: string; env: Env }): Env {
  const file = options.settingsFile ?? join(options.cwd, 'local.settings.json');
  return layerSettings(readSettingsFile(file, options.settingsFile !== undefined), options.env);
}
