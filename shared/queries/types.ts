// Types of the hunting query library: what a `.kql` file declares once its header has been validated.

/** KQL scalar types a parameter can have. `dynamic` means a list (see `items`). */
export type QueryParamType = 'string' | 'int' | 'long' | 'real' | 'bool' | 'datetime' | 'timespan' | 'dynamic';

/** Item type of a `dynamic` list parameter. */
export type QueryListItemType = 'string' | 'long' | 'real' | 'bool';

export interface QueryParamDef {
  /** A KQL identifier starting with a lower-case letter (so it cannot shadow a PascalCase table or column). */
  name: string;
  type: QueryParamType;
  /** Item type; present exactly when `type` is `dynamic`. */
  items?: QueryListItemType;
  /** True unless the header gives a default or says `required: false`. */
  required: boolean;
  /** The default as written in the header (already validated against the type and constraints). */
  default?: unknown;
  description?: string;
  /** A sample value, as written in the header; the tests bind every shipped query with its examples. */
  example?: unknown;
  /** string and string items: a JavaScript regular expression (`u` flag) the whole value must match. */
  pattern?: string;
  /** string and string items: maximum length in UTF-16 code units (default 4096). */
  maxLength?: number;
  /** int/long/real and long/real items: inclusive bounds. timespan: bounds written as timespans ("1m", "30d"). */
  min?: number | string;
  max?: number | string;
  /** dynamic: list length bounds (defaults 0 and 1000). */
  minItems?: number;
  maxItems?: number;
}

export interface QueryDefinition {
  /** Equals the file name without `.kql`. */
  name: string;
  description: string;
  /** In header order; `bind` emits one `let` line per parameter in this order. */
  params: QueryParamDef[];
  /** The KQL after the header: leading blank lines and trailing white space removed, line ends normalised to LF. */
  body: string;
  /** The file line (1-based) of the body's first line, so a position in the body maps back to the file. */
  bodyLine?: number;
  /** The path the definition was read from. */
  file: string;
  tags?: string[];
}

export interface QueryLibrary {
  /** Query names, sorted. */
  names(): string[];
  get(name: string): QueryDefinition | undefined;
  /**
   * Validates values (unknown param → InputError, missing required → InputError, wrong type → InputError naming
   * `params.<name>`), returns `let` lines + body.
   */
  bind(name: string, values: Record<string, unknown>): string;
}
