// `npm start`: the Function App on http://localhost:7071 in the local host (Core Tools cannot be installed here).
// Settings as Core Tools takes them: the environment, then local.settings.json (scripts/startSettings.ts). With no
// TENANT_ID it also starts the offline sandbox and points Riposte at it, then fires each scheduled workflow once so
// its run shows at once; without a storage setting it runs its own Azurite. The banner says what is in effect and
// where each value came from. Ctrl-C stops everything it started.
import '../host/fakeCore'; // must precede anything that loads @azure/functions
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readSettingsFile } from '../cli/settings';
import { UsageError } from '../cli/usageError';
import { azuriteConnectionString, startAzurite, type Azurite } from '../host/azurite';
import { startLocalHost, type LocalHost } from '../host/localHost';
import { startSandbox, type Sandbox } from '../sandbox';
import { findAppRoot, type Env } from '../shared/config';
import { webhookSecretVaultNames } from '../shared/webhooks';
import {
  layer,
  planStorage,
  planWebhookSecrets,
  SANDBOX_CONNECTION,
  type LayeredSettings,
  type Source,
  type StoragePlan,
  type WebhookSecretPlan,
} from './startSettings';

export const USAGE = `Usage: npm start -- [--port <n>] [--settings <file>] [--data-dir <dir>]

Runs the Function App on http://localhost:<port> in the local host. Settings come from the environment first,
then the settings file (as Azure Functions Core Tools does); empty values and the sample's placeholders count as
not set. With no TENANT_ID it starts the offline sandbox and points Riposte at it; with no AzureWebJobsStorage
it starts Azurite (UseDevelopmentStorage=true: the emulator on its standard ports, started if none answers).
The banner shows the API, cloud, storage and a usable secret (or where it lives) for each webhook source.
Ctrl-C stops everything it started.

Options:
  --port <n>         HTTP port (default 7071, or PORT; 0 picks a free one).
  --settings <file>  Settings file (default ./local.settings.json).
  --data-dir <dir>   Where the sandbox's CA and Azurite's data are kept (default .data in the app folder).
  -h, --help         This text.

Exit codes: 0 stopped with Ctrl-C (or --help); 1 could not start; 2 usage or settings error.`;

interface CommandLine {
  port: number;
  settingsFile: string | undefined;
  dataDir: string;
}

/** @returns the options, or an exit code when the command ends here (help, usage error). */
function parseCommandLine(): CommandLine | number {
  let values: { port?: string; settings?: string; 'data-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        settings: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`start: ${(e as Error).message}\nRun npm start -- --help for usage.`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const raw = values.port ?? process.env.PORT ?? '7071';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`start: --port must be a port number (0-65535), got '${raw}'`);
    return 2;
  }
  return {
    port,
    settingsFile: values.settings,
    dataDir: resolve(values['data-dir'] ?? join(findAppRoot(__dirname), '.data')),
  };
}

/** True when something accepts connections on 127.0.0.1:port. */
function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

const DEV_PORTS = { blob: 10000, queue: 10001, table: 10002 };

const where = (s: Source | undefined): string =>
  s === 'environment' ? 'environment' : s === 'settings file' ? 'local settings' : (s ?? 'default');

function checkSettings(layered: LayeredSettings, sandboxMode: boolean, storage: StoragePlan): void {
  const api = layered.values.DEFENDER_API;
  if (api !== undefined && !['graph', 'legacy'].includes(api.toLowerCase()))
    throw new UsageError(`DEFENDER_API must be graph or legacy (from the ${where(layered.sourceOf('DEFENDER_API'))})`);
  const scale = layered.values.RATE_LIMIT_WINDOW_SCALE;
  if (scale !== undefined && !(Number(scale) >= 0.001 && Number(scale) <= 1))
    throw new UsageError('RATE_LIMIT_WINDOW_SCALE must be a number from 0.001 to 1');
  if (storage.kind === 'account-name')
    throw new UsageError(
      'AzureWebJobsStorage__accountName (storage through a managed identity) works in Azure only: the local host needs AzureWebJobsStorage as a connection string, or unset for a local Azurite',
    );
  if (!sandboxMode && !layered.values.IDENTITY_ENDPOINT && !layered.values.MSI_ENDPOINT) {
    // Without a managed-identity endpoint the credential would probe the instance-metadata address.
    throw new UsageError(
      `TENANT_ID is set (from the ${where(layered.sourceOf('TENANT_ID'))}) but no managed identity is available here (IDENTITY_ENDPOINT/IDENTITY_HEADER), so the client secret cannot be read from Key Vault. Leave TENANT_ID empty to run against the offline sandbox, or deploy to Azure.`,
    );
  }
}

function secretLine(p: WebhookSecretPlan, vaultUrl: string | undefined): string {
  const label = `${p.source}:`.padEnd(12);
  switch (p.from) {
    case 'generated':
      return `    ${label}${p.printable ?? ''}  (generated for this run)`;
    case 'key vault': {
      const [name] = webhookSecretVaultNames(p.source);
      return `    ${label}in Key Vault: ${vaultUrl ?? '<KEY_VAULT_URL>'}/secrets/${name}`;
    }
    case 'missing':
      return `    ${label}none: ${p.setting} is not set, and Key Vault is read only when no WEBHOOK_SECRET_* is set; deliveries from ${p.source} are refused`;
    default:
      return `    ${label}${p.setting} from the ${where(p.from)}`;
  }
}

async function main(cl: CommandLine): Promise<void> {
  const explicit = cl.settingsFile !== undefined;
  const settingsFile = resolve(cl.settingsFile ?? 'local.settings.json');
  const layered = layer(process.env, readSettingsFile(settingsFile, explicit));
  const sandboxMode = layered.values.TENANT_ID === undefined;
  const storage = planStorage(layered);
  checkSettings(layered, sandboxMode, storage);
  const api = (layered.values.DEFENDER_API?.toLowerCase() ?? 'graph') as 'graph' | 'legacy';
  const appRoot = findAppRoot(__dirname);

  const running: { sandbox?: Sandbox; azurite?: Azurite; host?: LocalHost } = {};
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) process.exit(code);
    stopping = true;
    console.log('\nStopping the local host, Azurite and the sandbox...');
    await running.host?.close().catch(() => undefined);
    await running.azurite?.stop().catch(() => undefined);
    await running.sandbox?.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const settings: Env = {};
  const ignored: string[] = [];
  if (sandboxMode) {
    const scale = Number(layered.values.RATE_LIMIT_WINDOW_SCALE ?? '1');
    running.sandbox = await startSandbox({
      dataDir: join(cl.dataDir, 'sandbox'),
      persistCa: true,
      rateLimitScale: scale,
    });
    Object.assign(settings, running.sandbox.settings(api));
    for (const name of SANDBOX_CONNECTION) {
      const from = layered.sourceOf(name);
      if (from) ignored.push(`${name} (${where(from)})`);
    }
    const connection = new Set<string>(SANDBOX_CONNECTION);
    for (const [k, v] of Object.entries(layered.values)) if (!connection.has(k)) settings[k] = v;
  } else Object.assign(settings, layered.values);
  const secrets = planWebhookSecrets(layered, sandboxMode);
  Object.assign(settings, secrets.settings);

  let storageLine: string;
  const dataDir = join(cl.dataDir, 'azurite');
  switch (storage.kind) {
    case 'own-azurite':
      // The sandbox starts from its seed every time, so Riposte's state must too: kept on disk, a watermark or a
      // "done" write from the last start would refer to incidents and events the new sandbox does not have (a
      // restart's first suspicious-powershell window would begin where the last start stopped and miss the seed).
      running.azurite = sandboxMode
        ? await startAzurite({ inMemory: true, ports: 'random' })
        : await startAzurite({ location: dataDir, ports: 'random' });
      settings.AzureWebJobsStorage = running.azurite.connectionString;
      storageLine = `Azurite started by npm start (AzureWebJobsStorage is not set), queues at http://127.0.0.1:${running.azurite.queuePort}, ${sandboxMode ? 'in memory (the sandbox starts from its seed each time)' : `data in ${dataDir}`}`;
      break;
    case 'development-storage': {
      const open = await Promise.all(Object.values(DEV_PORTS).map(answers));
      if (open.every(Boolean)) {
        storageLine = `the storage emulator already running on 127.0.0.1:10000-10002 (UseDevelopmentStorage=true)`;
      } else if (open.some(Boolean)) {
        throw new UsageError(
          'UseDevelopmentStorage=true: some of the emulator ports 10000-10002 answer and some do not; stop what holds them or set AzureWebJobsStorage to a connection string',
        );
      } else {
        running.azurite = await startAzurite({ location: dataDir, ports: DEV_PORTS });
        storageLine = `Azurite started on 127.0.0.1:10000-10002 for UseDevelopmentStorage=true, data in ${dataDir}`;
      }
      settings.AzureWebJobsStorage = azuriteConnectionString(DEV_PORTS);
      break;
    }
    case 'given':
      storageLine = `AzureWebJobsStorage from the ${where(storage.from)} (${storage.describe || 'connection string'}); Azurite not started`;
      break;
    default:
      throw new Error('unreachable: account-name storage is refused by checkSettings');
  }

  running.host = await startLocalHost({
    entry: ['functions/*.ts'],
    cwd: appRoot,
    port: cl.port,
    hostJsonPath: join(appRoot, 'host.json'),
    settings: settings as Record<string, string>,
    storageConnectionString: settings.AzureWebJobsStorage,
  });
  const host = running.host;

  const row = (label: string, value: string): string => `  ${label.padEnd(16)} ${value}`;
  const lines = [
    '',
    `Riposte is running${sandboxMode ? ' against the offline sandbox (TENANT_ID is not set)' : ''}.`,
    '',
  ];
  lines.push(
    `  Settings: the environment, then ${settingsFile}${existsSync(settingsFile) ? '' : ' (not found)'}${sandboxMode ? ', then the sandbox' : ''}`,
  );
  lines.push(row('DEFENDER_API', `${api} (${where(layered.sourceOf('DEFENDER_API'))})`));
  lines.push(
    row(
      'DEFENDER_CLOUD',
      `${layered.values.DEFENDER_CLOUD ?? 'public'} (${where(layered.sourceOf('DEFENDER_CLOUD'))})`,
    ),
  );
  if (running.sandbox) {
    lines.push(row('Defender API', `${settings.DEFENDER_API_BASE_URL} (the sandbox's ${api} API)`));
    lines.push(row('Defender for Endpoint API', `${settings.MDE_API_BASE_URL} (the sandbox's machine actions)`));
    lines.push(row('Sandbox', `${running.sandbox.url} (Entra ID, Key Vault, Graph, legacy and MDE API)`));
  } else lines.push(row('Tenant', `${settings.TENANT_ID} (${where(layered.sourceOf('TENANT_ID'))})`));
  lines.push(row('Storage', storageLine));
  if (ignored.length > 0) lines.push(row('Ignored', `${ignored.join(', ')}: the sandbox supplies these`));
  if (layered.placeholders.length > 0)
    lines.push(
      row(
        'Placeholders',
        `${layered.placeholders.map((p) => `${p.name} (${where(p.source)})`).join(', ')}: treated as not set`,
      ),
    );
  lines.push('', '  Webhook secrets:');
  for (const p of secrets.plans) lines.push(secretLine(p, settings.KEY_VAULT_URL));

  lines.push('', `  Functions on ${host.url}:`);
  for (const f of host.functions()) {
    if (f.kind === 'http')
      lines.push(`    ${f.name.padEnd(34)} ${f.methods?.join(',').padEnd(6)} ${f.url} (${f.authLevel})`);
    else if (f.kind === 'timer') lines.push(`    ${f.name.padEnd(34)} timer  '${f.schedule}' UTC`);
    else lines.push(`    ${f.name.padEnd(34)} queue  ${f.queueName}`);
  }
  lines.push('', `  Function key (header x-functions-key or ?code=): ${host.functionKey}`);
  const generic = secrets.plans.find((p) => p.source === 'generic');
  lines.push(
    '',
    '  Try:',
    `    curl -s -H "x-functions-key: ${host.functionKey}" "${host.url}/api/health/deep"`,
    `    npm run send-webhook -- --url ${host.url} --key=${host.functionKey} --secret ${generic?.printable ? `'${generic.printable}'` : '"$WEBHOOK_SECRET_GENERIC"'} --incident 3309 --status resolved --classification truePositive --determination phishing --comment "Closed in ticket DEMO-1"`,
    '',
    'Press Ctrl-C to stop everything.',
    '',
  );
  console.log(lines.join('\n'));

  if (running.sandbox) {
    // Show each scheduled workflow working now rather than at its next occurrence.
    for (const f of host.functions().filter((x) => x.kind === 'timer')) {
      await host.invokeTimer(f.name).catch((e: unknown) => console.error(`${f.name}: ${String(e)}`));
    }
  }
}

const commandLine = parseCommandLine();
if (typeof commandLine === 'number') process.exitCode = commandLine;
else
  main(commandLine).catch((err: unknown) => {
    console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
