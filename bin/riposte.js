#!/usr/bin/env node
/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim: it runs before any loader */
// `npx riposte`: runs the TypeScript source through tsx when it is there (this repo, after `npm ci`), otherwise
// the compiled CLI (`npm run build` → dist/cli/riposte.js).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'cli', 'riposte.ts');
const compiled = join(__dirname, '..', 'dist', 'cli', 'riposte.js');
const hasTsx = () => {
  try {
    require.resolve('tsx/cjs');
    return true;
  } catch {
    return false;
  }
};
let cli;
if (existsSync(source) && hasTsx()) {
  require('tsx/cjs');
  cli = require(source);
} else if (existsSync(compiled)) {
  cli = require(compiled);
} else {
  process.stderr.write(
    'riposte: neither cli/riposte.ts nor dist/cli/riposte.js exists; run `npm ci` (and `npm run build`)\n',
  );
  process.exit(2);
}
let settled = false;
cli.main(process.argv.slice(2)).then((code) => {
  settled = true;
  process.exitCode = code;
});
// Nothing may end the process with status 0 before the command has answered: if the event loop ever runs dry
// while it still waits (a timer someone unref'd), say so and fail instead of exiting quietly mid-run.
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  process.stderr.write(
    'riposte: internal error: the process ran out of work before the command finished; no report was produced and the run may be incomplete\n',
  );
  process.exitCode = 1;
});
