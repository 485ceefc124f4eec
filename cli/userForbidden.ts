// --user: a 403 from the Defender API means Defender's RBAC refused the signed-in analyst (no role, or no device-group
// access, for that call: identity-modes.md §6). The run report has the API's answer; this says it about the person.
import type { RunReport } from '../shared/engine';
import type { SignedInUser } from './userSignIn';

/** A message naming the user when a step (or the run) failed with the API's 403, else undefined. */
export function forbiddenAsUser(report: RunReport, user: SignedInUser): string | undefined {
  const errors = [...report.steps.map((s) => s.error), report.error];
  const denied = errors.find((e) => e?.upstreamStatus === 403 || e?.code === 'FORBIDDEN');
  if (!denied) return undefined;
  const where = report.steps.find((s) => s.error === denied)?.id;
  return `the Defender API refused ${user.username}${where ? ` at step ${where}` : ''} (403: ${denied.message}). Your own Defender role decides what --user may do: ask an admin for a role that allows it (e.g. incident management or active remediation for your device groups), or run it without --user as the app.`;
}
