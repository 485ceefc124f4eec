// hunt100k: a 100,000-row hunting result (the documented maximum) fetched and run through a forEach, against
// fetching the same body raw and JSON.parse-ing it; each side in a fresh child process (bench/huntChild.ts, compiled
// as Azure runs it: bench/compile.ts) so its peak RSS (process.resourceUsage().maxRSS) is its own.
// The sandbox builds the result once from a generated 100k-row DeviceProcessEvents table; a replay server then
// answers every run with those exact bytes. Without it each run would include the sandbox's KQL engine and
// serialisation (4-9 s on the dev box, varying more than the client work being measured). Entra ID and Key Vault
// stay the sandbox's, so Riposte's side runs its real composition root.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { startSandbox } from '../sandbox';
import { generateLargeTable } from '../sandbox/kql';
import { createTlsMaterial } from '../sandbox/tls';
import { loadQueryLibrary } from '../shared/queries';
import { compileApp } from './compile';
import { BENCH_CONTENT, BENCH_QUERY } from './huntChild';
import { fetchGraphToken, REPO_ROOT } from './stack';
import { median, round } from './stats';

export const HUNT_ROWS = 100_000;

interface SideRun {
  ms: number;
  cpuMs: number;
  fetchMs?: number;
  parseMs?: number;
  bodyBytes?: number;
  rows: number;
  rssBeforeMb: number;
  peakRssMb: number;
}

export interface Hunt100kResult {
  rows: number;
  bodyMb: number;
  runsPerSide: number;
  riposte: { ms: number[]; cpuMs: number[]; peakRssMb: number[]; rssBeforeMb: number };
  raw: {
    ms: number[];
    cpuMs: number[];
    fetchMs: number[];
    parseMs: number[];
    peakRssMb: number[];
    rssBeforeMb: number;
  };
  /** median(riposte) ÷ median(raw fetch + JSON.parse). */
  ratio: number;
  /** The same with each side's CPU time instead of wall time (context on a shared machine). */
  cpuRatio: number;
  /** median(riposte) ÷ median(JSON.parse alone). */
  ratioToParseOnly: number;
  peakRssMb: number;
  /** Peak RSS of the Riposte process ÷ body size (the highest of its runs): hunt100kPeakRssRatio. */
  peakRssToBody: number;
  rawPeakRssToBody: number;
  /** (peak RSS − RSS before the run) ÷ body: what the hunt itself adds, without the process's loaded code. */
  peakRssGrowthToBody: number;
  rawPeakRssGrowthToBody: number;
  /** tsc time for the children's build (not part of any figure). */
  buildMs: number;
}

function runChild(side: 'riposte' | 'raw', env: NodeJS.ProcessEnv, outDir: string): Promise<SideRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(outDir, 'bench', 'huntChild.js'), side], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`hunt child ${side} exited ${code}: ${err.slice(-1000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as SideRun);
      } catch {
        reject(new Error(`hunt child ${side} printed no result: ${err.slice(-1000)}`));
      }
    });
  });
}

export async function measureHunt100k(options: { runs?: number } = {}): Promise<Hunt100kResult> {
  const runs = options.runs ?? 5;
  const sandbox = await startSandbox({ rateLimits: false });
  const dir = mkdtempSync(join(tmpdir(), 'riposte-hunt-'));
  let replay: https.Server | undefined;
  try {
    const now = new Date();
    sandbox.control.setHuntingTables(
      new Map([['DeviceProcessEvents', generateLargeTable('DeviceProcessEvents', HUNT_ROWS, now)]]),
    );
    const kql = (await loadQueryLibrary(join(BENCH_CONTENT, 'queries'))).bind(BENCH_QUERY, {});
    const token = await fetchGraphToken(sandbox);
    const agent = new https.Agent({ ca: sandbox.caPem });
    const recorded = await axios
      .post<Buffer>(
        `${sandbox.graphBaseUrl}/security/runHuntingQuery`,
        { Query: kql, Timespan: 'P30D' },
        { httpsAgent: agent, headers: { Authorization: `Bearer ${token}` }, responseType: 'arraybuffer' },
      )
      .catch((e: unknown) => {
        throw new Error(`recording the hunting result failed: ${(e as Error).message}`);
      });
    agent.destroy();
    const body = recorded.data;
    const rows = (JSON.parse(body.toString('utf8')) as { results: unknown[] }).results.length;
    if (rows !== HUNT_ROWS) throw new Error(`the sandbox returned ${rows} rows, not ${HUNT_ROWS}`);

    const outDir = join(dir, 'out');
    const buildMs = compileApp(outDir, dir, ['bench/huntChild.ts']);

    const tls = await createTlsMaterial(now);
    replay = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      req.resume();
      req.once('end', () => {
        if (req.method === 'POST' && req.url?.endsWith('/security/runHuntingQuery')) {
          res.writeHead(200, {
            'content-type': 'application/json; odata.metadata=minimal',
            'content-length': body.length,
          });
          res.end(body);
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"error":{"code":"NotFound","message":"replay serves runHuntingQuery only"}}');
        }
      });
    });
    await new Promise<void>((r) => replay?.listen(0, '127.0.0.1', r));
    const port = (replay.address() as AddressInfo).port;
    // One file trusted by both clients: the sandbox's CA (Entra, Key Vault) and the replay server's.
    const caFile = join(dir, 'ca-bundle.pem');
    writeFileSync(caFile, `${sandbox.caPem}\n${tls.caPem}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...sandbox.settings('graph'),
      DEFENDER_API_BASE_URL: `https://127.0.0.1:${port}/v1.0`,
      TLS_CA_FILE: caFile,
      CONTENT_DIR: BENCH_CONTENT,
      BENCH_CONTENT_DIR: BENCH_CONTENT,
      BENCH_KQL: kql,
      BENCH_TOKEN: token,
      NODE_OPTIONS: '',
    };
    const riposte: SideRun[] = [];
    const raw: SideRun[] = [];
    for (let i = 0; i < runs; i++) {
      for (const side of i % 2 === 0 ? (['riposte', 'raw'] as const) : (['raw', 'riposte'] as const)) {
        const r = await runChild(side, env, outDir);
        if (r.rows !== HUNT_ROWS) throw new Error(`${side} saw ${r.rows} rows, not ${HUNT_ROWS}`);
        (side === 'riposte' ? riposte : raw).push(r);
      }
    }
    const bodyMb = body.length / 1048576;
    const peak = Math.max(...riposte.map((r) => r.peakRssMb));
    const rawPeak = Math.max(...raw.map((r) => r.peakRssMb));
    const growth = (xs: SideRun[]): number =>
      round(Math.max(...xs.map((r) => r.peakRssMb - r.rssBeforeMb)) / bodyMb, 2);
    const ms = (xs: SideRun[], k: 'ms' | 'cpuMs' | 'fetchMs' | 'parseMs'): number[] =>
      xs.map((r) => round(r[k] ?? NaN, 1));
    return {
      rows,
      bodyMb: round(bodyMb, 1),
      runsPerSide: runs,
      riposte: {
        ms: ms(riposte, 'ms'),
        cpuMs: ms(riposte, 'cpuMs'),
        peakRssMb: riposte.map((r) => r.peakRssMb),
        rssBeforeMb: median(riposte.map((r) => r.rssBeforeMb)),
      },
      raw: {
        ms: ms(raw, 'ms'),
        cpuMs: ms(raw, 'cpuMs'),
        fetchMs: ms(raw, 'fetchMs'),
        parseMs: ms(raw, 'parseMs'),
        peakRssMb: raw.map((r) => r.peakRssMb),
        rssBeforeMb: median(raw.map((r) => r.rssBeforeMb)),
      },
      ratio: round(median(ms(riposte, 'ms')) / median(ms(raw, 'ms'))),
      cpuRatio: round(median(ms(riposte, 'cpuMs')) / median(ms(raw, 'cpuMs'))),
      ratioToParseOnly: round(median(ms(riposte, 'ms')) / median(ms(raw, 'parseMs'))),
      peakRssMb: peak,
      peakRssToBody: round(peak / bodyMb, 2),
      rawPeakRssToBody: round(rawPeak / bodyMb, 2),
      peakRssGrowthToBody: growth(riposte),
      rawPeakRssGrowthToBody: growth(raw),
      buildMs: round(buildMs, 0),
    };
  } finally {
    await new Promise<void>((r) => (replay ? replay.close(() => r()) : r()));
    replay?.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
    await sandbox.close();
  }
}
