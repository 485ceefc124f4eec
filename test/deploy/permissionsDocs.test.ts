// The README's per-step permission table is shared/permissions.ts, row for row (kind, both backends' permissions,
// the quota families, the page read), and shared/permissions.ts covers every step kind the workflow schema knows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ENDPOINT_DELEGATED_PERMISSIONS, STEP_PERMISSIONS, STEP_QUOTAS } from '../../shared/permissions';
import { ACTIONS } from '../../shared/steps';
import { STEP_KINDS } from '../../shared/workflows';
import { expectedRows } from './permissionTable';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

function readmeRows(): { kind: string; graph: string; legacy: string; quota: string; source: string }[] {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => /^\| Step\s+\| With `DEFENDER_API=graph`/.test(l));
  assert.ok(start >= 0, 'README has the per-step permission table');
  const rows = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [kind = '', graph = '', legacy = '', quota = '', source = ''] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    rows.push({ kind: kind.replace(/`/g, ''), graph, legacy, quota, source });
  }
  return rows;
}

describe('the permission table', () => {
  it('README lists every step of shared/permissions.ts with the same permissions and page, in order', () => {
    assert.deepEqual(
      readmeRows(),
      expectedRows().map((r) => ({ ...r, source: STEP_PERMISSIONS[r.kind]?.source })),
    );
  });

  it('records a permission row and its quota families for every step kind the workflow schema knows', () => {
    for (const kind of STEP_KINDS) {
      assert.ok(STEP_PERMISSIONS[kind], `shared/permissions.ts has no row for ${kind}`);
      assert.ok(STEP_QUOTAS[kind], `shared/permissions.ts has no quota families for ${kind}`);
    }
    assert.deepEqual(Object.keys(STEP_QUOTAS), Object.keys(STEP_PERMISSIONS), 'the same kinds, in the same order');
  });

  it('each quota family in the table is a setting: QUOTA_<FAMILY>_PER_… in shared/config.ts', () => {
    const config = readFileSync(join(__dirname, '..', '..', 'shared', 'config.ts'), 'utf8');
    // machineActions is QUOTA_MACHINE_ACTIONS_…, riskyUsers QUOTA_RISKYUSERS_…: either spelling.
    const settingOf = (f: string): string =>
      `(${f.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}|${f.toUpperCase()})`;
    for (const [kind, families] of Object.entries(STEP_QUOTAS)) {
      for (const f of families) {
        if (f === 'teams') continue; // Teams: per webhook, its documented limit (README "Notify and write back")
        assert.match(config, new RegExp(`'QUOTA_${settingOf(f)}_PER_(MINUTE|HOUR)'`), `${kind}: ${f}`);
      }
    }
  });

  it('a step only Microsoft Graph serves is Graph-only in the table, and no other step is', () => {
    for (const [kind, mod] of Object.entries(ACTIONS)) {
      const row = STEP_PERMISSIONS[kind];
      assert.equal(row?.legacy === 'graphOnly', mod.graphOnly !== undefined, kind);
    }
  });
});

describe('the on-behalf-of permission table', () => {
  it("README's delegated permissions per endpoint are shared/permissions.ts ENDPOINT_DELEGATED_PERMISSIONS", () => {
    const lines = README.split('\n');
    const start = lines.findIndex((l) => /^\| Endpoint\s+\| With `DEFENDER_API=graph`/.test(l));
    assert.ok(start >= 0, 'README has the delegated permission table');
    const rows: string[][] = [];
    for (const line of lines.slice(start + 2)) {
      if (!line.startsWith('|')) break;
      rows.push(
        line
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim().replace(/`/g, '')),
      );
    }
    const name = { graph: 'Microsoft Graph', legacy: 'Microsoft Threat Protection', mde: 'WindowsDefenderATP' };
    assert.deepEqual(
      rows,
      Object.entries(ENDPOINT_DELEGATED_PERMISSIONS).map(([endpoint, p]) => [
        endpoint,
        p.graph.map((x) => `${name[x.api]} ${x.role}`).join(', '),
        p.legacy.map((x) => `${name[x.api]} ${x.role}`).join(', '),
      ]),
    );
  });
});
