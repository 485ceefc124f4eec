// The shared quota's bookkeeping (pure): reservations from many instances, in any interleaving, never put more
// permits in any window than its limit, wherever in [slot, useBy] each permit is really used; room comes back as the
// window moves on; a pause holds every slot back; the record stays small.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  effectiveSpan,
  emptyState,
  nextFree,
  pause,
  recordLate,
  reserve,
  usedAt,
  type QuotaState,
  type Slot,
} from '../../shared/quota/quotaLog';
import { capacity, idealSpan } from '../scale/yardstick';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const ALLOWANCE = [
  { limit: 50, windowMs: MINUTE },
  { limit: 1500, windowMs: HOUR },
];
const T0 = 1_750_000_000_000;

/** Most uses inside any window [a, a + windowMs) over the given use times. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('quotaLog.reserve', () => {
  it('hands out the whole minute at once, then nothing until the first permits leave the window', () => {
    const r = reserve(emptyState(), ALLOWANCE, T0, { count: 60, holdMs: 600, latest: T0 + 10 * MINUTE });
    assert.equal(r.slots.length, 60);
    assert.ok(r.slots.slice(0, 50).every((s) => s.at === T0));
    // The 51st waits for the first permits' window (plus margin) to pass.
    const first = r.slots[0] as Slot;
    assert.ok((r.slots[50] as Slot).at >= first.useBy + MINUTE, 'the 51st slot starts a window after the first use');
    assert.ok((r.slots[50] as Slot).at <= first.useBy + effectiveSpan(MINUTE) + MINUTE / 100);
  });

  it('reserves nothing (and changes nothing) when no slot comes before `latest`', () => {
    const full = reserve(emptyState(), ALLOWANCE, T0, { count: 50, holdMs: 600, latest: T0 }).state;
    const r = reserve(full, ALLOWANCE, T0 + 1000, { count: 1, holdMs: 600, latest: T0 + 30_000 });
    assert.deepEqual(r.slots, []);
    assert.equal(r.state, full, 'nothing to write back');
    assert.ok(r.nextFreeAt > T0 + MINUTE, `next free ${r.nextFreeAt - T0} ms after the start`);
  });

  it('never starts a slot before the latest one handed out, nor before a pause ends', () => {
    let state = reserve(emptyState(), ALLOWANCE, T0, { count: 3, holdMs: 600, latest: Infinity }).state;
    state = { ...state, lastSlot: T0 + 5000 };
    const after = reserve(state, ALLOWANCE, T0 + 1000, { count: 1, holdMs: 600, latest: Infinity });
    assert.equal(after.slots[0]?.at, T0 + 5000);
    const paused = pause(state, T0 + 20_000, '429 from PATCH /security/incidents/1 (wait 19 s)');
    assert.equal(pause(paused, T0 + 10_000, 'shorter'), paused, 'a shorter pause changes nothing');
    const r = reserve(paused, ALLOWANCE, T0 + 1000, { count: 2, holdMs: 600, latest: Infinity });
    assert.ok(r.slots.every((s) => s.at >= T0 + 20_000));
    assert.equal(r.state.pauseReason, '429 from PATCH /security/incidents/1 (wait 19 s)');
    // Once the pause is over it is forgotten.
    const later = reserve(r.state, ALLOWANCE, T0 + 30_000, { count: 1, holdMs: 600, latest: Infinity });
    assert.equal(later.state.pausedUntil, 0);
  });

  it('takes prefetched permits only while they are free right now', () => {
    const nearlyFull = reserve(emptyState(), ALLOWANCE, T0, { count: 45, holdMs: 600, latest: Infinity }).state;
    const r = reserve(nearlyFull, ALLOWANCE, T0 + 10, {
      count: 1,
      holdMs: 600,
      latest: Infinity,
      prefetch: 9,
      prefetchHoldMs: 3000,
    });
    assert.equal(r.slots.length, 5, 'one asked for and four prefetched: all the room left');
    assert.equal(r.slots[1]?.useBy, T0 + 10 + 3000, 'a prefetched permit holds longer');
  });

  it('records a permit until its call is expected to end, and a slower call again until its real end', () => {
    const r = reserve(emptyState(), ALLOWANCE, T0, { count: 1, holdMs: 600, latest: Infinity, callMs: 900 });
    assert.deepEqual(r.slots, [{ at: T0, useBy: T0 + 600, countUntil: T0 + 1500 }]);
    assert.equal(usedAt(r.state, T0 + 1500 + effectiveSpan(MINUTE) - 1)[0]?.used, 1, 'still counted');
    const late = recordLate(r.state, ALLOWANCE, [T0 + 90_000, T0 + 30_000]);
    // Each recorded at the end of its bucket (1 % of the minute), in time order.
    const bucket = (t: number) => Math.ceil(t / 600) * 600;
    assert.deepEqual(
      late.windows[0]?.buckets.map(([t]) => t),
      [bucket(T0 + 1500), bucket(T0 + 30_000), bucket(T0 + 90_000)],
    );
    assert.equal(usedAt(late, T0 + 80_000)[0]?.used, 2, 'a late end counts for a minute after it');
  });

  it('keeps the record small: a bucket per 1 % of each window, whatever the traffic', () => {
    let state: QuotaState = emptyState();
    let t = T0;
    for (let i = 0; i < 400; i++) {
      const r = reserve(state, ALLOWANCE, t, { count: 5, holdMs: 600, latest: Infinity });
      state = r.state;
      t = (r.slots.at(-1) as Slot).at;
    }
    assert.ok(
      state.windows.every((w) => w.buckets.length <= 102),
      JSON.stringify(state.windows.map((w) => w.buckets.length)),
    );
    assert.ok(JSON.stringify(state).length < 8000, `${JSON.stringify(state).length} characters`);
    assert.deepEqual(
      usedAt(state, t).map((u) => u.used <= 1500),
      [true, true],
    );
  });

  it('property: any interleaving of instances, any use time inside each permit’s slot, never more than a limit in any window', () => {
    const small = [
      { limit: 5, windowMs: 1000 },
      { limit: 12, windowMs: 5000 },
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // Time moves on between reservations (an instance's clock read), sometimes not at all.
            advance: fc.integer({ min: 0, max: 1500 }),
            count: fc.integer({ min: 1, max: 6 }),
            // Where in [at, useBy] the permit is really used.
            useAt: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (steps) => {
          let state = emptyState();
          let t = T0;
          const uses: number[] = [];
          for (const s of steps) {
            t += s.advance;
            const r = reserve(state, small, t, { count: s.count, holdMs: 50, latest: Infinity });
            state = r.state;
            r.slots.forEach((slot, i) => uses.push(slot.at + (slot.useBy - slot.at) * (s.useAt[i] ?? 0)));
          }
          for (const w of small) assert.ok(maxInWindow(uses, w.windowMs) <= w.limit, `window ${w.windowMs} ms`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('nextFree is the earliest start that fits every window (a later one wastes room, an earlier one overspends)', () => {
    const state = reserve(emptyState(), ALLOWANCE, T0, { count: 50, holdMs: 600, latest: Infinity }).state;
    const t = nextFree(state, ALLOWANCE, T0 + 1000);
    const just = reserve({ ...state, lastSlot: 0 }, ALLOWANCE, t - 1, { count: 1, holdMs: 600, latest: t - 1 });
    assert.deepEqual(just.slots, [], 'one ms earlier does not fit');
  });
});

describe('the utilisation yardstick (test/scale/yardstick.ts)', () => {
  it('counts what a perfect client gets: the burst, then a window at a time, and the hour cap', () => {
    assert.equal(capacity(ALLOWANCE, 0), 50);
    assert.equal(capacity(ALLOWANCE, MINUTE - 1), 50);
    assert.equal(capacity(ALLOWANCE, MINUTE), 100);
    // 30 minutes of 50 exhaust the hour; nothing more until the first minute's permits leave it.
    assert.equal(capacity(ALLOWANCE, 59 * MINUTE), 1500);
    assert.equal(capacity(ALLOWANCE, HOUR), 1550);
    assert.equal(idealSpan(ALLOWANCE, 50), 0);
    assert.equal(idealSpan(ALLOWANCE, 1501), HOUR);
  });
});
