// A small KQL scanner for load-time checks of a query body: which identifiers it uses, outside comments and string
// literals. Not a parser (shared/ must not load Kusto.Language); the tests check every shipped body with the real
// parser.

export interface KqlWord {
  text: string;
  /** Offset in the scanned text. */
  offset: number;
}

function isIdentStart(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_';
}

function isIdentPart(ch: string): boolean {
  return isIdentStart(ch) || (ch >= '0' && ch <= '9');
}

/** End offset (exclusive) of a quoted literal starting at `start` (the quote). Escapes only when not verbatim. */
function skipQuoted(text: string, start: number, verbatim: boolean): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') return i; // an unterminated literal ends at the line end, as in Kusto's lexer
    if (!verbatim && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (verbatim && text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return i;
}

/** The identifiers in `text` in order (keywords included), skipping comments, string literals and numbers. */
export function kqlWords(text: string): KqlWord[] {
  const words: KqlWord[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '/' && text[i + 1] === '/') {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
    } else if (text.startsWith('```', i) || text.startsWith('~~~', i)) {
      const fence = text.slice(i, i + 3);
      const end = text.indexOf(fence, i + 3);
      i = end < 0 ? text.length : end + 3;
    } else if (ch === '"' || ch === "'") {
      i = skipQuoted(text, i, false);
    } else if (ch === '@' && (text[i + 1] === '"' || text[i + 1] === "'")) {
      i = skipQuoted(text, i + 1, true);
    } else if (
      (ch === 'h' || ch === 'H') &&
      /^(?:@?["'])/.test(text.slice(i + 1, i + 3)) &&
      !isIdentPart(text[i - 1] ?? ' ')
    ) {
      i++; // obfuscated literal prefix: the literal is skipped on the next turn
    } else if (ch === '[' && /^[ \t]*["']/.test(text.slice(i + 1, i + 40))) {
      // ['name'] / ["name"] is a bracketed identifier; ["a", "b"] (a JSON list) is only strings.
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\t') j++;
      const end = skipQuoted(text, j, false);
      const raw = text.slice(j + 1, end - 1);
      if (/^[ \t]*\]/.test(text.slice(end, end + 40)) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(raw)) {
        words.push({ text: raw, offset: j + 1 });
      }
      i = end;
    } else if (ch >= '0' && ch <= '9') {
      while (i < text.length && (isIdentPart(text[i] as string) || text[i] === '.')) i++; // 30d, 1.5h, 0x1F
    } else if (isIdentStart(ch)) {
      const start = i;
      while (i < text.length && isIdentPart(text[i] as string)) i++;
      words.push({ text: text.slice(start, i), offset: start });
    } else {
      i++;
    }
  }
  return words;
}
