// Calls that produce tables: user-defined tabular functions (`f(...)`, `T | invoke f(...)`), Defender's FileProfile()
// enrichment (advanced-hunting-fileprofile-function.md) and `evaluate` plugins (bag_unpack).
import type { Expr, QueryOp } from './ast';
import { semanticError, type LetBinding, type Plan, type QueryEnv, type Scope } from './expressions';
import { assignedIpAddresses, deviceFromIp, seenBy } from './documentedFunctions';
import { fileProfile } from './fileProfile';
import { isKnownKustoFunction } from './kustoParser';
import { memoPlan } from './memo';
import { ProjectionBuilder } from './projection';
import { callEnv, functionResult } from './statements';
import { KqlError } from './types';
import type { Row } from './values';

type Call = Extract<Expr, { k: 'call' }>;
type FunctionBinding = Extract<LetBinding, { kind: 'function' }>;

export function tabularCall(
  call: Call,
  fn: FunctionBinding | undefined,
  env: QueryEnv,
  nextOperator: string | null,
): Plan {
  const scope: Scope = { columns: new Map(), operator: nextOperator };
  if (!fn) {
    if (call.name.toLowerCase() === 'assignedipaddresses') return assignedIpAddresses(call, env, nextOperator);
    if (isKnownKustoFunction(call.name))
      throw semanticError(scope, `'${call.name}' is a scalar function, not a table`, call.pos);
    throw new KqlError('unsupported', `The function '${call.name}' is not supported by the sandbox`, call.pos);
  }
  if (!fn.tabular) throw semanticError(scope, `'${call.name}' returns a scalar, not a table`, call.pos);
  const inner = callEnv(call.name, fn, call.args, { scope, env, pos: call.pos });
  return inner.compileTabular(functionResult(call.name, fn, scope, call.pos), nextOperator);
}

export function invokeOperator(input: Plan, op: Extract<QueryOp, { k: 'invoke' }>, scope: Scope, env: QueryEnv): Plan {
  const call = op.call;
  if (call.k !== 'call') throw semanticError(scope, "'invoke' expects a function call", op.pos);
  const bound = env.lets.get(call.name);
  if (bound?.kind === 'function') {
    if (!bound.tabular) throw semanticError(scope, `'${call.name}' returns a scalar, not a table`, call.pos);
    const inner = callEnv(call.name, bound, call.args, { scope, env, pos: call.pos }, memoPlan(input));
    return inner.compileTabular(functionResult(call.name, bound, scope, call.pos), null);
  }
  const name = call.name.toLowerCase();
  if (name === 'fileprofile') return fileProfile(input, call, scope, env);
  if (name === 'devicefromip') return deviceFromIp(input, call, scope, env);
  if (name === 'seenby') return seenBy(input, env);
  throw new KqlError(
    'unsupported',
    `The function '${call.name}' in 'invoke' is not supported by the sandbox`,
    call.pos,
  );
}

const PLUGINS = ['bag_unpack'];

export function evaluateOperator(
  input: Plan | null,
  op: Extract<QueryOp, { k: 'evaluate' }>,
  scope: Scope,
  env: QueryEnv,
): Plan {
  const call = op.call;
  if (call.k !== 'call') throw semanticError(scope, "'evaluate' expects a plugin call", op.pos);
  const name = call.name.toLowerCase();
  if (name === 'bag_unpack' && input) return bagUnpack(input, call, scope, env);
  throw new KqlError(
    'unsupported',
    `The '${call.name}' plugin of 'evaluate' is not supported by the sandbox (supported: ${PLUGINS.join(', ')})`,
    call.pos,
  );
}

/** bag_unpack(Column [, Prefix]): one dynamic column per property found in the data (bag-unpack-plugin.md). The
 * output columns depend on the rows, so the input is evaluated when the query is compiled. */
function bagUnpack(input: Plan, call: Call, scope: Scope, env: QueryEnv): Plan {
  const [column, prefixArg] = call.args;
  if (!column || column.k !== 'name')
    throw semanticError(scope, 'bag_unpack(): the first argument must be a column', call.pos);
  const type = scope.columns.get(column.name);
  if (type === undefined)
    throw semanticError(scope, `Failed to resolve scalar expression named '${column.name}'`, column.pos);
  if (type !== 'dynamic')
    throw semanticError(scope, `bag_unpack(): '${column.name}' must be dynamic, not ${type}`, column.pos);
  const prefix = prefixArg && prefixArg.k === 'literal' ? String(prefixArg.value ?? '') : '';
  const rows = input.rows();
  env.budget.spend(rows.length, call.pos);
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const bag = row[column.name];
    if (!bag || typeof bag !== 'object' || Array.isArray(bag)) continue;
    for (const k of Object.keys(bag)) {
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const builder = new ProjectionBuilder();
  for (const c of input.columns) if (c.name !== column.name) builder.add(c.name, c.type, () => null);
  const names = keys.map((k) => builder.add(prefix + k, 'dynamic', () => null));
  return {
    columns: builder.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: () =>
      rows.map((row) => {
        const o: Row = {};
        for (const c of input.columns) if (c.name !== column.name) o[c.name] = row[c.name] ?? null;
        const bag = row[column.name];
        keys.forEach((k, i) => {
          const v =
            bag && typeof bag === 'object' && !Array.isArray(bag) ? (bag as Record<string, unknown>)[k] : undefined;
          o[names[i] as string] = v === undefined ? null : v;
        });
        return o;
      }),
  };
}
