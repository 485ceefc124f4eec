// Timestamps as Defender writes them. Hunting results (both APIs) carry Kusto's datetime: ISO 8601 UTC with seven
// fractional digits ("2020-08-30T06:38:35.7664356Z": runhuntingquery and api-advanced-hunting examples). Incident
// and alert times are .NET DateTimes written with trailing zeros dropped, so 0 to 7 digits ("2021-08-13T08:43:35.5533333Z",
// "2020-09-06T14:46:57.29Z", "2020-09-04T05:22:59Z" in the api-list-incidents and security-incident-get examples).

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;

/** The UTC seconds part and the fraction digits (up to 7, padded) of an instant or ISO string; null when not one. */
function parts(v: Date | string): { seconds: string; fraction: string } | null {
  let date: Date;
  let digits: string;
  if (v instanceof Date) {
    date = v;
    digits = String(v.getUTCMilliseconds()).padStart(3, '0');
  } else {
    const m = ISO.exec(v);
    if (!m) return null;
    date = new Date(v);
    // An offset moves the whole seconds (toISOString below), never the fraction.
    digits = m[2] ?? '';
  }
  if (Number.isNaN(date.getTime())) return null;
  return { seconds: date.toISOString().slice(0, 19), fraction: digits.padEnd(7, '0').slice(0, 7) };
}

/** Kusto's datetime in a hunting result: always seven fractional digits. Other values pass unchanged. */
export function kustoDatetime(v: Date | string): string {
  const p = parts(v);
  return p ? `${p.seconds}.${p.fraction}Z` : String(v);
}

/** An incident or alert time as the APIs send it: up to seven digits, trailing zeros dropped. */
export function defenderTime(v: Date | string): string {
  const p = parts(v);
  if (!p) return String(v);
  const fraction = p.fraction.replace(/0+$/, '');
  return fraction ? `${p.seconds}.${fraction}Z` : `${p.seconds}Z`;
}
