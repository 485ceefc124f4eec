// let statements and user-defined functions (let-statement.md, user-defined-functions.md): a let binds a scalar,
// a table or a function; a function call binds its parameters (scalars, tables, defaults) in the scope the function
// was declared in, then compiles its body there.
import type { Expr, Statement } from './ast';
import { constant } from './compiled';
import {
  compileExpr,
  isTabular,
  semanticError,
  type LetBinding,
  type Plan,
  type QueryEnv,
  type Scope,
} from './expressions';
import { memoPlan } from './memo';
import { KqlError } from './types';

type Lambda = Extract<Expr, { k: 'lambda' }>;
type FunctionBinding = Extract<LetBinding, { kind: 'function' }>;

const EMPTY_PLAN: Plan = { columns: [], rows: () => [] };
const MAX_CALL_DEPTH = 64;

/** Binds one let statement in `env` (compiling its value), as Kusto does: the value is compiled before the name is
 * bound, so `let T = T | where ...` reads the table T; a second let of the same name is an error. */
export function bindLet(statement: Extract<Statement, { k: 'let' }>, env: QueryEnv, topLevel: boolean): void {
  if (topLevel && env.lets.has(statement.name)) {
    throw new KqlError(
      'semantic',
      `A variable with the name '${statement.name}' has already been declared.`,
      statement.namePos,
    );
  }
  const value = statement.value;
  if (value.k === 'lambda') {
    // The function sees the names declared before it (a snapshot, so it cannot call itself).
    const closure = env.scoped(new Map(env.lets));
    env.lets.set(statement.name, {
      kind: 'function',
      lambda: value,
      env: closure,
      tabular: bodyIsTabular(value, closure),
    });
    return;
  }
  if (isTabular(value, null, env)) {
    env.lets.set(statement.name, { kind: 'tabular', plan: memoPlan(env.compileTabular(value, null)) });
    return;
  }
  const compiled = compileExpr(value, { columns: new Map(), operator: null }, env);
  env.lets.set(statement.name, {
    kind: 'scalar',
    compiled: compiled.constant || topLevel ? constant(compiled.type, compiled.ev({})) : compiled,
  });
}

/** Whether a function returns a table: its final expression, with parameters and inner lets stubbed by kind. */
function bodyIsTabular(lambda: Lambda, env: QueryEnv): boolean {
  const lets = new Map(env.lets);
  for (const p of lambda.params) lets.set(p.name, stub(p.type === 'table'));
  const probe = env.scoped(lets);
  let result = false;
  for (const s of lambda.body) {
    if (s.k === 'let') {
      if (s.value.k === 'lambda')
        lets.set(s.name, { kind: 'function', lambda: s.value, env: probe, tabular: bodyIsTabular(s.value, probe) });
      else lets.set(s.name, stub(isTabular(s.value, null, probe)));
    } else result = isTabular(s.body, null, probe);
  }
  return result;
}

function stub(tabular: boolean): LetBinding {
  return tabular ? { kind: 'tabular', plan: EMPTY_PLAN } : { kind: 'scalar', compiled: constant('dynamic', null) };
}

/** The environment of one call: parameters bound to the arguments (or their defaults), in the function's scope.
 * `input` is the piped table of `invoke`, bound to the first parameter. */
export function callEnv(
  name: string,
  fn: FunctionBinding,
  args: Expr[],
  caller: { scope: Scope; env: QueryEnv; pos: number },
  input?: Plan,
): QueryEnv {
  const depth = (caller.env.callDepth ?? 0) + 1;
  if (depth > MAX_CALL_DEPTH) throw semanticError(caller.scope, `'${name}': functions nest too deeply`, caller.pos);
  const params = fn.lambda.params;
  const given = input ? args.length + 1 : args.length;
  if (given > params.length)
    throw semanticError(caller.scope, `'${name}' expects ${params.length} arguments, got ${given}`, caller.pos);
  const lets = new Map(fn.env.lets);
  params.forEach((p, i) => {
    if (input && i === 0) {
      lets.set(p.name, { kind: 'tabular', plan: input });
      return;
    }
    const arg = args[input ? i - 1 : i] ?? p.defaultValue;
    if (!arg) throw semanticError(caller.scope, `'${name}': no value for parameter '${p.name}'`, caller.pos);
    if (p.type === 'table') {
      if (!isTabular(arg, caller.scope, caller.env))
        throw semanticError(caller.scope, `'${name}': parameter '${p.name}' expects a table`, arg.pos);
      lets.set(p.name, { kind: 'tabular', plan: caller.env.compileTabular(arg, null) });
      return;
    }
    const compiled =
      p.defaultValue === arg
        ? compileExpr(arg, { columns: new Map(), operator: null }, fn.env)
        : compileExpr(arg, caller.scope, caller.env);
    lets.set(p.name, { kind: 'scalar', compiled });
  });
  const env = fn.env.scoped(lets);
  env.callDepth = depth;
  for (const s of fn.lambda.body) if (s.k === 'let') bindLet(s, env, false);
  return env;
}

/** The final expression of a function body. */
export function functionResult(name: string, fn: FunctionBinding, scope: Scope, pos: number): Expr {
  const last = fn.lambda.body[fn.lambda.body.length - 1];
  if (!last || last.k !== 'query') throw semanticError(scope, `'${name}' has no result expression`, pos);
  return last.body;
}
