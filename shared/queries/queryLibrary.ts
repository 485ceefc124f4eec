// The query library: loading a folder of `.kql` files and binding parameter values as `let` statements.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors';
import { describeValue, encodeKqlLiteral, nullLiteral } from './encodeLiteral';
import { parseQueryFile } from './parseQueryFile';
import { QueryFileError, type QueryFileProblem } from './queryFileError';
import type { QueryDefinition, QueryLibrary, QueryParamDef } from './types';

/** Upper bound on the `let` block of one bound query; past it the caller is sending far more than any hunt needs. */
export const MAX_BOUND_PARAMS_CHARS = 1_000_000;

function typeLabel(def: QueryParamDef): string {
  return def.type === 'dynamic' ? `a list of ${def.items ?? 'string'}` : `a ${def.type}`;
}

/**
 * Binds values to a query: one `let <name> = <literal>;` line per declared parameter, in header order, then the body
 * unchanged. Values are never spliced into the body; each literal is produced by encodeKqlLiteral and never contains
 * a line break, so the n-th line of the result is always the n-th parameter.
 * An absent or null value takes the parameter's default; an optional parameter with no default binds its type's null.
 * @throws {InputError} `params` when values is not an object; `params.<name>` for an unknown parameter, a missing
 *   required one, or a value that does not fit (`params.<name>[i]` for a list item).
 */
export function bindQuery(def: QueryDefinition, values: Record<string, unknown>): string {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new InputError('params', `params must be an object of parameter values (got ${describeValue(values)})`);
  }
  const declared = new Map(def.params.map((p) => [p.name, p]));
  for (const key of Object.keys(values)) {
    if (!declared.has(key)) {
      const known = def.params.length > 0 ? def.params.map((p) => p.name).join(', ') : 'none';
      throw new InputError(
        `params.${key}`,
        `Unknown parameter ${JSON.stringify(key)} for query "${def.name}" (its parameters: ${known})`,
      );
    }
  }
  const lines: string[] = [];
  let size = 0;
  for (const p of def.params) {
    const value = Object.hasOwn(values, p.name) ? values[p.name] : undefined;
    let literal: string;
    if (value !== undefined && value !== null) literal = encodeKqlLiteral(p, value);
    else if (p.default !== undefined) literal = encodeKqlLiteral(p, p.default);
    else if (p.required)
      throw new InputError(`params.${p.name}`, `params.${p.name} is required (${typeLabel(p)}) by query "${def.name}"`);
    else literal = nullLiteral(p);
    const line = `let ${p.name} = ${literal};`;
    size += line.length + 1;
    if (size > MAX_BOUND_PARAMS_CHARS) {
      throw new InputError(
        'params',
        `params are too large: the bound values exceed ${MAX_BOUND_PARAMS_CHARS} characters`,
      );
    }
    lines.push(line);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n${def.body}` : def.body;
}

/** A library over already-parsed definitions (names must be unique). */
export function createQueryLibrary(definitions: readonly QueryDefinition[]): QueryLibrary {
  const byName = new Map<string, QueryDefinition>();
  for (const d of definitions) {
    if (byName.has(d.name)) throw new QueryFileError([{ file: d.file, message: `duplicate query name "${d.name}"` }]);
    byName.set(d.name, d);
  }
  const names = [...byName.keys()].sort();
  return {
    names: () => [...names],
    get: (name) => byName.get(name),
    bind(name, values) {
      const def = byName.get(name);
      if (!def)
        throw new InputError(
          'query',
          `Unknown query ${JSON.stringify(name)}; known queries: ${names.join(', ') || 'none'}`,
        );
      return bindQuery(def, values);
    },
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Loads every `*.kql` file directly in `dir`. Every file is read and checked before failing, so one run reports all
 * problems.
 * @throws {QueryFileError} listing every problem in every file (or the folder being unreadable)
 */
export async function loadQueryLibrary(dir: string): Promise<QueryLibrary> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new QueryFileError([{ file: dir, message: `cannot read the query folder: ${(e as Error).message}` }]);
  }
  const problems: QueryFileProblem[] = [];
  const definitions: QueryDefinition[] = [];
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.kql')).map((e) => join(dir, e.name));
  for (const file of files.sort()) {
    let text: string;
    try {
      text = utf8.decode(await readFile(file));
    } catch (e) {
      const utf8Error = e instanceof TypeError && (e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA';
      problems.push({ file, message: utf8Error ? 'is not valid UTF-8' : `cannot be read: ${(e as Error).message}` });
      continue;
    }
    try {
      definitions.push(parseQueryFile(text, file));
    } catch (e) {
      if (!(e instanceof QueryFileError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new QueryFileError(problems);
  return createQueryLibrary(definitions);
}
