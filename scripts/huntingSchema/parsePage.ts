// Reads one page of Microsoft's Advanced Hunting schema reference (MicrosoftDocs/defender-docs, folder defender-xdr:
// advanced-hunting-<name>-table.md or advanced-hunting-<name>-function.md) into the facts the schema keeps: the
// table or function name, its columns with the documentation's own type words, the page date, and for a function
// the parameter names of its Syntax block. Prose is never kept.
//
// The pages are hand-written markdown, so the parser tolerates what they really contain: a name cell with spaces or
// a tab inside the backticks, a footnote or "(Preview)" after the name, a type without backticks, and other tables
// on the same page (ActionType values, logon types) that are not column lists.

export type PageKind = 'table' | 'function';

export interface PageColumn {
  name: string;
  /** The documentation's type word as written, lower-cased: `boolean`, `nullable bool`, `integer`, `object`... */
  docType: string;
}

export interface ParsedPage {
  kind: PageKind;
  /** Table or function name, as the page's title writes it (without `()` or `(Preview)`). */
  name: string;
  /** `ms.date` of the front matter as YYYY-MM-DD, or null when the page has none. */
  msDate: string | null;
  columns: PageColumn[];
  /** Function pages: the Syntax block, e.g. `invoke FileProfile(x,y)`; null when the page has none. */
  syntax: { invoke: boolean; name: string; parameters: string[] } | null;
}

export class PageError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'PageError';
  }
}

const FILE_NAME = /^advanced-hunting-([a-z0-9]+)-(table|function)\.md$/i;

/** The page kind and the lower-case name its file name carries, or null for any other file. */
export function pageFileKind(file: string): { kind: PageKind; slug: string } | null {
  const m = FILE_NAME.exec(file);
  return m ? { kind: (m[2] as string).toLowerCase() as PageKind, slug: (m[1] as string).toLowerCase() } : null;
}

function frontMatter(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if ((lines[0] ?? '').trim() !== '---') return out;
  for (let i = 1; i < lines.length && (lines[i] as string).trim() !== '---'; i++) {
    const m = /^([A-Za-z0-9_.-]+):\s*(.*)$/.exec(lines[i] as string);
    if (m) out.set(m[1] as string, (m[2] as string).trim());
  }
  return out;
}

/** `04/11/2024` → `2024-04-11`. */
function isoDate(msDate: string | undefined, file: string): string | null {
  if (msDate === undefined) return null;
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(msDate);
  if (!m) throw new PageError(file, `ms.date '${msDate}' is not MM/DD/YYYY`);
  return `${m[3]}-${(m[1] as string).padStart(2, '0')}-${(m[2] as string).padStart(2, '0')}`;
}

/** Cells of a markdown table row, without the empty ones outside the first and last pipes. */
function cells(line: string): string[] {
  const parts = line.trim().split('|');
  if (parts[0]?.trim() === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1]?.trim() === '') parts.pop();
  return parts;
}

const plain = (cell: string): string => cell.replace(/`/g, '').trim().toLowerCase();

/** A header row of a column list: "Column name | Data type | ..." or "Column | Data type | ...". */
function isColumnHeader(line: string): boolean {
  const c = cells(line);
  return c.length >= 2 && /^column( name)?$/.test(plain(c[0] as string)) && /\btype\b/.test(plain(c[1] as string));
}

/** The name in a name cell: what the first pair of backticks holds (trimmed), else the first word. */
function columnName(cell: string): string {
  const quoted = /`([^`]*)`/.exec(cell);
  const text = quoted ? (quoted[1] as string) : (cell.trim().split(/\s+/)[0] ?? '');
  return text.trim();
}

function columnsOf(lines: string[], file: string): PageColumn[] {
  const out: PageColumn[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isColumnHeader(lines[i] as string)) continue;
    let j = i + 1;
    if (/^\s*\|?\s*:?-{2,}/.test(lines[j] ?? '')) j++;
    for (; j < lines.length && (lines[j] as string).trim().startsWith('|'); j++) {
      const c = cells(lines[j] as string);
      const name = columnName(c[0] ?? '');
      const docType = (c[1] ?? '').replace(/`/g, '').trim().toLowerCase();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new PageError(file, `line ${j + 1}: '${c[0]?.trim()}' is not a column name`);
      }
      if (docType === '') throw new PageError(file, `line ${j + 1}: column ${name} has no data type`);
      out.push({ name, docType });
    }
    i = j - 1;
  }
  return out;
}

function syntaxOf(lines: string[], file: string): ParsedPage['syntax'] {
  const heading = lines.findIndex((l) => /^#{2,}\s+Syntax\s*$/i.test(l.trim()));
  if (heading < 0) return null;
  const open = lines.findIndex((l, i) => i > heading && /^```/.test(l.trim()));
  if (open < 0) return null;
  const text = (lines[open + 1] ?? '').trim();
  const m = /^(invoke\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*$/.exec(text);
  if (!m) throw new PageError(file, `line ${open + 2}: the Syntax block '${text}' is not Name(args)`);
  const args = (m[3] as string).trim();
  return {
    invoke: m[1] !== undefined,
    name: m[2] as string,
    parameters: args === '' ? [] : args.split(',').map((a) => a.trim()),
  };
}

/**
 * @param file - the page's file name (its kind and name come from it)
 * @param text - the page's markdown
 * @throws {PageError} when the file name is not a schema page's, the title does not name what the file name says,
 *   a column row has no name or type, or a function's Syntax block cannot be read
 */
export function parsePage(file: string, text: string): ParsedPage {
  const kind = pageFileKind(file);
  if (!kind) throw new PageError(file, 'not an advanced-hunting-<name>-table.md or -function.md page');
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const meta = frontMatter(lines);
  const h1 = lines.find((l) => /^#\s+\S/.test(l));
  const name = h1
    ?.replace(/^#\s+/, '')
    .replace(/\(\)/, '')
    .replace(/\s*\(.*\)\s*$/, '')
    .trim();
  if (!name || name.toLowerCase() !== kind.slug) {
    throw new PageError(file, `the title '${h1 ?? '(none)'}' does not name ${kind.slug}`);
  }
  const columns = columnsOf(lines, file);
  if (kind.kind === 'table' && columns.length === 0) throw new PageError(file, 'has no column table');
  const syntax = kind.kind === 'function' ? syntaxOf(lines, file) : null;
  if (syntax && syntax.name !== name) {
    throw new PageError(file, `the Syntax block calls ${syntax.name}, not ${name}`);
  }
  return { kind: kind.kind, name, msDate: isoDate(meta.get('ms.date'), file), columns, syntax };
}
