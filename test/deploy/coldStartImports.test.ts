// Cold start (issue 12 item 2 and bench/coldStart.ts's coldStartRatio): loading the function files — what the host
// does when it indexes the app — must not load the SDKs and parsers a function needs only when it runs. Each of these
// packages costs tens to hundreds of milliseconds on a cold instance; functions/lib/lazy.ts defers them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

// What indexing may load: @azure/functions with its own dependencies, and the TypeScript loader these tests run under.
function allowedAtStart(): Set<string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@azure', 'functions', 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return new Set(['@azure/functions', ...Object.keys(pkg.dependencies ?? {}), 'tsx', 'esbuild']);
}

// Runs in a fresh process (this one has loaded test helpers): requires every function file, lists the packages loaded.
const PROBE = `
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const dir = join(process.cwd(), 'functions');
for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) require(join(dir, f));
const packages = new Set();
for (const k of Object.keys(require.cache)) {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(k);
  if (m) packages.add(m[1]);
}
process.stdout.write(JSON.stringify([...packages].sort()));
`;

describe('cold start', () => {
  it('loading every function file loads none of the SDKs and parsers the functions use when they run', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', PROBE], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    const loaded = JSON.parse(r.stdout) as string[];
    assert.ok(loaded.includes('@azure/functions'), `the probe loaded the app: ${loaded.join(', ')}`);
    const allowed = allowedAtStart();
    assert.deepEqual(
      loaded.filter((p) => !allowed.has(p)),
      [],
      `loaded at start: ${loaded.join(', ')}`,
    );
  });
});
