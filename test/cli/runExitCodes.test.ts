// `riposte run` says what happened in its exit code, so a script or scheduler can act on it: 0 succeeded, 1 failed,
// 3 throttled, 4 partial (some items failed and the workflow let the run continue). Own processes, tenant mode,
// against a sandbox and Azurite started separately.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startSandbox, type Sandbox } from '../../sandbox';
import type { RunReport } from '../../shared/engine';
import { baseEnv, REPO, riposte } from './cliProcess';

let sandbox: Sandbox;
let azurite: Azurite;
let content: string;

/** Tags each incident of a comma-separated list; `onError` decides what a failing item does to the run. */
const tagEach = (name: string, onError: 'fail' | 'continue'): string => `name: ${name}
description: Tags each listed incident.
triggers:
  http: true
input:
  ids:
    type: string
    required: true
steps:
  - id: each
    kind: forEach
    input:
      items: $split($input.ids, ',')
      steps:
        - id: tag
          kind: updateIncident
          onError: ${onError}
          input:
            incidentId: \${ $item }
            tags:
              add: [exit-code-test]
`;

before(async () => {
  [sandbox, azurite] = await Promise.all([
    startSandbox({ rateLimitScale: 0.05 }),
    startAzurite({ inMemory: true, ports: 'random' }),
  ]);
  content = mkdtempSync(join(tmpdir(), 'riposte-exit-'));
  for (const d of ['queries', 'mappings']) cpSync(join(REPO, d), join(content, d), { recursive: true });
  mkdirSync(join(content, 'workflows'));
  writeFileSync(join(content, 'workflows', 'tag-continue.yaml'), tagEach('tag-continue', 'continue'));
  writeFileSync(join(content, 'workflows', 'tag-fail.yaml'), tagEach('tag-fail', 'fail'));
});
after(async () => {
  await Promise.all([sandbox?.close(), azurite?.stop()]);
  rmSync(content, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) =>
  baseEnv({ ...sandbox.settings('graph'), AzureWebJobsStorage: azurite.connectionString, ...extra });

async function runTag(workflow: string, ids: string[]): Promise<{ code: number | null; report: RunReport }> {
  const input = join(content, `${workflow}-input.json`);
  writeFileSync(input, JSON.stringify({ ids: ids.join(',') }));
  const r = await riposte(['run', workflow, '--json', '--input', input, '--dir', content], { env: env() }).finished;
  return { code: r.code, report: JSON.parse(r.stdout) as RunReport };
}

describe('riposte run exit codes (own process, tenant mode)', () => {
  it('0 when every item succeeded', async () => {
    const a = String(sandbox.control.addIncident({}).id);
    const { code, report } = await runTag('tag-continue', [a]);
    assert.equal(report.status, 'succeeded');
    assert.equal(code, 0);
    assert.ok(sandbox.control.incident(a)?.customTags.includes('exit-code-test'));
  });

  it('4 (partial) when an item failed and the workflow continued: the others are applied', async () => {
    const a = String(sandbox.control.addIncident({}).id);
    const { code, report } = await runTag('tag-continue', ['999999', a]);
    assert.equal(report.status, 'succeeded');
    assert.equal(report.steps.find((s) => s.id === 'tag')?.status, 'failed');
    assert.equal(code, 4);
    assert.ok(sandbox.control.incident(a)?.customTags.includes('exit-code-test'));
  });

  it('1 when a failing step ends the run', async () => {
    const { code, report } = await runTag('tag-fail', ['999999']);
    assert.equal(report.status, 'failed');
    assert.equal(code, 1);
  });

  it('3 when the quota is used up further ahead than MAX_RETRY_AFTER_SECONDS allows', async () => {
    sandbox.control.reset();
    const stale = new Date(Date.now() - 30 * 86_400_000).toISOString();
    for (let i = 0; i < 25; i++) sandbox.control.addIncident({ status: 'active', lastUpdateDateTime: stale });
    const r = await riposte(['run', 'stale-incident-triage', '--dir', REPO], {
      env: env({ MAX_RETRY_AFTER_SECONDS: '0' }),
    }).finished;
    assert.equal(r.code, 3, r.stderr.slice(-2000));
    assert.match(r.stdout, /Throttled: retry in \d+ s\nStatus: throttled in \d+ ms\n$/);
  });
});
