// `npm run package`: the deployment package for Azure (riposte.zip), with exactly what the Functions host loads:
// host.json and package.json at the root, the compiled functions and shared module, the production dependencies
// (no remote build needed, so the same bytes run everywhere), and the content (queries, workflows, mappings,
// OpenAPI). Deploy it with `az functionapp deployment source config-zip`, or let the ARM template's `packageUri`
// fetch it (docs/deploy.md). Nothing from the sandbox, the local host, tests or dev tools goes in.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createWriteStream,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { ZipFile } from 'yazl';

const ROOT = resolve(__dirname, '..');

/** Copied as they are: what the host reads at the root, and the content Riposte reads at run time. */
export const PACKAGE_ROOT_FILES = ['host.json', 'package.json', 'package-lock.json'];
export const PACKAGE_CONTENT_DIRS = ['queries', 'workflows', 'mappings', 'schemas'];
export const PACKAGE_OPENAPI_FILES = ['openapi/riposte.openapi.json', 'openapi/riposte.swagger.json'];

/** Never loaded at run time: TypeScript sources, type declarations and source maps of the dependencies. */
const DEV_ONLY_IN_DEPENDENCIES = /^node_modules\/.*\.([cm]?ts|map)$/;

/** A fixed timestamp, so the same commit and lock file give the same zip. */
const MTIME = new Date(2000, 0, 1);

export interface PackageResult {
  path: string;
  files: number;
  bytes: number;
  sha256: string;
}

export interface PackageOptions {
  out?: string;
  log?: (line: string) => void;
  /** Keep the staging folder (for inspection); its path is logged. */
  keepStage?: boolean;
  /** Install from npm's cache only, never the network (the tests: traffic stays on loopback). */
  offline?: boolean;
}

function run(cmd: string, args: string[], cwd: string): void {
  execFileSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}

/** Files under `dir`, sorted, relative with `/`; symlinks (node_modules/.bin) are left out: the host never uses them. */
function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) out.push(...listFiles(path, base));
    else if (st.isFile()) out.push(relative(base, path).split(sep).join('/'));
  }
  return out;
}

function writeZip(stage: string, files: string[], out: string): Promise<void> {
  const zip = new ZipFile();
  for (const file of files) {
    const executable = (lstatSync(join(stage, file)).mode & 0o111) !== 0;
    zip.addFile(join(stage, file), file, { mtime: MTIME, mode: executable ? 0o100755 : 0o100644 });
  }
  zip.end();
  return new Promise((resolveDone, reject) => {
    const sink = createWriteStream(out);
    sink.on('close', resolveDone);
    sink.on('error', reject);
    zip.outputStream.on('error', reject).pipe(sink);
  });
}

/**
 * Build the deployment package.
 * @throws {Error} when the build or the production install fails (the command's output is in the message)
 */
export async function buildPackage(o: PackageOptions = {}): Promise<PackageResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  const out = resolve(o.out ?? join(ROOT, 'riposte.zip'));
  const stage = mkdtempSync(join(tmpdir(), 'riposte-package-'));
  try {
    log('compiling functions/ and shared/ (tsconfig.package.json)');
    run(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        join(ROOT, 'tsconfig.package.json'),
        '--outDir',
        join(stage, 'dist'),
      ],
      ROOT,
    );
    for (const file of [...PACKAGE_ROOT_FILES, ...PACKAGE_OPENAPI_FILES]) {
      mkdirSync(dirname(join(stage, file)), { recursive: true });
      cpSync(join(ROOT, file), join(stage, file));
    }
    for (const dir of PACKAGE_CONTENT_DIRS) cpSync(join(ROOT, dir), join(stage, dir), { recursive: true });
    log('installing production dependencies (npm ci --omit=dev)');
    // Install scripts are off: no production dependency needs one, and a package should not run code at build time.
    const network = o.offline ? '--offline' : '--prefer-offline';
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', network], stage);
    const files = listFiles(stage).filter((f) => !DEV_ONLY_IN_DEPENDENCIES.test(f));
    mkdirSync(dirname(out), { recursive: true });
    await writeZip(stage, files, out);
    const bytes = readFileSync(out);
    const result: PackageResult = {
      path: out,
      files: files.length,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    log(
      `${relative(process.cwd(), out) || out}: ${result.files} files, ${(result.bytes / 1048576).toFixed(1)} MiB, sha256 ${result.sha256}`,
    );
    return result;
  } finally {
    if (o.keepStage) log(`staging folder kept: ${stage}`);
    else rmSync(stage, { recursive: true, force: true });
  }
}

const USAGE = `Usage: npm run package -- [--out <file>] [--keep-stage]

Builds the deployment zip: compiled code, production dependencies and content (reproducible).

Options:
  --out <file>    Where to write it (default riposte.zip).
  --keep-stage    Keep the staging folder and print where it is.
  -h, --help      This text.

Exit codes: 0 written; 1 the build failed; 2 usage error.`;

function cliOptions(): { out?: string; keepStage: boolean } | number {
  let values: { out?: string | undefined; 'keep-stage'?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { out: { type: 'string' }, 'keep-stage': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    console.error(`package: ${(e as Error).message}\nRun npm run package -- --help for usage.`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  return { ...(values.out ? { out: values.out } : {}), keepStage: values['keep-stage'] === true };
}

if (require.main === module) {
  const options = cliOptions();
  if (typeof options === 'number') process.exitCode = options;
  else
    buildPackage(options).catch((err: unknown) => {
      const e = err as Error & { stderr?: Buffer; stdout?: Buffer };
      console.error(`package failed: ${e.message}\n${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
      process.exit(1);
    });
}
