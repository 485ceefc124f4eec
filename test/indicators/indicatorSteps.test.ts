// The indicator steps through the real engine, the real MDE client over TLS and the sandbox's /api/indicators: an
// incident's file evidence blocked by hash (forEach), the sandbox's state checked after each run, de-duplication by
// value (unchanged, update), once-only writes, dry run showing the exact request, removal, validation at load and
// at run time naming the field, and the indicators quota family in a run.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { runWorkflow, type EngineDeps } from '../../shared/engine';
import { createQueryLibrary } from '../../shared/queries';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import type { StateStore } from '../../shared/state/types';
import { ACTIONS } from '../../shared/steps';
import { parseWorkflow, WorkflowError } from '../../shared/workflows';
import { sandboxDeps } from '../integration/sandboxDeps';

let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ rateLimitScale: 0.05 });
});
after(() => sb?.close());
beforeEach(() => sb.control.reset());

const queries = createQueryLibrary([]);

const BLOCK = `
name: block-files
triggers: { http: true }
input:
  incidentId: { type: string, required: true }
  action: { type: string, default: Block }
steps:
  - id: inc
    kind: getIncident
    input: { incidentId: '\${ $input.incidentId }' }
  - id: each
    kind: forEach
    input:
      items: \${ $distinct($steps.inc.evidence.files[sha256].sha256) }
      steps:
        - id: block
          kind: submitIndicator
          approval: none
          input:
            value: \${ $item }
            action: \${ $input.action }
            title: "Riposte: file of incident \${ $input.incidentId }"
            severity: High
            expiry: P30D
            incidentId: \${ $input.incidentId }
`;

function run(
  yaml: string,
  input: unknown,
  o: { state?: StateStore; dryRun?: boolean; env?: Record<string, string>; api?: 'graph' | 'legacy' } = {},
) {
  const api = o.api ?? 'graph';
  const wf = parseWorkflow(yaml, 'test.yaml', queries, { backend: api });
  const deps: EngineDeps = {
    defender: sandboxDeps(sb, api, o.env ?? {}).defender,
    queries,
    state: o.state ?? createMemoryStateStore(),
  };
  return runWorkflow(wf, { trigger: 'http', input, dryRun: o.dryRun ?? false }, deps);
}

/** A seeded incident with file evidence, and its distinct SHA-256 hashes (lower case). */
function incidentWithFiles(): { id: string; hashes: string[] } {
  for (const i of sb.control.incidents()) {
    const hashes = [
      ...new Set(
        i.alerts
          .flatMap((a) => a.evidence)
          .flatMap((e) => ('sha256' in e && typeof e.sha256 === 'string' ? [e.sha256.toLowerCase()] : [])),
      ),
    ];
    if (hashes.length > 0) return { id: String(i.id), hashes };
  }
  return assert.fail('a seeded incident with file evidence');
}

const DAY = 86_400_000;

describe('indicator steps', () => {
  for (const api of ['graph', 'legacy'] as const) {
    it(`DEFENDER_API=${api}: blocks each file of an incident once; a re-run and a run with lost state add nothing`, async () => {
      const { id, hashes } = incidentWithFiles();
      const state = createMemoryStateStore();
      const report = await run(BLOCK, { incidentId: id }, { state, api });
      assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
      const stored = sb.control.indicators();
      assert.deepEqual(stored.map((i) => i.indicatorValue.toLowerCase()).sort(), [...hashes].sort());
      for (const i of stored) {
        assert.deepEqual(
          [i.indicatorType, i.action, i.title, i.severity],
          ['FileSha256', 'Block', `Riposte: file of incident ${id}`, 'High'],
        );
        const left = Date.parse(i.expirationTime ?? '') - Date.now();
        assert.ok(left > 29 * DAY && left <= 30 * DAY, `expires in 30 days: ${i.expirationTime}`);
      }
      const changes = report.steps.find((s) => s.id === 'block')?.changes ?? [];
      assert.deepEqual(
        changes.map((c) => [c.incidentId, c.target?.kind, c.target?.id, c.outcome]).sort(),
        hashes.map((h) => [id, 'indicator', `FileSha256:${h}`, 'applied']).sort(),
      );
      const posts = sb.control.counters().api.indicatorsSubmit;
      assert.equal(posts, hashes.length);

      const again = await run(BLOCK, { incidentId: id }, { state, api });
      assert.equal(again.status, 'succeeded');
      assert.ok(again.steps.find((s) => s.id === 'block')?.changes.every((c) => c.outcome === 'alreadyDone'));
      // Records lost: the lookup by value finds each indicator with these settings.
      const lost = await run(BLOCK, { incidentId: id }, { api });
      assert.ok(lost.steps.find((s) => s.id === 'block')?.changes.every((c) => c.outcome === 'unchanged'));
      assert.equal(sb.control.counters().api.indicatorsSubmit, posts, 'no second POST');
      assert.equal(sb.control.indicators().length, hashes.length, 'no duplicate indicator');
    });
  }

  it('dry run shows the exact POST (method, path, body) and submits nothing', async () => {
    const { id, hashes } = incidentWithFiles();
    const report = await run(BLOCK, { incidentId: id }, { dryRun: true });
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.equal(sb.control.indicators().length, 0);
    assert.equal(sb.control.counters().api.indicatorsSubmit, 0);
    const step = report.steps.find((s) => s.id === 'block');
    assert.equal(step?.status, 'dryRun');
    const change = step?.changes.find((c) => c.target?.id === `FileSha256:${hashes[0]}`);
    assert.equal(change?.outcome, 'wouldApply');
    const body = change?.request?.body as Record<string, unknown>;
    assert.deepEqual([change?.request?.method, change?.request?.path], ['POST', '/api/indicators']);
    assert.deepEqual(
      { ...body, expirationTime: undefined },
      {
        indicatorValue: hashes[0],
        indicatorType: 'FileSha256',
        action: 'Block',
        title: `Riposte: file of incident ${id}`,
        description: `Riposte: file of incident ${id}`,
        severity: 'High',
        expirationTime: undefined,
      },
    );
    assert.ok(Math.abs(Date.parse(String(body.expirationTime)) - (Date.now() + 30 * DAY)) < 60_000);
  });

  it('an indicator of the value with other settings is updated in place and reported as an update', async () => {
    const { id, hashes } = incidentWithFiles();
    const hash = hashes[0] ?? '';
    const old = sb.control.addIndicator({
      indicatorValue: hash.toUpperCase(),
      indicatorType: 'FileSha256',
      action: 'Audit',
    });
    const report = await run(BLOCK, { incidentId: id });
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    const mine = sb.control.indicators().filter((i) => i.indicatorValue.toLowerCase() === hash);
    assert.deepEqual(
      mine.map((i) => [i.id, i.action]),
      [[old.id, 'Block']],
    );
    const outputs = report.steps
      .find((s) => s.id === 'block')
      ?.changes.find((c) => c.target?.id === `FileSha256:${hash}`);
    assert.equal(outputs?.outcome, 'applied');
    assert.equal(report.steps.find((s) => s.id === 'block')?.counts.updated, 1);
  });

  it('removeIndicator deletes every indicator of the value; an absent value is unchanged; dry run shows the DELETE', async () => {
    const a = sb.control.addIndicator({ indicatorValue: 'evil.example.com', indicatorType: 'DomainName' });
    sb.control.addIndicator({ indicatorValue: '203.0.113.9', indicatorType: 'IpAddress' });
    const yaml = `
name: unblock
triggers: { http: true }
input:
  value: { type: string, required: true }
steps:
  - id: rm
    kind: removeIndicator
    input: { value: '\${ $input.value }' }
`;
    const dry = await run(yaml, { value: 'EVIL.example.com' }, { dryRun: true });
    const dryChange = dry.steps[0]?.changes[0];
    assert.deepEqual(
      [dryChange?.outcome, dryChange?.request?.method, dryChange?.request?.path],
      ['wouldApply', 'DELETE', `/api/indicators/${a.id}`],
    );
    assert.equal(sb.control.indicators().length, 2);
    const state = createMemoryStateStore();
    const done = await run(yaml, { value: 'EVIL.example.com' }, { state });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(
      [done.steps[0]?.changes[0]?.outcome, done.steps[0]?.changes[0]?.target],
      ['applied', { kind: 'indicator', id: 'DomainName:evil.example.com' }],
    );
    assert.deepEqual(
      sb.control.indicators().map((i) => i.indicatorValue),
      ['203.0.113.9'],
    );
    const absent = await run(yaml, { value: 'nothing-here.example.com' });
    assert.equal(absent.steps[0]?.changes[0]?.outcome, 'unchanged');
    assert.equal(sb.control.counters().api.indicatorsDelete, 1);
  });

  it('refuses bad input at load and at run time, naming the field', async () => {
    const bad = (input: string): string => {
      try {
        parseWorkflow(
          `name: bad\ntriggers: { http: true }\nsteps:\n  - id: s\n    kind: submitIndicator\n    input: ${input}\n`,
          'bad.yaml',
          queries,
        );
      } catch (e) {
        assert.ok(e instanceof WorkflowError);
        return e.problems.join('\n');
      }
      return assert.fail(`expected a load-time problem for ${input}`);
    };
    assert.match(bad('{ value: "10.0.0.0/8", action: Block, title: t }'), /input\.value: .*CIDR/);
    assert.match(bad('{ value: "not a hash!", action: Block, title: t }'), /input\.value: .*not a file hash/);
    assert.match(
      bad(`{ value: "${'ab'.repeat(20)}", action: Block, title: t }`),
      /input\.type: .*FileSha1 or CertificateThumbprint/,
    );
    assert.match(
      bad('{ value: "1.2.3.4", type: FileMd5, action: Block, title: t }'),
      /input\.value: .*not a valid FileMd5/,
    );
    assert.match(bad('{ value: "1.2.3.4", action: Quarantine, title: t }'), /input\.action/);
    assert.match(bad('{ value: "1.2.3.4", action: Block }'), /title/);
    assert.match(bad('{ value: "1.2.3.4", action: Block, title: t, expiry: P0D }'), /input\.expiry/);
    assert.match(
      bad('{ value: "1.2.3.4", action: Block, title: t, expiry: "2001-01-01T00:00:00Z" }'),
      /input\.expiry: .*past/,
    );
    assert.match(bad('{ value: "1.2.3.4", action: Audit, title: t, generateAlert: false }'), /input\.generateAlert/);
    assert.match(bad('{ value: "1.2.3.4", action: Block, title: t, colour: red }'), /colour/);

    const report = await run(
      `name: t\ntriggers: { http: true }\ninput:\n  v: { type: string }\nsteps:\n  - id: s\n    kind: submitIndicator\n    approval: none\n    input: { value: '\${ $input.v }', action: Block, title: t }\n`,
      { v: '2001:db8::/32' },
    );
    assert.equal(report.status, 'failed');
    assert.equal(report.error?.code, 'INPUT_INVALID');
    assert.match(report.error?.message ?? '', /value '2001:db8::\/32' is a CIDR range/);
    assert.equal(sb.control.counters().api.indicatorsSubmit, 0);
  });

  it('infers the type from the value, normalising hashes, domains and IPv6 to the form Defender takes', async () => {
    const yaml = `
name: kinds
triggers: { http: true }
steps:
  - { id: ip6, kind: submitIndicator, input: { value: "2001:DB8::1", action: Allowed, title: t } }
  - { id: dom, kind: submitIndicator, approval: none, input: { value: "Evil.Example.COM", action: Warn, title: t } }
  - { id: url, kind: submitIndicator, approval: none, input: { value: "https://evil.example.com/Path?q=1", action: Block, title: t } }
  - { id: md5, kind: submitIndicator, input: { value: "${'AB'.repeat(16)}", action: Audit, title: t } }
  - { id: cert, kind: submitIndicator, input: { value: "${'CD'.repeat(20)}", type: CertificateThumbprint, action: Allowed, title: t } }
`;
    const report = await run(yaml, {});
    assert.equal(report.status, 'succeeded', JSON.stringify(report.error));
    assert.deepEqual(
      sb.control
        .indicators()
        .map((i) => [i.indicatorType, i.indicatorValue, i.generateAlert])
        .sort(),
      [
        ['CertificateThumbprint', 'cd'.repeat(20), false],
        ['DomainName', 'evil.example.com', false],
        ['FileMd5', 'ab'.repeat(16), true],
        ['IpAddress', '2001:db8:0:0:0:0:0:1', false],
        ['Url', 'https://evil.example.com/Path?q=1', false],
      ],
    );
  });

  it('a blocking submit is destructive (the approval gate applies); allow and audit are not', () => {
    const m = ACTIONS.submitIndicator;
    assert.ok(m.destructive);
    const parsed = (action: string) => m.parse({ value: '1.2.3.4', action, title: 't' }, 'graph');
    for (const a of ['Block', 'BlockAndRemediate', 'AlertAndBlock', 'Warn'])
      assert.equal(m.destructiveFor?.(parsed(a)), true, a);
    for (const a of ['Allowed', 'Audit', 'Alert']) assert.equal(m.destructiveFor?.(parsed(a)), false, a);
    assert.equal(ACTIONS.removeIndicator.destructive, undefined);
  });

  it('indicator calls draw on their own quota family: a spent quota throttles the run', async () => {
    const { id, hashes } = incidentWithFiles();
    assert.ok(hashes.length >= 1);
    const env = { QUOTA_INDICATORS_PER_MINUTE: '1', MAX_RETRY_AFTER_SECONDS: '0', RATE_LIMIT_WINDOW_SCALE: '1' };
    const report = await run(BLOCK, { incidentId: id }, { env });
    assert.equal(report.status, 'throttled', JSON.stringify(report.error));
    assert.equal(report.error?.code, 'DEFENDER_THROTTLED');
    assert.equal(sb.control.counters().api.indicatorsSubmit, 0, 'the lookup took the only permit; no POST was sent');
    assert.equal(sb.control.counters().api.incidentsGet, 1, 'incident calls are not in the indicators family');
  });
});
