#!/usr/bin/env node
// Runs the test suite with node's test runner: `npm test` (everything) or `npm test -- test/some.test.ts ...`.
// Every test process loads tsx and the loopback guard, and gets managed-identity variables that point at a closed
// loopback port, so no credential can ever probe the instance-metadata address or spawn `az`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const targets = files.length > 0 ? files : find(join(root, 'test')).sort();

const env = {
  ...process.env,
  IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT ?? 'http://127.0.0.1:9/msi/token',
  IDENTITY_HEADER: process.env.IDENTITY_HEADER ?? 'riposte-tests',
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
  NODE_ENV: 'test',
  // test/setup/logCapture.ts keeps each test process's output and reports credentials found in it here.
  RIPOSTE_LOG_CAPTURE_DIR: mkdtempSync(join(tmpdir(), 'riposte-logscan-')),
};
// The scale-out test (test/scale/) runs alone, after the rest: it measures how four host processes share the quota,
// which a second test file on the same two cores would skew, and it takes longer than the usual two minutes
// (RIPOSTE_SCALE_FULL=1, the size, takes 10–11 minutes).
const isSolo = (f) => f.replace(/\\/g, '/').startsWith('test/scale/');
const run = (files, concurrency, timeoutMs) =>
  spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './test/setup/loopbackGuard.ts',
      '--import',
      './test/setup/logCapture.ts',
      '--test',
      `--test-timeout=${timeoutMs}`,
      `--test-concurrency=${concurrency}`,
      ...flags,
      ...files,
    ],
    { cwd: root, env, stdio: 'inherit' },
  ).status ?? 1;
const shared = targets.filter((f) => !isSolo(f));
const solo = targets.filter(isSolo);
// Two test files at a time: most of the suite waits on loopback servers, retries and outages, not the CPU, so two
// halves the run on a 2-core runner (node's default is one less than the cores). RIPOSTE_TEST_CONCURRENCY=1 runs them
// one by one. A file may take four minutes: the journey files start the sandbox in every CLI process they run.
const statuses = [
  ...(shared.length > 0 ? [run(shared, process.env.RIPOSTE_TEST_CONCURRENCY ?? '2', 240_000)] : []),
  ...(solo.length > 0 ? [run(solo, 1, process.env.RIPOSTE_SCALE_FULL === '1' ? 3_600_000 : 300_000)] : []),
];
const result = { status: statuses.find((s) => s !== 0) ?? 0 };
// Every test process's output, searched for secrets, tokens and keys (a test can fail to notice a leak; this cannot).
const reports = readdirSync(env.RIPOSTE_LOG_CAPTURE_DIR).map((f) =>
  JSON.parse(readFileSync(join(env.RIPOSTE_LOG_CAPTURE_DIR, f), 'utf8')),
);
rmSync(env.RIPOSTE_LOG_CAPTURE_DIR, { recursive: true, force: true });
const findings = reports.flatMap((r) => r.findings.map((f) => ({ ...f, file: r.file })));
const kb = Math.round(reports.reduce((n, r) => n + r.chars, 0) / 1024);
console.log(`# log scan: ${reports.length} test processes, ${kb} KB of output, ${findings.length} credential(s) found`);
for (const f of findings.slice(0, 20)) console.log(`#   ${f.file}: ${f.kind} ${f.masked} in: ${f.context}`);
process.exit(findings.length > 0 && result.status === 0 ? 1 : (result.status ?? 1));
