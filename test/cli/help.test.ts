// Every command-line entry point answers -h/--help with its usage (exit 0, nothing else done) and a wrong option
// with a usage error (exit 2, naming the option), never a stack trace. Each runs as its own process, as people
// start it: `npx riposte <command>` (bin/riposte.js) and the npm scripts that take options.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { createServer } from 'node:net';
import { COMMANDS, main, USAGE, type Io } from '../../cli/riposte';
import { riposte, tsxScript, REPO, baseEnv, type Finished, type Running } from './cliProcess';

const RIPOSTE_COMMANDS = ['validate', 'run', 'sandbox', 'poison', 'openapi'];

/** The npm scripts that take options, run as npm runs them (tsx on the script) but as one process. */
const SCRIPTS: { script: string; file: string; usage: RegExp }[] = [
  { script: 'send-webhook', file: 'scripts/sendWebhook.ts', usage: /^Usage: npm run send-webhook -- --secret/ },
  { script: 'sandbox', file: 'sandbox/cli.ts', usage: /^Usage: npm run sandbox -- \[options\]/ },
  { script: 'start', file: 'scripts/start.ts', usage: /^Usage: npm start -- / },
  { script: 'bench', file: 'bench/run.ts', usage: /^Usage: npm run bench -- / },
  { script: 'package', file: 'scripts/packageApp.ts', usage: /^Usage: npm run package -- / },
];

/** Runs them all, two at a time (the machine is shared). */
async function all(starts: (() => Running)[]): Promise<Finished[]> {
  const results: Finished[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < starts.length) {
      const i = next++;
      results[i] = await (starts[i] as () => Running)().finished;
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

/** main() in this process, for the variants that need no process of their own. */
async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = { code: 0, out: '', err: '' };
  const io: Io = { cwd: REPO, stdout: (t) => void (r.out += t), stderr: (t) => void (r.err += t) };
  r.code = await main(argv, io);
  return r;
}

/** A loopback port nobody listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const noStack = (r: Finished): void => assert.doesNotMatch(r.stderr, /\n\s+at /, r.stderr);

describe('riposte --help (own processes)', () => {
  it('lists every command; no command is a usage error', async () => {
    const [help, none, unknown] = await all([
      () => riposte(['--help']),
      () => riposte([]),
      () => riposte(['frobnicate']),
    ]);
    assert.equal(help?.code, 0);
    for (const c of RIPOSTE_COMMANDS) assert.match(help?.stdout ?? '', new RegExp(`^  ${c} `, 'm'));
    assert.match(help?.stdout ?? '', /Exit codes:\n {2}0 /);
    assert.equal(none?.code, 2);
    assert.match(none?.stderr ?? '', /^Usage: riposte <command>/);
    assert.equal(unknown?.code, 2);
    assert.match(unknown?.stderr ?? '', /riposte: unknown command 'frobnicate'\nRun riposte --help for usage\./);
  });

  for (const command of RIPOSTE_COMMANDS) {
    it(`${command}: -h, --help and help ${command} print its usage; an unknown option exits 2`, async () => {
      const [long, bad] = await all([() => riposte([command, '--help']), () => riposte([command, '--no-such-option'])]);
      const usage = COMMANDS[command]?.usage() ?? '';
      assert.match(usage, /^Usage: /);
      assert.equal(long?.code, 0, long?.stderr);
      assert.equal(long?.stdout, `${usage}\n`);
      for (const argv of [
        [command, '-h'],
        ['help', command],
        [command, 'x', '--help'],
      ]) {
        const r = await inProcess(argv);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, `${usage}\n`, argv.join(' '));
      }
      assert.equal(bad?.code, 2, bad?.stderr);
      assert.match(bad?.stderr ?? '', /Unknown option '--no-such-option'/);
      noStack(bad as Finished);
    });
  }

  it('every option a command accepts is in its usage text', () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      for (const option of Object.keys(command.options ?? {}))
        assert.match(command.usage(), new RegExp(`--${option}\\b`), `riposte ${name} --help names --${option}`);
    }
    assert.ok(USAGE.includes('riposte <command> --help'));
  });
});

describe('npm scripts --help (own processes)', () => {
  for (const { script, file, usage } of SCRIPTS) {
    it(`npm run ${script}: --help prints the usage and does nothing else; an unknown option exits 2`, async () => {
      const [long, bad] = await all([() => tsxScript(file, ['--help']), () => tsxScript(file, ['--no-such-option'])]);
      assert.equal(long?.code, 0, long?.stderr);
      assert.match(long?.stdout ?? '', usage);
      assert.match(long?.stdout ?? '', /-h, --help/);
      assert.match(long?.stdout ?? '', /Exit codes: /);
      assert.equal(bad?.code, 2, bad?.stderr);
      assert.match(bad?.stderr ?? '', /Unknown option '--no-such-option'/);
      noStack(bad as Finished);
    });
  }

  it('npm run send-webhook -- --help, through npm itself (the crash the issue reports)', async () => {
    const r = await new Promise<Finished>((resolve) => {
      const child = spawn('npm', ['run', '--silent', 'send-webhook', '--', '--help'], {
        cwd: REPO,
        env: baseEnv(),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: npm run send-webhook -- --secret <whsec_...> --incident <id> \[options\]/);
    const short = await tsxScript('scripts/sendWebhook.ts', ['-h']).finished;
    assert.equal(short.code, 0);
    assert.equal(short.stdout, r.stdout);
  });

  it('send-webhook names what is missing or unreachable instead of crashing', async () => {
    const port = await closedPort();
    const [missing, unreachable] = await all([
      () => tsxScript('scripts/sendWebhook.ts', ['--incident', '3309']),
      // A closed loopback port: nothing listens there.
      () =>
        tsxScript('scripts/sendWebhook.ts', [
          '--url',
          `http://127.0.0.1:${port}`,
          '--secret',
          'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
          '--incident',
          '3309',
        ]),
    ]);
    assert.equal(missing?.code, 2);
    assert.match(missing?.stderr ?? '', /send-webhook: --secret required/);
    assert.equal(unreachable?.code, 1);
    assert.match(
      unreachable?.stderr ?? '',
      new RegExp(`send-webhook: could not reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
    noStack(unreachable as Finished);
    assert.doesNotMatch(unreachable?.stderr ?? '', /MfKQ9r8/);
  });
});
