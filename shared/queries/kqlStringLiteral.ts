// Encoding of an arbitrary string as a KQL string literal, per hunting-schema.md §3.2.

// Characters that cannot stay raw inside a one-line double-quoted literal, or that we escape for safety:
// backslash, double quote, C0 controls, DEL, U+2028/U+2029 (line separators to some tools), and unpaired UTF-16
// surrogates (not valid Unicode: a UTF-8 JSON body would silently turn them into U+FFFD).
const NEEDS_ESCAPE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\\"\u0000-\u001f\u007f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapeChar(ch: string): string {
  return SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Encodes `value` as a double-quoted KQL string literal that decodes to exactly `value` and never spans lines.
 * Escapes `\` `"` (first, so nothing is escaped twice), CR/LF/TAB as `\r` `\n` `\t`, and every other control
 * character, U+2028/U+2029 and any unpaired surrogate as `\uXXXX`. Everything else (quotes `'`, `|`, `;`, `//`,
 * backticks, emoji, bidi controls) stays as is: inside a double-quoted literal none of it ends the literal.
 * The output is also a valid JSON string, so it means the same inside `dynamic([...])`.
 *
 * Total over all JS strings; callers decide which values are acceptable (encodeKqlLiteral rejects NUL and
 * unpaired surrogates as input errors before they get here).
 */
export function kqlStringLiteral(value: string): string {
  return `"${value.replace(NEEDS_ESCAPE, escapeChar)}"`;
}
