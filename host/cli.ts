// `tsx host/cli.ts --entry 'functions/*.ts'`: run the app on the local host, print what runs where, stop on Ctrl-C.
import './fakeCore'; // before anything that could load @azure/functions
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite, type Azurite } from './azurite';
import { startLocalHost, type LocalHost } from './localHost';

const USAGE = `Usage: tsx host/cli.ts --entry 'functions/*.ts' [options]
  --entry <glob>            module(s) to load; repeatable (default: package.json "main")
  --port <n>                HTTP port (default: local.settings.json Host.LocalHttpPort, else 7071; 0 = random)
  --host-json <path>        default ./host.json
  --settings <path>         local.settings.json-style file whose "Values" become app settings (default ./local.settings.json)
  --function-key <key>      key for authLevel "function" (default: random, printed below)
  --master-key <key>        key for authLevel "admin" and /admin APIs (default: random, not printed)
  --storage <conn>          storage connection string for queue bindings (an Azurite that already runs)
  --azurite                 start an in-memory Azurite on random ports for queue bindings
  --azurite-location <dir>  same, persisted in <dir>
  --no-timers               do not fire timers on their schedule
  -h, --help`;

interface LocalSettingsFile {
  Values?: Record<string, unknown>;
  Host?: { LocalHttpPort?: number };
}

function readLocalSettings(path: string, explicit: boolean): LocalSettingsFile {
  if (!existsSync(path)) {
    if (explicit) throw new Error(`settings file not found: ${path}`);
    return {};
  }
  return JSON.parse(readFileSync(path, 'utf8')) as LocalSettingsFile;
}

function defaultEntries(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main?: string };
  // "dist/functions/*.js" → prefer the TypeScript sources, which tsx can run without a build.
  const main = pkg.main ?? 'functions/*.ts';
  const ts = main.replace(/^dist\//, '').replace(/\.js$/, '.ts');
  return [ts];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      entry: { type: 'string', multiple: true },
      port: { type: 'string' },
      'host-json': { type: 'string' },
      settings: { type: 'string' },
      'function-key': { type: 'string' },
      'master-key': { type: 'string' },
      storage: { type: 'string' },
      azurite: { type: 'boolean' },
      'azurite-location': { type: 'string' },
      'no-timers': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const settingsPath = resolve(values.settings ?? 'local.settings.json');
  const localSettings = readLocalSettings(settingsPath, values.settings !== undefined);
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(localSettings.Values ?? {})) settings[k] = String(v);
  const hostJson = resolve(values['host-json'] ?? 'host.json');

  const running: { azurite?: Azurite; host?: LocalHost } = {};
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) process.exit(code); // a second Ctrl-C does not wait
    stopping = true;
    console.log('\nStopping...');
    await running.host?.close();
    await running.azurite?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  if (values.azurite || values['azurite-location']) {
    const azurite = await startAzurite(
      values['azurite-location'] ? { location: resolve(values['azurite-location']) } : { ports: 'random' },
    );
    running.azurite = azurite;
    console.log(`Azurite: queues at http://127.0.0.1:${azurite.queuePort} (pid ${azurite.pid})`);
  }
  const storage = values.storage ?? running.azurite?.connectionString;

  let host: LocalHost;
  try {
    host = await startLocalHost({
      entry: values.entry ?? defaultEntries(),
      port: values.port !== undefined ? Number(values.port) : (localSettings.Host?.LocalHttpPort ?? 7071),
      ...(existsSync(hostJson) ? { hostJsonPath: hostJson } : {}),
      settings,
      ...(values['function-key'] ? { functionKey: values['function-key'] } : {}),
      ...(values['master-key'] ? { masterKey: values['master-key'] } : {}),
      ...(storage ? { storageConnectionString: storage } : {}),
      timers: !values['no-timers'],
    });
  } catch (err) {
    await running.azurite?.stop();
    throw err;
  }
  running.host = host;

  console.log(`\nFunctions (host ${host.url}):\n`);
  for (const f of host.functions()) {
    if (f.kind === 'http') console.log(`  ${f.name}: [${f.methods?.join(',')}] ${f.url}  (auth: ${f.authLevel})`);
    else if (f.kind === 'timer')
      console.log(`  ${f.name}: timerTrigger '${f.schedule}' (UTC), next ${f.nextRun ?? '-'}`);
    else console.log(`  ${f.name}: queueTrigger '${f.queueName}'`);
  }
  // A local development key, shown so the developer can call function-level routes.
  console.log(`\nFunction key (x-functions-key header or ?code=): ${host.functionKey}`);
  console.log('Press Ctrl-C to stop.\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
