// The ways a user starts a workflow, each driven as a separate process against one app stack (test/helpers/appStack):
// the CLI (`node bin/riposte.js run`, its own process, against the stack's sandbox as its tenant and Azurite as its
// storage), an HTTP call to the host process, the host's timer (fired through the admin API) and a signed webhook
// delivery that goes through the queue to the queue trigger.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { AppStack } from '../helpers/appStack';
import type { Delivery } from '../contracts/vendorPayloads';

export const REPO = join(__dirname, '..', '..');

export type WebhookSource = 'generic' | 'servicenow' | 'jira';
export type EntryPoint = 'cli' | 'cli --dry-run' | 'http' | 'timer' | `webhook:${WebhookSource}`;

export interface ShippedWorkflow {
  name: string;
  file: string;
  triggers: { schedule?: string; http?: boolean; webhook?: { sources: WebhookSource[] } };
}

/** Every workflow file shipped in workflows/, with its declared triggers. */
export function shippedWorkflows(): ShippedWorkflow[] {
  const dir = join(REPO, 'workflows');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const doc = parseYaml(readFileSync(join(dir, file), 'utf8')) as ShippedWorkflow;
      return { name: doc.name, file, triggers: doc.triggers ?? {} };
    });
}

/** The entry points that apply to a workflow: the CLI runs any workflow; the others follow its triggers. */
export function entryPointsOf(w: ShippedWorkflow): EntryPoint[] {
  const out: EntryPoint[] = ['cli'];
  if (w.triggers.http) out.push('http');
  if (w.triggers.schedule) out.push('timer');
  for (const s of w.triggers.webhook?.sources ?? []) out.push(`webhook:${s}`);
  // Last: a dry run must find the change a real run would make, and make none.
  out.push('cli --dry-run');
  return out;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run report (--json), when stdout held one. */
  report:
    | {
        status?: string;
        dryRun?: boolean;
        error?: unknown;
        steps?: { changes?: { incidentId?: string; outcome?: string }[] }[];
      }
    | undefined;
}

/**
 * `node bin/riposte.js run <workflow> --json` in its own process, with the stack's settings in the environment
 * (TENANT_ID + the sandbox's managed identity: the "tenant" path; AzureWebJobsStorage: the stack's Azurite). The
 * child is killed if it outlives `timeoutMs` or the test process.
 */
export async function runCli(
  stack: AppStack,
  workflow: string,
  input: Record<string, unknown>,
  o: { dryRun?: boolean; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const timeoutMs = o.timeoutMs ?? 90_000;
  const dir = mkdtempSync(join(tmpdir(), 'riposte-journey-cli-'));
  try {
    const inputFile = join(dir, 'input.json');
    writeFileSync(inputFile, JSON.stringify(input));
    const env: Record<string, string | undefined> = { ...process.env, ...stack.settings, ...o.env };
    const child = spawn(
      process.execPath,
      [
        // Absolute: the CLI runs in a folder of its own, where `tsx` would not resolve.
        '--import',
        pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
        '--import',
        pathToFileURL(join(REPO, 'test', 'setup', 'loopbackGuard.ts')).href,
        join(REPO, 'bin', 'riposte.js'),
        'run',
        workflow,
        '--input',
        inputFile,
        '--dir',
        REPO,
        '--json',
        ...(o.dryRun ? ['--dry-run'] : []),
      ],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', kill);
    const timer = setTimeout(kill, timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    process.off('exit', kill);
    let report: CliResult['report'];
    try {
      report = JSON.parse(stdout) as CliResult['report'];
    } catch {
      report = undefined;
    }
    return { code, stdout, stderr, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** POST /api/webhooks/{source}; a 202 is followed until the queue trigger has run the event once. */
export async function deliverWebhook(
  stack: AppStack,
  source: WebhookSource,
  d: Delivery,
): Promise<{ status: number; text: string }> {
  const before = stack.invocations('applyTicketEvent');
  const r = await stack.call('POST', `/api/webhooks/${source}`, { body: d.body, headers: d.headers });
  if (r.status === 202) await stack.settleTicketQueue(before);
  return { status: r.status, text: r.text };
}
