// Builds the schema data (schemas/hunting/advanced-hunting-schema.json) from parsed reference pages: the
// documentation's type words become Kusto types, the few documented corrections are applied (each must still match
// what the page says, so a fixed page makes its correction fail loudly), and each documented function gets the
// signature Kusto needs to analyse a call. Anything the pages say that this does not understand is an error, never
// silently dropped.
import type {
  HuntingColumn,
  HuntingFunction,
  HuntingFunctionParameter,
  HuntingSchema,
  HuntingTable,
  KustoType,
  SchemaSource,
} from '../../shared/queries/huntingSchema';
import type { ParsedPage } from './parsePage';

export const SOURCE = { repository: 'MicrosoftDocs/defender-docs', folder: 'defender-xdr' } as const;

/** Every type word the pages use, and the Kusto type it means. */
export const DOC_TYPES: Readonly<Record<string, KustoType>> = {
  string: 'string',
  datetime: 'datetime',
  long: 'long',
  int: 'int',
  integer: 'int',
  bool: 'bool',
  boolean: 'bool',
  'nullable bool': 'bool',
  dynamic: 'dynamic',
  // JSON values: DataSecurity*/CloudStorageAggregatedEvents write `object`, DisruptionAndResponseEvents `array`.
  object: 'dynamic',
  array: 'dynamic',
  real: 'real',
  double: 'real',
  float: 'real',
  decimal: 'decimal',
  guid: 'guid',
  timespan: 'timespan',
  // DataSecurityEvents/DataSecurityBehaviors: an enumeration's name, which the service returns as text.
  enum: 'string',
};

/**
 * Corrections to a documented type, each with its reason. `documented` must equal the page's word: when Microsoft
 * fixes the page, the generator stops and the correction is removed.
 */
export const OVERRIDES: ReadonlyArray<{
  table: string;
  column: string;
  documented: string;
  type: KustoType;
  reason: string;
}> = [
  {
    table: 'GraphApiAuditEvents',
    column: 'Timestamp',
    documented: 'string',
    type: 'datetime',
    reason:
      'the page types Timestamp as string, unlike every other table; as a string no time filter (ago(), a hunting window) could be written on it',
  },
];

type Signature = Pick<HuntingFunction, 'invocation' | 'output'> & { parameters: HuntingFunctionParameter[] };

/**
 * What each function page's Syntax and Arguments sections say, as Kusto needs it: parameter types and the defaults
 * that make optional arguments optional. The page's Syntax block must list these parameters' names in order (it
 * may leave out trailing optional ones); a function page with no entry here stops the generator.
 */
export const SIGNATURES: Readonly<Record<string, Signature>> = {
  // "invoke FileProfile(x,y)": x the file ID column name (SHA1 if unspecified), y the number of records (100).
  FileProfile: {
    invocation: 'invoke',
    output: 'extendsInput',
    parameters: [
      { name: 'x', type: 'string', default: "'SHA1'" },
      { name: 'y', type: 'long', default: '100' },
    ],
  },
  // "invoke DeviceFromIP()": the IP column of the input, then an optional Timestamp.
  DeviceFromIP: {
    invocation: 'invoke',
    output: 'extendsInput',
    parameters: [
      { name: 'x', type: 'string', default: "'IP'" },
      { name: 'y', type: 'datetime', default: 'datetime(null)' },
    ],
  },
  // "invoke SeenBy(x)": x the device ID of interest (the page's example leaves it out).
  SeenBy: {
    invocation: 'invoke',
    output: 'extendsInput',
    parameters: [{ name: 'x', type: 'string', default: "''" }],
  },
  // "AssignedIPAddresses(x, y)": x a DeviceId or DeviceName, y an optional datetime.
  AssignedIPAddresses: {
    invocation: 'call',
    output: 'table',
    parameters: [
      { name: 'x', type: 'string' },
      { name: 'y', type: 'datetime', default: 'datetime(null)' },
    ],
  },
  // The UEBA behaviour filters: they return the input rows that match, all columns preserved.
  GetAnomalousBehaviorsAbout: {
    invocation: 'invoke',
    output: 'extendsInput',
    parameters: [{ name: 'filters', type: 'dynamic' }],
  },
  GetAnomalousBehaviorsByKind: {
    invocation: 'invoke',
    output: 'extendsInput',
    parameters: [
      { name: 'entityKind', type: 'string' },
      { name: 'insightType', type: 'string', default: "''" },
    ],
  },
  GetAnomalousBehaviorsByValue: {
    invocation: 'invoke',
    output: 'extendsInput',
    parameters: [
      { name: 'entityValue', type: 'string' },
      { name: 'insightType', type: 'string', default: "''" },
    ],
  },
  GetFirstSeenBehaviors: { invocation: 'invoke', output: 'extendsInput', parameters: [] },
  GetHighVolumeAnomalyBehaviors: { invocation: 'invoke', output: 'extendsInput', parameters: [] },
  GetUncommonValueBehaviors: { invocation: 'invoke', output: 'extendsInput', parameters: [] },
};

export interface SourcedPage {
  file: string;
  commit: string;
  page: ParsedPage;
}

export class SchemaBuildError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the schema pages:\n  ${problems.join('\n  ')}`,
    );
    this.name = 'SchemaBuildError';
  }
}

function columnsOf(p: SourcedPage, problems: string[]): HuntingColumn[] {
  const seen = new Set<string>();
  const out: HuntingColumn[] = [];
  for (const c of p.page.columns) {
    if (seen.has(c.name)) problems.push(`${p.file}: column ${c.name} is listed twice`);
    seen.add(c.name);
    const type = DOC_TYPES[c.docType];
    if (!type) {
      problems.push(`${p.file}: column ${c.name} has the unknown type '${c.docType}' (add it to DOC_TYPES)`);
      continue;
    }
    const column: HuntingColumn = { name: c.name, type };
    if (c.docType !== type) column.docType = c.docType;
    const fix = OVERRIDES.find((o) => o.table === p.page.name && o.column === c.name);
    if (fix) {
      if (fix.documented !== c.docType) {
        problems.push(
          `${p.file}: the override of ${c.name} expects the page to say '${fix.documented}' but it says '${c.docType}'; remove or update it`,
        );
      } else {
        column.type = fix.type;
        column.docType = c.docType;
        column.override = fix.reason;
      }
    }
    out.push(column);
  }
  for (const o of OVERRIDES.filter((x) => x.table === p.page.name && !seen.has(x.column))) {
    problems.push(`${p.file}: the override of ${o.column} names a column the page does not list`);
  }
  return out;
}

function sourceOf(p: SourcedPage): SchemaSource {
  return { path: `${SOURCE.folder}/${p.file}`, commit: p.commit, msDate: p.page.msDate };
}

function functionOf(p: SourcedPage, problems: string[]): HuntingFunction | undefined {
  const sig = SIGNATURES[p.page.name];
  if (!sig) {
    problems.push(`${p.file}: no signature for ${p.page.name}() (add it to SIGNATURES from the page's Syntax)`);
    return undefined;
  }
  const syntax = p.page.syntax;
  if (!syntax) {
    problems.push(`${p.file}: has no Syntax block`);
    return undefined;
  }
  if (syntax.invoke !== (sig.invocation === 'invoke')) {
    problems.push(
      `${p.file}: the Syntax block ${syntax.invoke ? 'invokes' : 'calls'} ${p.page.name}, the signature says ${sig.invocation}`,
    );
  }
  const names = sig.parameters.map((x) => x.name);
  const listed = syntax.parameters;
  const required = sig.parameters.filter((x) => x.default === undefined).length;
  if (listed.length > names.length || listed.length < required || listed.some((n, i) => n !== names[i])) {
    problems.push(
      `${p.file}: the Syntax block's parameters (${listed.join(', ')}) are not the signature's (${names.join(', ')})`,
    );
  }
  return {
    name: p.page.name,
    source: sourceOf(p),
    invocation: sig.invocation,
    parameters: sig.parameters.map((x) => ({ ...x })),
    output: sig.output,
    columns: columnsOf(p, problems),
  };
}

/**
 * @throws {SchemaBuildError} listing every problem (unknown type words, duplicate columns or tables, stale
 *   overrides, functions without a signature or whose Syntax disagrees with it)
 */
export function buildSchema(pages: readonly SourcedPage[]): HuntingSchema {
  const problems: string[] = [];
  const tables: HuntingTable[] = [];
  const functions: HuntingFunction[] = [];
  const names = new Map<string, string>();
  for (const p of [...pages].sort((a, b) => a.page.name.localeCompare(b.page.name, 'en'))) {
    const other = names.get(p.page.name);
    if (other) problems.push(`${p.file}: ${p.page.name} is also described by ${other}`);
    names.set(p.page.name, p.file);
    if (p.page.kind === 'table') {
      tables.push({ name: p.page.name, source: sourceOf(p), columns: columnsOf(p, problems) });
    } else {
      const f = functionOf(p, problems);
      if (f) functions.push(f);
    }
  }
  if (problems.length > 0) throw new SchemaBuildError(problems);
  return { source: { ...SOURCE }, tables, functions };
}
