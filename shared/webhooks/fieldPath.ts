// Reads mapped fields out of ticket JSON. Paths are dotted (`assigned_to.email`); a literal key containing dots wins,
// because ServiceNow's Table API sends dot-walked fields flat ({"assigned_to.email": "..."}) while a business rule
// usually nests them. Only own properties are read, so `constructor` or `__proto__` in a path finds nothing.
import { InputError } from '../errors';
import { isRecord } from './readBody';

/**
 * @returns the value; `undefined` when the field was not sent; `null` when a reference on the way is empty
 * (Jira `assignee: null`, ServiceNow `assigned_to: ""`), which callers read as "cleared".
 */
export function getPath(root: unknown, path: string): unknown {
  if (root === null || root === '') return null;
  if (!isRecord(root)) return undefined;
  if (Object.hasOwn(root, path)) return root[path];
  for (let dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    if (!Object.hasOwn(root, head)) continue;
    const v = getPath(root[head], path.slice(dot + 1));
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * A field as text. Numbers and booleans become strings; a select-list or reference object gives its `value`
 * (Jira `{id, value}`, ServiceNow `{value, display_value}`). Empty text is `null`.
 * @throws {InputError} naming `where` when the field is a list or an object without `value`.
 */
export function textAt(root: unknown, path: string, where: string): string | null | undefined {
  return asText(getPath(root, path), where);
}

/** asText for a value already read; see textAt. */
export function asText(v: unknown, where: string): string | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  if (isRecord(v) && Object.hasOwn(v, 'value') && !isRecord(v.value) && !Array.isArray(v.value)) {
    return asText(v.value, where);
  }
  throw new InputError(where, `${where} must be text, a number or an object with a value`);
}

/** Top-level field of a path, as a change list names it: `status.statusCategory.key` → `status`. */
export function topField(path: string): string {
  const dot = path.indexOf('.');
  return dot < 0 ? path : path.slice(0, dot);
}

/** Lookup-table key form: trimmed, lower case. */
export function tableKey(s: string): string {
  return s.trim().toLowerCase();
}

/** A short, quoted excerpt of sender text for an error message. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}
