// Loads workflow files: YAML → JSON Schema → semantic checks (schedule, unique step ids, input declaration,
// expressions and their references, query names and parameters, enum combinations). Every problem is collected and
// reported together in one WorkflowError; a workflow that does not validate is never returned, so it never runs.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import YAML from 'yaml';
import type { ApiBackend } from '../defender/types';
import type { QueryLibrary } from '../queries/types';
import { ACTIONS } from '../steps';
import { compileExpressionField, compileValue, type ReferenceScope } from './expressions';
import { checkNcrontab, parseDuration } from './schedule';
import type { ActionKind, InputField, Step, StepApproval, WindowSettings, Workflow, WorkflowTriggers } from './types';
import { WorkflowError } from './workflowError';
import { buildWorkflowSchema, DEFAULT_CONCURRENCY, PATTERN_MESSAGES, TEMPLATE_PATTERN } from './workflowSchema';

type Raw = Record<string, unknown>;
type Problem = { path: string; message: string };

let validator: ReturnType<Ajv['compile']> | undefined;
function validateSchema(data: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({
      allErrors: true,
      discriminator: true,
      strict: true,
      strictRequired: false,
      verbose: true,
      allowUnionTypes: true,
    });
    validator = ajv.compile(buildWorkflowSchema());
  }
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

// ---- Paths -----------------------------------------------------------------------------------------------------

/** "/steps/2/input/tags/add" → "steps[2] (tagIncidents).input.tags.add" (array items with an id show it). */
export function formatPath(doc: unknown, pointer: string): string {
  const segments =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  let node: unknown = doc;
  for (const seg of segments) {
    if (Array.isArray(node)) {
      node = node[Number(seg)];
      out += `[${seg}]`;
      const id = (node as { id?: unknown } | undefined)?.id;
      if (node && typeof node === 'object' && typeof id === 'string') out += ` (${id})`;
    } else {
      node = node && typeof node === 'object' ? (node as Raw)[seg] : undefined;
      out += out ? `.${seg}` : seg;
    }
  }
  return out;
}

const join2 = (path: string, field: string): string => (path ? `${path}.${field}` : field);

// ---- Schema errors → readable messages ------------------------------------------------------------------------------

function describeSchema(s: unknown): string {
  const schema = (s ?? {}) as Raw;
  if (schema.pattern === TEMPLATE_PATTERN) return 'a ${ … } template';
  if (Array.isArray(schema.enum)) return `one of: ${schema.enum.map(String).join(', ')}`;
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map(describeSchema).join(', or ');
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

const shortValue = (v: unknown): string => {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

function schemaMessage(e: ErrorObject, doc: unknown): Problem | undefined {
  const path = formatPath(doc, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: join2(path, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys(((e.parentSchema as Raw | undefined)?.properties as Raw | undefined) ?? {}).filter(
        (k) => k !== '$schema',
      );
      return {
        path: join2(path, String(p.additionalProperty)),
        message: `is not a known field here; use: ${known.join(', ')}`,
      };
    }
    case 'discriminator':
      if (p.error === 'mapping') {
        const kinds = ((e.parentSchema as Raw).oneOf as { $ref: string }[]).map((r) =>
          r.$ref.replace(/^.*\/(\w+)Step$/, '$1'),
        );
        return {
          path: join2(path, 'kind'),
          message: `'${shortValue(p.tagValue)}' is not a step kind; use one of: ${kinds.join(', ')}`,
        };
      }
      // A missing kind is already reported by `required`.
      return p.tagValue === undefined ? undefined : { path: join2(path, 'kind'), message: 'must be a string' };
    case 'type':
      return { path, message: `must be ${describeSchema({ type: p.type })}` };
    case 'enum':
      return {
        path,
        message: `'${shortValue(e.data)}' is not valid; use one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    case 'pattern':
      if (typeof p.propertyName === 'string') return undefined;
      return { path, message: PATTERN_MESSAGES[String(p.pattern)] ?? `must match ${String(p.pattern)}` };
    case 'minItems':
      return { path, message: p.limit === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} items` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'minProperties':
      if (path === 'triggers') return { path, message: 'must declare at least one trigger: schedule, http or webhook' };
      return {
        path,
        message: `must set at least one of: ${Object.keys(((e.parentSchema as Raw).properties as Raw | undefined) ?? {}).join(', ')}`,
      };
    case 'minimum':
      return { path, message: `must be at least ${String(p.limit)}` };
    case 'maximum':
      return { path, message: `must be at most ${String(p.limit)}` };
    case 'uniqueItems':
      return { path, message: 'must not list the same value twice' };
    case 'propertyNames':
      return {
        path: join2(path, String(p.propertyName)),
        message: PATTERN_MESSAGES[String(((e.schema as Raw | undefined) ?? {}).pattern)] ?? 'is not a valid name',
      };
    case 'oneOf':
    case 'const':
    case 'if':
      return undefined;
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/**
 * Ajv reports every failing branch of an anyOf. When one branch failed only deeper inside the value (the value had
 * the right shape), its errors are the useful ones; otherwise one message lists what the value may be.
 */
function schemaProblems(errors: ErrorObject[], doc: unknown): Problem[] {
  const consumed = new Set<ErrorObject>();
  const replacements = new Map<ErrorObject, Problem>();
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const a of anyOfs) {
    if (consumed.has(a)) continue;
    const inside = errors.filter((e) => e !== a && e.schemaPath.startsWith(`${a.schemaPath}/`));
    inside.forEach((e) => consumed.add(e));
    consumed.add(a);
    const branches = a.schema as Raw[];
    const branchErrors = branches.map((_, i) => inside.filter((e) => e.schemaPath.startsWith(`${a.schemaPath}/${i}/`)));
    // 1. A branch that failed deeper inside the value had the right shape: its deeper errors are the useful ones.
    // 2. A branch (other than the template) of the right type that failed a constraint (an empty list): same.
    const deeper = (errs: ErrorObject[]): ErrorObject[] =>
      errs.filter((e) => e.instancePath.length > a.instancePath.length && e.keyword !== 'anyOf');
    const keep =
      branchErrors.map(deeper).find((errs) => errs.length > 0) ??
      branchErrors.find(
        (errs, i) =>
          branches[i]?.pattern !== TEMPLATE_PATTERN &&
          errs.length > 0 &&
          errs.every((e) => e.keyword !== 'type' && e.keyword !== 'enum' && e.keyword !== 'anyOf'),
      );
    if (keep) {
      keep.forEach((e) => consumed.delete(e));
      continue;
    }
    const described = branches.map(describeSchema);
    const hasEnum = branches.some((b) => Array.isArray(b.enum) || Array.isArray(b.anyOf));
    const path = formatPath(doc, a.instancePath);
    const problem: Problem =
      hasEnum && typeof a.data === 'string'
        ? { path, message: `'${shortValue(a.data)}' is not valid; use ${described.join(', or ')}` }
        : { path, message: `must be ${described.join(', or ')}` };
    replacements.set(a, problem);
    consumed.delete(a);
  }
  const out: Problem[] = [];
  for (const e of errors) {
    if (consumed.has(e)) continue;
    const p = replacements.get(e) ?? schemaMessage(e, doc);
    if (p) out.push(p);
  }
  return out;
}

// ---- Semantic checks and compilation -----------------------------------------------------------------------------

interface Compiler {
  queries: QueryLibrary;
  problems: Problem[];
  allIds: ReadonlyMap<string, string>;
  inputFields: Set<string>;
  scheduled: boolean;
  /** The API the workflows will run on (DEFENDER_API), when known: steps it has no endpoint for are refused. */
  backend: ApiBackend | undefined;
}

/** Options of the loaders. */
export interface LoadOptions {
  /** DEFENDER_API: a step the API cannot serve (Graph-only alert steps on legacy) is a load-time problem. */
  backend?: ApiBackend | undefined;
  /** The registry's tenant keys (TENANTS): a `tenants:` entry naming another is a load-time problem. */
  tenants?: readonly string[] | undefined;
}

function collectIds(steps: Raw[], seen: Map<string, string>, basePath: string, problems: Problem[]): void {
  steps.forEach((s, i) => {
    const id = String(s.id);
    const path = `${basePath}[${i}] (${id})`;
    const first = seen.get(id);
    if (first !== undefined)
      problems.push({ path: `${path}.id`, message: `duplicate step id '${id}' (first used at ${first})` });
    else seen.set(id, path);
    const input = (s.input ?? {}) as Raw;
    for (const list of ['steps', 'then', 'else'] as const) {
      if (Array.isArray(input[list])) collectIds(input[list] as Raw[], seen, `${path}.input.${list}`, problems);
    }
  });
}

function compileSteps(
  c: Compiler,
  raw: Raw[],
  basePath: string,
  outerVisible: readonly string[],
  inForEach: boolean,
): Step[] {
  const visible = [...outerVisible];
  const steps: Step[] = [];
  raw.forEach((r, i) => {
    const id = String(r.id);
    const path = `${basePath}[${i}] (${id})`;
    const scope: ReferenceScope = {
      visible: new Set(visible),
      all: c.allIds,
      inForEach,
      inputFields: c.inputFields,
      scheduled: c.scheduled,
    };
    const at =
      (rel: string) =>
      (message: string): void => {
        c.problems.push({ path: `${path}${rel}`, message });
      };
    const base = {
      id,
      path,
      onError: r.onError === 'continue' ? ('continue' as const) : ('fail' as const),
      ...(typeof r.description === 'string' ? { description: r.description } : {}),
      ...(typeof r.if === 'string' ? { when: compileExpressionField(r.if, scope, at('.if')) } : {}),
    };
    const input = (r.input ?? {}) as Raw;
    const kind = String(r.kind);
    if (kind === 'forEach') {
      const items = compileExpressionField(String(input.items), scope, at('.input.items'));
      const body = compileSteps(c, input.steps as Raw[], `${path}.input.steps`, visible, true);
      if (items)
        steps.push({
          ...base,
          kind,
          items,
          concurrency: (input.concurrency as number | undefined) ?? DEFAULT_CONCURRENCY,
          steps: body,
        });
    } else if (kind === 'if') {
      const condition = compileExpressionField(String(input.condition), scope, at('.input.condition'));
      const then = compileSteps(c, input.then as Raw[], `${path}.input.then`, visible, inForEach);
      const otherwise = Array.isArray(input.else)
        ? compileSteps(c, input.else as Raw[], `${path}.input.else`, visible, inForEach)
        : [];
      if (condition) steps.push({ ...base, kind, condition, then, else: otherwise });
    } else if (kind === 'stop') {
      const reason = compileValue(input.reason, scope, (rel, m) => at(`.input.reason${rel}`)(m));
      steps.push({ ...base, kind, reason });
    } else {
      const action = ACTIONS[kind as ActionKind];
      const report = (rel: string, m: string): void => at(`.input${rel}`)(m);
      const compiled = compileValue(r.input ?? {}, scope, report);
      action.check?.(compiled, { queries: c.queries }, report);
      if (action.graphOnly && c.backend === 'legacy') {
        c.problems.push({
          path: `${path}.kind`,
          message: `${kind} uses Microsoft Graph (${action.graphOnly}), which the legacy Defender API has no endpoint for: set DEFENDER_API=graph (the app then needs Graph's SecurityIncident.*, ThreatHunting.Read.All and SecurityAlert.* permissions)`,
        });
      }
      const approval = stepApproval(r.approval);
      steps.push({ ...base, kind: kind as ActionKind, input: compiled, ...(approval ? { approval } : {}) });
    }
    visible.push(id);
  });
  return steps;
}

/** The step's `approval:` (the schema has checked its shape; only destructive kinds allow it). */
function stepApproval(raw: unknown): StepApproval | undefined {
  if (raw === 'none') return { mode: 'none' };
  if (!raw || typeof raw !== 'object') return undefined;
  const a = raw as Raw;
  return {
    mode: 'ask',
    ...(typeof a.teams === 'string' ? { teamsSecret: a.teams } : {}),
    ...(typeof a.callback === 'string' ? { callbackSecret: a.callback } : {}),
    ...(typeof a.expiresIn === 'string' ? { expiresInMs: parseDuration(a.expiresIn) } : {}),
  };
}

const TYPE_CHECKS: Record<InputField['type'], (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
};

function compileInput(raw: Raw | undefined, problems: Problem[]): InputField[] {
  return Object.entries(raw ?? {}).map(([name, def]) => {
    const d = def as Raw;
    const field: InputField = { name, type: d.type as InputField['type'], required: d.required === true };
    const path = `input.${name}`;
    if (Array.isArray(d.enum)) {
      field.enum = d.enum;
      d.enum.forEach((v, i) => {
        if (!TYPE_CHECKS[field.type](v))
          problems.push({ path: `${path}.enum[${i}]`, message: `must be ${TYPE_WORDS[field.type]} like the field` });
      });
    }
    if (d.default !== undefined) {
      if (!TYPE_CHECKS[field.type](d.default))
        problems.push({ path: `${path}.default`, message: `must be ${TYPE_WORDS[field.type]} like the field` });
      else if (field.enum && !field.enum.some((v) => JSON.stringify(v) === JSON.stringify(d.default))) {
        problems.push({ path: `${path}.default`, message: 'must be one of the enum values' });
      }
      field.default = d.default;
    }
    if ((d.minimum !== undefined || d.maximum !== undefined) && field.type !== 'integer' && field.type !== 'number') {
      problems.push({ path, message: 'minimum and maximum apply only to integer and number fields' });
    }
    if (typeof d.minimum === 'number') field.minimum = d.minimum;
    if (typeof d.maximum === 'number') field.maximum = d.maximum;
    if (typeof d.description === 'string') field.description = d.description;
    return field;
  });
}

function compileWindow(raw: Raw | undefined, scheduled: boolean, problems: Problem[]): WindowSettings {
  if (!raw) return {};
  if (!scheduled)
    problems.push({
      path: 'window',
      message: 'applies only to scheduled workflows; add triggers.schedule or remove it',
    });
  const out: WindowSettings = {};
  const ms = (k: string): number | undefined => (typeof raw[k] === 'string' ? parseDuration(raw[k]) : undefined);
  const delay = ms('ingestionDelay');
  const initial = ms('initialLookback');
  const max = ms('maxWindow');
  if (delay !== undefined) out.ingestionDelayMs = delay;
  if (initial !== undefined) out.initialLookbackMs = initial;
  if (max !== undefined) {
    if (max === 0) problems.push({ path: 'window.maxWindow', message: 'must be longer than zero' });
    if (max > 30 * 86_400_000)
      problems.push({ path: 'window.maxWindow', message: 'must be at most P30D (advanced hunting keeps 30 days)' });
    out.maxWindowMs = max;
  }
  return out;
}

/**
 * Parses and validates one workflow.
 * @param text - the file's YAML.
 * @param file - the name used in messages.
 * @throws {WorkflowError} listing every problem as "<file>: <path>: <message>".
 */
export function parseWorkflow(text: string, file: string, queries: QueryLibrary, options: LoadOptions = {}): Workflow {
  const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new WorkflowError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  let data: unknown;
  try {
    // Aliases are capped so a "billion laughs" file cannot exhaust memory.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new WorkflowError([`${file}: invalid YAML: ${(e as Error).message}`]);
  }
  const lines = (problems: Problem[]): string[] => [
    ...new Set(problems.map((p) => `${file}: ${p.path ? `${p.path}: ` : ''}${p.message}`)),
  ];
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new WorkflowError([`${file}: must be a YAML mapping (name, triggers, steps)`]);
  const schemaErrors = validateSchema(data);
  if (schemaErrors.length > 0) throw new WorkflowError(lines(schemaProblems(schemaErrors, data)));

  const raw = data as Raw;
  const problems: Problem[] = [];
  const triggers = raw.triggers as WorkflowTriggers;
  if (triggers.schedule !== undefined) {
    const m = checkNcrontab(triggers.schedule);
    if (m) problems.push({ path: 'triggers.schedule', message: m });
  }
  if (triggers.http === false && Object.keys(triggers).length === 1) {
    problems.push({ path: 'triggers', message: 'must declare at least one trigger: schedule, http or webhook' });
  }
  const scheduled = triggers.schedule !== undefined;
  const input = compileInput(raw.input as Raw | undefined, problems);
  const window = compileWindow(raw.window as Raw | undefined, scheduled, problems);
  const ids = new Map<string, string>();
  collectIds(raw.steps as Raw[], ids, 'steps', problems);
  const compiler: Compiler = {
    queries,
    problems,
    allIds: ids,
    inputFields: new Set(input.map((f) => f.name)),
    scheduled,
    backend: options.backend,
  };
  const steps = compileSteps(compiler, raw.steps as Raw[], 'steps', [], false);
  const tenants = Array.isArray(raw.tenants) ? (raw.tenants as string[]) : 'all';
  if (tenants !== 'all' && options.tenants)
    for (const key of tenants)
      if (!options.tenants.includes(key))
        problems.push({
          path: 'tenants',
          message: `unknown tenant '${key}' (the registry has: ${options.tenants.join(', ')})`,
        });
  if (problems.length > 0) throw new WorkflowError(lines(problems));
  return {
    name: String(raw.name),
    description: typeof raw.description === 'string' ? raw.description : '',
    file,
    triggers,
    input,
    window,
    dryRun: raw.dryRun === true,
    tenants,
    steps,
  };
}

/** Reads and validates one file. @throws {WorkflowError} */
export async function loadWorkflowFile(
  path: string,
  queries: QueryLibrary,
  options: LoadOptions = {},
): Promise<Workflow> {
  return parseWorkflow(await readFile(path, 'utf8'), path, queries, options);
}

/**
 * Loads every `*.yaml` / `*.yml` in a folder (not recursive).
 * @returns workflows by name.
 * @throws {WorkflowError} listing the problems of every invalid file, and duplicate names.
 */
export async function loadWorkflows(
  dir: string,
  queries: QueryLibrary,
  options: LoadOptions = {},
): Promise<Map<string, Workflow>> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/i.test(f)).sort();
  const out = new Map<string, Workflow>();
  const problems: string[] = [];
  for (const f of files) {
    const path = join(dir, f);
    try {
      const wf = await loadWorkflowFile(path, queries, options);
      const other = out.get(wf.name);
      if (other) problems.push(`${path}: name: '${wf.name}' is already used by ${other.file}`);
      else out.set(wf.name, wf);
    } catch (e) {
      if (e instanceof WorkflowError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw new WorkflowError(problems);
  return out;
}
