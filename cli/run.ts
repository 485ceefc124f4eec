// `riposte run <workflow>`: one run, here and now, through the same engine, client and content as the Function App.
// With a tenant configured (TENANT_ID in the environment or local.settings.json) it runs against that tenant,
// which needs a managed identity to read the client secret from Key Vault (Cloud Shell, an Azure VM or container);
// without one it starts the offline sandbox and an in-memory Azurite, runs against them and stops them again.
// With --user the analyst signs in with a device code (cli/userSignIn.ts) and the run acts as them: their delegated
// tokens on every API call, no managed identity, no app secret and no Key Vault read.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startAzurite, type Azurite } from '../host/azurite';
import { startSandbox, type Sandbox } from '../sandbox';
import { createAutomation, type Automation, type AutomationOverrides } from '../shared/automation';
import { createMemoryDeliveryLog } from '../shared/automation/memoryDeliveryLog';
import { loadConfig, type Env } from '../shared/config';
import { createDeps } from '../shared/deps';
import { abortableSleep } from '../shared/http/defenderHttp';
import { stopWaitingOn } from '../shared/http/rateLimiter';
import { runWorkflow, type RunReport } from '../shared/engine';
import { ConfigError, InputError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { effectiveSettings, SANDBOX_CONNECTION, withoutSandboxConnection } from './settings';
import { UsageError } from './usageError';
import { createMemoryStateStore } from '../shared/state/memoryState';
import { runTenant, userRunTenant } from '../shared/tenants/runTenant';
import { tenantEngine } from '../shared/tenants/tenantEngine';
import { loadCaBundle } from '../shared/http/tls';
import type { SecretClientLike } from '../shared/credentials/secretProvider';
import { createUserSignIn, type SignInPrompt, type SignedInUser, type UserSignIn } from './userSignIn';
import type { StepChange } from '../shared/steps/types';

export interface RunCommandOptions {
  workflow: string;
  /** JSON or YAML file holding the workflow's input object. */
  inputFile?: string;
  dryRun: boolean;
  /** Content folder (queries/, workflows/, mappings/); default the working directory. */
  dir: string;
  /** Sandbox only: which API the sandbox plays (default graph). */
  api?: 'graph' | 'legacy';
  /** The registry tenant to run in (TENANTS key); needed when the workflow runs for several. */
  tenant?: string;
  /** Settings file (default <cwd>/local.settings.json); its Values are used unless the environment sets them. */
  settingsFile?: string;
  env?: Env;
  logger: Logger;
  /** Progress for people (what is being started); silent in --json mode. */
  say: (line: string) => void;
  /**
   * Ctrl-C: once aborted no step, item, write or request starts (waits for a quota slot or a retry end at once);
   * requests in flight finish. The report then has status 'interrupted' and lists the writes left pending.
   */
  stopSignal?: AbortSignal;
  /** --user: sign the analyst in with a device code and run with their delegated permissions. */
  user?: boolean;
  /** --user: where to go and which code to enter (against the sandbox, also the sandbox CA file a client must trust). */
  onSignInPrompt?: (prompt: SignInPrompt & { sandboxCaFile?: string }) => void;
}

export interface RunCommandResult {
  target: 'sandbox' | 'tenant';
  report: RunReport;
  /** --user: who signed in (the run's API calls were made as them). */
  actingUser?: SignedInUser;
}

/** --user: no step may read Key Vault (the laptop has no identity for it, and the point is no secret there). */
const noKeyVault: SecretClientLike = {
  getSecret: (name) =>
    Promise.reject(
      new ConfigError([
        `riposte run --user reads no Key Vault secret, and this workflow asked for '${name}': run it without --user where the app's identity is`,
      ]),
    ),
};

export { UsageError };

function readInput(file: string | undefined): Record<string, unknown> {
  if (file === undefined) return {};
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`input file not found: ${file}`);
  let value: unknown;
  try {
    value = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`input file ${file} is not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`input file ${file} must hold an object`);
  return value as Record<string, unknown>;
}

const hasManagedIdentity = (env: Env): boolean => Boolean(env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * --user against a tenant: the CLI's own public client app. No default: the Azure CLI's app id, DeviceCodeCredential's
 * default, is not for production (identity-modes.md §5.2).
 */
function cliClientIdOf(env: Env): string {
  const id = env.RIPOSTE_CLI_CLIENT_ID?.trim();
  if (!id)
    throw new UsageError(
      'RIPOSTE_CLI_CLIENT_ID is not set: --user signs you in with the CLI\'s own app registration (a public client: "Allow public client flows" on, with delegated Defender / Graph permissions). Set it to that app\'s client id, or unset TENANT_ID to run against the sandbox.',
    );
  if (!GUID.test(id)) throw new UsageError('RIPOSTE_CLI_CLIENT_ID must be an application (client) id, a GUID');
  return id;
}

/**
 * @throws {UsageError} for a bad flag, file or unknown workflow; {ConfigError} when settings are invalid.
 * @returns the run report; step failures and throttling are in it, not thrown.
 */
export async function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const processEnv = options.env ?? process.env;
  // An environment variable that is set wins over the file, as with Core Tools.
  const layered = effectiveSettings({
    ...(options.settingsFile !== undefined ? { settingsFile: options.settingsFile } : {}),
    cwd: process.cwd(),
    env: processEnv,
  });
  const env: Env = layered.values;
  const input = readInput(options.inputFile);
  const contentDir = resolve(options.dir);
  const running: { sandbox?: Sandbox; azurite?: Azurite } = {};
  try {
    let settings: Env;
    let target: RunCommandResult['target'];
    const overrides: AutomationOverrides = {};
    if (!env.TENANT_ID) {
      target = 'sandbox';
      // --api, else DEFENDER_API, else graph; the sandbox's quotas scaled as the client's.
      const api = options.api ?? env.DEFENDER_API?.toLowerCase() ?? 'graph';
      if (api !== 'graph' && api !== 'legacy') throw new UsageError('DEFENDER_API must be graph or legacy');
      const scale = Number(env.RATE_LIMIT_WINDOW_SCALE ?? '1');
      if (!(scale >= 0.001 && scale <= 1))
        throw new UsageError('RATE_LIMIT_WINDOW_SCALE must be a number from 0.001 to 1');
      options.say(`No TENANT_ID configured: starting the offline sandbox (${api} API) and an in-memory Azurite...`);
      const ignored: string[] = SANDBOX_CONNECTION.filter((n) => layered.sourceOf(n) !== undefined);
      if (env.AzureWebJobsStorage || env.AzureWebJobsStorage__accountName) ignored.push('AzureWebJobsStorage');
      if (ignored.length > 0)
        options.say(
          `Not used against the sandbox: ${ignored.join(', ')} (the sandbox supplies its own; a fresh sandbox needs fresh state).`,
        );
      [running.sandbox, running.azurite] = await Promise.all([
        startSandbox({ rateLimitScale: scale }),
        // Its own process group: Ctrl-C must stop the run gently, not take its storage away mid-write.
        startAzurite({ inMemory: true, ports: 'random', ownProcessGroup: true }),
      ]);
      const sb: Env = running.sandbox.settings(api);
      if (options.user) sb.RIPOSTE_CLI_CLIENT_ID = running.sandbox.cliClientId;
      else {
        // ManagedIdentityCredential reads the App Service identity endpoint from process.env, nothing else does.
        process.env.IDENTITY_ENDPOINT = sb.IDENTITY_ENDPOINT;
        process.env.IDENTITY_HEADER = sb.IDENTITY_HEADER;
      }
      const rest = withoutSandboxConnection(env);
      delete rest.AzureWebJobsStorage__accountName;
      settings = {
        ...sb,
        ...rest,
        DEFENDER_API: api,
        AzureWebJobsStorage: running.azurite.connectionString,
        CONTENT_DIR: contentDir,
      };
    } else {
      target = 'tenant';
      if (options.api) throw new UsageError('--api picks the sandbox backend; set DEFENDER_API for a tenant');
      if (options.user) {
        const cliClientId = cliClientIdOf(env);
        // Only the tenant and the CLI app matter to a signed-in run: the app's vault and secret settings may be absent.
        env.CLIENT_ID ??= cliClientId;
        env.KEY_VAULT_URL ??= 'https://no-key-vault-with-user.invalid';
        env.CLIENT_SECRET_NAME ??= 'not-used-with-user';
      } else if (!hasManagedIdentity(env)) {
        throw new UsageError(
          'TENANT_ID is set but no managed identity is available here (IDENTITY_ENDPOINT or MSI_ENDPOINT), so the client secret cannot be read from Key Vault. Run where the identity exists (Cloud Shell, an Azure VM or container with access to the vault), or unset TENANT_ID to run against the sandbox.',
        );
      }
      settings = { ...env, CONTENT_DIR: contentDir };
      const storage = settings.AzureWebJobsStorage || settings.AzureWebJobsStorage__accountName;
      if (options.user && !options.dryRun && !settings.AzureWebJobsStorage && !hasManagedIdentity(env) && storage) {
        // The account-name form authenticates with the managed identity, which a laptop does not have.
        throw new UsageError(
          'AzureWebJobsStorage__accountName needs a managed identity, which is not available here: for a --user run that writes, set AzureWebJobsStorage to the Function App storage connection string, or use --dry-run.',
        );
      }
      if (!storage || /UseDevelopmentStorage=true/i.test(settings.AzureWebJobsStorage ?? '')) {
        if (!options.dryRun) {
          throw new UsageError(
            'A run that writes needs the Function App storage (AzureWebJobsStorage or AzureWebJobsStorage__accountName): its idempotency keys and watermarks are what stop a change being made twice. Use --dry-run, or configure storage.',
          );
        }
        // A dry run writes no state: keep it in memory.
        Object.assign(overrides, {
          state: createMemoryStateStore(),
          deliveries: createMemoryDeliveryLog(),
          ticketQueue: { send: async () => {}, sendPoison: async () => {} },
        });
      }
      options.say(`Running against tenant ${env.TENANT_ID} (${env.DEFENDER_API ?? 'graph'} API).`);
    }

    const config = loadConfig(settings);
    const stop = options.stopSignal;
    let signIn: UserSignIn | undefined;
    if (options.user) {
      const sandboxCaFile = running.sandbox?.caFile;
      signIn = createUserSignIn({
        tenantId: config.tenantId,
        clientId: target === 'sandbox' ? (settings.RIPOSTE_CLI_CLIENT_ID ?? '') : cliClientIdOf(settings),
        authorityHost: config.authorityHost,
        disableInstanceDiscovery: config.customAuthority,
        ca: loadCaBundle(config.tlsCaFile),
        prompt: (p) => options.onSignInPrompt?.({ ...p, ...(sandboxCaFile ? { sandboxCaFile } : {}) }),
      });
    }
    const deps = createDeps(config, {
      ...(signIn ? { tokens: signIn.tokens, secretClient: noKeyVault } : {}),
      logger: options.logger,
      // The same limiters as the Function App (the shared quota when storage is configured: a tenant's allowance
      // holds across the app's instances and this CLI); a wait for a slot ends at Ctrl-C.
      wrapLimiter: (limiter) => stopWaitingOn(limiter, stop),
      // A dry run without the app's storage keeps its state in memory; its quota is then this process's alone.
      ...(overrides.state ? { quotaStore: null } : {}),
      // A retry is a new request: after a stop it is not sent (its write stays pending for the next run).
      sleep: (ms, signal) => abortableSleep(ms, signal && stop ? AbortSignal.any([signal, stop]) : (signal ?? stop)),
    });
    const automation = await createAutomation(deps, overrides);
    const workflow = automation.workflows.get(options.workflow);
    if (!workflow) {
      throw new UsageError(
        `unknown workflow '${options.workflow}'; available: ${[...automation.workflows.keys()].sort().join(', ')}`,
      );
    }
    // The tenant (TENANTS): its clients, quota and state partition; without TENANTS, the engine as it always was.
    // Signed in as a user (--user), the run acts with the user's delegated clients in the deployment's own tenant:
    // settled before the sign-in, so a refused --tenant costs the analyst no device code.
    const tenant = options.user
      ? userRunTenant(config.tenants, workflow, options.tenant, 'run it without --user')
      : runTenant(config.tenants, workflow, options.tenant);
    const actingUser = signIn ? await signIn.signIn(config.apiScope, stop) : undefined;
    if (actingUser) options.say(`Signed in as ${actingUser.username}: the run acts with your Defender permissions.`);
    const report = await runWorkflow(
      workflow,
      {
        trigger: 'cli',
        input,
        dryRun: options.dryRun,
        // A scheduled workflow reads $run.window: give it the window its next timer run would cover.
        useWindow: workflow.triggers.schedule !== undefined,
        ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
      },
      actingUser
        ? asUser(automation.engine, actingUser, options.logger)
        : tenantEngine(automation, tenant, options.logger),
    );
    return { target, report, ...(actingUser ? { actingUser } : {}) };
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(`${e.field}: ${e.message}`);
    if (e instanceof ConfigError && running.sandbox) throw new UsageError(e.message);
    throw e;
  } finally {
    await Promise.allSettled([running.sandbox?.close(), running.azurite?.stop()]);
  }
}

const STATUS_MARK: Record<string, string> = {
  succeeded: 'ok',
  dryRun: '~ ',
  failed: '!!',
  skipped: '- ',
  interrupted: '||',
};
const OUTCOME_WORDS: Record<string, string> = {
  applied: 'applied',
  wouldApply: 'would apply',
  alreadyDone: 'already done by an earlier run',
  unchanged: 'already as wanted',
};

/** What an interrupted run did not do: steps never reached, forEach items not started, writes left pending. */
function interruptedLines(report: RunReport): string[] {
  const lines: string[] = [];
  const notReached = report.steps.filter((s) => s.executions === 0).map((s) => s.id);
  const itemsLeft = report.steps
    .filter((s) => s.kind === 'forEach' && (s.counts.skipped ?? 0) > 0)
    .map((s) => `${s.counts.skipped} of ${s.counts.items} items of ${s.id}`);
  const notStarted = [...itemsLeft, ...(notReached.length ? [`steps ${notReached.join(', ')}`] : [])];
  lines.push(`Not started: ${notStarted.join('; ') || 'nothing'}`);
  if (report.dryRun) return lines;
  if (report.pendingWrites === undefined) {
    lines.push('Pending writes: could not be listed (storage did not answer); the next run finishes any there are.');
  } else if (report.pendingWrites.length === 0) {
    lines.push('Pending writes: none (every write this run started was confirmed).');
  } else {
    lines.push(
      `Pending writes (claimed, not confirmed; kept in storage with their change, finished by the next run of ${report.workflow}):`,
    );
    for (const w of report.pendingWrites) lines.push(`  incident ${w.incidentId} (lease until ${w.leaseUntil})`);
  }
  return lines;
}

/**
 * --user: the engine names the analyst in the report and in every comment it writes. Without the approval gate, as
 * for runs on behalf of an HTTP caller (shared/automation/onBehalfOf.ts): a run parked for approval would be finished
 * by the Function App, which cannot act as the analyst; a destructive step asking for approval fails instead.
 */
function asUser(engine: Automation['engine'], user: SignedInUser, logger: Logger): Automation['engine'] {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { approvals, ...rest } = engine;
  return { ...rest, logger, actingUser: { upn: user.username, oid: user.oid } };
}

/** The run report for a terminal: a line per step (nested steps indented), the changes under their step. */
export function formatReport(report: RunReport, target: RunCommandResult['target']): string {
  const lines: string[] = [];
  const mode = report.dryRun ? 'dry run' : 'live run';
  const as = report.actingUser ? ` as ${report.actingUser.upn}` : '';
  const tenant = report.tenant !== undefined ? ` ${report.tenant}` : '';
  lines.push(`Workflow ${report.workflow}: ${mode} against the ${target}${tenant}${as} (run ${report.runId})`);
  if (report.window) lines.push(`Window ${report.window.start} .. ${report.window.end}`);
  lines.push('');
  const changeLine = (c: StepChange, indent: string): string => {
    const what = [...Object.keys(c.patch), ...(c.comment !== undefined ? ['comment'] : [])].join(', ') || 'nothing';
    const replay = c.replayed ? ' (replayed from an earlier attempt)' : '';
    // A response write names what it acted on and the request it sent (or would send).
    const on = c.target ? `${c.target.kind} ${c.target.id}${c.incidentId ? ` (incident ${c.incidentId})` : ''}` : '';
    const request = c.request ? ` [${c.request.method} ${c.request.path}]` : '';
    const subject = on || `incident ${c.incidentId}`;
    return `       ${indent}${subject}: ${OUTCOME_WORDS[c.outcome] ?? c.outcome}${replay}: ${what}${request}`;
  };
  if (report.resumedWrites?.length) {
    lines.push('  Writes an earlier attempt left pending, finished first:');
    for (const c of report.resumedWrites) lines.push(changeLine(c, ''));
  }
  const depth = (id: string | undefined): number => {
    let d = 0;
    for (let p = id; p !== undefined; p = report.steps.find((s) => s.id === p)?.parent) d++;
    return d - 1;
  };
  for (const step of report.steps) {
    const indent = '  '.repeat(depth(step.id));
    const counts = Object.entries(step.counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const runs = step.executions > 1 ? ` x${step.executions}` : '';
    lines.push(
      `  ${STATUS_MARK[step.status] ?? '  '} ${indent}${step.id.padEnd(Math.max(1, 20 - indent.length))} ${step.kind.padEnd(15)} ${step.status.padEnd(9)}${runs} ${counts}`.trimEnd(),
    );
    for (const c of step.changes) lines.push(changeLine(c, indent));
    if (step.error) lines.push(`       ${indent}${step.error.code}: ${step.error.message}`);
  }
  lines.push('');
  const all = [...(report.resumedWrites ?? []), ...report.steps.flatMap((s) => s.changes)];
  const tally = Object.entries(
    all.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.outcome]: (acc[c.outcome] ?? 0) + 1 }), {}),
  )
    .map(([k, v]) => `${v} ${OUTCOME_WORDS[k] ?? k}`)
    .join(', ');
  const replayedCount = all.filter((c) => c.replayed).length;
  lines.push(`Changes: ${tally || 'none'}${replayedCount > 0 ? ` (${replayedCount} replayed)` : ''}`);
  if (report.status === 'interrupted') lines.push(...interruptedLines(report));
  if (report.stopReason) lines.push(`Stopped: ${report.stopReason}`);
  if (report.error) {
    const id = report.error.requestId ? ` (request id ${report.error.requestId})` : '';
    lines.push(`Error: ${report.error.code}: ${report.error.message}${id}`);
  }
  if (report.status === 'throttled')
    lines.push(`Throttled: retry in ${Math.ceil((report.retryAfterMs ?? 30_000) / 1000)} s`);
  lines.push(`Status: ${report.status} in ${report.durationMs} ms`);
  return `${lines.join('\n')}\n`;
}
