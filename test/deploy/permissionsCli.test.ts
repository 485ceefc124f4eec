// `riposte permissions` over workflow files, as infra/postdeploy.sh runs it (a separate process, --tsv) and as a
// library call: nested steps (forEach, if) counted, a write permission covering its read, the backend's base
// permissions, Graph-only steps, an unknown kind refused naming the file; and granting exactly the listed roles is
// enough for the sandbox to run the workflow (one role fewer is a 403).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { permissionsFor, PermissionsError } from '../../cli/permissions';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { runWorkflow } from '../../shared/engine';
import { createQueryLibrary } from '../../shared/queries';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { parseWorkflow } from '../../shared/workflows';
import { sandboxDeps } from '../integration/sandboxDeps';

const ROOT = join(__dirname, '..', '..');
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-permissions-'));
  mkdirSync(join(dir, 'workflows'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const BLOCK = `name: block
triggers: { http: true }
input:
  incidentId: { type: string, required: true }
steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: check
    kind: if
    input:
      condition: \${ $count($steps.inc.evidence.files) > 0 }
      then:
        - id: each
          kind: forEach
          input:
            items: \${ $steps.inc.evidence.files[sha256].sha256 }
            steps:
              - id: block
                kind: submitIndicator
                input: { value: '\${ $item }', type: FileSha256, action: Audit, title: t }
      else:
        - id: note
          kind: comment
          input: { incidentId: '\${ $input.incidentId }', text: no files }
`;

const ALERTS = `name: alerts
triggers: { http: true }
steps:
  - { id: a, kind: listAlerts, input: {} }
  - { id: b, kind: getAlert, input: { alertId: a1 } }
  - { id: c, kind: commentAlert, input: { alertId: a1, text: x } }
`;

describe('riposte permissions', () => {
  it('lists the base and every nested step, per API with its app id, as a separate process (--tsv)', () => {
    writeFileSync(join(dir, 'workflows', 'block.yaml'), BLOCK);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'riposte.js'), 'permissions', '--tsv', dir], {
      encoding: 'utf8',
      env: { ...process.env, DEFENDER_API: 'graph' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '00000003-0000-0000-c000-000000000000\tSecurityIncident.ReadWrite.All\tMicrosoft Graph\tapp,comment,getIncident',
      '00000003-0000-0000-c000-000000000000\tThreatHunting.Read.All\tMicrosoft Graph\tapp',
      'fc780465-2017-40d4-a0c5-307022471b92\tTi.ReadWrite.All\tWindowsDefenderATP\tsubmitIndicator',
    ]);
  });

  it('a write permission covers its read; Graph-only steps add nothing on legacy; the legacy base is its own', () => {
    writeFileSync(join(dir, 'workflows', 'alerts.yaml'), ALERTS);
    const graph = permissionsFor([join(dir, 'workflows', 'alerts.yaml')], 'graph').permissions;
    assert.deepEqual(
      graph.map((p) => [p.api, p.role, p.neededBy.join(',')]),
      [
        ['graph', 'SecurityAlert.ReadWrite.All', 'commentAlert,getAlert,listAlerts'],
        ['graph', 'SecurityIncident.ReadWrite.All', 'app,listAlerts'],
        ['graph', 'ThreatHunting.Read.All', 'app'],
      ],
    );
    const legacy = permissionsFor([join(dir, 'workflows', 'alerts.yaml')], 'legacy').permissions;
    assert.deepEqual(
      legacy.map((p) => p.role),
      ['AdvancedHunting.Read.All', 'Incident.ReadWrite.All'],
    );
  });

  it('refuses a kind without a recorded permission, and YAML it cannot read, naming the file', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nsteps:\n  - { id: a, kind: launchMissiles, input: {} }\n');
    assert.throws(
      () => permissionsFor([bad], 'graph'),
      (e: unknown) => e instanceof PermissionsError && /bad\.yaml: .*'launchMissiles'/.test(e.message),
    );
    writeFileSync(bad, 'steps: [ {');
    assert.throws(
      () => permissionsFor([bad], 'graph'),
      (e: unknown) => e instanceof PermissionsError && /bad\.yaml: not valid YAML/.test(e.message),
    );
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'riposte.js'), 'permissions', bad], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.yaml: not valid YAML/);
  });
});

describe('granting exactly the listed roles', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ rateLimitScale: 0.05 });
  });
  after(() => sb?.close());

  it('is enough for the sandbox to run the workflow; without Ti.ReadWrite.All the indicator call is refused', async () => {
    const queries = createQueryLibrary([]);
    const wf = parseWorkflow(BLOCK, 'block.yaml', queries, { backend: 'graph' });
    const file = join(dir, 'only-block.yaml');
    writeFileSync(file, BLOCK);
    const roles = permissionsFor([file], 'graph').permissions.map((p) => p.role);
    const incident = sb.control
      .incidents()
      .find((i) => i.alerts.some((a) => a.evidence.some((e) => 'sha256' in e && typeof e.sha256 === 'string')));
    assert.ok(incident);
    const run = (granted: string[]) => {
      sb.control.reset();
      sb.control.setRoles(granted);
      const deps = { defender: sandboxDeps(sb, 'graph').defender, queries, state: createMemoryStateStore() };
      return runWorkflow(wf, { trigger: 'http', input: { incidentId: String(incident.id) }, dryRun: false }, deps);
    };
    const ok = await run(roles);
    assert.equal(ok.status, 'succeeded', JSON.stringify(ok.error));
    assert.ok(sb.control.indicators().length > 0);
    const denied = await run(roles.filter((r) => r !== 'Ti.ReadWrite.All'));
    assert.equal(denied.status, 'failed');
    assert.equal(denied.error?.code, 'FORBIDDEN');
    assert.equal(sb.control.indicators().length, 0);
  });
});
