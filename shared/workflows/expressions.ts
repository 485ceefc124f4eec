// The workflow expression language: JSONata (https://jsonata.org), chosen because it is a pure data language with no
// access to JavaScript, the process or the environment. On top of JSONata this module adds:
// - `${ … }` templates inside string values (a value that is exactly one template keeps its type);
// - a load-time reference check over the expression's syntax tree: only $input, $steps.<earlier step id>, $item and
//   $index (inside forEach), $workflow, $run, $now(), locally bound variables and JSONata's own functions;
// - evaluation with JSONata's guardrails (time, depth, sequence length) and with $eval disabled, because $eval would
//   run text that was never checked at load.
// Residual risk, by design of JSONata: a regular expression literal runs on the JS engine and a pathological one is
// not interrupted by the time limit. Workflow files are reviewed in pull requests, which is where that is caught.
import jsonata from 'jsonata';

/** Names JSONata binds itself (jsonata 2.2 staticFrame), plus $now/$millis, which Riposte rebinds to the run's clock. */
const BUILTIN_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    'sum count max min average string substring substringBefore substringAfter lowercase uppercase length trim pad match ' +
    'contains replace split join formatNumber formatBase formatInteger parseInteger number floor ceil round abs sqrt power ' +
    'random boolean not map zip filter single reduce sift keys lookup append exists spread merge reverse each error assert ' +
    'type sort shuffle distinct base64encode base64decode encodeUrlComponent encodeUrl decodeUrlComponent decodeUrl ' +
    'toMillis fromMillis clone now millis'
  ).split(' '),
);

/** Roots every expression may read. */
const ROOT_VARIABLES: ReadonlySet<string> = new Set(['input', 'workflow', 'run']);

export const EXPRESSION_LIMITS = Object.freeze({ timeoutMs: 1000, stack: 500, sequence: 250_000 });

/** What an expression at a given place in the workflow may refer to. */
export interface ReferenceScope {
  /** Ids of steps that have run before this point (their outputs are in $steps). */
  visible: ReadonlySet<string>;
  /** Every step id of the workflow → where it is declared, to tell "not available here" from "does not exist". */
  all: ReadonlyMap<string, string>;
  /** True inside a forEach body, where $item and $index exist. */
  inForEach: boolean;
  /** Fields the workflow declares under `input`; `$input.<name>` must be one of them. */
  inputFields: ReadonlySet<string>;
  /** Scheduled workflows have `$run.window`. */
  scheduled: boolean;
}

const RUN_FIELDS = ['id', 'trigger', 'dryRun', 'window'];
const WORKFLOW_FIELDS = ['name'];

/** Everything an expression can see at run time. */
export interface EvalContext {
  input: Record<string, unknown>;
  steps: Record<string, unknown>;
  item?: unknown;
  index?: number;
  workflow: { name: string };
  run: { id: string; trigger: string; dryRun: boolean; window?: { start: string; end: string } };
  now: Date;
}

/** An expression failed to evaluate (type error, $error(), guardrail). `message` is safe to show: it holds no data. */
export class ExpressionError extends Error {
  readonly source: string;
  constructor(source: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExpressionError';
    this.source = source;
  }
}

export interface CompiledExpression {
  readonly source: string;
  evaluate(ctx: EvalContext): Promise<unknown>;
}

interface AstNode {
  type: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  stages?: AstNode[];
  predicate?: AstNode[];
  group?: { lhs: [AstNode, AstNode][] };
  expr?: AstNode;
  expression?: AstNode;
  expressions?: AstNode[];
  lhs?: AstNode | [AstNode, AstNode][];
  rhs?: AstNode;
  arguments?: AstNode[];
  procedure?: AstNode;
  body?: AstNode;
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  pattern?: AstNode;
  update?: AstNode;
  delete?: AstNode;
  terms?: { expression: AstNode }[];
  focus?: string;
  index?: string;
}

interface JsonataErrorShape {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

function jsonataMessage(e: unknown): string {
  const err = e as JsonataErrorShape | null;
  if (err && typeof err.message === 'string') {
    return err.position !== undefined && err.code?.startsWith('S')
      ? `${err.message} (at position ${err.position})`
      : err.message;
  }
  return String(e);
}

/** Every name the expression binds itself (`$x := …`, lambda parameters, `@$x`, `#$i`): allowed anywhere in it. */
function collectLocals(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) collectLocals(n, out);
  } else if (node && typeof node === 'object') {
    const n = node as AstNode;
    if (n.type === 'bind' && n.lhs && !Array.isArray(n.lhs) && typeof n.lhs.value === 'string') out.add(n.lhs.value);
    if (n.type === 'lambda') for (const a of n.arguments ?? []) if (typeof a.value === 'string') out.add(a.value);
    if (typeof n.focus === 'string') out.add(n.focus);
    if (typeof n.index === 'string') out.add(n.index);
    for (const [k, v] of Object.entries(n)) if (k !== 'value' && typeof v === 'object') collectLocals(v, out);
  }
  return out;
}

/**
 * Checks what an expression refers to. Returns one message per problem (deduplicated), empty when all is well.
 * "Root context" means the expression's input document, which Riposte leaves empty: a bare `name` there is almost
 * always a forgotten `$input.` or `$item.`, so it is reported rather than silently evaluating to nothing.
 */
function checkReferences(ast: AstNode, scope: ReferenceScope): string[] {
  const problems = new Set<string>();
  const locals = collectLocals(ast, new Set());

  const stepRef = (id: string): void => {
    if (scope.visible.has(id)) return;
    const declared = scope.all.get(id);
    if (declared !== undefined) {
      problems.add(
        `$steps.${id} refers to ${declared}, which has not run at this point; only earlier steps of this list and of the lists around it can be referenced`,
      );
      return;
    }
    const available = [...scope.visible];
    problems.add(
      `$steps.${id}: there is no step '${id}'` +
        (available.length ? ` (earlier steps: ${available.join(', ')})` : ' (there are no earlier steps)'),
    );
  };

  const variable = (name: string, root: boolean): void => {
    if (name === '') {
      if (root) problems.add("'$' is the expression's context, which is empty here; use $input, $item or $steps.<id>");
      return;
    }
    if (name === '$') {
      problems.add("'$$' is the expression's root context, which is empty; use $input, $item or $steps.<id>");
      return;
    }
    if (locals.has(name) || ROOT_VARIABLES.has(name) || BUILTIN_FUNCTIONS.has(name)) return;
    if (name === 'item' || name === 'index') {
      if (!scope.inForEach) problems.add(`$${name} is only available inside a forEach step`);
      return;
    }
    if (name === 'steps') {
      problems.add('$steps must be followed by a step id, e.g. $steps.<id>.rows');
      return;
    }
    if (name === 'eval') {
      problems.add(
        '$eval is not allowed: it would run an expression that was not checked when the workflow was loaded',
      );
      return;
    }
    problems.add(
      `unknown variable $${name}; use $input, $steps.<id>, $item, $index, $workflow, $run, $now() or a JSONata function`,
    );
  };

  const walkStages = (n: AstNode): void => {
    for (const s of [...(n.stages ?? []), ...(n.predicate ?? [])]) if (s.expr) walk(s.expr, false);
    for (const [k, v] of n.group?.lhs ?? []) {
      walk(k, false);
      walk(v, false);
    }
  };

  function walk(n: AstNode, root: boolean): void {
    switch (n.type) {
      case 'path': {
        const steps = n.steps ?? [];
        const first = steps[0];
        if (first?.type === 'variable' && first.value === 'steps' && !locals.has('steps')) {
          const second = steps[1];
          if (
            first.stages?.length ||
            first.predicate?.length ||
            second?.type !== 'name' ||
            typeof second.value !== 'string'
          ) {
            problems.add('$steps must be followed by a step id, e.g. $steps.<id>.rows');
          } else {
            stepRef(second.value);
          }
          walkStages(first);
          steps.slice(1).forEach((s) => walk(s, false));
          return;
        }
        const second = steps[1];
        if (
          first?.type === 'variable' &&
          second?.type === 'name' &&
          typeof second.value === 'string' &&
          !locals.has(String(first.value))
        ) {
          const field = second.value;
          if (first.value === 'input' && !scope.inputFields.has(field)) {
            const declared = [...scope.inputFields];
            problems.add(
              `$input.${field}: the workflow declares no input '${field}'` +
                (declared.length ? ` (declared: ${declared.join(', ')})` : ' (it declares no input)'),
            );
          }
          if (first.value === 'run' && !RUN_FIELDS.includes(field))
            problems.add(`$run.${field}: unknown; $run has ${RUN_FIELDS.join(', ')}`);
          if (first.value === 'run' && field === 'window' && !scope.scheduled) {
            problems.add('$run.window exists only for scheduled runs; add triggers.schedule or remove the reference');
          }
          if (first.value === 'workflow' && !WORKFLOW_FIELDS.includes(field))
            problems.add(`$workflow.${field}: unknown; $workflow has ${WORKFLOW_FIELDS.join(', ')}`);
        }
        steps.forEach((s, i) => walk(s, i === 0 ? root : false));
        return;
      }
      case 'name':
        if (root) {
          const name = String(n.value);
          problems.add(
            `'${name}' reads the expression's context, which is empty here; did you mean $input.${name} or $item.${name}?`,
          );
        }
        break;
      case 'wildcard':
      case 'descendant':
        if (root)
          problems.add(
            `'${String(n.value)}' reads the expression's context, which is empty here; start from $input, $item or $steps.<id>`,
          );
        break;
      case 'variable':
        variable(String(n.value), root);
        break;
      case 'binary':
      case 'apply':
        if (n.lhs && !Array.isArray(n.lhs)) walk(n.lhs, root);
        if (n.rhs) walk(n.rhs, root);
        break;
      case 'unary':
        if (n.expression) walk(n.expression, root);
        for (const e of n.expressions ?? []) walk(e, root);
        if (Array.isArray(n.lhs)) {
          for (const [k, v] of n.lhs) {
            walk(k, root);
            walk(v, root);
          }
        }
        break;
      case 'function':
      case 'partial':
        if (n.procedure) walk(n.procedure, root);
        for (const a of n.arguments ?? []) walk(a, root);
        break;
      case 'lambda':
        // A lambda's body sees the input of the place it was defined (a closure), so the context does not change.
        if (n.body) walk(n.body, root);
        break;
      case 'condition':
        for (const part of [n.condition, n.then, n.else]) if (part) walk(part, root);
        break;
      case 'block':
        for (const e of n.expressions ?? []) walk(e, root);
        break;
      case 'bind':
        if (n.rhs) walk(n.rhs, root);
        break;
      case 'transform':
        for (const part of [n.pattern, n.update, n.delete]) if (part) walk(part, false);
        break;
      case 'sort':
        for (const t of n.terms ?? []) walk(t.expression, false);
        break;
      default:
        // string, number, value, regex, operator (the ? of a partial), parent: nothing to check.
        break;
    }
    walkStages(n);
  }

  walk(ast, true);
  return [...problems];
}

/** Flags JSONata (2.x) sets on the arrays it builds: sequences, singletons, tuple streams. */
const SEQUENCE_FLAGS = ['sequence', 'keepSingleton', 'tupleStream', 'outerWrapper'] as const;

/**
 * JSONata sequences are arrays with extra flags and may hold functions: hand back plain JSON-like data. What is
 * already plain is returned as is, not copied: `$steps.hunt.rows` is the hunt's own array of up to 100,000 rows, and
 * a forEach over it must not build a second one. Values are never mutated after a step has output them.
 */
function plain(value: unknown, depth = 0): unknown {
  if (typeof value === 'function') return undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined = SEQUENCE_FLAGS.some((f) => f in value) ? [] : undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const p = plain(v, depth + 1);
      if (out === undefined && (p !== v || v === undefined)) out = value.slice(0, i);
      if (out !== undefined && p !== undefined) out.push(p);
    }
    return out ?? value;
  }
  if ((value as { _jsonata_lambda?: boolean })._jsonata_lambda) return undefined;
  const obj = value as Record<string, unknown>;
  // Checked before anything is allocated: a forEach's rows are almost always plain already.
  let changed = false;
  for (const k in obj) {
    const v = obj[k];
    if (v === undefined || plain(v, depth + 1) !== v) {
      changed = true;
      break;
    }
  }
  if (!changed) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const p = plain(v, depth + 1);
    if (p !== undefined) out[k] = p;
  }
  return out;
}

const blockedEval = (): never => {
  throw { code: 'RIPOSTE01', message: '$eval is not allowed in Riposte workflows' };
};

/**
 * Parses and checks one expression.
 * @returns the compiled expression, or the list of problems (syntax first; then every bad reference).
 */
export function compileExpression(
  source: string,
  scope: ReferenceScope,
): { expression: CompiledExpression } | { problems: string[] } {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(source, {
      timeout: EXPRESSION_LIMITS.timeoutMs,
      stack: EXPRESSION_LIMITS.stack,
      sequence: EXPRESSION_LIMITS.sequence,
    });
  } catch (e) {
    return { problems: [`invalid expression '${source.trim()}': ${jsonataMessage(e)}`] };
  }
  const problems = checkReferences(compiled.ast() as AstNode, scope);
  if (problems.length > 0) return { problems };
  return {
    expression: {
      source,
      async evaluate(ctx: EvalContext): Promise<unknown> {
        const bindings: Record<string, unknown> = {
          input: ctx.input,
          steps: ctx.steps,
          workflow: ctx.workflow,
          run: ctx.run,
          // The run's clock, not the wall clock: one run sees one "now", and tests are deterministic.
          now: () => ctx.now.toISOString(),
          millis: () => ctx.now.getTime(),
          eval: blockedEval,
        };
        if (ctx.item !== undefined || ctx.index !== undefined) {
          bindings.item = ctx.item;
          bindings.index = ctx.index;
        }
        try {
          return plain(await compiled.evaluate(undefined, bindings));
        } catch (e) {
          throw new ExpressionError(source, `expression '${source.trim()}' failed: ${jsonataMessage(e)}`, { cause: e });
        }
      },
    },
  };
}

// ---- Templates -------------------------------------------------------------------------------------------------

/** A workflow value after compilation: literals stay as they are, templates become expressions. */
export type CompiledValue =
  | { kind: 'literal'; value: unknown }
  | { kind: 'expr'; expression: CompiledExpression }
  | { kind: 'text'; parts: (string | CompiledExpression)[] }
  | { kind: 'object'; entries: [string, CompiledValue][] }
  | { kind: 'array'; items: CompiledValue[] };

type TemplatePart = string | { source: string };

/**
 * Splits "a ${ x } b" into parts. Braces, quotes and comments inside the expression are skipped over, so
 * `${ {"a": 1}.a }` works. "$${" is a literal "${".
 * @throws {Error} with a message for an unterminated template.
 */
export function splitTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i++;
      continue;
    }
    let j = i + 2;
    let depth = 1;
    while (j < text.length && depth > 0) {
      const c = text[j];
      if (c === '"' || c === "'" || c === '`') {
        j++;
        while (j < text.length && text[j] !== c) j += text[j] === '\\' && c !== '`' ? 2 : 1;
      } else if (c === '/' && text[j + 1] === '*') {
        const end = text.indexOf('*/', j + 2);
        j = end === -1 ? text.length : end + 1;
      } else if (c === '{') {
        depth++;
      } else if (c === '}') {
        depth--;
      }
      j++;
    }
    if (depth > 0) throw new Error(`unterminated template: '\${' at position ${i} has no closing '}'`);
    const source = text.slice(i + 2, j - 1);
    if (source.trim() === '') throw new Error(`empty template '\${}' at position ${i}`);
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ source });
    i = j;
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

/**
 * Compiles a value from a workflow file: strings with templates become expressions, objects and lists are walked.
 * @param report - called once per problem with the path relative to `raw` ('' for the value itself, '.a', '[2]').
 */
export function compileValue(
  raw: unknown,
  scope: ReferenceScope,
  report: (relPath: string, message: string) => void,
  relPath = '',
): CompiledValue {
  if (typeof raw === 'string') {
    let parts: TemplatePart[];
    try {
      parts = splitTemplate(raw);
    } catch (e) {
      report(relPath, (e as Error).message);
      return { kind: 'literal', value: raw };
    }
    const compiled: (string | CompiledExpression)[] = [];
    for (const p of parts) {
      if (typeof p === 'string') {
        compiled.push(p);
        continue;
      }
      const r = compileExpression(p.source, scope);
      if ('problems' in r) r.problems.forEach((m) => report(relPath, m));
      else compiled.push(r.expression);
    }
    if (parts.length === 1 && typeof parts[0] === 'string') return { kind: 'literal', value: parts[0] };
    const only = compiled[0];
    if (compiled.length === 1 && only !== undefined && typeof only !== 'string')
      return { kind: 'expr', expression: only };
    return { kind: 'text', parts: compiled };
  }
  if (Array.isArray(raw))
    return { kind: 'array', items: raw.map((v, i) => compileValue(v, scope, report, `${relPath}[${i}]`)) };
  if (raw !== null && typeof raw === 'object') {
    return {
      kind: 'object',
      entries: Object.entries(raw).map(
        ([k, v]) => [k, compileValue(v, scope, report, `${relPath}.${k}`)] as [string, CompiledValue],
      ),
    };
  }
  return { kind: 'literal', value: raw };
}

/**
 * Compiles a field that is an expression by definition (forEach items, if conditions): bare JSONata, or one `${ … }`.
 */
export function compileExpressionField(
  raw: string,
  scope: ReferenceScope,
  report: (message: string) => void,
): CompiledExpression | undefined {
  const trimmed = raw.trim();
  let source = trimmed;
  if (trimmed.startsWith('${')) {
    try {
      const parts = splitTemplate(trimmed);
      const [only] = parts;
      if (parts.length === 1 && only !== undefined && typeof only !== 'string') source = only.source;
    } catch {
      // Fall through: JSONata reports the syntax error with a position.
    }
  }
  const r = compileExpression(source, scope);
  if ('problems' in r) {
    r.problems.forEach(report);
    return undefined;
  }
  return r.expression;
}

/** True when the value holds no expression at all (its result is known at load time). */
export function isLiteral(v: CompiledValue): boolean {
  switch (v.kind) {
    case 'literal':
      return true;
    case 'object':
      return v.entries.every(([, e]) => isLiteral(e));
    case 'array':
      return v.items.every(isLiteral);
    default:
      return false;
  }
}

/** The value of a compiled literal (undefined when it holds an expression). */
export function literalValue(v: CompiledValue): unknown {
  switch (v.kind) {
    case 'literal':
      return v.value;
    case 'object':
      return Object.fromEntries(v.entries.map(([k, e]) => [k, literalValue(e)]));
    case 'array':
      return v.items.map(literalValue);
    default:
      return undefined;
  }
}

function toText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * Evaluates a compiled value. Object keys whose value evaluates to undefined are dropped (an absent optional input
 * means "leave the field out").
 * @throws {ExpressionError} when an expression fails.
 */
export async function evaluateValue(v: CompiledValue, ctx: EvalContext): Promise<unknown> {
  switch (v.kind) {
    case 'literal':
      return v.value;
    case 'expr':
      return v.expression.evaluate(ctx);
    case 'text': {
      let out = '';
      for (const p of v.parts) out += typeof p === 'string' ? p : toText(await p.evaluate(ctx));
      return out;
    }
    // Literal parts are taken as they are, without an await each: a forEach evaluates its steps' inputs per item.
    case 'array': {
      const items: unknown[] = [];
      for (const i of v.items) items.push(i.kind === 'literal' ? i.value : await evaluateValue(i, ctx));
      return items;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, e] of v.entries) {
        const r = e.kind === 'literal' ? e.value : await evaluateValue(e, ctx);
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
  }
}
