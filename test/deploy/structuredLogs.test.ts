// The log lines docs/operations.md queries in Application Insights: one '[engine] change' per incident touched and
// one '[engine] run finished' summary per run, as a single line whose JSON (after the first '{') parses, through the
// same InvocationContext adapter the functions use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvocationContext } from '@azure/functions';
import { runWorkflow } from '../../shared/engine';
import { loggerFromContext } from '../../shared/logger';
import { createMemoryStateStore } from '../../shared/state/memoryState';
import { createFakeDefender, createFakeQueries, incident, workflowOf } from '../engine/fakes';

interface Line {
  level: string;
  message: string;
  props: Record<string, unknown>;
}

/** What `traces | extend p = parse_json(substring(message, indexof(message, '{')))` sees. */
function parseLine(level: string, text: string): Line {
  assert.doesNotMatch(text, /\n/, 'one line per event');
  const at = text.indexOf('{');
  return {
    level,
    message: at < 0 ? text : text.slice(0, at).trim(),
    props: at < 0 ? {} : (JSON.parse(text.slice(at)) as Record<string, unknown>),
  };
}

function capture(): { ctx: InvocationContext; lines: Line[] } {
  const lines: Line[] = [];
  const ctx = new InvocationContext({
    functionName: 'runWorkflow',
    invocationId: 'inv-1',
    logHandler: (level, ...args) => {
      assert.equal(args.length, 1, 'the adapter passes one string');
      lines.push(parseLine(level, String(args[0])));
    },
  });
  return { ctx, lines };
}

const TAG_TWO = workflowOf(`name: tag-two
triggers: { http: true }
steps:
  - { id: list, kind: listIncidents, input: { status: active } }
  - id: each
    kind: forEach
    input:
      items: $steps.list.incidents
      steps:
        - { id: tag, kind: updateIncident, input: { incidentId: '\${ $item.id }', tags: { add: [seen] }, comment: 'Secret row text' } }
`);

describe('structured run logs', () => {
  it('logs one change event per incident and one summary per run, as parseable JSON', async () => {
    const { ctx, lines } = capture();
    const defender = createFakeDefender([incident('7'), incident('9', { tags: ['seen'] })]);
    const report = await runWorkflow(
      TAG_TWO,
      { trigger: 'http', runId: 'run-123' },
      { defender, queries: createFakeQueries(), state: createMemoryStateStore(), logger: loggerFromContext(ctx) },
    );
    assert.equal(report.status, 'succeeded');

    const changes = lines.filter((l) => l.message === '[engine] change');
    assert.deepEqual(
      changes.map((l) => [l.props.incidentId, l.props.outcome, l.props.step, l.props.runId, l.props.workflow]).sort(),
      [
        ['7', 'applied', 'tag', 'run-123', 'tag-two'],
        ['9', 'applied', 'tag', 'run-123', 'tag-two'],
      ],
    );
    assert.deepEqual(changes.find((l) => l.props.incidentId === '7')?.props.fields, ['tags']);
    assert.equal(changes[0]?.props.comment, true);

    const summaries = lines.filter((l) => l.message === '[engine] run finished');
    assert.equal(summaries.length, 1);
    const s = summaries[0]!.props;
    assert.equal(s.runId, 'run-123');
    assert.equal(s.workflow, 'tag-two');
    assert.equal(s.trigger, 'http');
    assert.equal(s.status, 'succeeded');
    assert.equal(typeof s.durationMs, 'number');
    assert.deepEqual(s.changes, { applied: 2 });
    assert.deepEqual((s.incidentIds as string[]).sort(), ['7', '9']);
    // Nested values survive (util.inspect would print [Object] past depth 2).
    const steps = s.steps as { id: string; counts: Record<string, number> }[];
    assert.equal(steps.find((x) => x.id === 'each')?.counts.items, 2);
    for (const l of lines) assert.doesNotMatch(JSON.stringify(l), /Secret row text/);
  });

  it('counts a dry run as wouldApply', async () => {
    const { ctx, lines } = capture();
    const defender = createFakeDefender([incident('7')]);
    await runWorkflow(
      TAG_TWO,
      { trigger: 'cli', dryRun: true },
      { defender, queries: createFakeQueries(), state: createMemoryStateStore(), logger: loggerFromContext(ctx) },
    );
    assert.deepEqual(
      lines.filter((l) => l.message === '[engine] change').map((l) => l.props.outcome),
      ['wouldApply'],
    );
    const summary = lines.find((l) => l.message === '[engine] run finished');
    assert.deepEqual(summary?.props.changes, { wouldApply: 1 });
    assert.equal(summary?.props.dryRun, true);
    assert.deepEqual(defender.writes(), []);
  });

  it('keeps levels, one line and redaction through the adapter', () => {
    const { ctx, lines } = capture();
    const logger = loggerFromContext(ctx);
    logger.warn('[engine] run finished', { status: 'failed', changes: { wouldApply: 1 }, authorization: 'Bearer x' });
    logger.info('[timer] plain message');
    assert.deepEqual(lines[0], {
      level: 'warning',
      message: '[engine] run finished',
      props: { status: 'failed', changes: { wouldApply: 1 }, authorization: '[REDACTED]' },
    });
    assert.deepEqual(lines[1], { level: 'information', message: '[timer] plain message', props: {} });
  });
});
