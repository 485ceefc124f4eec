// The indicator steps through the Function host over HTTP, as Logic Apps calls them (POST /api/workflows/{name}/run),
// shared by indicators.test.ts (DEFENDER_API=graph) and indicatorsLegacy.test.ts (legacy): indicators live on the
// Defender for Endpoint API host on both. An incident's file hashes are submitted (dry, then for real, then again
// with nothing sent), then removed; the sandbox's indicators are checked after each call.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../shared/engine';
import { REPO, startHarness, type Harness } from './harness';

// Audit (alerts on, never blocks): the gate for destructive actions does not apply to it, so the run needs no approver.
const SUBMIT = `name: audit-incident-files
triggers: { http: true }
input:
  incidentId: { type: string, required: true }
steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: each
    kind: forEach
    input:
      items: \${ $distinct($steps.inc.evidence.files[sha256].sha256) }
      steps:
        - id: audit
          kind: submitIndicator
          input:
            value: \${ $item }
            type: FileSha256
            action: Audit
            title: "Riposte: file of incident \${ $input.incidentId }"
            expiry: P7D
            incidentId: \${ $input.incidentId }
`;

const REMOVE = `name: remove-incident-files
triggers: { http: true }
input:
  incidentId: { type: string, required: true }
steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: each
    kind: forEach
    input:
      items: \${ $distinct($steps.inc.evidence.files[sha256].sha256) }
      steps:
        - id: rm
          kind: removeIndicator
          input: { value: '\${ $item }', incidentId: '\${ $input.incidentId }' }
`;

function content(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-e2e-indicators-'));
  cpSync(join(REPO, 'queries'), join(dir, 'queries'), { recursive: true });
  cpSync(join(REPO, 'mappings'), join(dir, 'mappings'), { recursive: true });
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'audit-incident-files.yaml'), SUBMIT);
  writeFileSync(join(dir, 'workflows', 'remove-incident-files.yaml'), REMOVE);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function indicatorCases(api: 'graph' | 'legacy'): void {
  let folder: ReturnType<typeof content> | undefined;
  let h: Harness;
  before(async () => {
    folder = content();
    h = await startHarness({ api, settings: { CONTENT_DIR: folder.dir } });
  });
  after(async () => {
    await h?.close();
    folder?.remove();
  });

  describe(`indicator workflows over HTTP (${api})`, () => {
    it('dry run shows each POST; the real run stores each hash once; a re-run sends nothing; removal deletes them', async () => {
      const incident = h.sandbox.control
        .incidents()
        .find((i) => i.alerts.some((a) => a.evidence.some((e) => 'sha256' in e && typeof e.sha256 === 'string')));
      assert.ok(incident, 'a seeded incident with file evidence');
      const id = String(incident.id);
      const hashes = [
        ...new Set(
          incident.alerts
            .flatMap((a) => a.evidence)
            .flatMap((e) => ('sha256' in e && typeof e.sha256 === 'string' ? [e.sha256.toLowerCase()] : [])),
        ),
      ].sort();
      const call = (name: string, dryRun: boolean) =>
        h.call('POST', `/api/workflows/${name}/run`, { body: { input: { incidentId: id }, dryRun } });

      const dry = await call('audit-incident-files', true);
      assert.equal(dry.status, 200, dry.text);
      const dryChanges = dry.json<RunReport>().steps.find((s) => s.id === 'audit')?.changes ?? [];
      assert.deepEqual(
        dryChanges
          .map((c) => [
            c.outcome,
            c.request?.method,
            c.request?.path,
            (c.request?.body as { indicatorValue?: string })?.indicatorValue,
          ])
          .sort(),
        hashes.map((v) => ['wouldApply', 'POST', '/api/indicators', v]),
      );
      assert.equal(h.sandbox.control.indicators().length, 0, 'the dry run stored nothing');

      const real = await call('audit-incident-files', false);
      assert.equal(real.status, 200, real.text);
      const stored = h.sandbox.control.indicators();
      assert.deepEqual(stored.map((i) => i.indicatorValue).sort(), hashes);
      for (const i of stored) {
        assert.deepEqual(
          [i.indicatorType, i.action, i.generateAlert, i.sourceType],
          ['FileSha256', 'Audit', true, 'AadApp'],
        );
        assert.ok(i.expirationTime && Date.parse(i.expirationTime) > Date.now() + 6 * 86_400_000);
      }
      const posts = h.sandbox.control.counters().api.indicatorsSubmit;
      assert.equal(posts, hashes.length);
      const mdeCalls = h.sandbox.control.requests().filter((r) => r.path.startsWith('/api/indicators'));
      assert.ok(
        mdeCalls.length > 0 && mdeCalls.every((r) => r.api === 'mde'),
        'every indicator call went to the MDE API',
      );

      const again = await call('audit-incident-files', false);
      assert.equal(again.status, 200, again.text);
      assert.equal(h.sandbox.control.counters().api.indicatorsSubmit, posts, 'a re-run sends nothing');
      assert.equal(h.sandbox.control.indicators().length, hashes.length);

      const removed = await call('remove-incident-files', false);
      assert.equal(removed.status, 200, removed.text);
      assert.deepEqual(
        removed
          .json<RunReport>()
          .steps.find((s) => s.id === 'rm')
          ?.changes.map((c) => c.outcome),
        hashes.map(() => 'applied'),
      );
      assert.equal(h.sandbox.control.indicators().length, 0, 'every indicator deleted');
    });
  });
}
