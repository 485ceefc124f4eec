// Settings for commands run here (riposte run, riposte poison, npm start), with Azure Functions Core Tools'
// precedence: a Values entry of local.settings.json is used only when the environment does not already hold a
// non-empty value of that name (Core Tools' `func start` copies each one into the process environment unless
// Environment.GetEnvironmentVariable is non-empty, and prints "Skipping '<name>' from local settings as it's already
// defined in current environment variables": Azure/azure-functions-core-tools, StartHostAction.cs,
// UpdateEnvironmentVariables). Both win over the sandbox's defaults. An empty value, or a placeholder left from
// local.settings.sample.json (the all-zero GUID, or text in <angle brackets>), counts as not set.
// Without a TENANT_ID Riposte runs against the offline sandbox; the settings that connect it to the sandbox (its
// tenant, app, vault, identity endpoint, CA and API URL) then come from the sandbox as a set, since no other value
// could work there; a command lists any such value it ignores, never dropping it quietly.
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

export type Source = 'environment' | 'settings file' | 'sandbox' | 'default' | 'generated';

/** Settings the sandbox supplies as a set in sandbox mode (sandbox.settings()). */
export const SANDBOX_CONNECTION = [
  'TENANT_ID',
  'CLIENT_ID',
  'KEY_VAULT_URL',
  'CLIENT_SECRET_NAME',
  'AUTHORITY_HOST',
  'DEFENDER_API_BASE_URL',
  'GRAPH_API_BASE_URL',
  'MDE_API_BASE_URL',
  // Not supplied by the sandbox, but a government audience would point its MDE tokens elsewhere.
  'MDE_API_SCOPE',
  'KEY_VAULT_CHALLENGE_VERIFICATION',
  'TLS_CA_FILE',
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'MANAGED_IDENTITY_CLIENT_ID',
  // --user: the sandbox tenant has its own CLI app; a real tenant's app id does not exist there.
  'RIPOSTE_CLI_CLIENT_ID',
] as const;

const NIL_GUID = '00000000-0000-0000-0000-000000000000';
/** The sample's placeholders: the all-zero GUID and `<your-vault>`-style text. */
export const isPlaceholder = (v: string): boolean => v.trim() === NIL_GUID || /<[^<>]+>/.test(v);

export interface LayeredSettings {
  /** Environment over file, empty values and placeholders left out. */
  values: Env;
  sourceOf(name: string): Source | undefined;
  /** Placeholder values that were left out, by name and where they were. */
  placeholders: { name: string; source: Source }[];
}

/** Environment over file; empty values and placeholders do not count. */
export function layer(env: Env, file: Env): LayeredSettings {
  const placeholders: LayeredSettings['placeholders'] = [];
  const clean = (values: Env, source: Source): Env =>
    Object.fromEntries(
      Object.entries(values).filter(([name, v]) => {
        if (v === undefined || v.trim() === '') return false;
        // Only the file holds the sample's placeholders; the environment is taken as given.
        if (source === 'settings file' && isPlaceholder(v)) {
          placeholders.push({ name, source });
          return false;
        }
        return true;
      }),
    );
  const fromEnv = clean(env, 'environment');
  const fromFile = clean(file, 'settings file');
  // Both are already free of empty values: the environment's non-empty ones win.
  const values: Env = { ...fromFile, ...fromEnv };
  return {
    values,
    sourceOf: (name) => (name in fromEnv ? 'environment' : name in fromFile ? 'settings file' : undefined),
    placeholders,
  };
}

/** The effective settings: the environment over the settings file (default <cwd>/local.settings.json). */
export function effectiveSettings(options: { settingsFile?: string; cwd: string; env: Env }): LayeredSettings {
  const file = options.settingsFile ?? join(options.cwd, 'local.settings.json');
  return layer(options.env, readSettingsFile(file, options.settingsFile !== undefined));
}

/** The settings that are not the sandbox's to supply: what the user's environment and file say for the rest. */
export function withoutSandboxConnection(values: Env): Env {
  const connection = new Set<string>(SANDBOX_CONNECTION);
  return Object.fromEntries(Object.entries(values).filter(([k]) => !connection.has(k)));
}
