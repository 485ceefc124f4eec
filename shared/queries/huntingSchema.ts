// The one schema of Defender's Advanced Hunting tables and documented functions, as data:
// schemas/hunting/advanced-hunting-schema.json, generated from Microsoft's schema reference pages by
// scripts/huntingSchema (see schemas/hunting/README.md). Everything that needs a table's columns reads it from
// here (or, for the sandbox, which never imports shared/, from the JSON file itself). Read lazily on first use,
// so loading a module that imports this costs the Function App's cold start nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findAppRoot } from '../config';

/** Kusto's scalar types: every column and parameter type in the schema is one of these. */
export const KUSTO_TYPES = [
  'bool',
  'datetime',
  'decimal',
  'dynamic',
  'guid',
  'int',
  'long',
  'real',
  'string',
  'timespan',
] as const;
export type KustoType = (typeof KUSTO_TYPES)[number];

export interface HuntingColumn {
  name: string;
  type: KustoType;
  /** The documentation's own type word when it is not the Kusto name (`boolean`, `integer`, `object`, ...). */
  docType?: string;
  /** Why `type` differs from what the page says (a documented correction, see the README), when it does. */
  override?: string;
}

export interface SchemaSource {
  /** Path in MicrosoftDocs/defender-docs, e.g. defender-xdr/advanced-hunting-deviceinfo-table.md. */
  path: string;
  /** Commit of that repository the page was read at. */
  commit: string;
  /** The page's `ms.date` (YYYY-MM-DD), or null when it has none. */
  msDate: string | null;
}

export interface HuntingTable {
  name: string;
  source: SchemaSource;
  columns: HuntingColumn[];
}

export interface HuntingFunctionParameter {
  name: string;
  type: KustoType;
  /** KQL literal the function takes when the argument is left out; absent for a required parameter. */
  default?: string;
}

export interface HuntingFunction {
  name: string;
  source: SchemaSource;
  /** `invoke`: `T | invoke F(...)`, the piped table is its input. `call`: `F(...)` is itself a table. */
  invocation: 'invoke' | 'call';
  parameters: HuntingFunctionParameter[];
  /** `extendsInput`: the input's columns plus `columns` (same name: replaced). `table`: exactly `columns`. */
  output: 'extendsInput' | 'table';
  columns: HuntingColumn[];
}

export interface HuntingSchema {
  source: { repository: string; folder: string };
  tables: HuntingTable[];
  functions: HuntingFunction[];
}

/** Where the data lives, relative to the app root (the repo, or the deployment package). */
export const HUNTING_SCHEMA_FILE = join('schemas', 'hunting', 'advanced-hunting-schema.json');

let loaded: HuntingSchema | undefined;
let byName: Map<string, HuntingTable> | undefined;
let withTimestamp: readonly string[] | undefined;

/** The whole schema, read once. */
export function huntingSchema(): HuntingSchema {
  loaded ??= JSON.parse(readFileSync(join(findAppRoot(__dirname), HUNTING_SCHEMA_FILE), 'utf8')) as HuntingSchema;
  return loaded;
}

/** A table by its exact name (table names are case-sensitive in KQL), or undefined. */
export function huntingTable(name: string): HuntingTable | undefined {
  byName ??= new Map(huntingSchema().tables.map((t) => [t.name, t]));
  return byName.get(name);
}

/**
 * The tables with a `Timestamp` column of type datetime: the ones a hunting window restricts (on the legacy API
 * Riposte writes the window into the query for each of these that it reads). Sorted.
 */
export function timestampTables(): readonly string[] {
  withTimestamp ??= Object.freeze(
    huntingSchema()
      .tables.filter((t) => t.columns.some((c) => c.name === 'Timestamp' && c.type === 'datetime'))
      .map((t) => t.name)
      .sort(),
  );
  return withTimestamp;
}

/** A column list in Kusto's schema syntax, `(Timestamp:datetime, DeviceId:string, ...)`. */
export function kustoColumnList(columns: readonly HuntingColumn[]): string {
  return `(${columns.map((c) => `${c.name}:${c.type}`).join(', ')})`;
}
