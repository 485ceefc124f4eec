// String functions (MicrosoftDocs/dataexplorer-docs, data-explorer/kusto/query/<name>-function.md): trimming,
// regex replace and extraction, JSON paths, URL/path/command-line parsing, encodings and hashes.
import { createHash, randomUUID } from 'node:crypto';
import { arg, expect, longArg, stringFunction, strings, textOf, type ScalarFunction } from './functionHelpers';
import type { Compiled, FunctionContext } from './compiled';
import { compileRegex } from './stringOps';
import type { KqlType } from './types';
import { coerce, parseJsonValue, toDynamic, toKqlString, type Row } from './values';

function constantRegex(fx: FunctionContext, fn: string, a: Compiled): RegExp {
  if (!a.constant) fx.fail(`${fn}(): the regular expression must be a constant`);
  const pattern = toKqlString(a.ev({}), a.type);
  try {
    return compileRegex(pattern);
  } catch (e) {
    return fx.fail(`${fn}(): invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
}

function globalOf(regex: RegExp): RegExp {
  return new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`);
}

/** RE2 rewrite patterns use \1 for groups; JS uses $1. */
function rewriteOf(text: string): string {
  return text.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
}

function replaceRegex(source: (r: Row) => string, regex: RegExp, rewrite: (r: Row) => string): Compiled {
  const g = globalOf(regex);
  return { type: 'string', ev: (row) => source(row).replace(g, rewriteOf(rewrite(row))) };
}

function trimmer(fn: string, start: boolean, end: boolean): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const regex = constantRegex(fx, fn, arg(args, 0));
      const text = strings(fx, fn, arg(args, 1), 1);
      const head = new RegExp(`^(?:${regex.source})+`, regex.flags.replace('g', ''));
      const tail = new RegExp(`(?:${regex.source})+$`, regex.flags.replace('g', ''));
      return {
        type: 'string',
        ev: (row) => {
          let s = text(row);
          if (start) s = s.replace(head, '');
          if (end) s = s.replace(tail, '');
          return s;
        },
      };
    },
  };
}

/** `$.a.b[0]['c']` paths for extractjson(). */
export function jsonPath(value: unknown, path: string): unknown {
  const tokens = path
    .trim()
    .replace(/^\$/, '')
    .match(/\.[^.[\]]+|\[\s*(?:'[^']*'|"[^"]*"|\d+)\s*\]/g);
  if (path.trim() !== '$' && !tokens) return undefined;
  let current = value;
  for (const t of tokens ?? []) {
    if (current === null || typeof current !== 'object') return undefined;
    let key: string | number = t.startsWith('.') ? t.slice(1) : t.slice(1, -1).trim();
    if (typeof key === 'string' && /^['"]/.test(key)) key = key.slice(1, -1);
    else if (typeof key === 'string' && /^\d+$/.test(key) && Array.isArray(current)) key = Number(key);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function parseUrl(text: string): unknown {
  const m =
    /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^:/?#]*)(?::(\d+))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(
      text,
    );
  if (!m) return {};
  const query: Record<string, string> = {};
  for (const pair of (m[7] ?? '').split('&')) {
    if (!pair) continue;
    const [k, v = ''] = pair.split('=');
    query[safeDecode(k ?? '')] = safeDecode(v);
  }
  return {
    Scheme: m[1] ?? '',
    Host: m[4] ?? '',
    Port: m[5] ?? '',
    Path: m[6] ?? '',
    Username: m[2] ?? '',
    Password: m[3] ?? '',
    'Query Parameters': query,
    Fragment: m[8] ?? '',
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function parsePath(text: string): unknown {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1] ?? '';
  const body = scheme ? text.slice(scheme.length + 3) : text;
  const separator = body.includes('\\') ? '\\' : '/';
  const cut = body.lastIndexOf(separator);
  const directory = cut >= 0 ? body.slice(0, cut) : '';
  let filename = cut >= 0 ? body.slice(cut + 1) : body;
  let stream = '';
  const colon = filename.indexOf(':');
  if (colon > 0) {
    stream = filename.slice(colon + 1);
    filename = filename.slice(0, colon);
  }
  const dot = filename.lastIndexOf('.');
  const root = /^[A-Za-z]:/.exec(body)?.[0] ?? (body.startsWith('\\\\') ? body.split('\\').slice(0, 4).join('\\') : '');
  return {
    Scheme: scheme,
    RootPath: root,
    DirectoryPath: directory,
    DirectoryName: directory.split(separator).pop() ?? '',
    Filename: filename,
    Extension: dot > 0 ? filename.slice(dot + 1) : '',
    AlternateDataStreamName: stream,
  };
}

/** CommandLineToArgvW rules: whitespace separates, quotes group, backslashes escape quotes. */
function parseCommandLine(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let inQuotes = false;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\') {
      let n = 0;
      while (text[i] === '\\') {
        n++;
        i++;
      }
      if (text[i] === '"') {
        current += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) current += '"';
        else {
          inQuotes = !inQuotes;
        }
        has = true;
      } else {
        current += '\\'.repeat(n);
        i--;
        has = true;
      }
      continue;
    }
    if (ch === '"') {
      inQuotes = !inQuotes;
      has = true;
    } else if (/\s/.test(ch) && !inQuotes) {
      if (has) out.push(current);
      current = '';
      has = false;
    } else {
      current += ch;
      has = true;
    }
  }
  if (has) out.push(current);
  return out;
}

/** replace_regex() and replace(): which argument is the text, the (constant) regex and the rewrite. */
function regexReplacement(fn: string, at: { text: number; regex: number; rewrite: number }): ScalarFunction {
  return {
    minArgs: 3,
    maxArgs: 3,
    compile: (args, fx) =>
      replaceRegex(
        strings(fx, fn, arg(args, at.text), at.text),
        constantRegex(fx, fn, arg(args, at.regex)),
        strings(fx, fn, arg(args, at.rewrite), at.rewrite),
      ),
  };
}

function hashFunction(algorithm: string): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const text = textOf(arg(args, 0));
      return { type: 'string', ev: (row) => createHash(algorithm).update(text(row), 'utf8').digest('hex') };
    },
  };
}

function typedExtract(value: string | undefined, type: KqlType): unknown {
  if (value === undefined) return type === 'string' ? '' : null;
  return type === 'string' ? value : coerce(value, 'string', type);
}

export const STRING_FUNCTIONS: Record<string, ScalarFunction> = {
  trim: trimmer('trim', true, true),
  trim_start: trimmer('trim_start', true, false),
  trim_end: trimmer('trim_end', false, true),
  replace_regex: regexReplacement('replace_regex', { text: 0, regex: 1, rewrite: 2 }),
  // The older replace() takes the same arguments in another order.
  replace: regexReplacement('replace', { text: 2, regex: 0, rewrite: 1 }),
  extract: {
    minArgs: 3,
    maxArgs: 4,
    compile: (args, fx) => {
      const regex = constantRegex(fx, 'extract', arg(args, 0));
      const group = longArg(fx, 'extract', arg(args, 1), 1);
      const text = textOf(arg(args, 2));
      const typeArg = args[3];
      const type = (typeArg ? String(typeArg.ev({})) : 'string') as KqlType;
      return {
        type,
        ev: (row) => {
          const m = regex.exec(text(row));
          const g = group(row);
          return typedExtract(m && g !== null ? (m[g] ?? undefined) : undefined, type);
        },
      };
    },
  },
  extract_all: {
    minArgs: 2,
    maxArgs: 3,
    compile: (args, fx) => {
      const regex = globalOf(constantRegex(fx, 'extract_all', arg(args, 0)));
      const groupsArg = args.length === 3 ? arg(args, 1) : null;
      const wanted = groupsArg ? (groupsArg.ev({}) as unknown) : null;
      const text = textOf(arg(args, args.length - 1));
      return {
        type: 'dynamic',
        ev: (row) => {
          const out: unknown[] = [];
          for (const m of text(row).matchAll(regex)) {
            const groups = Array.isArray(wanted) ? wanted.map((g) => m[Number(g)] ?? '') : m.slice(1);
            if (groups.length === 0) out.push(m[0]);
            else if (groups.length === 1) out.push(groups[0] ?? '');
            else out.push(groups.map((g) => g ?? ''));
            if (m[0] === '') break;
          }
          return out.length ? out : null;
        },
      };
    },
  },
  extractjson: extractJson('extractjson'),
  extract_json: extractJson('extract_json'),
  countof: {
    minArgs: 2,
    maxArgs: 3,
    compile: (args, fx) => {
      const text = strings(fx, 'countof', arg(args, 0), 0);
      const search = arg(args, 1);
      const kind = args[2] ? String(args[2].ev({})) : 'normal';
      if (kind === 'regex') {
        const regex = globalOf(constantRegex(fx, 'countof', search));
        return { type: 'long', ev: (row) => [...text(row).matchAll(regex)].length };
      }
      const needle = strings(fx, 'countof', search, 1);
      return {
        type: 'long',
        ev: (row) => {
          const n = needle(row);
          const h = text(row);
          if (!n) return 0;
          let count = 0;
          for (let i = h.indexOf(n); i >= 0; i = h.indexOf(n, i + n.length)) count++;
          return count;
        },
      };
    },
  },
  reverse: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const text = textOf(arg(args, 0));
      return { type: 'string', ev: (row) => [...text(row)].reverse().join('') };
    },
  },
  strrep: {
    minArgs: 2,
    maxArgs: 3,
    compile: (args, fx) => {
      const text = textOf(arg(args, 0));
      const times = longArg(fx, 'strrep', arg(args, 1), 1);
      const delimiter = args[2] ? textOf(args[2]) : () => '';
      return {
        type: 'string',
        ev: (row) => {
          const n = Math.min(Math.max(0, times(row) ?? 0), 10_000);
          return Array.from({ length: n }, () => text(row)).join(delimiter(row));
        },
      };
    },
  },
  strcat_delim: {
    minArgs: 3,
    maxArgs: 64,
    compile: (args) => {
      const [first, ...rest] = args.map(textOf);
      return { type: 'string', ev: (row) => rest.map((p) => p(row)).join(first ? first(row) : '') };
    },
  },
  strcat_array: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const array = arg(args, 0).ev;
      const delimiter = textOf(arg(args, 1));
      return {
        type: 'string',
        ev: (row) => {
          const a = array(row);
          return Array.isArray(a) ? a.map((v) => toKqlString(v, 'dynamic')).join(delimiter(row)) : '';
        },
      };
    },
  },
  string_size: stringFunction('string_size', 'long', (s) => Buffer.byteLength(s, 'utf8')),
  url_decode: stringFunction('url_decode', 'string', (s) => safeDecode(s)),
  url_encode: stringFunction('url_encode', 'string', (s) => encodeURIComponent(s)),
  url_encode_component: stringFunction('url_encode_component', 'string', (s) => encodeURIComponent(s)),
  base64_decode_tostring: stringFunction('base64_decode_tostring', 'string', (s) =>
    Buffer.from(s, 'base64').toString('utf8'),
  ),
  base64_encode_tostring: stringFunction('base64_encode_tostring', 'string', (s) =>
    Buffer.from(s, 'utf8').toString('base64'),
  ),
  base64_encodestring: stringFunction('base64_encodestring', 'string', (s) =>
    Buffer.from(s, 'utf8').toString('base64'),
  ),
  base64_decodestring: stringFunction('base64_decodestring', 'string', (s) =>
    Buffer.from(s, 'base64').toString('utf8'),
  ),
  base64_decode_toarray: stringFunction('base64_decode_toarray', 'dynamic', (s) => [...Buffer.from(s, 'base64')]),
  hash_sha256: hashFunction('sha256'),
  hash_sha1: hashFunction('sha1'),
  hash_md5: hashFunction('md5'),
  parse_url: stringFunction('parse_url', 'dynamic', parseUrl),
  parseurl: stringFunction('parseurl', 'dynamic', parseUrl),
  parse_urlquery: stringFunction('parse_urlquery', 'dynamic', (s) => ({
    'Query Parameters': Object.fromEntries(
      s
        .replace(/^\?/, '')
        .split('&')
        .filter(Boolean)
        .map((p) => {
          const [k, v = ''] = p.split('=');
          return [safeDecode(k ?? ''), safeDecode(v)];
        }),
    ),
  })),
  parse_path: stringFunction('parse_path', 'dynamic', parsePath),
  parse_command_line: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const text = strings(fx, 'parse_command_line', arg(args, 0), 0);
      return { type: 'dynamic', ev: (row) => parseCommandLine(text(row)) };
    },
  },
  parse_csv: stringFunction('parse_csv', 'dynamic', (s) => {
    const out: string[] = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i] as string;
      if (quoted) {
        if (ch === '"' && s[i + 1] === '"') {
          field += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"' && field === '') quoted = true;
      else if (ch === ',') {
        out.push(field);
        field = '';
      } else field += ch;
    }
    out.push(field);
    return out;
  }),
  translate: {
    minArgs: 3,
    maxArgs: 3,
    compile: (args) => {
      const [from, to, text] = args.map(textOf) as [(r: Row) => string, (r: Row) => string, (r: Row) => string];
      return {
        type: 'string',
        ev: (row) => {
          const f = [...from(row)];
          const t = [...to(row)];
          return [...text(row)]
            .map((ch) => {
              const i = f.indexOf(ch);
              if (i < 0) return ch;
              if (t.length === 0) return '';
              return t[Math.min(i, t.length - 1)] ?? '';
            })
            .join('');
        },
      };
    },
  },
  strcmp: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const [a, b] = args.map(textOf) as [(r: Row) => string, (r: Row) => string];
      return { type: 'int', ev: (row) => (a(row) < b(row) ? -1 : a(row) > b(row) ? 1 : 0) };
    },
  },
  isascii: stringFunction('isascii', 'bool', (s) => [...s].every((ch) => ch.charCodeAt(0) < 128)),
  isutf8: stringFunction('isutf8', 'bool', () => true),
  new_guid: { minArgs: 0, maxArgs: 0, compile: () => ({ type: 'guid', ev: () => randomUUID() }) },
  tohex: {
    minArgs: 1,
    maxArgs: 2,
    compile: (args, fx) => {
      const value = longArg(fx, 'tohex', arg(args, 0), 0);
      const width = args[1] ? longArg(fx, 'tohex', args[1], 1) : () => 0;
      return {
        type: 'string',
        ev: (row) => {
          const n = value(row);
          if (n === null) return '';
          const hex = (n < 0 ? BigInt.asUintN(64, BigInt(n)) : BigInt(n)).toString(16);
          return hex.padStart(width(row) ?? 0, '0');
        },
      };
    },
  },
  indexof: {
    minArgs: 2,
    maxArgs: 5,
    compile: (args, fx) => {
      const s = textOf(arg(args, 0));
      const lookup = strings(fx, 'indexof', arg(args, 1), 1);
      const start = args[2] ? longArg(fx, 'indexof', args[2], 2) : () => 0;
      const length = args[3] ? longArg(fx, 'indexof', args[3], 3) : () => -1;
      const occurrence = args[4] ? longArg(fx, 'indexof', args[4], 4) : () => 1;
      return {
        type: 'long',
        ev: (row) => {
          const text = s(row);
          let from = start(row) ?? 0;
          if (from < 0) from = Math.max(0, text.length + from);
          const len = length(row) ?? -1;
          const limit = len < 0 ? text.length : Math.min(text.length, from + len);
          const needle = lookup(row);
          let at = from - 1;
          for (let n = 0; n < Math.max(1, occurrence(row) ?? 1); n++) {
            at = text.indexOf(needle, at + 1);
            if (at < 0) return -1;
          }
          return at + needle.length <= limit ? at : -1;
        },
      };
    },
  },
};

function extractJson(fn: string): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 3,
    compile: (args, fx) => {
      const path = strings(fx, fn, arg(args, 0), 0);
      const source = arg(args, 1);
      expect(fx, fn, source, 1, ['string', 'dynamic']);
      const ev = source.ev;
      const from = source.type;
      const typeArg = args[2];
      const type = (typeArg ? String(typeArg.ev({})) : 'string') as KqlType;
      return {
        type,
        ev: (row) => {
          const value = jsonPath(parseJsonValue(ev(row), from), path(row));
          if (value === undefined || value === null) return type === 'string' ? '' : null;
          return type === 'string'
            ? toKqlString(value, 'dynamic')
            : coerce(toDynamic(value, 'dynamic'), 'dynamic', type);
        },
      };
    },
  };
}
