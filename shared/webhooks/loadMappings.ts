// Loads mappings/<source>.yaml: YAML → JSON Schema (schemas/mapping.schema.json) → rules the schema cannot say
// (regexes compile, determinations fit their classification, table keys are unique in any case). Every problem
// in every file is reported at once, each as "<file>: <JSON pointer>: <what is wrong>".
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import schema from '../../schemas/mapping.schema.json';
import { ConfigError } from '../errors';
import { determinationProblem } from './enumValues';
import { tableKey } from './fieldPath';
import {
  isWebhookSource,
  WEBHOOK_SOURCES,
  type AssigneeRule,
  type ClassificationRule,
  type IncidentIdRule,
  type SettableStatus,
  type SourceMapping,
  type StatusRule,
  type StatusTarget,
  type TenantRoute,
  type UpdatableClassification,
  type UpdatableDetermination,
  type Verdict,
  type WebhookSource,
} from './types';

// The shapes the schema admits (checked by ajv before these types are trusted).
interface RawVerdict {
  classification: UpdatableClassification;
  determination?: UpdatableDetermination;
}
type RawStatusTarget = SettableStatus | (RawVerdict & { status: SettableStatus });
type RawStatusMap = Record<string, RawStatusTarget>;
interface RawRules {
  incidentId: { field: string; pattern?: string; when?: { field: string; equals: string | string[] } }[];
  status?: { field: string; map: RawStatusMap; byRecordType?: Record<string, RawStatusMap> };
  assignee?: { fields: string[]; users?: Record<string, string> };
  classification?: { from?: { field: string; map: Record<string, RawVerdict> }[]; default?: RawVerdict };
  echo?: { actors?: string[]; actorField?: string };
  tenant?: RawTenantRoute;
}
type RawTenantRoute = string | { field: string; map: Record<string, string> };
interface RawJira extends RawRules {
  source: 'jira';
  comments?: {
    enabled?: boolean;
    visibility?: 'all' | 'public' | 'internal';
    from?: 'issue_updated' | 'comment_created';
  };
  issueCreated?: 'apply' | 'ignore';
}
interface RawServiceNow extends RawRules {
  source: 'servicenow';
  ticketIdField?: string;
  recordTypeField?: string;
  changedFieldsField?: string;
  occurredAtField?: string;
  comments?: { fields: string[] };
  resolution?: { notesField: string; codeField?: string; codeLabels?: Record<string, string> };
}
interface RawGeneric {
  source: 'generic';
  eventTypes?: string[];
  status?: { aliases?: Record<string, SettableStatus> };
  echo?: { actors?: string[] };
  tenant?: RawTenantRoute;
}
type RawMapping = RawJira | RawServiceNow | RawGeneric;

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile<RawMapping>(schema);

/** JSON Pointer escaping, as ajv writes `instancePath`. */
function pointer(...parts: (string | number)[]): string {
  return parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

// What the schema's regexes mean, in words.
const PATTERN_MEANING: Record<string, string> = {
  [schema.$defs.fieldPath.pattern]: 'must be a field path such as assigned_to.email (no spaces, no empty parts)',
  [schema.$defs.assignee.properties.users.additionalProperties.pattern]: 'must be a UPN such as ana@contoso.com',
  [schema.$defs.generic.properties.eventTypes.items.pattern]:
    'must be an event type such as ticket.updated, a prefix such as ticket.*, or *',
};

function describeAjvError(e: ErrorObject): string | undefined {
  const at = e.instancePath || '/';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if': // the failing branch reports its own, more precise error
      return undefined;
    case 'additionalProperties':
      return `${e.instancePath}${pointer(String(p.additionalProperty))}: is not a known key here`;
    case 'required':
      return `${e.instancePath}${pointer(String(p.missingProperty))}: is required`;
    case 'enum':
      return `${at}: must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `${at}: must be '${String(p.allowedValue)}'`;
    case 'pattern':
      return `${at}: ${PATTERN_MEANING[String(p.pattern)] ?? e.message}`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

/**
 * Validates and compiles one mapping document (already parsed from YAML).
 * @param file - shown in messages, e.g. `mappings/jira.yaml`.
 * @throws {ConfigError} listing every problem as `<file>: <pointer>: <message>`.
 */
export function compileMapping(raw: unknown, file: string): SourceMapping {
  if (!validate(raw)) {
    const problems = [...new Set((validate.errors ?? []).map(describeAjvError).filter((m) => m !== undefined))];
    throw new ConfigError(problems.map((m) => `${file}: ${m}`));
  }
  const problems: string[] = [];
  const report: Report = (at, message) => problems.push(`${file}: ${at}: ${message}`);
  const mapping = build(raw, file, report);
  if (problems.length > 0) throw new ConfigError(problems);
  if (raw.tenant === undefined) return mapping;
  const tenant: TenantRoute =
    typeof raw.tenant === 'string'
      ? { fixed: raw.tenant }
      : { field: raw.tenant.field, map: table(raw.tenant.map, pointer('tenant', 'map'), report, (v) => v) };
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...mapping, tenant };
}

type Report = (at: string, message: string) => void;

function build(raw: RawMapping, file: string, report: Report): SourceMapping {
  const echoActors = new Set((raw.echo?.actors ?? []).map(tableKey));
  if (raw.source === 'generic') {
    return {
      source: 'generic',
      file,
      echoActors,
      statusAliases: table(raw.status?.aliases ?? {}, pointer('status', 'aliases'), report, (v) => v),
      ...(raw.eventTypes ? { eventTypes: [...new Set(raw.eventTypes)] } : {}),
    };
  }
  const rules = {
    incidentId: raw.incidentId.map((r, i) => incidentIdRule(r, pointer('incidentId', i), report)),
    ...(raw.status ? { status: statusRule(raw.status, report) } : {}),
    ...(raw.assignee ? { assignee: assigneeRule(raw.assignee, report) } : {}),
    ...(raw.classification ? { classification: classificationRule(raw.classification, report) } : {}),
  };
  if (raw.source === 'jira') {
    return {
      source: 'jira',
      file,
      echoActors,
      ...rules,
      comments: {
        enabled: raw.comments?.enabled ?? true,
        visibility: raw.comments?.visibility ?? 'all',
        from: raw.comments?.from ?? 'issue_updated',
      },
      applyIssueCreated: raw.issueCreated === 'apply',
    };
  }
  return {
    source: 'servicenow',
    file,
    echoActors,
    ...rules,
    ticketIdField: raw.ticketIdField ?? 'number',
    ...(raw.recordTypeField ? { recordTypeField: raw.recordTypeField } : {}),
    ...(raw.changedFieldsField ? { changedFieldsField: raw.changedFieldsField } : {}),
    occurredAtField: raw.occurredAtField ?? 'sys_updated_on',
    actorField: raw.echo?.actorField ?? 'sys_updated_by',
    commentFields: raw.comments?.fields ?? [],
    ...(raw.resolution
      ? {
          resolution: {
            notesField: raw.resolution.notesField,
            ...(raw.resolution.codeField ? { codeField: raw.resolution.codeField } : {}),
            codeLabels: table(raw.resolution.codeLabels ?? {}, pointer('resolution', 'codeLabels'), report, (v) =>
              v.trim(),
            ),
          },
        }
      : {}),
  };
}

/** A lookup table with trimmed, lower-cased keys; two keys equal in that form are a problem. */
function table<R, T>(
  src: Record<string, R>,
  at: string,
  report: Report,
  convert: (v: R, at: string) => T,
): Map<string, T> {
  const out = new Map<string, T>();
  const firstKey = new Map<string, string>();
  for (const [key, value] of Object.entries(src)) {
    const k = tableKey(key);
    const here = `${at}${pointer(key)}`;
    const earlier = firstKey.get(k);
    if (earlier !== undefined) {
      report(here, `duplicates '${earlier}' (keys are compared trimmed and in any case)`);
      continue;
    }
    if (k === '') {
      report(here, 'must not be blank');
      continue;
    }
    firstKey.set(k, key);
    out.set(k, convert(value, here));
  }
  return out;
}

function verdict(v: RawVerdict, at: string, report: Report): Verdict {
  if (v.determination !== undefined) {
    const problem = determinationProblem(v.classification, v.determination);
    if (problem) report(`${at}/determination`, problem);
    return { classification: v.classification, determination: v.determination };
  }
  return { classification: v.classification };
}

function statusTarget(v: RawStatusTarget, at: string, report: Report): StatusTarget {
  if (typeof v === 'string') return { status: v };
  if (v.classification === undefined) return { status: v.status };
  return { status: v.status, verdict: verdict(v, at, report) };
}

function statusRule(raw: NonNullable<RawRules['status']>, report: Report): StatusRule {
  const byRecordType = new Map<string, ReadonlyMap<string, StatusTarget>>();
  for (const [recordType, map] of Object.entries(raw.byRecordType ?? {})) {
    const at = pointer('status', 'byRecordType', recordType);
    byRecordType.set(
      tableKey(recordType),
      table(map, at, report, (v, here) => statusTarget(v, here, report)),
    );
  }
  return {
    field: raw.field,
    map: table(raw.map, pointer('status', 'map'), report, (v, here) => statusTarget(v, here, report)),
    byRecordType,
  };
}

function incidentIdRule(raw: RawRules['incidentId'][number], at: string, report: Report): IncidentIdRule {
  const rule: IncidentIdRule = { field: raw.field };
  if (raw.pattern !== undefined) {
    try {
      // Case-insensitive: "Defender incident 12" and "defender-12" are written by people.
      rule.pattern = new RegExp(raw.pattern, 'i');
    } catch (e) {
      report(`${at}/pattern`, `is not a valid regular expression (${(e as Error).message})`);
    }
  }
  if (raw.when) {
    const equals = typeof raw.when.equals === 'string' ? [raw.when.equals] : raw.when.equals;
    rule.when = { field: raw.when.field, equals: equals.map(tableKey) };
  }
  return rule;
}

function assigneeRule(raw: NonNullable<RawRules['assignee']>, report: Report): AssigneeRule {
  return {
    fields: raw.fields,
    users: table(raw.users ?? {}, pointer('assignee', 'users'), report, (upn) => upn.trim()),
  };
}

function classificationRule(raw: NonNullable<RawRules['classification']>, report: Report): ClassificationRule {
  const from = (raw.from ?? []).map((r, i) => ({
    field: r.field,
    map: table(r.map, pointer('classification', 'from', i, 'map'), report, (v, here) => verdict(v, here, report)),
  }));
  return raw.default ? { from, default: verdict(raw.default, pointer('classification', 'default'), report) } : { from };
}

/**
 * Reads every `*.yaml` / `*.yml` file in `dir`; each must be named after its source (`jira.yaml`, …). Other files
 * (a README) are skipped. A source without a file has no mapping, and its deliveries cannot be parsed.
 * @throws {ConfigError} listing every problem in every file, each prefixed with `<dir name>/<file>`.
 */
export async function loadMappings(dir: string): Promise<Map<WebhookSource, SourceMapping>> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    throw new ConfigError([
      `mappings directory ${dir} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  const problems: string[] = [];
  const out = new Map<WebhookSource, SourceMapping>();
  for (const name of names) {
    const ext = extname(name);
    if (ext !== '.yaml' && ext !== '.yml') continue;
    const file = `${basename(dir)}/${name}`;
    const stem = basename(name, ext);
    if (!isWebhookSource(stem)) {
      problems.push(
        `${file}: the file name must be a source name (${WEBHOOK_SOURCES.map((s) => `${s}.yaml`).join(', ')})`,
      );
      continue;
    }
    if (out.has(stem)) {
      problems.push(`${file}: a second mapping for source '${stem}'`);
      continue;
    }
    let raw: unknown;
    try {
      raw = parseYaml(await readFile(join(dir, name), 'utf8'));
    } catch (e) {
      // The YAML library's first line names the problem and position; the rest is a source excerpt.
      const first = (e as Error).message.split('\n')[0] ?? 'cannot be parsed';
      problems.push(`${file}: ${first.trim().replace(/:$/, '')}`);
      continue;
    }
    try {
      const mapping = compileMapping(raw, file);
      if (mapping.source !== stem) {
        problems.push(`${file}: /source: is '${mapping.source}' but the file is named for '${stem}'`);
        continue;
      }
      out.set(stem, mapping);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
