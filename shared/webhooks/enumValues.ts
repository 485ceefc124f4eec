// Defender enum values as ticket senders write them: any case, with spaces, dashes or underscores, and the
// spellings Defender's own pages use (defender-api.md §1.3). Domain values are the camelCase lists in
// shared/defender/types.ts.
import { CLASSIFICATIONS, DETERMINATIONS } from '../defender/types';
import type { SettableStatus, UpdatableClassification, UpdatableDetermination } from './types';

export const SETTABLE_STATUSES: readonly SettableStatus[] = ['active', 'inProgress', 'resolved'];

/** Determinations Defender accepts per classification (api-update-incidents.md). */
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

const squash = (s: string): string => s.replace(/[\s_-]/g, '').toLowerCase();

function index<T extends string>(values: readonly T[], aliases: Record<string, T> = {}): Map<string, T> {
  const m = new Map<string, T>();
  for (const v of values) m.set(squash(v), v);
  for (const [alias, v] of Object.entries(aliases)) m.set(squash(alias), v);
  return m;
}

const STATUS_INDEX = index(SETTABLE_STATUSES);
const CLASSIFICATION_INDEX = index(CLASSIFICATIONS);
const DETERMINATION_INDEX = index(DETERMINATIONS, {
  compromisedUser: 'compromisedAccount',
  confirmedUserActivity: 'confirmedActivity',
  notMalicious: 'clean',
  noEnoughDataToValidate: 'insufficientData',
  notEnoughDataToValidate: 'insufficientData',
});

export const parseSettableStatus = (s: string): SettableStatus | undefined => STATUS_INDEX.get(squash(s));
export const parseClassification = (s: string): UpdatableClassification | undefined =>
  CLASSIFICATION_INDEX.get(squash(s));
export const parseDetermination = (s: string): UpdatableDetermination | undefined =>
  DETERMINATION_INDEX.get(squash(s));

/** The reason a determination cannot go with a classification, or undefined when it can. */
export function determinationProblem(
  classification: UpdatableClassification,
  determination: UpdatableDetermination,
): string | undefined {
  const allowed = DETERMINATIONS_BY_CLASSIFICATION[classification];
  return allowed.includes(determination)
    ? undefined
    : `determination '${determination}' is not allowed with classification '${classification}'; use one of: ${allowed.join(', ')}`;
}
