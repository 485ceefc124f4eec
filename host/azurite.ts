// Starts Azurite (blob, queue, table) as ONE child process on 127.0.0.1, or adopts one that already runs.
// Always offline: `--disableTelemetry` (otherwise Azurite reports to Application Insights, local-azure.md §7),
// `--silent`, `--skipApiVersionCheck` (newer SDKs send versions Azurite does not know yet) and `--loose`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Azurite's well-known development account (public, documented key; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Persist under this folder (cannot be combined with inMemory). */
  location?: string;
  /** Keep data in memory (the default when no location is given). */
  inMemory?: boolean;
  /** `'random'` (or 0 per service) picks free ports; default 10000/10001/10002. */
  ports?: 'random' | { blob?: number; queue?: number; table?: number };
  /** Reuse an Azurite that already runs: nothing is started and stop() leaves it alone. */
  connectionString?: string;
  startTimeoutMs?: number;
  logger?: (line: string) => void;
  /**
   * Run Azurite in its own process group, so a Ctrl-C at the terminal (sent to the whole foreground group) does not
   * stop it under a command that is still finishing its work; stop() and this process's exit still end it.
   */
  ownProcessGroup?: boolean;
}

export interface Azurite {
  connectionString: string;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  /** Undefined when an existing Azurite was adopted. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The explicit connection string for given ports (UseDevelopmentStorage=true only knows the default ports). */
export function azuriteConnectionString(ports: { blob: number; queue: number; table: number }): string {
  const base = 'http://127.0.0.1';
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=${base}:${ports.blob}/${DEV_ACCOUNT};QueueEndpoint=${base}:${ports.queue}/${DEV_ACCOUNT};` +
    `TableEndpoint=${base}:${ports.table}/${DEV_ACCOUNT};`
  );
}

function portsOf(connectionString: string): { blob: number; queue: number; table: number } {
  if (/UseDevelopmentStorage=true/i.test(connectionString)) return { blob: 10000, queue: 10001, table: 10002 };
  const port = (key: string) => {
    const m = new RegExp(`${key}=https?://[^:;/]+:(\\d+)`, 'i').exec(connectionString);
    return m ? Number(m[1]) : 0;
  };
  return { blob: port('BlobEndpoint'), queue: port('QueueEndpoint'), table: port('TableEndpoint') };
}

function azuriteEntry(): string {
  // The JS entry run directly by node gives one PID to stop (npx would add `npm exec` and `sh` around it).
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
}

/** Exit when the parent disappears, so a killed test run leaves no Azurite behind. */
const ORPHAN_WATCHDOG =
  'data:text/javascript,const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(0)},500).unref();';

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^:]+:(\d+)/;

/**
 * Start Azurite, or adopt a running one when `connectionString` is given.
 * @throws {Error} when Azurite exits or does not report its ports within `startTimeoutMs`
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  if (options.connectionString) {
    const p = portsOf(options.connectionString);
    return {
      connectionString: options.connectionString,
      blobPort: p.blob,
      queuePort: p.queue,
      tablePort: p.table,
      pid: undefined,
      stop: async () => {},
    };
  }
  if (options.location && options.inMemory) {
    throw new Error('Azurite: inMemory cannot be combined with location');
  }
  const ports =
    options.ports === 'random'
      ? { blob: 0, queue: 0, table: 0 }
      : {
          blob: options.ports?.blob ?? 10000,
          queue: options.ports?.queue ?? 10001,
          table: options.ports?.table ?? 10002,
        };
  // Azurite writes its workspace (and debug files) to the cwd: keep that out of the repository.
  const scratch = options.location ? undefined : mkdtempSync(join(tmpdir(), 'azurite-'));
  // A missing working directory makes spawn fail with a misleading ENOENT for the node binary.
  if (options.location) mkdirSync(options.location, { recursive: true });
  const args = [
    `--import=${ORPHAN_WATCHDOG}`,
    azuriteEntry(),
    '--disableTelemetry',
    '--silent',
    '--skipApiVersionCheck',
    '--loose',
    ...['blob', 'queue', 'table'].flatMap((s) => [`--${s}Host`, '127.0.0.1']),
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence', '--extentMemoryLimit', '256']),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.location ?? scratch,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
    detached: options.ownProcessGroup === true,
  });
  const cleanupScratch = () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  // If this process ends without stop(), take Azurite down with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const found: Record<string, number> = {};
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Azurite did not start in time: ${output.slice(-5).join(' | ')}`)),
      options.startTimeoutMs ?? 20_000,
    );
    const onLine = (line: string) => {
      output.push(line);
      options.logger?.(`azurite: ${line}`);
      const m = LISTENING.exec(line);
      if (m) found[m[1]!.toLowerCase()] = Number(m[2]);
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        resolve();
      }
    };
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(l.trim());
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited during start: ${output.slice(-5).join(' | ')}`));
    });
  });

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    cleanupScratch();
  };

  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  const actual = { blob: found.blob!, queue: found.queue!, table: found.table! };
  return {
    connectionString: azuriteConnectionString(actual),
    blobPort: actual.blob,
    queuePort: actual.queue,
    tablePort: actual.table,
    pid: child.pid,
    stop,
  };
}
