// The Advanced Hunting tables and documented functions the sandbox serves, read from the project's one schema
// (schemas/hunting/advanced-hunting-schema.json, generated from Microsoft's reference pages; see its README). The
// sandbox never imports shared/, so it reads the JSON file itself; nothing here declares a column.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KqlColumn, KqlType } from './types';

interface SchemaColumn {
  name: string;
  type: string;
}

export interface SchemaFunction {
  name: string;
  invocation: 'invoke' | 'call';
  parameters: { name: string; type: string; default?: string }[];
  output: 'extendsInput' | 'table';
  columns: KqlColumn[];
}

interface SchemaFile {
  tables: { name: string; columns: SchemaColumn[] }[];
  functions: {
    name: string;
    invocation: 'invoke' | 'call';
    parameters: SchemaFunction['parameters'];
    output: SchemaFunction['output'];
    columns: SchemaColumn[];
  }[];
}

export const SCHEMA_FILE = path.join(__dirname, '..', '..', 'schemas', 'hunting', 'advanced-hunting-schema.json');

/** The sandbox holds decimals as reals (it has no decimal type). */
function kqlType(type: string): KqlType {
  return (type === 'decimal' ? 'real' : type) as KqlType;
}

const columnsOf = (columns: readonly SchemaColumn[]): KqlColumn[] =>
  columns.map((c) => ({ name: c.name, type: kqlType(c.type) }));

let schema: { tables: Map<string, readonly KqlColumn[]>; functions: Map<string, SchemaFunction> } | undefined;

function load(): NonNullable<typeof schema> {
  if (schema) return schema;
  const file = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as SchemaFile;
  schema = {
    tables: new Map(file.tables.map((t) => [t.name, columnsOf(t.columns)])),
    functions: new Map(
      file.functions.map((f) => [
        f.name.toLowerCase(),
        {
          name: f.name,
          invocation: f.invocation,
          parameters: f.parameters,
          output: f.output,
          columns: columnsOf(f.columns),
        },
      ]),
    ),
  };
  return schema;
}

/** Every documented table, in the schema's order. */
export function seedTableNames(): readonly string[] {
  return [...load().tables.keys()];
}

export function schemaOf(table: string): readonly KqlColumn[] {
  const columns = load().tables.get(table);
  if (!columns) throw new Error(`Unknown hunting table '${table}' (the schema has ${load().tables.size} tables)`);
  return columns;
}

/** A documented function (FileProfile, DeviceFromIP, AssignedIPAddresses, ...) by name, case-insensitively. */
export function schemaFunction(name: string): SchemaFunction | undefined {
  return load().functions.get(name.toLowerCase());
}

export function schemaFunctions(): readonly SchemaFunction[] {
  return [...load().functions.values()];
}

/** A row with every column of the schema in schema order: the given value, else '' for strings and null otherwise.
 * Generated as one object literal per table (column names enter the source only through JSON.stringify): seed and
 * benchmark rows are built in the hundreds of thousands. */
export function rowFactory(table: string): (values: Record<string, unknown>) => Record<string, unknown> {
  const columns = schemaOf(table);
  const body = columns
    .map((c) => `${JSON.stringify(c.name)}: v[${JSON.stringify(c.name)}] ?? ${c.type === 'string' ? "''" : 'null'}`)
    .join(',\n');
  return new Function('v', `return {${body}};`) as (values: Record<string, unknown>) => Record<string, unknown>;
}
