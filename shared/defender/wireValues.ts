// Reading loosely typed wire values from the Defender APIs' answers, shared by the incident and alert mappers.

/** A string field as text: numbers (legacy ids) become text, anything else null. */
export const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;

/** A list of strings, skipping anything else; not a list: empty. */
export const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
