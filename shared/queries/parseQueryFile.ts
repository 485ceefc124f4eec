// Reads a `.kql` query file: a YAML header inside `//` comment lines between `// ---` fences, then the KQL body.
// Every problem in the file is collected and reported together, each with its line and header field.
import { basename } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { InputError } from '../errors';
import { compilePattern, DEFAULT_MAX_ITEMS, describeValue, encodeKqlLiteral } from './encodeLiteral';
import { kqlWords } from './kqlIdentifiers';
import { QueryFileError, type QueryFileProblem } from './queryFileError';
import { reservedNameKind } from './reservedNames';
import { parseTimespanTicks } from './timespanLiteral';
import type { QueryDefinition, QueryListItemType, QueryParamDef, QueryParamType } from './types';

const FENCE = '// ---';
const PARAM_TYPES: readonly QueryParamType[] = [
  'string',
  'int',
  'long',
  'real',
  'bool',
  'datetime',
  'timespan',
  'dynamic',
];
const ITEM_TYPES: readonly QueryListItemType[] = ['string', 'long', 'real', 'bool'];
const HEADER_KEYS = ['name', 'description', 'params', 'tags'];
const PARAM_KEYS = [
  'type',
  'items',
  'required',
  'default',
  'example',
  'description',
  'pattern',
  'maxLength',
  'min',
  'max',
  'minItems',
  'maxItems',
];
const QUERY_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const PARAM_NAME = /^[a-z][A-Za-z0-9_]*$/;
/** Upper bounds a header may set: beyond these a single value would make an unreasonably large query. */
const MAX_MAX_LENGTH = 65_536;
const MAX_MAX_ITEMS = 10_000;

type Path = ReadonlyArray<string | number>;

/** Problem collector that knows where header fields are. */
class Problems {
  readonly list: QueryFileProblem[] = [];
  doc: Document | undefined;
  constructor(
    readonly file: string,
    private readonly lineCounter: LineCounter,
    /** File line of the first header line (YAML line 1). */
    private readonly headerFirstLine: number,
  ) {}

  add(message: string, where: { line?: number; path?: Path } = {}): void {
    const line = where.line ?? (where.path ? this.lineOf(where.path) : undefined);
    const field = where.path ? fieldName(where.path) : undefined;
    this.list.push({
      file: this.file,
      ...(line === undefined ? {} : { line }),
      ...(field === undefined ? {} : { field }),
      message,
    });
  }

  /** File line of the deepest node on `path` that exists; for a map entry, the line of its key. */
  lineOf(path: Path): number | undefined {
    if (!this.doc) return undefined;
    for (let n = path.length; n > 0; n--) {
      const parent = n === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, n - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[n - 1]);
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return this.lineCounter.linePos(range[0]).line + this.headerFirstLine - 1;
      }
    }
    return undefined;
  }
}

function fieldName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonNegativeInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Parses and validates one query file.
 * @param text - the file's contents
 * @param file - its path; the file name without `.kql` must equal the header's `name`
 * @throws {QueryFileError} listing every problem found, each naming the file and the line or header field
 */
export function parseQueryFile(text: string, file: string): QueryDefinition {
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .split('\n');
  const lineCounter = new LineCounter();
  const problems = new Problems(file, lineCounter, 2);
  if ((lines[0] ?? '').trimEnd() !== FENCE) {
    problems.add(`must start with a "${FENCE}" line opening the YAML header`, { line: 1 });
    throw new QueryFileError(problems.list);
  }
  const close = lines.findIndex((l, i) => i > 0 && l.trimEnd() === FENCE);
  if (close < 0) {
    problems.add(`the header opened on line 1 is never closed by a "${FENCE}" line`, { line: 1 });
    throw new QueryFileError(problems.list);
  }

  const yamlLines: string[] = [];
  for (let i = 1; i < close; i++) {
    const line = lines[i] as string;
    if (!line.startsWith('//')) problems.add('header lines must start with "//"', { line: i + 1 });
    yamlLines.push(line.startsWith('// ') ? line.slice(3) : line.startsWith('//') ? line.slice(2) : line);
  }
  const doc = parseDocument(yamlLines.join('\n'), { lineCounter, uniqueKeys: true, prettyErrors: true });
  for (const e of [...doc.errors, ...doc.warnings]) {
    const line = e.linePos?.[0].line;
    problems.add(
      `invalid YAML: ${e.message.split(/ at line \d+|\n/)[0]}`,
      line === undefined ? {} : { line: line + 1 },
    );
  }
  if (doc.errors.length > 0) throw new QueryFileError(problems.list);
  problems.doc = doc;
  const header: unknown = doc.toJS();

  let bodyStart = close + 1;
  while (bodyStart < lines.length && (lines[bodyStart] as string).trim() === '') bodyStart++;
  const body = lines.slice(bodyStart).join('\n').trimEnd();

  if (!isRecord(header)) {
    problems.add('the header must be a YAML mapping with name, description and params', { line: 2 });
    throw new QueryFileError(problems.list);
  }
  for (const key of Object.keys(header)) {
    if (!HEADER_KEYS.includes(key))
      problems.add(`unknown header field; allowed: ${HEADER_KEYS.join(', ')}`, { path: [key] });
  }

  const expectedName = basename(file).replace(/\.kql$/i, '');
  const name = header['name'];
  if (typeof name !== 'string' || name === '') {
    problems.add('is missing: the query name, equal to the file name without .kql', {
      path: ['name'],
      line: problems.lineOf(['name']) ?? 2,
    });
  } else if (!QUERY_NAME.test(name)) {
    problems.add(`"${name}" must be lower-case kebab-case (letters, digits, single hyphens)`, { path: ['name'] });
  } else if (name !== expectedName) {
    problems.add(`"${name}" does not match the file name "${basename(file)}" (expected "${expectedName}")`, {
      path: ['name'],
    });
  }

  const description = header['description'];
  if (typeof description !== 'string' || description.trim() === '') {
    problems.add('is missing: one or two sentences saying what the query finds', {
      path: ['description'],
      line: problems.lineOf(['description']) ?? 2,
    });
  }

  const tags = header['tags'];
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))) {
    problems.add('must be a list of strings', { path: ['tags'] });
  }

  const params = parseParams(header['params'], problems);

  if (body === '') {
    problems.add('has no query body after the header', { line: close + 2 });
  } else {
    checkBody(body, params, problems, bodyStart + 1);
  }

  if (problems.list.length > 0) throw new QueryFileError(problems.list);
  return {
    name: name as string,
    description: (description as string).trim(),
    params,
    body,
    bodyLine: bodyStart + 1,
    file,
    ...(Array.isArray(tags) ? { tags: tags as string[] } : {}),
  };
}

function parseParams(raw: unknown, problems: Problems): QueryParamDef[] {
  if (raw === undefined || raw === null) return [];
  if (!isRecord(raw)) {
    problems.add('must be a mapping of parameter name to { type, ... }', { path: ['params'] });
    return [];
  }
  const defs: QueryParamDef[] = [];
  for (const [name, spec] of Object.entries(raw)) {
    const def = parseParam(name, spec, problems);
    if (def) defs.push(def);
  }
  return defs;
}

function parseParam(name: string, spec: unknown, problems: Problems): QueryParamDef | undefined {
  const at = (...rest: string[]): Path => ['params', name, ...rest];
  const before = problems.list.length;
  if (!PARAM_NAME.test(name)) {
    problems.add(
      'parameter names must be KQL identifiers that start with a lower-case letter (then letters, digits, _)',
      { path: at() },
    );
  } else {
    const kind = reservedNameKind(name);
    if (kind) problems.add(`"${name}" is ${kind} and cannot be a parameter name`, { path: at() });
  }
  if (!isRecord(spec)) {
    problems.add('must be a mapping such as { type: string, description: ... }', { path: at() });
    return undefined;
  }
  for (const key of Object.keys(spec)) {
    if (!PARAM_KEYS.includes(key)) problems.add(`unknown field; allowed: ${PARAM_KEYS.join(', ')}`, { path: at(key) });
  }

  const type = spec['type'];
  if (!PARAM_TYPES.includes(type as QueryParamType)) {
    const got = type === undefined ? 'is required' : `"${String(type)}" is not a type`;
    problems.add(`${got}; use one of ${PARAM_TYPES.join(', ')}`, { path: at('type') });
    return undefined;
  }
  const def: QueryParamDef = { name, type: type as QueryParamType, required: true };

  const items = spec['items'];
  if (def.type === 'dynamic') {
    if (!ITEM_TYPES.includes(items as QueryListItemType)) {
      const got = items === undefined ? 'is required for a dynamic list' : `"${String(items)}" is not an item type`;
      problems.add(`${got}; use one of ${ITEM_TYPES.join(', ')}`, { path: at('items') });
    } else {
      def.items = items as QueryListItemType;
    }
  } else if (items !== undefined) {
    problems.add('only applies to type dynamic', { path: at('items') });
  }
  const itemOrType = def.type === 'dynamic' ? def.items : def.type;

  if (spec['description'] !== undefined) {
    if (typeof spec['description'] === 'string') def.description = spec['description'];
    else problems.add('must be a string', { path: at('description') });
  }

  // Constraints, each only where it means something.
  const stringish = itemOrType === 'string';
  const numeric = itemOrType === 'int' || itemOrType === 'long' || itemOrType === 'real';
  if (spec['pattern'] !== undefined) {
    const pattern = spec['pattern'];
    if (!stringish) problems.add('only applies to string values', { path: at('pattern') });
    else if (typeof pattern !== 'string') problems.add('must be a regular expression string', { path: at('pattern') });
    else {
      try {
        compilePattern(pattern);
        def.pattern = pattern;
      } catch (e) {
        problems.add(`is not a valid regular expression: ${(e as Error).message}`, { path: at('pattern') });
      }
    }
  }
  if (spec['maxLength'] !== undefined) {
    const v = spec['maxLength'];
    if (!stringish) problems.add('only applies to string values', { path: at('maxLength') });
    else if (!isNonNegativeInteger(v) || v < 1 || v > MAX_MAX_LENGTH)
      problems.add(`must be an integer from 1 to ${MAX_MAX_LENGTH}`, { path: at('maxLength') });
    else def.maxLength = v;
  }
  for (const key of ['min', 'max'] as const) {
    const v = spec[key];
    if (v === undefined) continue;
    if (def.type === 'timespan') {
      const parsed = typeof v === 'string' ? parseTimespanTicks(v) : undefined;
      if (typeof v !== 'string' || !parsed?.ok) {
        const why = parsed && !parsed.ok ? parsed.reason : 'must be a timespan like "30d"';
        problems.add(`${why} (got ${describeValue(v)})`, { path: at(key) });
      } else def[key] = v;
    } else if (numeric) {
      const integral = itemOrType !== 'real';
      if (typeof v !== 'number' || !Number.isFinite(v) || (integral && !Number.isSafeInteger(v))) {
        problems.add(`must be ${integral ? 'an integer' : 'a number'}`, { path: at(key) });
      } else def[key] = v;
    } else {
      problems.add('only applies to int, long, real and timespan values', { path: at(key) });
    }
  }
  if (def.min !== undefined && def.max !== undefined && minExceedsMax(def)) {
    problems.add(`min (${def.min}) is greater than max (${def.max})`, { path: at('min') });
  }
  for (const key of ['minItems', 'maxItems'] as const) {
    const v = spec[key];
    if (v === undefined) continue;
    if (def.type !== 'dynamic') problems.add('only applies to type dynamic', { path: at(key) });
    else if (!isNonNegativeInteger(v) || v > MAX_MAX_ITEMS)
      problems.add(`must be an integer from 0 to ${MAX_MAX_ITEMS}`, { path: at(key) });
    else def[key] = v;
  }
  if ((def.minItems ?? 0) > (def.maxItems ?? DEFAULT_MAX_ITEMS)) {
    problems.add(`minItems (${def.minItems}) is greater than maxItems (${def.maxItems ?? DEFAULT_MAX_ITEMS})`, {
      path: at('minItems'),
    });
  }

  const required = spec['required'];
  if (required !== undefined && typeof required !== 'boolean')
    problems.add('must be true or false', { path: at('required') });
  if ('default' in spec) {
    if (required === true)
      problems.add('a parameter with a default cannot also be required: true', { path: at('required') });
    def.default = spec['default'];
    def.required = false;
  } else if (required === false) {
    def.required = false;
  }
  if ('example' in spec) def.example = spec['example'];

  // Defaults and examples must themselves be valid values (checked last, against the final constraints).
  if (problems.list.length === before) {
    for (const key of ['default', 'example'] as const) {
      if (!(key in spec)) continue;
      try {
        encodeKqlLiteral(def, spec[key]);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        const prefix = `params.${name}`;
        const suffix = e.field.slice(prefix.length); // "" or "[2]" for a list item
        problems.add(e.message.slice(e.field.length + 1), {
          path: [...at(key), ...(suffix ? [Number(suffix.slice(1, -1))] : [])],
        });
      }
    }
  }
  return def;
}

function minExceedsMax(def: QueryParamDef): boolean {
  if (typeof def.min === 'number' && typeof def.max === 'number') return def.min > def.max;
  if (typeof def.min === 'string' && typeof def.max === 'string') {
    const min = parseTimespanTicks(def.min);
    const max = parseTimespanTicks(def.max);
    return min.ok && max.ok && min.value > max.value;
  }
  return false;
}

function checkBody(body: string, params: readonly QueryParamDef[], problems: Problems, firstLine: number): void {
  const words = kqlWords(body);
  const lineAt = (offset: number): number => firstLine + (body.slice(0, offset).match(/\n/g)?.length ?? 0);
  const used = new Set(words.map((w) => w.text));
  for (const p of params) {
    if (!used.has(p.name)) problems.add(`is declared but never used in the query body`, { path: ['params', p.name] });
  }
  const declared = new Set(params.map((p) => p.name));
  words.forEach((w, i) => {
    const next = words[i + 1];
    if (w.text === 'let' && next && declared.has(next.text)) {
      problems.add(`the body redeclares parameter "${next.text}" with let`, { line: lineAt(next.offset) });
    }
    if (w.text === 'declare' && next?.text === 'query_parameters') {
      problems.add(
        'declare query_parameters is not supported (the hunting APIs take no parameters); declare them in the header',
        {
          line: lineAt(w.offset),
        },
      );
    }
  });
}
