// Kusto's string predicates. `has` matches whole terms: a term is a run of letters and digits, so `has "net"`
// matches "Net.WebClient" but not "Network"; a needle with punctuation (`has "-enc"`) must still start and end on
// term boundaries where its own first/last characters are letters or digits.
import { setFlagsFromString } from 'node:v8';
import type { StringPredicate } from './ast';

function isAlnum(code: number): boolean {
  if (code < 128) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return /[\p{L}\p{N}]/u.test(String.fromCharCode(code));
}

/** True when `needle` occurs in `haystack` with term boundaries on the sides selected. Both already case-folded. */
function termMatch(haystack: string, needle: string, checkStart: boolean, checkEnd: boolean): boolean {
  if (needle.length === 0) return true;
  const startsAlnum = isAlnum(needle.charCodeAt(0));
  const endsAlnum = isAlnum(needle.charCodeAt(needle.length - 1));
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return false;
    const end = at + needle.length;
    const startOk = !checkStart || !startsAlnum || at === 0 || !isAlnum(haystack.charCodeAt(at - 1));
    const endOk = !checkEnd || !endsAlnum || end === haystack.length || !isAlnum(haystack.charCodeAt(end));
    if (startOk && endOk) return true;
    from = at + 1;
  }
}

/** Evaluates a string predicate on already-stringified operands (case folding is done here). */
export function stringPredicate(pred: StringPredicate, haystack: string, needle: string): boolean {
  const h = pred.caseSensitive ? haystack : haystack.toLowerCase();
  const n = pred.caseSensitive ? needle : needle.toLowerCase();
  let result: boolean;
  switch (pred.kind) {
    case 'has':
      result = termMatch(h, n, true, true);
      break;
    case 'hasprefix':
      result = termMatch(h, n, true, false);
      break;
    case 'hassuffix':
      result = termMatch(h, n, false, true);
      break;
    case 'contains':
      result = h.includes(n);
      break;
    case 'startswith':
      result = h.startsWith(n);
      break;
    case 'endswith':
      result = h.endsWith(n);
      break;
  }
  return pred.negated ? !result : result;
}

/** Case-insensitive whole-term `has` for has_any/has_all (needle already lower-cased). */
export function hasTerm(haystackLower: string, needleLower: string): boolean {
  return termMatch(haystackLower, needleLower, true, true);
}

const regexCache = new Map<string, RegExp | Error>();

// Kusto's regular expressions are RE2: linear time, no backreferences, no lookaround. JavaScript's engine
// backtracks, so a pattern like `(a+)+$` could hang the sandbox on one row, where no work budget can stop it. V8
// switches a match to its linear engine once it backtracks excessively; with RE2's syntax (checked below) every
// pattern qualifies. Process-wide, and it changes no result, only how long a pathological match takes.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/** Constructs RE2 leaves out (https://github.com/google/re2/wiki/Syntax): backreferences and lookaround. */
const NOT_RE2 = /\\[1-9]|\\k<|\(\?<?[=!]/;

/** Compiles an RE2 pattern as a JS RegExp: leading inline flags `(?i)`, `(?s)`, `(?m)` become RegExp flags and
 * `(?P<name>` groups become `(?<name>`. Throws on an invalid pattern. */
export function compileRegex(pattern: string): RegExp {
  let cached = regexCache.get(pattern);
  if (cached === undefined) {
    try {
      let source = pattern;
      let flags = '';
      const inline = /^\(\?([imsU]+)\)/.exec(source);
      if (inline) {
        flags = [...new Set((inline[1] ?? '').replace('U', ''))].join('');
        source = source.slice(inline[0].length);
      }
      const unsupported = NOT_RE2.exec(source);
      if (unsupported) throw new Error(`'${unsupported[0]}' is not RE2 syntax (no backreferences or lookaround)`);
      // RE2 also takes flag groups further in (`\W*((?i)admin(?-i))`, `(?i:x)`), which JavaScript's RegExp does not
      // (Node 20): the flags apply to the whole pattern instead, a slight widening when a flag is switched off again.
      source = source.replace(/\(\?(-?[imsU]+)(\)|:)/g, (_m, f: string, end: string) => {
        if (!f.startsWith('-')) for (const ch of f.replace('U', '')) if (!flags.includes(ch)) flags += ch;
        return end === ':' ? '(?:' : '';
      });
      source = source
        .replace(/\(\?P</g, '(?<')
        .replace(/\\A/g, '^')
        .replace(/\\z/g, '$');
      cached = new RegExp(source, flags);
    } catch (e) {
      cached = e instanceof Error ? e : new Error(String(e));
    }
    if (regexCache.size > 500) regexCache.clear();
    regexCache.set(pattern, cached);
  }
  if (cached instanceof Error) throw cached;
  return cached;
}
