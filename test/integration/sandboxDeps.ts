// Builds the real composition root (Key Vault via managed identity, ClientSecretCredential, axios) against a
// running sandbox, with a recording logger and a fast sleep so retry waits are asserted, not waited for.
import type { Sandbox } from '../../sandbox/index';
import { loadConfig } from '../../shared/config';
import { createDeps, type AppDeps, type DepsOverrides } from '../../shared/deps';
import type { Logger } from '../../shared/logger';

export interface TestDeps extends AppDeps {
  sleeps: number[];
  logs: string[];
}

export function sandboxDeps(
  sb: Sandbox,
  api: 'graph' | 'legacy' = 'graph',
  env: Record<string, string> = {},
  overrides: DepsOverrides = {},
): TestDeps {
  const settings = { ...sb.settings(api), ...env };
  // ManagedIdentityCredential reads the App Service MI variables from process.env; nothing else here does.
  process.env.IDENTITY_ENDPOINT = settings.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = settings.IDENTITY_HEADER;
  const sleeps: number[] = [];
  const logs: string[] = [];
  const record =
    (level: string) =>
    (message: string, props?: Record<string, unknown>): void => {
      logs.push(`${level} ${message} ${JSON.stringify(props ?? {})}`);
    };
  const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const deps = createDeps(loadConfig(settings), {
    logger,
    // Waits are recorded; a short real pause keeps ordering realistic without slowing the suite.
    sleep: (ms) => {
      sleeps.push(ms);
      return new Promise((r) => setTimeout(r, Math.min(ms, 20)));
    },
    ...overrides,
  });
  return { ...deps, sleeps, logs };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

export async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}
