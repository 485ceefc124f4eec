// Defender enum values as ticket senders write them, narrowed to what a ticket change may set. Spelling rules
// (any case, spaces, dashes, underscores, the aliases Defender's pages use) live in shared/defender/enums.ts, and
// the determinations allowed per classification in shared/defender/validateUpdate.ts.
import {
  parseClassification as anyClassification,
  parseDetermination as anyDetermination,
  parseStatus,
} from '../defender/enums';
import { CLASSIFICATIONS, DETERMINATIONS } from '../defender/types';
import { DETERMINATIONS_BY_CLASSIFICATION } from '../defender/validateUpdate';
import type { SettableStatus, UpdatableClassification, UpdatableDetermination } from './types';

export { DETERMINATIONS_BY_CLASSIFICATION };

/** Incident statuses a ticket change may set (not `redirected`: only Defender merges incidents). */
export const SETTABLE_STATUSES: readonly SettableStatus[] = ['active', 'inProgress', 'resolved'];

const among = <T extends string>(list: readonly T[], v: string | undefined): T | undefined =>
  (list as readonly string[]).includes(v ?? '') ? (v as T) : undefined;

/** Sender spelling → settable status; undefined if unknown or not settable from a ticket. */
export const parseSettableStatus = (s: string): SettableStatus | undefined => among(SETTABLE_STATUSES, parseStatus(s));
/** Sender spelling → classification; `unknown` is not one a ticket can set. */
export const parseClassification = (s: string): UpdatableClassification | undefined =>
  among(CLASSIFICATIONS, anyClassification(s));
/** Sender spelling → determination; the retired `apt` / `securityPersonnel` and `unknown` are refused. */
export const parseDetermination = (s: string): UpdatableDetermination | undefined =>
  among(DETERMINATIONS, anyDetermination(s));

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
