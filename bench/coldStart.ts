// Cold start: a fresh Node process loading the compiled Function App (every functions/*.js, so every registration)
// against the same process loading @azure/functions alone. Compiled JS is what Azure runs, so the app is built to a
// temporary folder with tsc (bench/compile.ts). Both sides
// first load host/fakeCore (the stand-in for the worker's @azure/functions-core, which Azure preloads), and time
// only what follows it. Sides take turns, ≥10 runs each; medians. A third side, every function but
// scheduledWorkflows, shows what reading the workflow schedules (YAML, needed to register the timers) costs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileApp } from './compile';
import { REPO_ROOT } from './stack';
import { median, round, summarize, type Summary } from './stats';

export interface ColdStartResult {
  runs: number;
  buildMs: number;
  /** Time to require the entry modules, after fakeCore. */
  loadMs: { app: Summary; base: Summary; appNoSchedules: Summary };
  /** Whole process, spawn to exit (Node's own start included: the same on both sides). */
  processMs: { app: Summary; base: Summary };
  ratio: number;
  processRatio: number;
  /** As `ratio`, without functions/scheduledWorkflows (and so without yaml at start). */
  ratioWithoutScheduleRead: number;
  registrations: number;
  modulesLoaded: { app: number; base: number };
  /** Inclusive first-load time of each function file in one app run, slowest first. */
  perFunctionMs: Record<string, number>;
  /** node_modules packages the app loads at start (files per package). */
  packagesAtStart: Record<string, number>;
}

// Runs inside the child: requires fakeCore, then the side under test, and reports timings on stdout.
const PROBE = `
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
require('./host/fakeCore.js');
const side = process.argv[2];
const perFunction = {};
const t0 = performance.now();
if (side !== 'base') {
  const skip = side === 'appNoSchedules' ? 'scheduledWorkflows.js' : '';
  for (const f of readdirSync(join(__dirname, 'functions')).filter((f) => f.endsWith('.js') && f !== skip).sort()) {
    const t = performance.now();
    require(join(__dirname, 'functions', f));
    perFunction[f] = performance.now() - t;
  }
} else {
  require('@azure/functions');
}
const loadMs = performance.now() - t0;
const packages = {};
for (const k of Object.keys(require.cache)) {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(k);
  if (m) packages[m[1]] = (packages[m[1]] || 0) + 1;
}
const registrations = require('./host/fakeCore.js').registrations.size;
process.stdout.write(JSON.stringify({ loadMs, perFunction, packages, registrations, modules: Object.keys(require.cache).length }));
`;

interface ProbeOutput {
  loadMs: number;
  perFunction: Record<string, number>;
  packages: Record<string, number>;
  registrations: number;
  modules: number;
}

export async function measureColdStart(options: { runs?: number } = {}): Promise<ColdStartResult> {
  const runs = options.runs ?? 12;
  const workDir = mkdtempSync(join(tmpdir(), 'riposte-coldstart-'));
  try {
    const outDir = join(workDir, 'out');
    const buildMs = compileApp(outDir, workDir, ['functions/**/*.ts', 'host/fakeCore.ts']);
    writeFileSync(join(outDir, 'probe.js'), PROBE);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      // The compiled tree has no package.json: point content (workflows/ for the timers) at the repository.
      CONTENT_DIR: REPO_ROOT,
      NODE_OPTIONS: '',
    };
    type Side = 'app' | 'base' | 'appNoSchedules';
    const probe = (side: Side): { out: ProbeOutput; processMs: number } => {
      const t0 = performance.now();
      const res = spawnSync(process.execPath, [join(outDir, 'probe.js'), side], { encoding: 'utf8', env });
      const processMs = performance.now() - t0;
      if (res.status !== 0) throw new Error(`cold-start probe (${side}) failed: ${res.stderr.slice(0, 2000)}`);
      return { out: JSON.parse(res.stdout) as ProbeOutput, processMs };
    };
    probe('base'); // page cache and disk warm for both sides
    probe('app');
    const load = { app: [] as number[], base: [] as number[], appNoSchedules: [] as number[] };
    const proc = { app: [] as number[], base: [] as number[] };
    let last: ProbeOutput | undefined;
    let baseModules = 0;
    const sides: Side[] = ['app', 'base', 'appNoSchedules'];
    for (let i = 0; i < runs; i++) {
      // Rotate the order so no side always runs right after another.
      for (const side of sides.map((_, k) => sides[(i + k) % sides.length] as Side)) {
        const { out, processMs } = probe(side);
        load[side].push(out.loadMs);
        if (side === 'appNoSchedules') continue;
        proc[side].push(processMs);
        if (side === 'app') last = out;
        else baseModules = out.modules;
      }
    }
    if (!last) throw new Error('no app run');
    return {
      runs,
      buildMs: round(buildMs, 0),
      loadMs: { app: summarize(load.app), base: summarize(load.base), appNoSchedules: summarize(load.appNoSchedules) },
      processMs: { app: summarize(proc.app), base: summarize(proc.base) },
      ratio: round(median(load.app) / median(load.base)),
      processRatio: round(median(proc.app) / median(proc.base)),
      ratioWithoutScheduleRead: round(median(load.appNoSchedules) / median(load.base)),
      registrations: last.registrations,
      modulesLoaded: { app: last.modules, base: baseModules },
      perFunctionMs: Object.fromEntries(
        Object.entries(last.perFunction)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, round(v, 1)]),
      ),
      packagesAtStart: last.packages,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
