// `npm start`: the Function App on http://localhost:7071 in the local host (Core Tools cannot be installed here).
// With no tenant configured (no TENANT_ID in local.settings.json or the environment) it also starts the offline
// sandbox and Azurite and points Riposte at them, then fires each scheduled workflow once so its run shows at once.
// Ctrl-C stops everything it started.
import '../host/fakeCore'; // must precede anything that loads @azure/functions
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite, type Azurite } from '../host/azurite';
import { startLocalHost, type LocalHost } from '../host/localHost';
import { startSandbox, type Sandbox } from '../sandbox';

export const USAGE = `Usage: npm start -- [--port <n>]

Runs the Function App on http://localhost:<port> in the local host. With no tenant configured it also starts
the offline sandbox and Azurite and points Riposte at them. Ctrl-C stops everything it started.

Options:
  --port <n>      HTTP port (default 7071, or PORT).
  -h, --help      This text.

Exit codes: 0 stopped with Ctrl-C (or --help); 1 could not start; 2 usage error.`;

/** @returns the port, or an exit code when the command ends here (help, usage error). */
function parseCommandLine(): { port: number } | number {
  let values: { port?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
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
  return { port };
}

function localSettings(): Record<string, string> {
  const file = resolve('local.settings.json');
  if (!existsSync(file)) return {};
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}

async function main(PORT: number): Promise<void> {
  const settings: Record<string, string> = { ...localSettings() };
  const tenantConfigured = Boolean(settings.TENANT_ID || process.env.TENANT_ID);
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

  if (!tenantConfigured) {
    running.sandbox = await startSandbox({ dataDir: '.data/sandbox', persistCa: true });
    // Demo webhook secrets, printed below so the README's examples can sign deliveries.
    const whsec = `whsec_${randomBytes(24).toString('base64')}`;
    Object.assign(settings, running.sandbox.settings('graph'), {
      WEBHOOK_SECRET_GENERIC: whsec,
      WEBHOOK_SECRET_SERVICENOW: whsec,
      WEBHOOK_SECRET_JIRA: randomBytes(16).toString('hex'),
    });
  } else if (!settings.IDENTITY_ENDPOINT && !process.env.IDENTITY_ENDPOINT) {
    // Without a managed-identity endpoint the credential would probe the instance-metadata address.
    throw new Error(
      'TENANT_ID is set but no managed identity is available locally (IDENTITY_ENDPOINT/IDENTITY_HEADER). Run against the sandbox (remove TENANT_ID) or deploy to Azure.',
    );
  }
  const storage = settings.AzureWebJobsStorage;
  if (!storage || /UseDevelopmentStorage=true/i.test(storage)) {
    running.azurite = await startAzurite({ location: resolve('.data/azurite'), ports: 'random' });
    settings.AzureWebJobsStorage = running.azurite.connectionString;
  }

  running.host = await startLocalHost({
    entry: ['functions/*.ts'],
    port: PORT,
    hostJsonPath: resolve('host.json'),
    settings,
    storageConnectionString: settings.AzureWebJobsStorage,
  });
  const host = running.host;

  const lines = ['', 'Riposte is running.', ''];
  if (running.sandbox) {
    lines.push(`  Sandbox (offline Entra ID, Key Vault, Graph + legacy Defender API): ${running.sandbox.url}`);
    lines.push(`  Managed identity endpoint: ${running.sandbox.identityEndpoint}`);
  } else
    lines.push(`  Tenant: ${settings.TENANT_ID ?? process.env.TENANT_ID} (API ${settings.DEFENDER_API ?? 'graph'})`);
  if (running.azurite)
    lines.push(
      `  Azurite (state, deliveries, queues): ${(settings.AzureWebJobsStorage ?? '').match(/QueueEndpoint=([^;]+)/)?.[1] ?? 'started'}`,
    );
  lines.push('', `  Functions on ${host.url}:`);
  for (const f of host.functions()) {
    if (f.kind === 'http')
      lines.push(`    ${f.name.padEnd(34)} ${f.methods?.join(',').padEnd(6)} ${f.url} (${f.authLevel})`);
    else if (f.kind === 'timer') lines.push(`    ${f.name.padEnd(34)} timer  '${f.schedule}' UTC`);
    else lines.push(`    ${f.name.padEnd(34)} queue  ${f.queueName}`);
  }
  lines.push('', `  Function key (header x-functions-key or ?code=): ${host.functionKey}`);
  if (running.sandbox) {
    lines.push(`  Demo webhook secret (generic, servicenow): ${settings.WEBHOOK_SECRET_GENERIC}`);
    lines.push(
      '',
      '  Try:',
      `    curl -s -H "x-functions-key: ${host.functionKey}" "${host.url}/api/incidents?limit=3"`,
    );
    lines.push(
      `    npx tsx scripts/sendWebhook.ts --url ${host.url} --key ${host.functionKey} --secret '${settings.WEBHOOK_SECRET_GENERIC}' --incident 3309 --status resolved --classification truePositive --determination phishing --comment "Closed in ticket DEMO-1"`,
    );
  }
  lines.push('', 'Press Ctrl-C to stop everything.', '');
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
  main(commandLine.port).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
