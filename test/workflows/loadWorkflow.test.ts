// Loader: every kind of invalid workflow is refused with an exact message naming file, step and field; the
// shipped examples load against the real query library.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadQueryLibrary } from '../../shared/queries';
import { loadWorkflows, parseWorkflow } from '../../shared/workflows/loadWorkflow';
import { WorkflowError } from '../../shared/workflows/workflowError';
import { STEP_KINDS } from '../../shared/workflows/workflowSchema';
import { createFakeQueries, problemsOf, workflowOf } from '../engine/fakes';

const http = (steps: string, extra = ''): string => `name: probe\ntriggers:\n  http: true\n${extra}\nsteps:\n${steps}`;
const get = (id = 'a', incidentId = "'1'"): string =>
  `  - { id: ${id}, kind: getIncident, input: { incidentId: ${incidentId} } }`;

const CASES: Array<[string, string, string[]]> = [
  [
    'YAML syntax',
    'name: x\ntriggers: { http: true\nsteps: []',
    ['test.yaml: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }'],
  ],
  ['missing name', `triggers: { http: true }\nsteps:\n${get()}`, ['test.yaml: name: is required']],
  [
    'bad name',
    `name: Bad_Name\ntriggers: { http: true }\nsteps:\n${get()}`,
    ['test.yaml: name: must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit'],
  ],
  [
    'no trigger',
    `name: x\ntriggers: {}\nsteps:\n${get()}`,
    ['test.yaml: triggers: must declare at least one trigger: schedule, http or webhook'],
  ],
  [
    '5-field cron',
    `name: x\ntriggers: { schedule: '*/5 * * * *' }\nsteps:\n${get()}`,
    [
      "test.yaml: triggers.schedule: must be NCRONTAB with 6 fields '{second} {minute} {hour} {day} {month} {day-of-week}', e.g. '0 */15 * * * *'; got 5 fields",
    ],
  ],
  [
    'cron value out of range',
    `name: x\ntriggers: { schedule: '0 61 * * * *' }\nsteps:\n${get()}`,
    [
      'test.yaml: triggers.schedule: is not a valid NCRONTAB expression: Constraint error, got value 61 expected range 0-59',
    ],
  ],
  [
    'unknown webhook source',
    `name: x\ntriggers: { webhook: { sources: [zendesk] } }\nsteps:\n${get()}`,
    ["test.yaml: triggers.webhook.sources[0]: 'zendesk' is not valid; use one of: servicenow, jira, generic"],
  ],
  [
    'unknown step kind',
    http('  - { id: a, kind: rebootDevice, input: {} }'),
    [`test.yaml: steps[0] (a).kind: 'rebootDevice' is not a step kind; use one of: ${STEP_KINDS.join(', ')}`],
  ],
  ['missing kind', http('  - { id: a, input: {} }'), ['test.yaml: steps[0] (a).kind: is required']],
  [
    'step id with a dash',
    http(get('tag-incidents')),
    [
      'test.yaml: steps[0] (tag-incidents).id: must be 1-64 letters, digits or underscores, not starting with a digit (it is referenced as $steps.<id> or $input.<name>)',
    ],
  ],
  [
    'duplicate step id',
    http(`${get('a')}\n${get('a')}`),
    ["test.yaml: steps[1] (a).id: duplicate step id 'a' (first used at steps[0] (a))"],
  ],
  [
    'unknown input field',
    http("  - { id: a, kind: getIncident, input: { incidentId: '1', foo: 1 } }"),
    ['test.yaml: steps[0] (a).input.foo: is not a known field here; use: incidentId'],
  ],
  [
    'misspelt tags key',
    http("  - { id: a, kind: updateIncident, input: { incidentId: '1', tags: { added: [x] } } }"),
    ['test.yaml: steps[0] (a).input.tags.added: is not a known field here; use: add, remove'],
  ],
  [
    'enum typo',
    http("  - { id: a, kind: updateIncident, input: { incidentId: '1', status: resolvd } }"),
    [
      "test.yaml: steps[0] (a).input.status: 'resolvd' is not valid; use one of: active, inProgress, resolved, redirected, or a ${ … } template",
    ],
  ],
  [
    'enum typo in a list',
    http('  - { id: a, kind: listIncidents, input: { status: [active, closed] } }'),
    [
      "test.yaml: steps[0] (a).input.status[1]: 'closed' is not valid; use one of: active, inProgress, resolved, redirected, awaitingAction",
    ],
  ],
  [
    'empty tag list',
    http("  - { id: tagIncidents, kind: updateIncident, input: { incidentId: '1', tags: { add: [] } } }"),
    ['test.yaml: steps[0] (tagIncidents).input.tags.add: must not be empty'],
  ],
  [
    'tags as a number',
    http("  - { id: t, kind: updateIncident, input: { incidentId: '1', tags: { add: 5 } } }"),
    ['test.yaml: steps[0] (t).input.tags.add: must be a list, or a ${ … } template'],
  ],
  [
    'nested step error',
    http(
      "  - { id: each, kind: forEach, input: { items: '[1,2]', steps: [ { id: tag, kind: updateIncident, input: { incidentId: '${ $item }', tags: { add: [] } } } ] } }",
    ),
    ['test.yaml: steps[0] (each).input.steps[0] (tag).input.tags.add: must not be empty'],
  ],
  [
    'concurrency above the cap',
    http(
      `  - { id: a, kind: forEach, input: { items: '[1]', concurrency: 20, steps: [ ${get('b').trim().slice(2)} ] } }`,
    ),
    ['test.yaml: steps[0] (a).input.concurrency: must be at most 16'],
  ],
  [
    'update that changes nothing',
    http("  - { id: a, kind: updateIncident, input: { incidentId: '1' } }"),
    [
      'test.yaml: steps[0] (a).input: updateIncident changes nothing: set at least one of status, assignedTo, classification, determination, severity, tags, comment',
    ],
  ],
  [
    'determination without classification',
    http("  - { id: a, kind: updateIncident, input: { incidentId: '1', determination: malware } }"),
    [
      'test.yaml: steps[0] (a).input.determination: determination needs classification in the same step (truePositive, informationalExpectedActivity or falsePositive)',
    ],
  ],
  [
    'determination that does not fit',
    http(
      "  - { id: a, kind: updateIncident, input: { incidentId: '1', classification: falsePositive, determination: malware } }",
    ),
    [
      "test.yaml: steps[0] (a).input.determination: determination 'malware' is not allowed with classification 'falsePositive'; use one of: clean, insufficientData, other",
    ],
  ],
  [
    'forward step reference',
    http(`${get('a', "'${ $steps.b.id }'")}\n${get('b')}`),
    [
      'test.yaml: steps[0] (a).input.incidentId: $steps.b refers to steps[1] (b), which has not run at this point; only earlier steps of this list and of the lists around it can be referenced',
    ],
  ],
  [
    'unknown step reference',
    http(`${get('a')}\n${get('b', "'${ $steps.c.id }'")}`),
    ["test.yaml: steps[1] (b).input.incidentId: $steps.c: there is no step 'c' (earlier steps: a)"],
  ],
  [
    'reference into a forEach body from outside',
    http(
      `  - { id: each, kind: forEach, input: { items: '[1,2]', steps: [ ${get('inner', "'${ $item }'").trim().slice(2)} ] } }\n${get('after', "'${ $steps.inner.id }'")}`,
    ),
    [
      'test.yaml: steps[1] (after).input.incidentId: $steps.inner refers to steps[0] (each).input.steps[0] (inner), which has not run at this point; only earlier steps of this list and of the lists around it can be referenced',
    ],
  ],
  [
    '$item outside forEach',
    http(get('a', "'${ $item.id }'")),
    ['test.yaml: steps[0] (a).input.incidentId: $item is only available inside a forEach step'],
  ],
  [
    'expression syntax',
    http(get('a', "'${ $input.id + }'"), 'input: { id: { type: string } }'),
    [
      "test.yaml: steps[0] (a).input.incidentId: invalid expression '$input.id +': Unexpected end of expression (at position 13)",
    ],
  ],
  [
    'unterminated template',
    http(get('a', "'${ $input.id'"), 'input: { id: { type: string } }'),
    ["test.yaml: steps[0] (a).input.incidentId: unterminated template: '${' at position 0 has no closing '}'"],
  ],
  [
    '$eval',
    http(get('a', `'\${ $eval("1") }'`)),
    [
      'test.yaml: steps[0] (a).input.incidentId: $eval is not allowed: it would run an expression that was not checked when the workflow was loaded',
    ],
  ],
  [
    'bare field name',
    http(get('a', "'${ incidentId }'")),
    [
      "test.yaml: steps[0] (a).input.incidentId: 'incidentId' reads the expression's context, which is empty here; did you mean $input.incidentId or $item.incidentId?",
    ],
  ],
  [
    'undeclared input',
    http(get('a', "'${ $input.incident }'"), 'input: { incidentId: { type: string } }'),
    [
      "test.yaml: steps[0] (a).input.incidentId: $input.incident: the workflow declares no input 'incident' (declared: incidentId)",
    ],
  ],
  [
    'unknown variable',
    http(get('a', "'${ $env.SECRET }'")),
    [
      'test.yaml: steps[0] (a).input.incidentId: unknown variable $env; use $input, $steps.<id>, $item, $index, $workflow, $run, $now() or a JSONata function',
    ],
  ],
  [
    '$run.window without a schedule',
    http("  - { id: a, kind: listIncidents, input: { updatedSince: '${ $run.window.start }' } }"),
    [
      'test.yaml: steps[0] (a).input.updatedSince: $run.window exists only for scheduled runs; add triggers.schedule or remove the reference',
    ],
  ],
  [
    'unknown query',
    http('  - { id: a, kind: hunt, input: { query: nope } }'),
    ["test.yaml: steps[0] (a).input.query: unknown query 'nope'; the library has: devices-by-name, recent-alerts"],
  ],
  [
    'unknown query parameter',
    http('  - { id: a, kind: hunt, input: { query: devices-by-name, params: { deviceNames: [x], since: 1d } } }'),
    [
      "test.yaml: steps[0] (a).input.params.since: query 'devices-by-name' has no parameter 'since'; its parameters are: deviceNames, lookback, top",
    ],
  ],
  [
    'missing query parameter',
    http('  - { id: a, kind: hunt, input: { query: devices-by-name } }'),
    ["test.yaml: steps[0] (a).input.params: missing required parameter 'deviceNames' of query 'devices-by-name'"],
  ],
  [
    'query parameter types (every one reported)',
    http(
      '  - { id: a, kind: hunt, input: { query: devices-by-name, params: { deviceNames: [x], top: many, lookback: 5 } } }',
    ),
    [
      'test.yaml: steps[0] (a).input.params.lookback: params.lookback must be a timespan, got 5',
      'test.yaml: steps[0] (a).input.params.top: params.top must be a int, got "many"',
    ],
  ],
  [
    'a hunt timespan neither API can take the same way (months)',
    http('  - { id: a, kind: hunt, input: { query: devices-by-name, params: { deviceNames: [x] }, timespan: P1M } }'),
    [
      "test.yaml: steps[0] (a).input.timespan: timespan 'P1M' uses months or years, which have no fixed length; use P7D, PT1H, 2026-01-01T00:00:00Z, start/end, P7D/end or start/P7D (instants with Z or an offset)",
    ],
  ],
  [
    'input default of the wrong type',
    http(get(), 'input: { days: { type: integer, default: seven } }'),
    ['test.yaml: input.days.default: must be an integer like the field'],
  ],
  [
    'window without a schedule',
    http(get(), 'window: { maxWindow: P1D }'),
    ['test.yaml: window: applies only to scheduled workflows; add triggers.schedule or remove it'],
  ],
  [
    'bad duration',
    `name: x\ntriggers: { schedule: '0 0 * * * *' }\nwindow: { maxWindow: 1d }\nsteps:\n${get()}`,
    [
      "test.yaml: window.maxWindow: must be an ISO-8601 duration in days, hours, minutes or seconds, e.g. 'PT5M' or 'P1D'",
    ],
  ],
];

describe('parseWorkflow refuses invalid workflows with exact messages', () => {
  for (const [name, yaml, expected] of CASES) {
    it(name, () => assert.deepEqual(problemsOf(yaml), expected));
  }

  it('reports every problem of a file at once, in file order', () => {
    const yaml = http(
      `${get('a', "'${ $steps.zz.id }'")}\n  - { id: b, kind: updateIncident, input: { incidentId: '1' } }\n${get('a')}`,
    );
    assert.deepEqual(problemsOf(yaml), [
      "test.yaml: steps[2] (a).id: duplicate step id 'a' (first used at steps[0] (a))",
      "test.yaml: steps[0] (a).input.incidentId: $steps.zz: there is no step 'zz' (there are no earlier steps)",
      'test.yaml: steps[1] (b).input: updateIncident changes nothing: set at least one of status, assignedTo, classification, determination, severity, tags, comment',
    ]);
  });

  it('throws a WorkflowError whose message lists the lines', () => {
    try {
      parseWorkflow(http(get('a', "'${ $item }'")), 'workflows/x.yaml', createFakeQueries());
      assert.fail('expected a WorkflowError');
    } catch (e) {
      assert.ok(e instanceof WorkflowError);
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.equal(
        e.message,
        'Invalid workflow:\n  workflows/x.yaml: steps[0] (a).input.incidentId: $item is only available inside a forEach step',
      );
    }
  });
});

describe('parseWorkflow builds the workflow', () => {
  it('compiles templates, expression fields, defaults and window settings', () => {
    const wf = workflowOf(`name: ok
description: d
triggers: { schedule: '0 */15 * * * *', http: true }
window: { ingestionDelay: PT10M, maxWindow: PT6H }
input: { n: { type: integer, default: 2 } }
steps:
  - { id: list, kind: listIncidents }
  - id: each
    kind: forEach
    if: $steps.list.count > 0
    input:
      items: \${ $steps.list.incidents }
      steps:
        - { id: c, kind: comment, onError: continue, input: { incidentId: '\${ $item.id }', text: 'n=\${ $input.n }' } }
`);
    assert.equal(wf.name, 'ok');
    assert.deepEqual(wf.window, { ingestionDelayMs: 600_000, maxWindowMs: 21_600_000 });
    assert.deepEqual(wf.input, [{ name: 'n', type: 'integer', required: false, default: 2 }]);
    const each = wf.steps[1];
    assert.ok(each?.kind === 'forEach');
    assert.equal(each.concurrency, 4);
    assert.equal(each.items.source, ' $steps.list.incidents ');
    assert.ok(each.when);
    assert.equal(each.steps[0]?.onError, 'continue');
    assert.equal(each.steps[0]?.path, 'steps[1] (each).input.steps[0] (c)');
  });

  it('loads the shipped example workflows against the real query library', async () => {
    const queries = await loadQueryLibrary(join(__dirname, '..', '..', 'queries'));
    const wfs = await loadWorkflows(join(__dirname, '..', '..', 'workflows'), queries);
    assert.deepEqual([...wfs.keys()].sort(), [
      'block-hash-from-incident',
      'contain-compromised-user',
      'isolate-device-on-high-severity',
      'stale-incident-triage',
      'suspicious-powershell',
      'ticket-closed-resolve',
      'ticket-sync',
    ]);
    assert.equal(wfs.get('suspicious-powershell')?.triggers.schedule, '0 */15 * * * *');
    assert.deepEqual(wfs.get('ticket-closed-resolve')?.triggers, { http: true });
    assert.deepEqual(wfs.get('ticket-sync')?.triggers.webhook, { sources: ['servicenow', 'jira', 'generic'] });
    // Logic Apps calls the containment workflows; the device one also sweeps on a schedule.
    assert.deepEqual(wfs.get('contain-compromised-user')?.triggers, { http: true });
    assert.equal(wfs.get('isolate-device-on-high-severity')?.triggers.schedule, '0 */15 * * * *');
    assert.equal(wfs.get('isolate-device-on-high-severity')?.triggers.http, true);
  });

  it('loadWorkflows reports invalid files and duplicate names together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    try {
      writeFileSync(join(dir, 'a.yaml'), http(get()));
      writeFileSync(join(dir, 'b.yml'), http(get()));
      writeFileSync(join(dir, 'c.yaml'), 'name: c\ntriggers: { http: true }\nsteps: []');
      writeFileSync(join(dir, 'notes.txt'), 'ignored');
      await assert.rejects(loadWorkflows(dir, createFakeQueries()), (e: unknown) => {
        assert.ok(e instanceof WorkflowError);
        assert.deepEqual(e.problems, [
          `${join(dir, 'b.yml')}: name: 'probe' is already used by ${join(dir, 'a.yaml')}`,
          `${join(dir, 'c.yaml')}: steps: must not be empty`,
        ]);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('caps YAML aliases (no billion laughs)', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    const lines = problemsOf(bomb);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^test\.yaml: invalid YAML: Excessive alias count/);
  });
});
