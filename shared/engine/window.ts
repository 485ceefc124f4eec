// The time window a scheduled run covers: [watermark, now − ingestionDelay), capped at maxWindow so a run after a
// long outage catches up in several bounded runs instead of leaving a gap. The first run looks back
// initialLookback. A run that did not finish left its window pending; the next run covers that same window again
// (its writes are idempotent), so there is neither a gap nor a second, overlapping window.
import type { TimeWindow, WatermarkState } from '../state/types';

export interface WindowDefaults {
  /** Events reach advanced hunting minutes after they happen; the newest part of the past is left for the next run. */
  ingestionDelayMs: number;
  initialLookbackMs: number;
  maxWindowMs: number;
}

export const DEFAULT_WINDOW: Readonly<WindowDefaults> = Object.freeze({
  ingestionDelayMs: 5 * 60_000,
  initialLookbackMs: 60 * 60_000,
  maxWindowMs: 24 * 3_600_000,
});

export interface PlannedWindow extends TimeWindow {
  /** The pending window of an unfinished run, covered again. */
  resumed: boolean;
  /** The run whose window this is (the unfinished run's id when resumed). */
  runId: string;
  /** When that run started: a resumed run evaluates $now() as the original run did, so its writes hash the same. */
  startedAt: string;
}

/** Pure: picks the window for a run starting at `now`. */
export function planWindow(state: WatermarkState, now: Date, runId: string, settings: WindowDefaults): PlannedWindow {
  if (state.pending) return { ...state.pending, resumed: true };
  const end = now.getTime() - settings.ingestionDelayMs;
  const start = state.watermark !== undefined ? Date.parse(state.watermark) : end - settings.initialLookbackMs;
  // A watermark ahead of end (runs closer together than the ingestion delay) gives an empty window, never a negative one.
  const cappedEnd = Math.max(start, Math.min(end, start + settings.maxWindowMs));
  return {
    start: new Date(start).toISOString(),
    end: new Date(cappedEnd).toISOString(),
    resumed: false,
    runId,
    startedAt: now.toISOString(),
  };
}
