#!/usr/bin/env node
// Runs the test suite with node's test runner: `npm test` (everything) or `npm test -- test/some.test.ts ...`.
// Every test process loads tsx and the loopback guard, and gets managed-identity variables that point at a closed
// loopback port, so no credential can ever probe the instance-metadata address or spawn `az`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
};
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './test/setup/loopbackGuard.ts',
    '--test',
    '--test-timeout=120000',
    ...flags,
    ...targets,
  ],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
