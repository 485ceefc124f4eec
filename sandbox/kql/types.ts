// Public types of the sandbox's KQL engine (the server codes against these).

export type KqlType = 'string' | 'datetime' | 'long' | 'int' | 'bool' | 'real' | 'dynamic' | 'timespan' | 'guid';

export interface KqlColumn {
  name: string;
  type: KqlType;
}

/** An in-memory hunting table. Datetime values may be stored as `Date` or as ISO 8601 strings. */
export interface KqlTable {
  name: string;
  columns: KqlColumn[];
  rows: Record<string, unknown>[];
}

export interface KqlContext {
  tables: ReadonlyMap<string, KqlTable>;
  /** The query's `now()`; `ago(x)` is `now - x`. */
  now: Date;
  /** Rows outside [start, end] on the table's Timestamp column are invisible. */
  timeWindow?: { start: Date; end: Date };
  /** Result row cap (default 100000); beyond it the result is cut and `truncated` is set. */
  maxRows?: number;
  /** Work limits: rows all operators may produce together, and wall-clock time (defaults in budget.ts). */
  limits?: { maxRows?: number; timeMs?: number };
  /** Answers `externaldata` URLs with local text (default: the fixture folder; never the network). */
  externalData?: (url: string) => string | null;
}

export interface KqlResult {
  columns: KqlColumn[];
  rows: Record<string, unknown>[];
  truncated: boolean;
}

export type KqlErrorKind = 'syntax' | 'semantic' | 'unsupported';

/** A query the sandbox cannot run: bad syntax, unknown names or types, or a feature outside the supported subset. */
export class KqlError extends Error {
  readonly kind: KqlErrorKind;
  readonly offset?: number;
  constructor(kind: KqlErrorKind, message: string, offset?: number) {
    super(message);
    this.name = 'KqlError';
    this.kind = kind;
    if (offset !== undefined) this.offset = offset;
  }
}

const API_TYPE_NAMES: Record<KqlType, string> = {
  string: 'String',
  datetime: 'DateTime',
  long: 'Int64',
  int: 'Int32',
  bool: 'Boolean',
  real: 'Double',
  dynamic: 'Object',
  timespan: 'TimeSpan',
  guid: 'Guid',
};

/** The .NET short type name the hunting APIs report in a result schema (hunting-schema.md §4). */
export function apiTypeName(t: KqlType): string {
  return API_TYPE_NAMES[t];
}
