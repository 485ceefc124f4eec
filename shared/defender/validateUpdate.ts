// Checks an incident update before any request is made, so a wrong workflow fails with the field's name instead
// of a 400 from the API halfway through a run. Enum values come back normalised to the domain's camelCase.
import { InputError } from '../errors';
import { parseClassification, parseDetermination, parseSeverity, parseStatus } from './enums';
import {
  CLASSIFICATIONS,
  DETERMINATIONS,
  SEVERITIES,
  type ApiBackend,
  type IncidentUpdate,
  type TagChange,
} from './types';

type UpdatableClassification = (typeof CLASSIFICATIONS)[number];
type UpdatableDetermination = (typeof DETERMINATIONS)[number];

/**
 * Determinations allowed per classification (api-update-incidents.md, defender-api.md §1.3). The same page also
 * says determination may be set only with TruePositive; the per-classification lists are the more specific rule
 * and Graph's resource accepts them, so those are enforced.
 */
export const DETERMINATIONS_BY_CLASSIFICATION: Readonly<
  Record<UpdatableClassification, readonly UpdatableDetermination[]>
> = {
  truePositive: [
    'multiStagedAttack',
    'maliciousUserActivity',
    'compromisedAccount',
    'malware',
    'phishing',
    'unwantedSoftware',
    'other',
  ],
  informationalExpectedActivity: ['securityTesting', 'lineOfBusinessApplication', 'confirmedActivity', 'other'],
  falsePositive: ['clean', 'insufficientData', 'other'],
};

/** Fields only the Graph PATCH accepts (the legacy PATCH knows status, assignedTo, classification, determination, tags, comment). */
export const GRAPH_ONLY_FIELDS = ['severity', 'displayName', 'description', 'summary', 'resolvingComment'] as const;

const UPDATE_FIELDS = [
  'status',
  'assignedTo',
  'classification',
  'determination',
  'tags',
  'comment',
  ...GRAPH_ONLY_FIELDS,
] as const;
const SETTABLE_STATUSES = ['active', 'inProgress', 'resolved', 'redirected'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(field: string, v: unknown, { allowEmpty }: { allowEmpty: boolean }): string {
  if (typeof v !== 'string') throw new InputError(field, `${field} must be a string`);
  if (!allowEmpty && v.trim() === '') throw new InputError(field, `${field} must not be empty`);
  return v;
}

function tagList(field: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new InputError(field, `${field} must be a list of tags`);
  return v.map((t, i) => {
    if (typeof t !== 'string' || t.trim() === '')
      throw new InputError(`${field}[${i}]`, `${field}[${i}] must be a non-empty string`);
    return t.trim();
  });
}

function validateTags(v: unknown): TagChange {
  if (!isRecord(v)) throw new InputError('tags', 'tags must be an object with add, remove or replace');
  for (const key of Object.keys(v)) {
    if (!['add', 'remove', 'replace'].includes(key)) {
      throw new InputError(`tags.${key}`, `tags.${key} is not supported: use tags.add, tags.remove or tags.replace`);
    }
  }
  const out: TagChange = {};
  if (v.add !== undefined) out.add = tagList('tags.add', v.add);
  if (v.remove !== undefined) out.remove = tagList('tags.remove', v.remove);
  if (v.replace !== undefined) {
    if (out.add || out.remove) {
      throw new InputError(
        'tags.replace',
        'tags.replace cannot be combined with tags.add or tags.remove: replace sets the whole list',
      );
    }
    out.replace = tagList('tags.replace', v.replace);
  } else if ((out.add?.length ?? 0) + (out.remove?.length ?? 0) === 0) {
    throw new InputError('tags', 'tags changes nothing: give tags.add, tags.remove or tags.replace');
  }
  return out;
}

function oneOf<T extends string>(field: string, parsed: string | undefined, raw: unknown, allowed: readonly T[]): T {
  if (parsed === undefined || !(allowed as readonly string[]).includes(parsed)) {
    throw new InputError(field, `${field} '${String(raw)}' is not valid; use one of: ${allowed.join(', ')}`);
  }
  return parsed as T;
}

/**
 * @param update - the caller's update (typically from a workflow file; checked at runtime, any enum case accepted).
 * @param backend - Graph-only fields are refused on the legacy API.
 * @returns the update with enum values normalised and absent fields dropped.
 * @throws {InputError} whose `field` names the offending field (`determination`, `tags.replace`, `severity`…).
 */
export function validateUpdate(update: unknown, backend: ApiBackend): IncidentUpdate {
  if (!isRecord(update)) throw new InputError('update', 'update must be an object');
  const given = Object.entries(update).filter(([, v]) => v !== undefined);
  for (const [key] of given) {
    if (!(UPDATE_FIELDS as readonly string[]).includes(key)) {
      throw new InputError(
        key,
        `${key} is not an incident field that can be updated; use: ${UPDATE_FIELDS.join(', ')}`,
      );
    }
  }
  if (given.length === 0)
    throw new InputError('update', `update is empty: set at least one of ${UPDATE_FIELDS.join(', ')}`);
  if (backend === 'legacy') {
    for (const field of GRAPH_ONLY_FIELDS) {
      if (update[field] !== undefined) {
        throw new InputError(
          field,
          `${field} can only be updated through the Graph API (DEFENDER_API=graph); the legacy Defender API cannot set it`,
        );
      }
    }
  }

  const out: IncidentUpdate = {};
  if (update.status !== undefined) {
    out.status = oneOf('status', parseStatus(update.status), update.status, SETTABLE_STATUSES);
  }
  if (update.assignedTo !== undefined)
    out.assignedTo = text('assignedTo', update.assignedTo, { allowEmpty: true }).trim();
  if (update.classification !== undefined) {
    out.classification = oneOf(
      'classification',
      parseClassification(update.classification),
      update.classification,
      CLASSIFICATIONS,
    );
  }
  if (update.determination !== undefined) {
    const determination = oneOf(
      'determination',
      parseDetermination(update.determination),
      update.determination,
      DETERMINATIONS,
    );
    if (!out.classification) {
      throw new InputError(
        'determination',
        `determination '${determination}' needs classification in the same update (truePositive, informationalExpectedActivity or falsePositive)`,
      );
    }
    const allowed = DETERMINATIONS_BY_CLASSIFICATION[out.classification];
    if (!allowed.includes(determination)) {
      throw new InputError(
        'determination',
        `determination '${determination}' is not allowed with classification '${out.classification}'; use one of: ${allowed.join(', ')}`,
      );
    }
    out.determination = determination;
  }
  if (update.tags !== undefined) out.tags = validateTags(update.tags);
  if (update.comment !== undefined) out.comment = text('comment', update.comment, { allowEmpty: false });
  if (update.severity !== undefined)
    out.severity = oneOf('severity', parseSeverity(update.severity), update.severity, SEVERITIES);
  if (update.displayName !== undefined)
    out.displayName = text('displayName', update.displayName, { allowEmpty: false });
  if (update.description !== undefined) out.description = text('description', update.description, { allowEmpty: true });
  if (update.summary !== undefined) out.summary = text('summary', update.summary, { allowEmpty: true });
  if (update.resolvingComment !== undefined) {
    out.resolvingComment = text('resolvingComment', update.resolvingComment, { allowEmpty: true });
  }
  return out;
}
