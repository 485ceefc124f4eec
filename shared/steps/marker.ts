// Every comment Riposte writes ends with a short marker, " — [riposte:ab12cd34]": the 8 hex digits identify the
// write (a hash of its idempotency key), so a resumed run can see that a comment was already added, and ticket sync
// can recognise Riposte's own comments and not echo them back (loop prevention).
import type { IncidentComment } from '../defender/types';

export const DEFAULT_MARKER_TEXT = 'riposte';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function checkMarkerText(markerText: string): void {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(markerText))
    throw new Error('markerText must be 1-32 letters, digits or dashes, starting with a letter');
}

/** The marker for one write: "[riposte:ab12cd34]". */
export function markerFor(markerId: string, markerText = DEFAULT_MARKER_TEXT): string {
  return `[${markerText}:${markerId}]`;
}

/** Appends the marker to a comment. */
export function markComment(text: string, markerId: string, markerText = DEFAULT_MARKER_TEXT): string {
  checkMarkerText(markerText);
  return `${text.trimEnd()} — ${markerFor(markerId, markerText)}`;
}

/** True when one of the comments carries this write's marker (APIs may trim or re-wrap text, so search, not compare). */
export function hasMarker(
  comments: readonly IncidentComment[],
  markerId: string,
  markerText = DEFAULT_MARKER_TEXT,
): boolean {
  const m = markerFor(markerId, markerText);
  return comments.some((c) => typeof c.comment === 'string' && c.comment.includes(m));
}

/**
 * True when a comment was written by Riposte (ends with its marker). Ticket sync uses this to skip its own changes.
 * @param markerText - the configured marker word (default "riposte").
 */
export function isRiposteComment(text: string, markerText = DEFAULT_MARKER_TEXT): boolean {
  return new RegExp(`\\[${escape(markerText)}:[0-9a-f]{8}\\]\\s*$`).test(text);
}
