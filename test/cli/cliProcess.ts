// Runs Riposte's command-line entry points as their own processes, as a person or a scheduler would, and collects
// their output and exit status.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Io } from '../../cli/riposte';

export const REPO = join(__dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'riposte.js');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once stderr (or stdout) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
  finished: Promise<Finished>;
}

/** The environment a child gets: this one minus the settings a test must choose itself. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(TENANT_ID|CLIENT_ID|KEY_VAULT_URL|DEFENDER_|AzureWebJobs|WEBHOOK_SECRET_|TICKET_EVENTS_QUEUE)/.test(k))
      delete env[k];
  }
  return { ...env, ...extra };
}

/** Starts `command args` with the given cwd and environment. */
export function start(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; detached?: boolean } = {},
): Running {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO,
    env: options.env ?? baseEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, to be signalled as a terminal signals its foreground job (kill(-pid)).
    detached: options.detached === true,
  });
  const out = { stdout: '', stderr: '' };
  const waiters: { pattern: RegExp; stream: 'stdout' | 'stderr'; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(out[w.stream])) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', (d: Buffer) => {
    out.stdout += d.toString('utf8');
    check();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out.stderr += d.toString('utf8');
    check();
  });
  const finished = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.resolve();
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr });
    });
  });
  return {
    child,
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    waitFor: (pattern, stream = 'stderr') =>
      new Promise<void>((resolve) => {
        waiters.push({ pattern, stream, resolve });
        check();
      }),
    finished,
  };
}

/** `node bin/riposte.js args…` */
export const riposte = (args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) =>
  start(process.execPath, [BIN, ...args], options);

/** tsx's loader by absolute URL: a bare `--import tsx` would resolve from the child's (temporary) cwd. */
const TSX_LOADER = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

/** `tsx <script> args…` (what `npm run <script>` runs) without npm or npx in between: one process to signal. */
export const tsxScript = (
  script: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
) => start(process.execPath, ['--import', TSX_LOADER, join(REPO, script), ...args], options);

/** I/O for the CLI run in this process (`main(args, io)`), keeping what it printed. No `env`: the process's own. */
export function capturedIo(
  o: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Io & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd: o.cwd ?? REPO,
    ...(o.env ? { env: o.env } : {}),
    stdout: (t: string) => void (captured.out += t),
    stderr: (t: string) => void (captured.err += t),
  };
  return captured;
}
