// `riposte validate`: the shipped content passes; a broken copy reports every problem with file, place and reason,
// and exits 1; the bin entry (`npx riposte`) runs it as a separate process with --json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../cli/riposte';
import { capturedIo } from './cliProcess';
import { validateContent, type ValidationResult } from '../../cli/validate';

const REPO = join(__dirname, '..', '..');

const io = (cwd = REPO) => capturedIo({ cwd });

let broken: string;
before(() => {
  broken = mkdtempSync(join(tmpdir(), 'riposte-validate-'));
  for (const kind of ['queries', 'workflows', 'mappings'])
    cpSync(join(REPO, kind), join(broken, kind), { recursive: true });
  writeFileSync(join(broken, 'queries', 'broken.kql'), 'DeviceEvents | take 1\n');
  const edit = (file: string, from: string, to: string): void => {
    const path = join(broken, file);
    const text = readFileSync(path, 'utf8');
    assert.ok(text.includes(from), `${file} contains ${from}`);
    writeFileSync(path, text.replace(from, to));
  };
  edit('workflows/stale-incident-triage.yaml', 'concurrency: 4', 'concurrency: 40');
  edit('workflows/suspicious-powershell.yaml', 'query: suspicious-powershell-on-devices', 'query: no-such-query');
  writeFileSync(join(broken, 'mappings', 'jira.yaml'), 'source: jira\nincidentId: []\n');
  cpSync(join(broken, 'mappings', 'generic.yaml'), join(broken, 'mappings', 'zendesk.yaml'));
});
after(() => rmSync(broken, { recursive: true, force: true }));

const problems = (r: ValidationResult, kind: string): string[] => r.checks.find((c) => c.kind === kind)?.problems ?? [];

describe('riposte validate', () => {
  it('passes the shipped content and lists what loaded', async () => {
    const r = await validateContent(REPO);
    assert.equal(r.ok, true);
    assert.equal(r.problemCount, 0);
    assert.ok(r.checks.find((c) => c.kind === 'workflows')?.loaded.includes('ticket-sync'));
    assert.ok(r.checks.find((c) => c.kind === 'workflows')?.loaded.includes('isolate-device-on-high-severity'));
    assert.deepEqual(r.checks.find((c) => c.kind === 'mappings')?.loaded.sort(), ['generic', 'jira', 'servicenow']);
    const out = io();
    assert.equal(await main(['validate'], out), 0);
    // Every shipped workflow file loads: the count is the folder's, so a file that fails to load cannot hide.
    const shipped = readdirSync(join(REPO, 'workflows')).filter((f) => /\.ya?ml$/.test(f)).length;
    assert.match(out.out, new RegExp(`ok workflows/ +${shipped} loaded`));
    assert.match(out.out, /All content is valid\.\n$/);
  });

  it('reports every problem in every folder, relative to the content folder', async () => {
    const r = await validateContent(broken);
    assert.equal(r.ok, false);
    assert.deepEqual(problems(r, 'queries'), [
      'queries/broken.kql:1: must start with a "// ---" line opening the YAML header',
    ]);
    assert.deepEqual(problems(r, 'workflows'), [
      'workflows/stale-incident-triage.yaml: steps[2] (eachStale).input.concurrency: must be at most 16',
      "workflows/suspicious-powershell.yaml: steps[0] (hunt).input.query: unknown query 'no-such-query'; the library has: alert-evidence-for-alerts, device-triage-snapshot, devices-contacting-ips, emails-from-sender, mailbox-forwarding-by-accounts, process-context-around-time, process-executions-by-sha1, sign-ins-from-ips, suspicious-powershell-on-devices",
    ]);
    assert.deepEqual(problems(r, 'mappings'), [
      'mappings/jira.yaml: /incidentId: must NOT have fewer than 1 items',
      'mappings/zendesk.yaml: the file name must be a source name (servicenow.yaml, jira.yaml, generic.yaml)',
    ]);
    assert.equal(r.problemCount, 5);
    const out = io(broken);
    assert.equal(await main(['validate', '.'], out), 1);
    assert.match(out.out, /!! workflows\/ +2 problems\n {7}workflows\/stale-incident-triage\.yaml: steps\[2\]/);
    assert.match(out.out, /5 problems found\.\n$/);
    assert.doesNotMatch(out.out, new RegExp(broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '/'));
  });

  it('still checks workflows against the query files that parse when another one is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-partial-'));
    try {
      for (const kind of ['queries', 'workflows']) cpSync(join(REPO, kind), join(dir, kind), { recursive: true });
      writeFileSync(join(dir, 'queries', 'broken.kql'), 'DeviceEvents | take 1\n');
      const r = await validateContent(dir);
      assert.equal(problems(r, 'queries').length, 1);
      // suspicious-powershell hunts with a query that still parses: no spurious "unknown query".
      assert.deepEqual(problems(r, 'workflows'), []);
      assert.ok(r.checks.find((c) => c.kind === 'workflows')?.loaded.includes('suspicious-powershell'));
      assert.equal(r.checks.find((c) => c.kind === 'mappings')?.present, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails a folder with no content at all, and refuses unknown commands and flags', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'riposte-empty-'));
    try {
      const out = io(empty);
      assert.equal(await main(['validate'], out), 1);
      assert.match(out.out, /nothing was checked/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const bad = io();
    assert.equal(await main(['valdate'], bad), 2);
    assert.match(bad.err, /unknown command 'valdate'/);
    const flag = io();
    assert.equal(await main(['validate', '--strict'], flag), 2);
    assert.match(flag.err, /--strict/);
  });

  it('runs as `npx riposte` through the bin entry, with --json on stdout', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = join(REPO, pkg.bin.riposte ?? '');
    const good = spawnSync(process.execPath, [bin, 'validate', '--json'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(good.status, 0, good.stderr);
    assert.equal((JSON.parse(good.stdout) as ValidationResult).ok, true);
    const bad = spawnSync(process.execPath, [bin, 'validate', broken, '--json'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(bad.status, 1, bad.stderr);
    assert.equal((JSON.parse(bad.stdout) as ValidationResult).problemCount, 5);
  });
});
