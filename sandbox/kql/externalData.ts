// externaldata without the network: a URL is answered from the fixture folder (sandbox/fixtures/externaldata, or
// the folder named by RIPOSTE_SANDBOX_EXTERNALDATA): `index.json` maps URLs to files, else a file named like the
// URL's last path segment is used. A URL with no file gets an indicator list made from the seed's attack entities
// (malicious IPs, hashes, URLs, domains, file names), chosen by the declared column names, so threat-intel joins
// find the seeded attack offline.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { files, maliciousIps, phishingSender } from '../seed/entities';
import type { ExternalDataReader } from './expressions';
import type { KqlColumn } from './types';
import { coerce, type Row } from './values';

export const DEFAULT_EXTERNALDATA_DIR = path.join(__dirname, '..', 'fixtures', 'externaldata');

/** Reads fixture files from `dir` (index.json, then the URL's file name); null when there is none. */
export function folderReader(dir: string): ExternalDataReader {
  let index: Record<string, string> | undefined;
  const read = (name: string): string | null => {
    if (!/^[\w.-]+$/.test(name)) return null; // a plain file name inside the folder, never a path
    try {
      return readFileSync(path.join(dir, name), 'utf8');
    } catch {
      return null;
    }
  };
  return (url) => {
    if (index === undefined) {
      const text = read('index.json');
      try {
        index = text ? (JSON.parse(text) as Record<string, string>) : {};
      } catch {
        index = {};
      }
    }
    const mapped = index[url];
    if (typeof mapped === 'string') return read(mapped);
    const last = url.split(/[?#]/)[0]?.split('/').pop() ?? '';
    return last ? read(last) : null;
  };
}

export function defaultExternalDataReader(): ExternalDataReader {
  return folderReader(process.env['RIPOSTE_SANDBOX_EXTERNALDATA'] || DEFAULT_EXTERNALDATA_DIR);
}

/** RFC 4180-style records: quoted fields may hold the delimiter, doubled quotes and line breaks. */
export function parseDelimited(text: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0] === ''));
}

const DELIMITERS: Record<string, string> = { csv: ',', tsv: '\t', tsve: '\t', psv: '|', scsv: ';', sohsv: '\u0001' };

/** Rows of an externaldata source in the declared columns. */
export function rowsFromText(
  text: string | null,
  url: string,
  columns: readonly KqlColumn[],
  format: string | null,
  now: string,
): Row[] {
  if (text === null) return indicatorRows(columns, now);
  const kind = (format ?? guessFormat(url)).toLowerCase();
  const typed = (values: readonly unknown[]): Row => {
    const row: Row = {};
    columns.forEach((c, i) => {
      const v = values[i];
      row[c.name] =
        v === undefined || v === null
          ? c.type === 'string'
            ? ''
            : null
          : coerce(v, typeof v === 'string' ? 'string' : 'dynamic', c.type);
    });
    return row;
  };
  if (kind === 'json' || kind === 'multijson' || kind === 'singlejson') {
    const values: unknown[] = [];
    const trimmed = text.trim();
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      values.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    } catch {
      for (const line of trimmed.split(/\r?\n/)) {
        try {
          if (line.trim()) values.push(JSON.parse(line) as unknown);
        } catch {
          // not JSON: skipped, as Kusto skips malformed records only with its ignore options; the fixture is ours
        }
      }
    }
    return values.map((v) =>
      columns.length === 1 && columns[0]?.type === 'dynamic'
        ? { [columns[0].name]: v }
        : typed(columns.map((c) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[c.name] : undefined))),
    );
  }
  if (kind === 'txt' || kind === 'raw') {
    const lines = kind === 'raw' ? [text] : text.split(/\r?\n/).filter((l) => l !== '');
    return lines.map((l) => typed([l]));
  }
  const records = parseDelimited(text, DELIMITERS[kind] ?? ',');
  return records.map((r) => typed(r));
}

function guessFormat(url: string): string {
  const ext = (url.split(/[?#]/)[0] ?? '').split('.').pop()?.toLowerCase() ?? '';
  return ext in DELIMITERS || ext === 'json' || ext === 'txt' ? ext : 'csv';
}

const URLS = [`http://${maliciousIps[0]}/stage2.ps1`, 'https://fabrikam-payments.example/invoice/2026-0113'];
const DOMAINS = ['fabrikam-payments.example', maliciousIps[0]];

/** The seed's attack indicators for each declared column, chosen by its name; the list is as long as the longest. */
function indicatorRows(columns: readonly KqlColumn[], now: string): Row[] {
  const lists = columns.map((c) => indicatorsFor(c, now));
  const count = Math.max(1, ...lists.map((l) => l.length));
  return Array.from({ length: count }, (_, i) => {
    const row: Row = {};
    columns.forEach((c, j) => {
      const list = lists[j] as unknown[];
      row[c.name] = list.length ? list[i % list.length] : c.type === 'string' ? '' : null;
    });
    return row;
  });
}

function indicatorsFor(column: KqlColumn, now: string): unknown[] {
  const n = column.name.toLowerCase();
  const strings = (values: readonly string[]) => values.map((v) => coerce(v, 'string', column.type));
  if (column.type === 'datetime') return [now];
  if (column.type === 'bool') return [true];
  if (column.type === 'dynamic') return [[...maliciousIps]];
  if (column.type !== 'string' && column.type !== 'guid') return [1];
  if (n.includes('sha1')) return strings(files.map((f) => f.sha1));
  if (n.includes('sha256') || n.includes('hash')) return strings(files.map((f) => f.sha256));
  if (n.includes('md5')) return [''];
  if (/(^|_)ip|ip($|_|v4|address)|addr/.test(n)) return strings(maliciousIps);
  if (n.includes('url') || n.includes('uri') || n.includes('link')) return strings(URLS);
  if (n.includes('domain') || n.includes('host') || n.includes('fqdn')) return strings(DOMAINS);
  if (n.includes('mail') || n.includes('sender')) return [phishingSender];
  if (n.includes('file') || n.includes('process') || n.includes('binary') || n.includes('name'))
    return strings(files.map((f) => f.fileName));
  return ['sandbox indicator'];
}
