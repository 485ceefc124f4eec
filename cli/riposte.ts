// `npx riposte <command>`: validate content offline, run a workflow once, start the sandbox, regenerate the
// connector copy of the OpenAPI document. Readable output for people; --json for machines (stdout then holds only
// the JSON document, progress and logs go to stderr).
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findAppRoot } from '../shared/config';
import { ConfigError } from '../shared/errors';
import type { Logger, LogProps } from '../shared/logger';
import { redact, redactProps } from '../shared/logger';
import { formatJson, readOpenApiDocument, SWAGGER_FILE, toSwagger2 } from './openapi';
import { EXIT, EXIT_CODES_TEXT, exitCodeForRun } from './exitCodes';
import { listenForInterrupts } from './interrupt';
import { formatReport, runCommand, UsageError } from './run';
import { formatValidation, validateContent } from './validate';

export const USAGE = `Usage: riposte <command> [options]

Commands:
  validate [dir]             Check queries/, workflows/ and mappings/ under dir (default: the working directory)
                             the way the Function App loads them; exit 1 when anything is wrong.
  run <workflow>             Run a workflow once, here: against the tenant in the environment or
                             local.settings.json (needs a managed identity), else against the offline sandbox.
      --input <file>         The workflow's input, a JSON or YAML object.
      --dry-run              Read steps run; write steps report the exact change and make none.
      --dir <dir>            Content folder (default: the working directory).
      --settings <file>      Settings file (default: ./local.settings.json).
      --api graph|legacy     Sandbox only: which Defender API it plays (default graph).
                             Ctrl-C stops it gently: nothing new starts, requests in flight finish,
                             the partial report lists the writes left pending (the next run finishes
                             them); a second Ctrl-C exits at once.
  sandbox [options]          Start the offline sandbox (same options as npm run sandbox; --help lists them).
  openapi [--write]          Print the Swagger 2.0 copy of openapi/riposte.openapi.json (connector import),
                             or write it to openapi/riposte.swagger.json.

Options:
  --json                     Machine-readable output on stdout (validate, run).
  -h, --help                 This text.

${EXIT_CODES_TEXT}`;

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env?: Record<string, string | undefined>;
}

const defaultIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
};

/** Progress lines on stderr: the message and its scalar props (`runId=… status=…`), or JSON lines with --json. */
function progressLogger(io: Io, json: boolean): Logger {
  const write =
    (level: string) =>
    (message: string, props?: LogProps): void => {
      if (level === 'debug') return;
      const safe = (redactProps(props ?? {}) ?? {}) as Record<string, unknown>;
      if (json) {
        io.stderr(`${JSON.stringify({ level, message: redact(message), ...safe })}\n`);
        return;
      }
      const shown = Object.entries(safe)
        .filter(([k, v]) => v !== null && typeof v !== 'object' && !['workflow', 'trigger', 'dryRun'].includes(k))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      io.stderr(
        `${level === 'info' ? '  ' : `${level.toUpperCase()} `}${redact(message)}${shown ? ` ${shown}` : ''}\n`,
      );
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

async function validate(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length > 1) throw new UsageError('validate takes at most one folder');
  const result = await validateContent(resolve(io.cwd, positionals[0] ?? '.'));
  io.stdout(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatValidation(result));
  return result.ok ? 0 : 1;
}

async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      'dry-run': { type: 'boolean' },
      dir: { type: 'string' },
      settings: { type: 'string' },
      api: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [workflow, ...extra] = positionals;
  if (!workflow) throw new UsageError('run needs a workflow name: riposte run <workflow>');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (values.api !== undefined && values.api !== 'graph' && values.api !== 'legacy')
    throw new UsageError(`--api must be graph or legacy, got '${values.api}'`);
  const json = values.json === true;
  const interrupts = listenForInterrupts((line) => io.stderr(`${line}\n`), workflow);
  try {
    const { target, report } = await runCommand({
      workflow,
      dryRun: values['dry-run'] === true,
      dir: resolve(io.cwd, values.dir ?? '.'),
      ...(values.input !== undefined ? { inputFile: resolve(io.cwd, values.input) } : {}),
      ...(values.settings !== undefined ? { settingsFile: resolve(io.cwd, values.settings) } : {}),
      ...(values.api !== undefined ? { api: values.api as 'graph' | 'legacy' } : {}),
      ...(io.env ? { env: io.env } : {}),
      logger: progressLogger(io, json),
      say: json ? () => {} : (line) => io.stderr(`${line}\n`),
      stopSignal: interrupts.signal,
    });
    io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report, target)}`);
    return exitCodeForRun(report, interrupts.received);
  } finally {
    interrupts.dispose();
  }
}

async function openapi(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { write: { type: 'boolean' } } });
  const root = findAppRoot(__dirname);
  const file = join(root, SWAGGER_FILE);
  const text = await formatJson(toSwagger2(readOpenApiDocument(root)), file);
  if (values.write) {
    writeFileSync(file, text);
    io.stderr(`wrote ${SWAGGER_FILE}\n`);
  } else io.stdout(text);
  return 0;
}

function sandbox(args: string[]): Promise<number> {
  // sandbox/cli.ts reads process.argv and runs until Ctrl-C: hand it the remaining arguments.
  process.argv = [process.argv[0] ?? 'node', 'riposte-sandbox', ...args];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../sandbox/cli');
  return new Promise(() => {});
}

/** @returns the process exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validate(rest, io);
      case 'run':
        return await run(rest, io);
      case 'sandbox':
        return await sandbox(rest);
      case 'openapi':
        return await openapi(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    // parseArgs reports unknown flags with a code; settings errors list names, never values.
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage || e instanceof ConfigError) {
      io.stderr(`riposte: ${(e as Error).message}\n${usage ? 'Run riposte --help for usage.\n' : ''}`);
      return 2;
    }
    io.stderr(`riposte: ${redact(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
