// Incident updates shared by both APIs: each API validates its own body into an IncidentChange, then this applies it
// (classification/determination compatibility, timestamps, comments, resolving alerts on resolve).
import { compatibleDeterminations, isCompatible } from './enums';
import type { Classification, Determination, IncidentStatus, Severity, StoredIncident } from './model';
import { defenderTime } from '../timeFormat';

export interface IncidentChange {
  status?: IncidentStatus;
  assignedTo?: string | null;
  classification?: Classification;
  determination?: Determination;
  severity?: Severity;
  customTags?: string[];
  displayName?: string;
  description?: string | null;
  summary?: string | null;
  resolvingComment?: string | null;
  comment?: string;
}

/** Returns a message when the change would leave an incompatible classification/determination pair. */
export function checkDetermination(
  incident: StoredIncident,
  change: IncidentChange,
  show: { classification: (c: Classification) => string; determination: (d: Determination) => string },
): string | undefined {
  if (change.determination === undefined) return undefined;
  const classification = change.classification ?? incident.classification;
  if (isCompatible(classification, change.determination)) return undefined;
  const allowed = compatibleDeterminations(classification).filter((d) => d !== 'unknown');
  return (
    `Determination '${show.determination(change.determination)}' is not valid with classification ` +
    `'${show.classification(classification)}'.` +
    (allowed.length > 0 ? ` Allowed: ${allowed.map(show.determination).join(', ')}.` : ' Set a classification first.')
  );
}

export function applyChange(incident: StoredIncident, change: IncidentChange, by: string, now: Date): void {
  const at = defenderTime(now);
  if (change.status !== undefined) {
    incident.status = change.status;
    if (change.status === 'resolved') {
      for (const a of incident.alerts) {
        if (a.status !== 'resolved') {
          a.status = 'resolved';
          a.resolvedDateTime = at;
          a.lastUpdateDateTime = at;
        }
      }
    }
  }
  if (change.assignedTo !== undefined) incident.assignedTo = change.assignedTo === '' ? null : change.assignedTo;
  if (change.classification !== undefined) {
    incident.classification = change.classification;
    // A classification change without a determination drops a determination that no longer fits.
    if (change.determination === undefined && !isCompatible(change.classification, incident.determination)) {
      incident.determination = 'unknown';
    }
  }
  if (change.determination !== undefined) incident.determination = change.determination;
  if (change.severity !== undefined) incident.severity = change.severity;
  if (change.customTags !== undefined) incident.customTags = [...change.customTags];
  if (change.displayName !== undefined) incident.displayName = change.displayName;
  if (change.description !== undefined) incident.description = change.description;
  if (change.summary !== undefined) incident.summary = change.summary;
  if (change.resolvingComment !== undefined) incident.resolvingComment = change.resolvingComment;
  if (change.comment !== undefined)
    incident.comments.push({ comment: change.comment, createdBy: by, createdDateTime: at });
  if (Object.keys(change).length > 0) {
    incident.lastUpdateDateTime = at;
    incident.lastModifiedBy = by;
  }
}
