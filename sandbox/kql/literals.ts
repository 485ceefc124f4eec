// Decoding of literal tokens. The parser validates them; the values are decoded here because the Bridge.NET build of
// Kusto.Language decodes some forms wrongly (it drops `\U` escapes, reads `0x1F` as 0 and `time(1.02:03:04)` as 0).
import { parseDatetimeText, parseTimespanText } from './datetime';

/** The value of one string literal token: `"..."`, `'...'` with escapes, `@"..."` verbatim (doubled quotes),
 * `h`/`H` obfuscated forms of both, and ```` ```...``` ```` / `~~~...~~~` multi-line (no escapes). Mirrors
 * KustoFacts.GetStringLiteralValue. */
export function decodeStringLiteral(literal: string): string {
  let start = 0;
  let verbatim = false;
  if (literal[0] === 'h' || literal[0] === 'H') start++;
  if (literal[start] === '@') {
    start++;
    verbatim = true;
  }
  for (const fence of ['```', '~~~']) {
    if (literal.startsWith(fence, start)) {
      const body = literal.slice(start + fence.length);
      return body.endsWith(fence) ? body.slice(0, -fence.length) : body;
    }
  }
  const quote = literal[start];
  if (quote === undefined) return '';
  let end = literal.length;
  if (end - start >= 2 && literal[end - 1] === quote) end--;
  const body = literal.slice(start + 1, end);
  if (verbatim) return body.split(quote + quote).join(quote);
  return body.includes('\\') ? decodeEscapes(body) : body;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function decodeEscapes(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch !== '\\' || i + 1 >= text.length) {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1] as string;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (next === 'u' || next === 'U' || next === 'x') {
      const width = next === 'u' ? 4 : next === 'U' ? 8 : 2;
      const hex = /^[0-9a-fA-F]*/.exec(text.slice(i + 2, i + 2 + width))?.[0] ?? '';
      const code = hex ? parseInt(hex, 16) : 0;
      out += next === 'U' ? String.fromCodePoint(Math.min(code, 0x10ffff)) : String.fromCharCode(code);
      i += 2 + hex.length;
    } else if (next >= '0' && next <= '9') {
      // Octal: up to three digits after the backslash (KustoFacts.DecodeOctal).
      let value = 0;
      let j = i + 1;
      while (j < text.length && j < i + 4 && /[0-9]/.test(text[j] as string)) {
        value = value * 8 + Number(text[j]);
        j++;
      }
      out += String.fromCharCode(value & 0xffff);
      i = j;
    } else {
      out += next; // \\ \' \" and any other escaped character stand for themselves
      i += 2;
    }
  }
  return out;
}

/** A long literal's value text: decimal, `0x` hex, `min`/`max`. */
export function parseLongText(text: string): number | null {
  const t = text.trim();
  if (t === 'null') return null;
  if (t === 'min') return Number.MIN_SAFE_INTEGER;
  if (t === 'max') return Number.MAX_SAFE_INTEGER;
  if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[+-]?0x/i, ''), 16);
  const n = Number(t);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

export function parseIntText(text: string): number | null {
  const t = text.trim();
  if (t === 'min') return -2147483648;
  if (t === 'max') return 2147483647;
  const n = parseLongText(t);
  return n === null ? null : n | 0;
}

export function parseRealText(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'null') return null;
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'min') return -Number.MAX_VALUE;
  if (t === 'max') return Number.MAX_VALUE;
  const n = Number(t);
  return Number.isNaN(n) ? null : n;
}

/** `datetime(...)` value text; a quoted interior (`datetime("2020-01-01")`) is allowed. */
export function parseDatetimeLiteral(valueText: string): string | null {
  const t = unquote(valueText.trim());
  if (t === 'null') return null;
  if (t === 'min') return '0001-01-01T00:00:00.0000000Z';
  if (t === 'max') return '9999-12-31T23:59:59.9999999Z';
  return parseDatetimeText(t);
}

/** Timespan literal text (`7d`, `1.5h`, `time(1.02:03:04)` interior, ...). */
export function parseTimespanLiteral(valueText: string): number | null {
  const t = unquote(valueText.trim());
  if (t === 'null') return null;
  return parseTimespanText(t);
}

function unquote(t: string): string {
  return /^(['"]).*\1$/.test(t) ? decodeStringLiteral(t) : t;
}
