// Tag changes are applied to the incident's current list and sent whole: neither API has add/remove semantics
// (legacy `tags` probably replaces, Graph `customTags` does), so a bare "add" would drop the existing tags.
import type { TagChange } from './types';

/** Case-insensitive de-duplication that keeps the first spelling and the original order. */
export function dedupeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of tags) {
    const key = t.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(t);
    }
  }
  return out;
}

/** The list to send: replace wins; otherwise current + add − remove (matching ignores case). */
export function applyTagChange(current: readonly string[], change: TagChange): string[] {
  if (change.replace) return dedupeTags(change.replace);
  const remove = new Set((change.remove ?? []).map((t) => t.toLowerCase()));
  return dedupeTags([...current, ...(change.add ?? [])]).filter((t) => !remove.has(t.toLowerCase()));
}

/** True when the change needs the incident's current tags (anything but a replace). */
export const needsCurrentTags = (change: TagChange): boolean => change.replace === undefined;

/** Same tags in the same order (case-sensitive): the PATCH can be skipped when nothing would change. */
export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
