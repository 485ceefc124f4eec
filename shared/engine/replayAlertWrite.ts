// Finishes a pending alert write (updateAlert, commentAlert) from its recorded intent: re-reads the alert, PATCHes
// what still differs, and adds the marked comment unless the alert already shows its marker. The alert-side twin
// of replayWrites' incident path.
import type { AlertsClient, AlertUpdate } from '../defender/alertTypes';
import { alertPatchBody } from '../defender/alertsClient';
import type { IncidentComment } from '../defender/types';
import { AppError } from '../errors';
import { computeAlertPatch } from '../steps/updateAlert';

/** What a replay did so far, kept up to date as it goes, so a failure half way still reports what landed. */
export interface AlertReplayProgress {
  /** The alert's incident, once the alert was read. */
  incidentId: string;
  /** The PATCH body ({} when nothing differed). */
  patch: Record<string, unknown>;
  /** The PATCH landed. */
  patched: boolean;
}

/**
 * @returns whether the comment was added.
 * @throws whatever the API throws; `progress` then says what had landed.
 */
export async function replayAlertWrite(
  alerts: AlertsClient | undefined,
  intent: { alertId: string; alertUpdate?: AlertUpdate; comment?: string },
  markerId: string,
  hasMarker: (comments: readonly IncidentComment[], markerId: string) => boolean,
  call: { signal?: AbortSignal | undefined },
  progress: AlertReplayProgress,
): Promise<boolean> {
  if (!alerts)
    throw new AppError('CONFIG_INVALID', 'a pending alert write needs Microsoft Graph (DEFENDER_API=graph) to finish');
  const alert = await alerts.getAlert(intent.alertId, call);
  progress.incidentId = alert.incidentId ?? '';
  const patch = intent.alertUpdate ? computeAlertPatch(alert, intent.alertUpdate) : {};
  progress.patch = alertPatchBody(patch);
  if (Object.keys(progress.patch).length > 0) {
    await alerts.updateAlert(intent.alertId, patch, call);
    progress.patched = true;
  }
  const addComment = intent.comment !== undefined && !hasMarker(alert.comments, markerId);
  if (addComment && intent.comment !== undefined) await alerts.addAlertComment(intent.alertId, intent.comment, call);
  return addComment;
}
