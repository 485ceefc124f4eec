// `npm run bench`: every performance figure, each in its own process (bench/figure.ts), against the sandbox,
// Azurite and the local host on 127.0.0.1. Prints a table and writes bench/results.json. `npm run bench -- --only
// warmStep,coldStart` runs a subset (results.json then holds that subset only).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ColdStartResult } from './coldStart';
import type { ControlPlaneResult } from './controlPlane';
import type { FigureName } from './figure';
import type { Hunt100kResult } from './hunt100k';
import type { RateLimitResult } from './rateLimit';
import type { ScaleOutFigures } from './scaleOut';
import { REPO_ROOT } from './stack';
import { median, round } from './stats';
import type { WarmStepResult } from './warmStep';
import type { WebhookAcceptResult } from './webhookAccept';
import type { WorkflowStepResult } from './workflowStep';

const ORDER: FigureName[] = [
  'warmStep',
  'workflowStep',
  'controlPlane',
  'rateLimit',
  'coldStart',
  'hunt100k',
  'webhookAccept',
  'scaleOut',
];
const FIGURE_TIMEOUT_MS = 240_000;
/** Four host processes through a time-scaled quota take a few minutes. */
const LONG_FIGURES: Partial<Record<FigureName, number>> = { scaleOut: 480_000 };

interface Details {
  warmStep?: WarmStepResult;
  controlPlane?: ControlPlaneResult;
  rateLimit?: RateLimitResult;
  coldStart?: ColdStartResult;
  hunt100k?: Hunt100kResult;
  webhookAccept?: WebhookAcceptResult;
  workflowStep?: WorkflowStepResult;
  scaleOut?: ScaleOutFigures;
}

type Comparison = '<=' | '>=';
interface Target {
  op: Comparison;
  value: number;
  text: string;
}

function runFigure(name: FigureName): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'figure.ts'), name], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const errTail: string[] = [];
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      errTail.push(...c.toString().split('\n').filter(Boolean));
      errTail.splice(0, Math.max(0, errTail.length - 20));
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), LONG_FIGURES[name] ?? FIGURE_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${name} ${signal ? `killed (${signal})` : `exited ${code}`}:\n  ${errTail.join('\n  ')}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? ''));
      } catch {
        reject(new Error(`${name} printed no result:\n  ${errTail.join('\n  ')}`));
      }
    });
  });
}

function figuresOf(d: Details): { figures: Record<string, number>; targets: Record<string, Target> } {
  const figures: Record<string, number> = {};
  const targets: Record<string, Target> = {};
  const target = (name: string, op: Comparison, value: number, text = `${op} ${value}`): void => {
    targets[name] = { op, value, text };
  };
  if (d.warmStep) {
    figures.warmStepOverheadRatio = d.warmStep.ratios.http;
    figures.warmStepEnginePathRatio = d.warmStep.ratios.engine;
    figures.warmStepClientOnlyRatio = d.warmStep.ratios.client;
    figures.warmStepOverheadRatioAt50msApi = d.warmStep.ratios.httpAt50msApi;
    figures.warmStepRawMs = d.warmStep.loopA.ms.raw.median;
    figures.warmStepHttpMs = d.warmStep.loopA.ms.http.median;
    figures.warmStepHostNoopMs = d.warmStep.loopA.ms.noop.median;
    target('warmStepOverheadRatio', '<=', 1.1);
  }
  if (d.workflowStep) {
    const w = d.workflowStep;
    figures.workflowStepOverheadRatio = w.ratio;
    figures.workflowStepFloorRatio = w.floorRatio;
    figures.workflowStepRatioToSameApiCalls = w.ratioToSameApiCalls;
    figures.workflowStepEngineMs = w.ms.engine.median;
    figures.workflowStepRawMs = w.ms.raw.median;
    target('workflowStepOverheadRatio', '<=', 1.15);
  }
  if (d.controlPlane) {
    figures.controlPlaneCallsPer1000 = round((d.controlPlane.beyondFirst * 1000) / d.controlPlane.invocations, 2);
    figures.controlPlaneFailedInvocations = d.controlPlane.failed;
    target('controlPlaneCallsPer1000', '<=', 0, '0');
    target('controlPlaneFailedInvocations', '<=', 0, '0');
  }
  if (d.rateLimit) {
    figures.rateLimitUtilisation = d.rateLimit.utilisation;
    figures.throttledResponsesPct = d.rateLimit.throttledResponsesPct;
    figures.rateLimitFailedUpdates = d.rateLimit.failed;
    target('rateLimitUtilisation', '>=', 0.95);
    target('throttledResponsesPct', '<=', 1);
    target('rateLimitFailedUpdates', '<=', 0, '0');
  }
  if (d.coldStart) {
    figures.coldStartRatio = d.coldStart.ratio;
    figures.coldStartProcessRatio = d.coldStart.processRatio;
    figures.coldStartRatioWithoutScheduleRead = d.coldStart.ratioWithoutScheduleRead;
    figures.coldStartAppLoadMs = d.coldStart.loadMs.app.median;
    figures.coldStartFunctionsLoadMs = d.coldStart.loadMs.base.median;
    target('coldStartRatio', '<=', 1.5);
  }
  if (d.hunt100k) {
    figures.hunt100kRatio = d.hunt100k.ratio;
    figures.hunt100kCpuRatio = d.hunt100k.cpuRatio;
    figures.hunt100kPeakRssRatio = d.hunt100k.peakRssToBody;
    figures.hunt100kPeakRssMb = d.hunt100k.peakRssMb;
    figures.hunt100kBodyMb = d.hunt100k.bodyMb;
    figures.hunt100kRawPeakRssRatio = d.hunt100k.rawPeakRssToBody;
    figures.hunt100kPeakRssGrowthRatio = d.hunt100k.peakRssGrowthToBody;
    target('hunt100kRatio', '<=', 2);
    target('hunt100kPeakRssRatio', '<=', 4, '<= 4 (× body)');
  }
  if (d.webhookAccept) {
    figures.webhookAcceptRps = round(median(d.webhookAccept.riposte.rps), 1);
    figures.webhookBareRps = round(median(d.webhookAccept.bare.rps), 1);
    figures.webhookAcceptRatio = d.webhookAccept.ratio;
  }
  if (d.scaleOut) {
    figures.scaleOutThrottledPct = d.scaleOut.throttledPct;
    figures.scaleOutUtilisation = d.scaleOut.utilisation;
    figures.sharedQuotaStorageCallsPerApiCall = d.scaleOut.storageCallsPerApiCall;
    target('scaleOutThrottledPct', '<=', 1);
    target('scaleOutUtilisation', '>=', 0.9);
    target('sharedQuotaStorageCallsPerApiCall', '<=', 1);
  }
  return { figures, targets };
}

function table(figures: Record<string, number>, targets: Record<string, Target>, met: Record<string, boolean>): string {
  const rows = Object.entries(figures).map(([k, v]) => [
    k,
    String(v),
    targets[k]?.text ?? '',
    k in met ? (met[k] ? 'yes' : 'NO') : '',
  ]);
  const head = ['figure', 'value', 'target', 'met'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const USAGE = `Usage: npm run bench -- [--only <figure,...>]

Measures every performance figure against the sandbox, Azurite and the local host on 127.0.0.1, prints a
table and writes bench/results.json.

Options:
  --only <list>   Only these figures (comma-separated): ${ORDER.join(', ')}.
  -h, --help      This text.

Exit codes: 0 every figure measured; 1 a figure failed; 2 usage error.`;

async function main(): Promise<void> {
  let values: { only?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ options: { only: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\nRun npm run bench -- --help for usage.`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const only = values.only?.split(',');
  const selected = only ? ORDER.filter((n) => only.includes(n)) : ORDER;
  if (selected.length === 0 || (only && selected.length !== only.length)) {
    console.error(`bench: --only takes a comma-separated list of: ${ORDER.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const started = new Date();
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const details: Details = {};
  const failures: string[] = [];
  for (const name of selected) {
    const t0 = performance.now();
    process.stdout.write(`${name}... `);
    try {
      (details as Record<string, unknown>)[name] = await runFigure(name);
      process.stdout.write(`${round((performance.now() - t0) / 1000, 1)} s\n`);
    } catch (e) {
      process.stdout.write('failed\n');
      failures.push((e as Error).message);
    }
  }
  const { figures, targets } = figuresOf(details);
  const met: Record<string, boolean> = {};
  for (const [k, t] of Object.entries(targets)) {
    const v = figures[k];
    if (v !== undefined) met[k] = t.op === '<=' ? v <= t.value : v >= t.value;
  }
  const results = {
    figures,
    targets: Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, t.text])),
    met,
    command: `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    node: process.version,
    date: started.toISOString(),
    durationSeconds: round((Date.now() - started.getTime()) / 1000, 1),
    machine: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    load: { before: loadBefore, after: os.loadavg().map((x) => round(x, 2)) },
    failures,
    details,
  };
  // `npm run kql-coverage` keeps its own section in the same file: carry it over.
  const file = join(__dirname, 'results.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { kqlCoverage?: unknown }) : {};
  const kqlCoverage = previous.kqlCoverage === undefined ? {} : { kqlCoverage: previous.kqlCoverage };
  writeFileSync(file, `${JSON.stringify({ ...results, ...kqlCoverage }, null, 2)}\n`);
  console.log(`\n${table(figures, targets, met)}\n`);
  console.log(
    `node ${results.node}, ${results.machine} CPUs, load ${loadBefore.join(' ')} → ${results.load.after.join(' ')}, ${results.durationSeconds} s; bench/results.json written`,
  );
  if (failures.length > 0) {
    console.error(`\n${failures.length} figure(s) failed:\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
