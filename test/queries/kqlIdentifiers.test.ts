// The load-time scanner that decides whether a body uses a parameter must see the same identifiers as Microsoft's
// parser: none from inside comments or string literals of any form, all from the code itself.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadQueryLibrary } from '../../shared/queries';
import { kqlWords } from '../../shared/queries/kqlIdentifiers';
import { kqlTokens } from '../helpers/kqlParser';
import { QUERY_DIR } from './queryTestUtil';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Identifier-shaped words of the parser's tokens: identifiers and keywords, with punctuated keywords split the way a
 * scanner sees them (`in~` → in, `project-away` → project, away). Literal tokens are left out.
 */
function parserWords(text: string): string[] {
  return kqlTokens(text)
    .filter((t) => !/Literal/.test(t.kind))
    .flatMap((t) => t.text.split(/[^A-Za-z0-9_]+/))
    .filter((w) => IDENTIFIER.test(w));
}

const tricky = [
  'T | where A == "lookback" and B == \'lookback\' // lookback',
  "T | where A == @\"C:\\lookback\\\" and B == @'it''s lookback'",
  'T | where A == h"lookback" and B == H@\'lookback\' and hx == 1',
  'T | where A == ```\nlookback\n``` and B == ~~~lookback~~~',
  'T | where A in (dynamic(["lookback", "x"])) | project [\'lookback\'], ["other"]',
  'T | where Timestamp > ago(30d) and X == 0x1F and Y == 1.5e3',
  'T | where A == "esc\\"aped lookback" | take 10 /* not a comment in KQL */',
];

let bodies: string[] = [];
before(async () => {
  const library = await loadQueryLibrary(QUERY_DIR);
  bodies = library.names().map((n) => library.get(n)?.body ?? '');
});

test('kqlWords finds exactly the identifiers the parser finds', () => {
  for (const text of [...tricky, ...bodies]) {
    const ours = kqlWords(text).map((w) => w.text);
    const theirs = parserWords(text);
    // Bracketed names (['lookback']) are one token to the parser; the scanner reports the name inside.
    const bracketed = kqlTokens(text)
      .filter((t) => t.kind === 'StringLiteralToken' && ours.includes(t.text.slice(1, -1)))
      .map((t) => t.text.slice(1, -1));
    assert.deepEqual(
      ours.filter((w) => !bracketed.includes(w) || theirs.includes(w)),
      theirs,
      text,
    );
  }
});

test('words inside string literals and comments are not reported', () => {
  for (const text of tricky.slice(0, 4)) {
    assert.ok(!kqlWords(text).some((w) => w.text === 'lookback'), text);
  }
  assert.deepEqual(
    kqlWords("T | project ['lookback']").map((w) => w.text),
    ['T', 'project', 'lookback'],
  );
});
