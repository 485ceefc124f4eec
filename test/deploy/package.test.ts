// `npm run package` (scripts/packageApp.ts): the zip holds what the Functions host loads and nothing from the sandbox,
// the local host, tests or dev tools; and, unzipped into an empty folder, it runs on its own: the local host loads
// dist/functions/*.js from the unzipped folder, whose modules resolve their SDKs from the package's node_modules,
// and answers health, deep health (Key Vault → token → API through the packaged SDKs), a hunting query and a webhook
// delivery applied through the queue trigger, against the sandbox and Azurite.
import '../../host/fakeCore'; // must precede anything that loads @azure/functions
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yauzl from 'yauzl';
import { phishingSender } from '../../sandbox/seed/entities';
import {
  buildPackage,
  PACKAGE_CONTENT_DIRS,
  PACKAGE_OPENAPI_FILES,
  type PackageResult,
} from '../../scripts/packageApp';
import {
  appSettings,
  newWebhookSecrets,
  signedStandard,
  startBackends,
  startInProcessApp,
  waitFor,
  type Backends,
  type InProcessApp,
} from '../reliability/harness';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix mode from the external attributes (0 when the zip records none). */
  mode: number;
}

/** Every entry with its bytes, read by yauzl (an independent reader: it checks CRCs and sizes). */
function readZip(path: string): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const out: ZipEntry[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.push({ name: entry.fileName, data: Buffer.concat(chunks), mode: entry.externalFileAttributes >>> 16 });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

function repoFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? repoFiles(join(dir, d.name), base)
      : [
          join(dir, d.name)
            .slice(base.length + 1)
            .split('\\')
            .join('/'),
        ],
  );
}

let scratch: string;
let result: PackageResult;
let entries: ZipEntry[];
let names: Set<string>;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'riposte-pkg-test-'));
  // --offline: the dependencies come from the cache `npm ci` filled, never from the network.
  result = await buildPackage({ out: join(scratch, 'riposte.zip'), log: () => undefined, offline: true });
  entries = await readZip(result.path);
  names = new Set(entries.map((e) => e.name));
});

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm run package: contents', () => {
  it('reports what it wrote', () => {
    assert.equal(result.files, entries.length);
    assert.equal(result.bytes, readFileSync(result.path).length);
    assert.match(result.sha256, /^[0-9a-f]{64}$/);
  });

  it('has host.json and package.json at the root, equal to the repository files', () => {
    for (const file of ['host.json', 'package.json']) {
      const entry = entries.find((e) => e.name === file);
      assert.ok(entry, `${file} at the zip root`);
      assert.deepEqual(entry.data, readFileSync(join(ROOT, file)));
    }
  });

  it('has one compiled module per function file, matched by package.json "main"', () => {
    assert.equal(pkg.main, 'dist/functions/*.js');
    const functionFiles = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    assert.ok(functionFiles.length >= 10);
    const compiled = [...names].filter((n) => /^dist\/functions\/[^/]+\.js$/.test(n)).sort();
    assert.deepEqual(compiled, functionFiles.map((f) => `dist/functions/${f.replace(/\.ts$/, '.js')}`).sort());
    for (const helper of readdirSync(join(ROOT, 'functions', 'lib')).filter((f) => f.endsWith('.ts')))
      assert.ok(names.has(`dist/functions/lib/${helper.replace(/\.ts$/, '.js')}`), helper);
  });

  it('has every production dependency and no development dependency', () => {
    for (const dep of Object.keys(pkg.dependencies))
      assert.ok(names.has(`node_modules/${dep}/package.json`), `production dependency ${dep}`);
    for (const dep of Object.keys(pkg.devDependencies))
      assert.ok(
        ![...names].some((n) => n.startsWith(`node_modules/${dep}/`)),
        `development dependency ${dep} left out`,
      );
  });

  it('leaves out sources, the sandbox, the local host, tests, tools, local settings, type declarations and maps', () => {
    const unwanted = [...names].filter(
      (n) =>
        /\.(ts|mts|cts|map)$/.test(n) ||
        /^dist\/(sandbox|host|test|bench|scripts|cli)\//.test(n) ||
        /^(functions|shared|sandbox|host|test|bench|scripts|cli|infra|docs|\.data)\//.test(n) ||
        /(^|\/)local\.settings(\.sample)?\.json$/.test(n) ||
        /(^|\/)\.env$/.test(n),
    );
    assert.deepEqual(unwanted, []);
  });

  it('carries the content byte for byte: queries, workflows, mappings, schemas and the OpenAPI documents', () => {
    const expected = [
      ...PACKAGE_CONTENT_DIRS.flatMap((dir) => repoFiles(join(ROOT, dir)).map((f) => `${dir}/${f}`)),
      ...PACKAGE_OPENAPI_FILES,
    ];
    assert.ok(expected.some((f) => f.startsWith('queries/') && f.endsWith('.kql')));
    for (const file of expected) {
      const entry = entries.find((e) => e.name === file);
      assert.ok(entry, `${file} in the package`);
      assert.deepEqual(entry.data, readFileSync(join(ROOT, file)), file);
    }
  });

  it('has only plain files with safe relative names (no symlinks, no absolute or parent paths)', () => {
    for (const e of entries) {
      assert.ok(!e.name.startsWith('/') && !e.name.split('/').includes('..'), e.name);
      assert.equal(e.mode & 0o170000, 0o100000, `${e.name} is a regular file`);
    }
  });
});

describe('npm run package: the unzipped package runs on its own', () => {
  let appDir: string;
  let backends: Backends;
  let app: InProcessApp;
  const secrets = newWebhookSecrets();

  before(async () => {
    appDir = join(scratch, 'wwwroot');
    for (const e of entries) {
      mkdirSync(dirname(join(appDir, e.name)), { recursive: true });
      writeFileSync(join(appDir, e.name), e.data);
    }
    backends = await startBackends();
    app = await startInProcessApp(appSettings(backends, secrets), {
      entry: [pkg.main],
      cwd: appDir,
      hostJsonPath: join(appDir, 'host.json'),
    });
  });

  after(async () => {
    await app?.host.close();
    await backends?.azurite.stop();
    await backends?.sandbox.close();
  });

  const loadedFrom = (prefix: string): string[] =>
    Object.keys(require.cache).filter((k) => k.startsWith(join(appDir, prefix)));

  it('registers every function from the unzipped folder', () => {
    const functionFiles = readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    assert.ok(app.host.functions().length >= functionFiles.length);
    assert.ok(loadedFrom('dist/functions/').length >= functionFiles.length);
    assert.ok(loadedFrom('node_modules/@azure/functions/').length > 0, 'the package’s own @azure/functions');
  });

  it('answers health and proves Key Vault → token → API with the packaged SDKs', async () => {
    assert.equal((await app.call('GET', '/api/health', { key: null })).status, 200);
    const deep = await app.call('GET', '/api/health/deep');
    assert.equal(deep.status, 200, deep.text);
    const checks = (deep.json as { checks: { name: string; ok: boolean }[] }).checks;
    assert.deepEqual(
      checks.map((c) => [c.name, c.ok]),
      [
        ['keyVault', true],
        ['token', true],
        ['api', true],
      ],
    );
    for (const sdk of ['@azure/identity', '@azure/keyvault-secrets', 'axios'])
      assert.ok(loadedFrom(`node_modules/${sdk}/`).length > 0, `${sdk} loaded from the package`);
    assert.ok(loadedFrom('dist/shared/config.js').length === 1, 'settings read by the packaged code');
  });

  it('runs a named hunting query from the packaged query library', async () => {
    const r = await app.call('POST', '/api/hunting/emails-from-sender', {
      body: { params: { senderAddress: phishingSender, lookback: '30d' } },
    });
    assert.equal(r.status, 200, r.text);
    assert.ok((r.json as { rowCount: number }).rowCount > 0);
  });

  it('applies a webhook delivery through the queue trigger and the packaged workflows', async () => {
    const target = backends.sandbox.control.incidents().find((i) => i.status === 'active');
    assert.ok(target, 'the seed has an active incident');
    const marker = `package-check-${Date.now()}`;
    const d = signedStandard(
      { id: marker, incidentId: String(target.id), ticketId: 'PKG-1', comment: marker },
      secrets.generic,
    );
    const r = await app.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
    assert.equal(r.status, 202, r.text);
    await waitFor('the comment on the incident', () =>
      (backends.sandbox.control.incident(String(target.id))?.comments ?? []).some((c) => c.comment.includes(marker)),
    );
  });
});
