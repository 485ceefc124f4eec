// The expression language: template splitting, typed values, reference checks, sandboxing and guardrails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileExpression,
  compileValue,
  evaluateValue,
  ExpressionError,
  splitTemplate,
  type EvalContext,
  type ReferenceScope,
} from '../../shared/workflows/expressions';

const scope = (over: Partial<ReferenceScope> = {}): ReferenceScope => ({
  visible: new Set(['list']),
  all: new Map([
    ['list', 'steps[0] (list)'],
    ['later', 'steps[2] (later)'],
  ]),
  inForEach: false,
  inputFields: new Set(['incidentId', 'days']),
  scheduled: true,
  ...over,
});

const ctx = (over: Partial<EvalContext> = {}): EvalContext => ({
  input: { incidentId: '42', days: 3 },
  steps: {
    list: {
      count: 2,
      incidents: [
        { id: '1', tags: ['a'] },
        { id: '2', tags: [] },
      ],
    },
  },
  workflow: { name: 'wf' },
  run: {
    id: 'run-1',
    trigger: 'timer',
    dryRun: false,
    window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T01:00:00.000Z' },
  },
  now: new Date('2026-03-01T12:00:00.000Z'),
  ...over,
});

function compile(source: string, s: ReferenceScope = scope()) {
  const r = compileExpression(source, s);
  if ('problems' in r) throw new Error(r.problems.join('; '));
  return r.expression;
}

function problems(source: string, s: ReferenceScope = scope()): string[] {
  const r = compileExpression(source, s);
  return 'problems' in r ? r.problems : [];
}

async function value(raw: unknown, c: EvalContext = ctx(), s: ReferenceScope = scope()): Promise<unknown> {
  const reported: string[] = [];
  const v = compileValue(raw, s, (p, m) => reported.push(`${p}: ${m}`));
  assert.deepEqual(reported, []);
  return evaluateValue(v, c);
}

describe('templates', () => {
  it('splits text and expressions, skipping braces and quotes inside the expression', () => {
    assert.deepEqual(splitTemplate('a ${ {"x": "}"}.x } b ${ $input.days }'), [
      'a ',
      { source: ' {"x": "}"}.x ' },
      ' b ',
      { source: ' $input.days ' },
    ]);
    assert.deepEqual(splitTemplate('no templates'), ['no templates']);
    assert.deepEqual(splitTemplate('cost $${ 5 }'), ['cost ${ 5 }']);
    assert.throws(
      () => splitTemplate('x ${ $input.a'),
      /^Error: unterminated template: '\$\{' at position 2 has no closing '\}'$/,
    );
    assert.throws(() => splitTemplate('${ }'), /^Error: empty template '\$\{\}' at position 0$/);
  });

  it('a whole-value template keeps its type; mixed text is interpolated', async () => {
    assert.deepEqual(await value('${ $steps.list.incidents.id }'), ['1', '2']);
    assert.equal(await value('${ $input.days * 2 }'), 6);
    assert.equal(
      await value(
        'days=${ $input.days }, ids=${ $steps.list.incidents.id }, none=[${ $input.nothing }]',
        ctx(),
        scope({ inputFields: new Set(['days', 'nothing']) }),
      ),
      'days=3, ids=["1","2"], none=[]',
    );
    assert.equal(await value('literal $${ kept }'), 'literal ${ kept }');
  });

  it('walks objects and lists and drops keys whose value is undefined', async () => {
    assert.deepEqual(
      await value(
        { a: '${ $input.incidentId }', b: ['${ $input.days }', 'x'], c: '${ $input.missing }', d: 5 },
        ctx(),
        scope({ inputFields: new Set(['incidentId', 'days', 'missing']) }),
      ),
      {
        a: '42',
        b: [3, 'x'],
        d: 5,
      },
    );
  });

  it('gives $now(), $millis() and $run from the run, not the wall clock', async () => {
    assert.equal(await value('${ $now() }'), '2026-03-01T12:00:00.000Z');
    assert.equal(await value('${ $fromMillis($millis() - 86400000) }'), '2026-02-28T12:00:00.000Z');
    assert.equal(
      await value('${ $run.window.start } ${ $run.id } ${ $workflow.name }'),
      '2026-01-01T00:00:00.000Z run-1 wf',
    );
  });

  it('returns plain data: no JSONata sequences, no functions', async () => {
    const v = await value('${ $steps.list.incidents["a" in tags] }');
    assert.deepEqual(v, { id: '1', tags: ['a'] });
    assert.equal(await value('${ function($x) { $x } }'), undefined);
    const list = (await value('${ $steps.list.incidents.id }')) as unknown[] & { sequence?: boolean };
    assert.equal(list.sequence, undefined);
  });

  it('hands back a step’s own data, not a copy: a forEach over $steps.<hunt>.rows holds the rows once', async () => {
    const rows = [
      { DeviceName: 'a', Extra: { n: [1, 2] } },
      { DeviceName: 'b', Extra: {} },
    ];
    const c = { ...ctx(), steps: { hunt: { rows } } };
    const s = scope({ visible: new Set(['hunt']), all: new Map([['hunt', 'steps[0]']]) });
    const evaluate = async (src: string) => {
      const r = compileExpression(src, s);
      assert.ok('expression' in r, JSON.stringify(r));
      return r.expression.evaluate(c);
    };
    assert.equal(await evaluate('$steps.hunt.rows'), rows);
    const filtered = (await evaluate('$steps.hunt.rows[DeviceName = "b"]')) as unknown;
    assert.equal(filtered, rows[1]);
    const both = (await evaluate('$steps.hunt.rows[DeviceName in ["a", "b"]]')) as unknown[];
    assert.equal(both[0], rows[0]);
    // What must change still does: an object holding a function loses that key, in a copy.
    const made = (await evaluate('{"row": $steps.hunt.rows[0], "f": function($x) { $x }}')) as Record<string, unknown>;
    assert.deepEqual(made, { row: rows[0] });
    assert.equal(made.row, rows[0]);
  });
});

describe('reference checks', () => {
  it('accepts what a workflow may read, including locals and lambda parameters', () => {
    for (const ok of [
      '$input.incidentId',
      '$input',
      '$steps.list.incidents[status = "active"].id',
      '($x := $input.days; $map($steps.list.incidents, function($i) { $i.id & $string($x) }))',
      '$steps.list.incidents.(tags)',
      '$steps.list.incidents@$i.($i.id)',
      '$lookup({"a": 1}, $input.incidentId)',
      '$steps.list.incidents^(id)',
      '$now() & $workflow.name & $run.trigger',
    ]) {
      assert.deepEqual(problems(ok), [], ok);
    }
    assert.deepEqual(problems('$item.id & $string($index)', scope({ inForEach: true })), []);
  });

  it('names every bad reference once', () => {
    assert.deepEqual(problems('$steps.nope.x & $steps.later.y & $steps.nope.z'), [
      "$steps.nope: there is no step 'nope' (earlier steps: list)",
      '$steps.later refers to steps[2] (later), which has not run at this point; only earlier steps of this list and of the lists around it can be referenced',
    ]);
    assert.deepEqual(problems('$steps'), ['$steps must be followed by a step id, e.g. $steps.<id>.rows']);
    assert.deepEqual(problems('$steps[0]'), ['$steps must be followed by a step id, e.g. $steps.<id>.rows']);
    assert.deepEqual(problems('$lookup($steps, "list")'), [
      '$steps must be followed by a step id, e.g. $steps.<id>.rows',
    ]);
    assert.deepEqual(problems('$index'), ['$index is only available inside a forEach step']);
    assert.deepEqual(problems('$process.env'), [
      'unknown variable $process; use $input, $steps.<id>, $item, $index, $workflow, $run, $now() or a JSONata function',
    ]);
    assert.deepEqual(problems('$run.secret'), ['$run.secret: unknown; $run has id, trigger, dryRun, window']);
    assert.deepEqual(problems('$run.window.start', scope({ scheduled: false })), [
      '$run.window exists only for scheduled runs; add triggers.schedule or remove the reference',
    ]);
    assert.deepEqual(problems('$input.ticket'), [
      "$input.ticket: the workflow declares no input 'ticket' (declared: incidentId, days)",
    ]);
    assert.deepEqual(problems('$input.x', scope({ inputFields: new Set() })), [
      "$input.x: the workflow declares no input 'x' (it declares no input)",
    ]);
  });

  it('refuses reads of the empty context ($, $$, bare names, wildcards) but not inside paths and predicates', () => {
    assert.deepEqual(problems('$'), [
      "'$' is the expression's context, which is empty here; use $input, $item or $steps.<id>",
    ]);
    assert.deepEqual(problems('$$.a'), [
      "'$$' is the expression's root context, which is empty; use $input, $item or $steps.<id>",
    ]);
    assert.deepEqual(problems('status = "x"'), [
      "'status' reads the expression's context, which is empty here; did you mean $input.status or $item.status?",
    ]);
    assert.deepEqual(problems('**.id'), [
      "'**' reads the expression's context, which is empty here; start from $input, $item or $steps.<id>",
    ]);
    assert.deepEqual(problems('$steps.list.incidents[$ = "x"].id'), []);
  });

  it('refuses $eval, also when it is only passed around', () => {
    const message =
      '$eval is not allowed: it would run an expression that was not checked when the workflow was loaded';
    assert.deepEqual(problems('$eval("$input")'), [message]);
    assert.deepEqual(problems('($f := $eval; $f("1 + 1"))'), [message]);
  });

  it('reports syntax errors with the position', () => {
    assert.deepEqual(problems('$input.days +'), [
      "invalid expression '$input.days +': Unexpected end of expression (at position 13)",
    ]);
  });
});

describe('evaluation', () => {
  it('cannot see the process or the environment', async () => {
    for (const probe of ['$type($process)', '$type($require)', '$type($globalThis)']) {
      const r = compileExpression(probe, scope());
      assert.ok('problems' in r, `${probe} must not compile`);
    }
    // Property access on data never reaches prototypes or constructors.
    assert.equal(await compile('$steps.list.constructor').evaluate(ctx()), undefined);
    assert.equal(await compile('$steps.list.__proto__').evaluate(ctx()), undefined);
  });

  it('stops runaway recursion with a guardrail error instead of hanging', async () => {
    const e = compile('($f := function($n) { 1 + $f($n + 1) }; $f(0))');
    await assert.rejects(e.evaluate(ctx()), (err: unknown) => {
      assert.ok(err instanceof ExpressionError);
      assert.match(err.message, /^expression '.*' failed: .*(Stack overflow|time)/i);
      return true;
    });
  });

  it('turns runtime errors into ExpressionError naming the expression', async () => {
    await assert.rejects(compile('$input.days & $error("boom")').evaluate(ctx()), (err: unknown) => {
      assert.ok(err instanceof ExpressionError);
      assert.equal(err.message, `expression '$input.days & $error("boom")' failed: boom`);
      return true;
    });
  });

  it('evaluates concurrently without mixing bindings', async () => {
    const e = compile('$item.id', scope({ inForEach: true }));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => e.evaluate(ctx({ item: { id: i }, index: i }))),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
});
