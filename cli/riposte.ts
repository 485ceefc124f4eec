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
import { EXIT, EXIT_CODES_TEXT, exitCodeForRun, exitCodeForSignal } from './exitCodes';
import { listenForInterrupts } from './interrupt';
import { PERMISSIONS_OPTIONS, PERMISSIONS_USAGE, permissionsCommand } from './permissions';
import { POISON_OPTIONS, POISON_USAGE, poisonCommand } from './poison';
import { formatReport, runCommand, UsageError } from './run';
import { forbiddenAsUser } from './userForbidden';
import { SignInError, type SignInPrompt } from './userSignIn';
import { InterruptError } from './interrupt';
import { KustoUnavailableError } from './kql/kusto';
import { formatReport as formatValidationReport, PathError, validatePaths } from './validate';

/** One command: what `riposte --help` lists, what `riposte <command> --help` prints, and what it does. */
export interface Command {
  summary: string;
  /** Its options (parseArgs), each documented in its usage; absent when it parses its own (sandbox). */
  options?: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  /** A function: the sandbox's text lives in sandbox/cli.ts, loaded only when asked for. */
  usage(): string;
  run(args: string[], io: Io): Promise<number>;
}

const RUN_USAGE = `Usage: riposte run <workflow> [options]

Runs a workflow once, here: against the tenant in the environment or local.settings.json (an environment
variable wins over the file; needs a managed identity), else against the offline sandbox it starts.

Options:
  --input <file>         The workflow's input, a JSON or YAML object.
  --dry-run              Read steps run; write steps report the exact change and make none.
  --dir <dir>            Content folder (default: the working directory).
  --settings <file>      Settings file (default: ./local.settings.json).
  --api graph|legacy     Sandbox only: which Defender API it plays (default DEFENDER_API, else graph).
  --tenant <key>         The tenant to run in (a TENANTS key); needed when the workflow runs for several.
  --user                 Sign in as yourself (device code: open the page shown and enter the code) and run
                         with your own Defender permissions: no managed identity, app secret or Key Vault.
                         Against a tenant it needs RIPOSTE_CLI_CLIENT_ID, the CLI's public client app.
  --json                 The run report as JSON on stdout (progress and logs stay on stderr).
  -h, --help             This text.

A run that needs more API calls than the quota allows waits for it. Ctrl-C stops a run gently: no new step,
item, write or request starts, requests in flight finish, and the partial report lists what was done, what
was not started and the writes left pending (the next run finishes them); a second Ctrl-C exits at once.

${EXIT_CODES_TEXT}`;

const VALIDATE_USAGE = `Usage: riposte validate [path...] [--json]

Checks, offline, each path (default: the working directory):
  - a content folder (one with queries/, workflows/ or mappings/): loaded the way the Function App loads it,
    then every query analysed with Microsoft's Kusto.Language against the Advanced Hunting schema as it will
    run: each library query bound with its parameters' examples, each workflow hunt step's query bound with
    the step's values (and, for a scheduled workflow, with the window the legacy API writes into it);
  - any other folder: every .kql file in it and below, a plain query as written, a file with Riposte's
    "// ---" header as a library query;
  - a .kql file.
With DEFENDER_API=legacy set, steps only Microsoft Graph serves (the alert steps) are reported as problems.
Each problem is reported as file:line:column with Kusto's own message and code. Kusto's warnings are listed
apart and do not fail the check.

Options:
  --json                 The result as JSON on stdout: { ok, problemCount, warningCount, results: [{ dir,
                         kind, ok, checks, kql: { queries, huntSteps, errors, warnings }, ... }] }, each
                         error or warning { file, line, column, endLine, endColumn, severity, code, message }.
  -h, --help             This text.

Exit codes: 0 no errors (warnings allowed); 1 errors found; 2 usage error (unknown option, missing path).`;

const OPENAPI_USAGE = `Usage: riposte openapi [--write]

Prints the Swagger 2.0 copy of openapi/riposte.openapi.json (for a Logic Apps or Power Automate custom
connector), or with --write writes it to openapi/riposte.swagger.json.

Options:
  --write                Write the file instead of printing it.
  -h, --help             This text.

Exit codes: 0 done; 1 the document could not be read or written; 2 usage error.`;

const VALIDATE_OPTIONS = { json: { type: 'boolean' } } as const;

/** DEFENDER_API as `riposte validate` reads it: legacy or graph; anything else is left to the app's own check. */
const backendOf = (v: string | undefined): 'graph' | 'legacy' | undefined => {
  const api = v?.trim().toLowerCase();
  return api === 'legacy' || api === 'graph' ? api : undefined;
};
const RUN_OPTIONS = {
  input: { type: 'string' },
  'dry-run': { type: 'boolean' },
  dir: { type: 'string' },
  settings: { type: 'string' },
  api: { type: 'string' },
  tenant: { type: 'string' },
  json: { type: 'boolean' },
  user: { type: 'boolean' },
} as const;
const OPENAPI_OPTIONS = { write: { type: 'boolean' } } as const;

export const COMMANDS: Record<string, Command> = {
  validate: {
    summary: 'Check queries/, workflows/ and mappings/ offline; exit 1 when anything is wrong.',
    options: VALIDATE_OPTIONS,
    usage: () => VALIDATE_USAGE,
    run: validate,
  },
  run: {
    summary: 'Run a workflow once, against your tenant or the offline sandbox.',
    options: RUN_OPTIONS,
    usage: () => RUN_USAGE,
    run,
  },
  sandbox: {
    summary: 'Start the offline sandbox (as npm run sandbox).',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    usage: () => (require('../sandbox/cli') as { USAGE: string }).USAGE,
    run: sandbox,
  },
  poison: {
    summary: 'List, show, replay or purge ticket events that failed for good (the poison queue).',
    options: POISON_OPTIONS,
    usage: () => POISON_USAGE,
    run: poisonCommand,
  },
  permissions: {
    summary: 'List the app permissions (per API) the workflows need; infra/postdeploy.sh grants them.',
    options: PERMISSIONS_OPTIONS,
    usage: () => PERMISSIONS_USAGE,
    run: (args, io) => Promise.resolve(permissionsCommand(args, io)),
  },
  openapi: {
    summary: 'Print (or --write) the Swagger 2.0 copy of the OpenAPI document.',
    options: OPENAPI_OPTIONS,
    usage: () => OPENAPI_USAGE,
    run: openapi,
  },
};

export const USAGE = `Usage: riposte <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run riposte <command> --help for a command's options.

Options:
  -h, --help  This text.

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
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: VALIDATE_OPTIONS });
  let report;
  try {
    report = await validatePaths(positionals, {
      cwd: io.cwd,
      ticketSyncWorkflow: (io.env ?? process.env).TICKET_SYNC_WORKFLOW,
      // The API the content will run on: Graph-only steps are a problem under DEFENDER_API=legacy.
      backend: backendOf((io.env ?? process.env).DEFENDER_API),
    });
  } catch (e) {
    if (e instanceof PathError) throw new UsageError(e.message);
    if (e instanceof KustoUnavailableError) {
      io.stderr(`riposte: ${e.message}\n`);
      return EXIT.failed;
    }
    throw e;
  }
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatValidationReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}

async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: RUN_OPTIONS });
  const [workflow, ...extra] = positionals;
  if (!workflow) throw new UsageError('run needs a workflow name: riposte run <workflow>');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (values.api !== undefined && values.api !== 'graph' && values.api !== 'legacy')
    throw new UsageError(`--api must be graph or legacy, got '${values.api}'`);
  const json = values.json === true;
  const interrupts = listenForInterrupts((line) => io.stderr(`${line}\n`), workflow);
  try {
    const { target, report, actingUser } = await runCommand({
      workflow,
      dryRun: values['dry-run'] === true,
      dir: resolve(io.cwd, values.dir ?? '.'),
      ...(values.input !== undefined ? { inputFile: resolve(io.cwd, values.input) } : {}),
      ...(values.settings !== undefined ? { settingsFile: resolve(io.cwd, values.settings) } : {}),
      ...(values.api !== undefined ? { api: values.api as 'graph' | 'legacy' } : {}),
      ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
      ...(io.env ? { env: io.env } : {}),
      logger: progressLogger(io, json),
      say: json ? () => {} : (line) => io.stderr(`${line}\n`),
      stopSignal: interrupts.signal,
      ...(values.user ? { user: true, onSignInPrompt: (p) => io.stderr(signInPromptText(p, json)) } : {}),
    });
    io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report, target)}`);
    const refused = actingUser ? forbiddenAsUser(report, actingUser) : undefined;
    if (refused) {
      io.stderr(`riposte: ${refused}\n`);
      return EXIT.userForbidden;
    }
    return exitCodeForRun(report, interrupts.received);
  } catch (e) {
    if (e instanceof SignInError) {
      io.stderr(
        json
          ? `${JSON.stringify({ level: 'error', event: 'signInFailed', reason: e.reason, message: e.message })}\n`
          : `riposte: ${e.message}\n`,
      );
      return e.exitCode;
    }
    if (e instanceof InterruptError) {
      io.stderr(`riposte: ${e.signal} while waiting for the sign-in: nothing ran.\n`);
      return exitCodeForSignal(e.signal);
    }
    throw e;
  } finally {
    interrupts.dispose();
  }
}

/** Where to go and which code to enter: a line for people, or a JSON event line in --json mode (stderr both). */
function signInPromptText(p: SignInPrompt & { sandboxCaFile?: string }, json: boolean): string {
  if (json) {
    return `${JSON.stringify({
      level: 'info',
      event: 'deviceCode',
      message: p.message,
      verificationUri: p.verificationUri,
      userCode: p.userCode,
      ...(p.expiresInSeconds !== undefined ? { expiresInSeconds: p.expiresInSeconds } : {}),
      ...(p.sandboxCaFile ? { sandboxCaFile: p.sandboxCaFile } : {}),
    })}\n`;
  }
  const sandbox = p.sandboxCaFile
    ? ` This is the sandbox's sign-in page (its TLS certificate is from the sandbox CA ${p.sandboxCaFile}); sign in as a sandbox analyst, e.g. alex.analyst@contoso.com.`
    : '';
  return `To sign in, open ${p.verificationUri} and enter the code ${p.userCode}.${sandbox} Waiting for the sign-in (Ctrl-C to stop)...\n`;
}

async function openapi(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: OPENAPI_OPTIONS });
  const root = findAppRoot(__dirname);
  const file = join(root, SWAGGER_FILE);
  const text = await formatJson(toSwagger2(readOpenApiDocument(root)), file);
  if (values.write) {
    writeFileSync(file, text);
    io.stderr(`wrote ${SWAGGER_FILE}\n`);
  } else io.stdout(text);
  return 0;
}

/** Resolves only when the sandbox could not start (or printed its help); while it runs, Ctrl-C ends the process. */
function sandbox(args: string[]): Promise<number> {
  // Loaded on demand: the sandbox is a large module graph no other command needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cli = require('../sandbox/cli') as { main(argv: string[]): Promise<number> };
  return cli.main(args);
}

/** -h or --help among the options (before a `--`). */
const wantsHelp = (args: string[]): boolean => {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help');
};

/** @returns the process exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help') {
      io[command === undefined ? 'stderr' : 'stdout'](`${USAGE}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === 'help') {
      const about = rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0]) ? COMMANDS[rest[0]] : undefined;
      if (rest[0] !== undefined && !about) throw new UsageError(`unknown command '${rest[0]}'`);
      io.stdout(`${about ? about.usage() : USAGE}\n`);
      return EXIT.ok;
    }
    const cmd = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!cmd) throw new UsageError(`unknown command '${command}'`);
    if (wantsHelp(rest)) {
      io.stdout(`${cmd.usage()}\n`);
      return EXIT.ok;
    }
    return await cmd.run(rest, io);
  } catch (e) {
    // parseArgs reports unknown flags with a code; settings errors list names, never values.
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage || e instanceof ConfigError) {
      const about = command !== undefined && Object.hasOwn(COMMANDS, command) ? ` ${command}` : '';
      io.stderr(`riposte: ${(e as Error).message}\n${usage ? `Run riposte${about} --help for usage.\n` : ''}`);
      return EXIT.usage;
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
