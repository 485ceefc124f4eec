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
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
