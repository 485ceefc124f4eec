// Writes a time window into a query for the legacy hunting API, which has no Timespan parameter: one `let` per
// Timestamp table the query reads shadows the table with its rows inside the window,
//   let DeviceProcessEvents = DeviceProcessEvents | where Timestamp >= datetime(…) and Timestamp < datetime(…);
// A `let`'s right-hand side does not see its own name, so it reads the real table and every later use of the name
// sees the filtered one (checked with Kusto.Language in test/queries/windowInQuery.test.ts). The window is half-open,
// like the engine's watermark windows, so consecutive windows never count a boundary row twice.
import { InputError } from '../errors';
import { parseDatetimeLiteral } from './datetimeLiteral';
import type { HuntingWindow } from './huntingTimespan';
import { kqlWords, type KqlWord } from './kqlIdentifiers';
import { timestampTables } from './huntingSchema';

// Read from the schema data on first use, not at import: the Function App's cold start never pays for it.
let tableSet: ReadonlySet<string> | undefined;
const TABLES = (): ReadonlySet<string> => (tableSet ??= new Set(timestampTables()));

function literal(text: string, which: 'start' | 'end'): string {
  const parsed = parseDatetimeLiteral(text);
  if (!parsed.ok) throw new InputError('timespan', `the window's ${which} '${text}' ${parsed.reason}`);
  return parsed.value;
}

function cannot(why: string): never {
  throw new InputError(
    'timespan',
    `the legacy Defender API has no timespan, so Riposte writes the window into the query, which it cannot do for a query that ${why}; put the time range in the query or use DEFENDER_API=graph`,
  );
}

/** The last non-blank character before `offset`, or '' at the start of the text. */
function charBefore(text: string, offset: number): string {
  let i = offset - 1;
  while (i >= 0 && /\s/.test(text[i] as string)) i--;
  return i < 0 ? '' : (text[i] as string);
}

/** Text right after a word, for looking ahead at `(`, `*`, `in`. */
const after = (text: string, w: KqlWord): string =>
  text.slice(w.offset + w.text.length, w.offset + w.text.length + 200);

/** Options such as `kind=outer` or `withsource=T` that may precede an operator's operands. */
const OPTIONS = String.raw`(?:\s*\w+\s*=\s*\w+)*`;

/**
 * The Timestamp tables the query reads, from its identifiers outside strings and comments.
 * @throws {InputError} (field `timespan`) for reads the window cannot be written into: table(), database() and
 * cluster(), wildcard unions, search or find over every table, and a query that declares a `let` with a table's name.
 */
export function timestampTablesRead(kql: string): string[] {
  const words = kqlWords(kql);
  const read = new Set<string>();
  for (const [i, w] of words.entries()) {
    const next = after(kql, w);
    if (['table', 'database', 'cluster'].includes(w.text) && /^\s*\(/.test(next)) {
      cannot(`reads a table through ${w.text}()`);
    }
    // `union Device*, Email*` or `find in (Identity*)`; not `x = A*2`.
    const inTableList =
      [',', '('].includes(charBefore(kql, w.offset)) ||
      words.slice(Math.max(0, i - 4), i).some((p) => p.text === 'union');
    if (next.startsWith('*') && inTableList && [...TABLES()].some((t) => t.startsWith(w.text))) {
      cannot(`reads tables by a wildcard (${w.text}*)`);
    }
    if (w.text === 'union' && new RegExp(`^${OPTIONS}\\s*\\*`).test(next)) cannot('reads every table (union *)');
    if (
      (w.text === 'search' || w.text === 'find') &&
      charBefore(kql, w.offset) !== '|' &&
      !new RegExp(`^${OPTIONS}\\s+in\\s*\\(`).test(next)
    ) {
      cannot(`searches every table (${w.text} without in (...))`);
    }
    if (!TABLES().has(w.text) || charBefore(kql, w.offset) === '.') continue;
    if (words[i - 1]?.text === 'let' && /^\s*$/.test(kql.slice(words[i - 1]!.offset + 3, w.offset))) {
      // Kusto refuses a second `let` of one name ("A variable with the name 'X' has already been declared").
      cannot(`declares its own 'let ${w.text}'; rename that let`);
    }
    read.add(w.text);
  }
  return [...read].sort();
}

/**
 * The query with `window` written in for every Timestamp table it reads (unchanged when it reads none).
 * @throws {InputError} on field `timespan` when the window's instants are invalid or the query cannot take it.
 */
export function windowInQuery(kql: string, window: HuntingWindow): string {
  const start = literal(window.start, 'start');
  const end = literal(window.end, 'end');
  const tables = timestampTablesRead(kql);
  if (tables.length === 0) return kql;
  const lets = tables.map((t) => `let ${t} = ${t} | where Timestamp >= ${start} and Timestamp < ${end};`);
  return `${lets.join('\n')}\n${kql}`;
}
