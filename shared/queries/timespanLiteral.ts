// Timespans: KQL forms (`1d`, `90m`, `1.5h`, `30s`) and ISO 8601 durations (`PT1H`, `P7D`) parsed exactly into
// 100 ns ticks, and the canonical KQL literal for a tick count.
import type { Parsed } from './datetimeLiteral';

const TICKS_PER = {
  day: 864_000_000_000n,
  hour: 36_000_000_000n,
  minute: 600_000_000n,
  second: 10_000_000n,
  millisecond: 10_000n,
  microsecond: 10n,
  tick: 1n,
} as const;

/** .NET TimeSpan.MaxValue, the largest KQL timespan. */
export const MAX_TIMESPAN_TICKS = 9_223_372_036_854_775_807n;

// The unit spellings Kusto.Language's lexer accepts (checked against the parser); `nanosecond` is left out because
// the parser reads it as zero.
const KQL_UNITS: Readonly<Record<string, bigint>> = {
  d: TICKS_PER.day,
  day: TICKS_PER.day,
  days: TICKS_PER.day,
  h: TICKS_PER.hour,
  hr: TICKS_PER.hour,
  hrs: TICKS_PER.hour,
  hour: TICKS_PER.hour,
  hours: TICKS_PER.hour,
  m: TICKS_PER.minute,
  min: TICKS_PER.minute,
  minute: TICKS_PER.minute,
  minutes: TICKS_PER.minute,
  s: TICKS_PER.second,
  sec: TICKS_PER.second,
  second: TICKS_PER.second,
  seconds: TICKS_PER.second,
  ms: TICKS_PER.millisecond,
  milli: TICKS_PER.millisecond,
  millis: TICKS_PER.millisecond,
  millisec: TICKS_PER.millisecond,
  millisecond: TICKS_PER.millisecond,
  milliseconds: TICKS_PER.millisecond,
  microsec: TICKS_PER.microsecond,
  microsecond: TICKS_PER.microsecond,
  microseconds: TICKS_PER.microsecond,
  tick: TICKS_PER.tick,
  ticks: TICKS_PER.tick,
};

// Emitted units, largest first. Not `microsecond`: Kusto.Language decodes it through floating point and gets some
// values wrong (78813microsecond reads as 788129 ticks), whereas d/h/m/s/ms/tick decode exactly. Never the
// `time(1.02:03:04)` form either: the Bridge.NET build reads it as zero.
const CANONICAL_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['d', TICKS_PER.day],
  ['h', TICKS_PER.hour],
  ['m', TICKS_PER.minute],
  ['s', TICKS_PER.second],
  ['ms', TICKS_PER.millisecond],
  ['tick', TICKS_PER.tick],
];

const KQL_FORM = /^(\d+)(?:\.(\d+))?([a-z]+)$/;
const NUM = String.raw`(\d+(?:\.\d+)?)`;
const ISO_FORM = new RegExp(`^P(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`);
const ISO_CALENDAR = /^P(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?/;

const FORMS = 'like "1d", "90m", "30s" or an ISO 8601 duration like "PT1H"';

class PrecisionError extends Error {}

/** `digits[.fraction] × unit` in ticks, exactly; throws PrecisionError below one tick. */
function scaled(whole: string, fraction: string, unit: bigint): bigint {
  const numerator = BigInt(whole + fraction) * unit;
  const denominator = 10n ** BigInt(fraction.length);
  if (numerator % denominator !== 0n) throw new PrecisionError();
  return numerator / denominator;
}

function splitDecimal(text: string): [string, string] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text, ''] : [text.slice(0, dot), text.slice(dot + 1)];
}

/** Parses a non-negative timespan into ticks. */
export function parseTimespanTicks(text: string): Parsed<bigint> {
  if (text.length > 64) return { ok: false, reason: `must be a timespan ${FORMS}` };
  if (text.startsWith('-')) return { ok: false, reason: 'must not be negative' };
  let ticks = 0n;
  try {
    const kql = KQL_FORM.exec(text);
    const iso = kql ? null : ISO_FORM.exec(text);
    if (kql) {
      const unit = KQL_UNITS[kql[3] as string];
      if (unit === undefined) return { ok: false, reason: `has an unknown unit "${kql[3]}"; use ${FORMS}` };
      ticks = scaled(kql[1] as string, kql[2] ?? '', unit);
    } else if (iso && text !== 'P' && !text.endsWith('T')) {
      const units = [TICKS_PER.day * 7n, TICKS_PER.day, TICKS_PER.hour, TICKS_PER.minute, TICKS_PER.second];
      units.forEach((unit, i) => {
        const part = iso[i + 1];
        if (part !== undefined) ticks += scaled(...splitDecimal(part), unit);
      });
    } else if ((ISO_CALENDAR.exec(text)?.[0].length ?? 0) > 1) {
      return { ok: false, reason: 'uses ISO 8601 years or months, which have no fixed length; use days (e.g. "P30D")' };
    } else {
      return { ok: false, reason: `must be a timespan ${FORMS}` };
    }
  } catch (e) {
    if (e instanceof PrecisionError) return { ok: false, reason: 'is more precise than one tick (100 ns)' };
    throw e;
  }
  if (ticks > MAX_TIMESPAN_TICKS) return { ok: false, reason: 'exceeds the largest KQL timespan' };
  return { ok: true, value: ticks };
}

/** The canonical literal: the largest unit that divides the tick count exactly (`90m`, `1d`, `1500ms`, `0s`). */
export function formatTimespanLiteral(ticks: bigint): string {
  if (ticks === 0n) return '0s';
  for (const [unit, size] of CANONICAL_UNITS) {
    if (ticks % size === 0n) return `${ticks / size}${unit}`;
  }
  return `${ticks}tick`;
}
