// Compiles part of the repository to a temporary folder with tsc, as Azure runs it (JavaScript, no TypeScript
// loader): figures that measure a process's own time or memory run this output, so tsx's transpiler and its caches
// (about 40 MB of RSS) are not counted. Types are not checked (speed; `npm run build` checks them).
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './stack';

/**
 * @param include - globs relative to the repository (e.g. 'functions/**\/*.ts'); their imports come along.
 * @returns how long tsc took, in ms. The output mirrors the repository's layout under outDir, with node_modules
 *   linked next to it as in a deployed package.
 */
export function compileApp(outDir: string, workDir: string, include: string[]): number {
  const tsconfig = join(workDir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(REPO_ROOT, 'tsconfig.json'),
      compilerOptions: {
        rootDir: REPO_ROOT,
        outDir,
        sourceMap: false,
        noCheck: true,
        typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
      },
      include: include.map((g) => join(REPO_ROOT, g)),
    }),
  );
  const t0 = performance.now();
  const tsc = require.resolve('typescript/bin/tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', tsconfig], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`tsc failed: ${(res.stdout + res.stderr).slice(0, 2000)}`);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  return performance.now() - t0;
}
