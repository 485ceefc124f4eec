// Child-process entry for the reliability and security suites: the app (functions/*.ts) in the local host, with
// settings, keys and host.json given by the parent in RIPOSTE_TEST_HOST (JSON). Prints one ready line with its URL.
// Timers do not fire on their own; the parent fires them through the admin API. It exits when the parent is gone,
// so a failed test leaves nothing running.
import '../../host/fakeCore'; // must precede anything that loads @azure/functions
import { join } from 'node:path';
import { startLocalHost } from '../../host/localHost';

interface HostProcessConfig {
  settings: Record<string, string>;
  hostJsonPath: string;
  functionKey: string;
  masterKey: string;
  queueLeaseMs?: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.RIPOSTE_TEST_HOST ?? '{}') as HostProcessConfig;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 500).unref();
  const host = await startLocalHost({
    entry: ['functions/*.ts'],
    cwd: join(__dirname, '..', '..'),
    port: 0,
    hostJsonPath: config.hostJsonPath,
    settings: config.settings,
    storageConnectionString: config.settings.AzureWebJobsStorage,
    functionKey: config.functionKey,
    masterKey: config.masterKey,
    timers: false,
    ...(config.queueLeaseMs !== undefined ? { queueLeaseMs: config.queueLeaseMs } : {}),
  });
  process.on('SIGTERM', () => {
    void host.close().finally(() => process.exit(0));
  });
  console.log(`RIPOSTE_HOST_READY ${host.url}`);
}

main().catch((err: unknown) => {
  console.error(`host process failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
