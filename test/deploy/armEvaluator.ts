// A small evaluator for ARM template expressions (the subset infra/azuredeploy.json uses), so a test can "deploy" the
// template on paper: every expression parses, every function is one ARM has, and every resourceId, reference and
// dependsOn resolves to a resource the template declares. ARM itself only finds these mistakes at deployment time.
// Semantics follow the template functions reference (learn.microsoft.com/azure/azure-resource-manager/templates/
// template-functions); values Azure would compute (reference() properties, uniqueString) are stand-ins.
import { createHash } from 'node:crypto';

type Node =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'member'; target: Node; property: string }
  | { kind: 'index'; target: Node; index: Node };

/** A property of a deployed resource, known only at deployment time. */
export class RuntimeValue {
  constructor(
    readonly resourceId: string,
    readonly path: string[] = [],
  ) {}
  toString(): string {
    return `{${this.resourceId}${this.path.map((p) => `.${p}`).join('')}}`;
  }
}

/** Every function ARM templates offer (a name outside this list is a typo). */
const ARM_FUNCTIONS = new Set(
  (
    'array concat contains createArray empty first indexOf intersection items join last lastIndexOf length min max ' +
    'range skip take union coalesce equals greater greaterOrEquals less lessOrEquals bool createObject json null ' +
    'objectKeys shallowMerge tryGet base64 base64ToJson base64ToString dataUri dataUriToString endsWith format guid ' +
    'newGuid padLeft replace split startsWith string substring toLower toUpper trim uniqueString uri uriComponent ' +
    'uriComponentToString utcNow dateTimeAdd dateTimeFromEpoch dateTimeToEpoch add div mod mul sub int float and ' +
    'false if not or true deployment environment parameters variables extensionResourceId listKeys list ' +
    'pickZones providers reference references resourceId subscriptionResourceId tenantResourceId ' +
    'managementGroupResourceId resourceGroup subscription tenant managementGroup filter map reduce sort toObject ' +
    'lambda lambdaVariables'
  ).split(' '),
);

export function parseExpression(source: string): Node {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at ${i} in [${source}]`);
  };
  const skip = (): void => {
    while (source[i] === ' ') i++;
  };
  const ident = (): string => {
    const m = /^[A-Za-z_$][\w$]*/.exec(source.slice(i));
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const primary = (): Node => {
    skip();
    if (source[i] === "'") {
      let value = '';
      for (i++; ; i++) {
        if (i >= source.length) return fail('unterminated string');
        if (source[i] === "'") {
          if (source[i + 1] === "'") {
            value += "'";
            i++;
            continue;
          }
          i++;
          return { kind: 'string', value };
        }
        value += source[i];
      }
    }
    const num = /^-?\d+/.exec(source.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'number', value: Number(num[0]) };
    }
    const name = ident();
    skip();
    if (source[i] !== '(') return fail(`expected ( after ${name}`);
    i++;
    const args: Node[] = [];
    skip();
    if (source[i] === ')') i++;
    else
      for (;;) {
        args.push(expression());
        skip();
        if (source[i] === ',') i++;
        else if (source[i] === ')') {
          i++;
          break;
        } else return fail('expected , or )');
      }
    return { kind: 'call', name, args };
  };
  const expression = (): Node => {
    let node = primary();
    for (;;) {
      skip();
      if (source[i] === '.') {
        i++;
        node = { kind: 'member', target: node, property: ident() };
      } else if (source[i] === '[') {
        i++;
        const index = expression();
        skip();
        if (source[i] !== ']') return fail('expected ]');
        i++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = expression();
  skip();
  if (i !== source.length) fail('trailing characters');
  return node;
}

/** The function names an expression calls. */
export function calledFunctions(node: Node): string[] {
  switch (node.kind) {
    case 'call':
      return [node.name, ...node.args.flatMap(calledFunctions)];
    case 'member':
      return calledFunctions(node.target);
    case 'index':
      return [...calledFunctions(node.target), ...calledFunctions(node.index)];
    default:
      return [];
  }
}

export const isArmFunction = (name: string): boolean =>
  ARM_FUNCTIONS.has(name) || [...ARM_FUNCTIONS].some((f) => f.toLowerCase() === name.toLowerCase());

export interface DeploymentScope {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  location: string;
}

export interface EvaluationContext {
  scope: DeploymentScope;
  parameter(name: string): unknown;
  variable(name: string): unknown;
  /** Called for every reference(); returns the stand-in for the resource's runtime state. */
  onReference(resourceId: string): void;
}

const str = (v: unknown): string => (v instanceof RuntimeValue ? v.toString() : String(v));

function uniqueString(...parts: unknown[]): string {
  // ARM: a deterministic 13-character hash of the arguments; the alphabet here is ARM's (lower-case base32).
  const digest = createHash('sha256').update(parts.map(str).join('|')).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...digest.subarray(0, 13)].map((b) => alphabet[b % 32]).join('');
}

function guid(...parts: unknown[]): string {
  const h = createHash('sha256').update(parts.map(str).join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function rgResourceId(scope: DeploymentScope, type: string, names: string[]): string {
  const segments = type.split('/');
  const provider = segments[0]!;
  const types = segments.slice(1);
  if (types.length !== names.length)
    throw new Error(`resourceId('${type}', ...) needs ${types.length} name(s), got ${names.length}`);
  const path = types.map((t, n) => `${t}/${names[n]}`).join('/');
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/${provider}/${path}`;
}

export function evaluate(node: Node, ctx: EvaluationContext): unknown {
  const ev = (n: Node): unknown => evaluate(n, ctx);
  switch (node.kind) {
    case 'string':
    case 'number':
      return node.value;
    case 'member': {
      const target = ev(node.target);
      if (target instanceof RuntimeValue) return new RuntimeValue(target.resourceId, [...target.path, node.property]);
      if (target && typeof target === 'object' && node.property in target)
        return (target as Record<string, unknown>)[node.property];
      throw new Error(`no property '${node.property}' on ${JSON.stringify(target)}`);
    }
    case 'index': {
      const target = ev(node.target);
      const index = ev(node.index);
      if (target instanceof RuntimeValue) return new RuntimeValue(target.resourceId, [...target.path, str(index)]);
      return (target as Record<string, unknown>)[str(index)];
    }
    case 'call':
      break;
  }
  const args = (): unknown[] => node.args.map(ev);
  const { scope } = ctx;
  switch (node.name) {
    case 'parameters':
      return ctx.parameter(str(ev(node.args[0]!)));
    case 'variables':
      return ctx.variable(str(ev(node.args[0]!)));
    case 'resourceGroup':
      return {
        id: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`,
        name: scope.resourceGroup,
        location: scope.location,
      };
    case 'subscription':
      return {
        id: `/subscriptions/${scope.subscriptionId}`,
        subscriptionId: scope.subscriptionId,
        tenantId: scope.tenantId,
      };
    case 'concat':
      return args().map(str).join('');
    case 'format': {
      const [f, ...rest] = args();
      return str(f).replace(/\{(\d+)\}/g, (_, n: string) => str(rest[Number(n)]));
    }
    case 'take': {
      const [v, n] = args();
      return str(v).slice(0, Number(n));
    }
    case 'toLower':
      return str(args()[0]).toLowerCase();
    case 'uniqueString':
      return uniqueString(...args());
    case 'guid':
      return guid(...args());
    case 'empty': {
      const v = args()[0];
      return v === '' || v === null || (Array.isArray(v) && v.length === 0);
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'not':
      return !args()[0];
    case 'equals': {
      const [a, b] = args();
      return a === b;
    }
    case 'if': {
      // Only the chosen branch is evaluated, as ARM does.
      return ev(node.args[0]!) ? ev(node.args[1]!) : ev(node.args[2]!);
    }
    case 'resourceId': {
      const [type, ...names] = args().map(str);
      return rgResourceId(scope, type!, names);
    }
    case 'subscriptionResourceId': {
      const [type, ...names] = args().map(str);
      return `/subscriptions/${scope.subscriptionId}/providers/${type}/${names.join('/')}`;
    }
    case 'extensionResourceId': {
      const [base, type, ...names] = args().map(str);
      return `${base}/providers/${type}/${names.join('/')}`;
    }
    case 'reference': {
      const id = str(args()[0]);
      ctx.onReference(id);
      return new RuntimeValue(id);
    }
  }
  throw new Error(
    isArmFunction(node.name)
      ? `ARM function ${node.name}() is not supported by this evaluator: add it`
      : `${node.name}() is not an ARM template function`,
  );
}

/** `"[...]"` is an expression; `"[[..."` is a literal starting with `[`. */
export const isExpression = (v: string): boolean => v.startsWith('[') && !v.startsWith('[[') && v.endsWith(']');

/** Evaluates every expression inside a JSON value (objects, arrays, and object keys). */
export function evaluateDeep(value: unknown, ctx: EvaluationContext): unknown {
  if (typeof value === 'string') {
    if (isExpression(value)) return evaluate(parseExpression(value.slice(1, -1)), ctx);
    return value.startsWith('[[') ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluateDeep(v, ctx));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [str(evaluateDeep(k, ctx)), evaluateDeep(v, ctx)]));
  return value;
}
