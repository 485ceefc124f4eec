// The schema generator (scripts/huntingSchema) on pages shaped like Microsoft's reference pages, quirks included: a
// name cell with a space or a tab inside the backticks, a footnote or an asterisk after the name, a type without
// backticks, other tables on the page that are not column lists. The pages here are written for the test in the
// reference's layout (MicrosoftDocs/defender-docs, defender-xdr/advanced-hunting-*-table.md); no prose is copied.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildSchema, SchemaBuildError, type SourcedPage } from '../../scripts/huntingSchema/buildSchema';
import { diffSchemas, main } from '../../scripts/huntingSchema/cli';
import { PageError, parsePage } from '../../scripts/huntingSchema/parsePage';

const SHA = 'a'.repeat(40);

const page = (title: string, rows: string, extra = '', date = '03/28/2025') => `---
title: ${title} table in the advanced hunting schema
ms.date: ${date}
---

# ${title}

Some words about the table.

| Column name | Data type | Description |
|-------------|-----------|-------------|
${rows}
${extra}
## Related topics
- [Overview](advanced-hunting-overview.md)
`;

const QUIRKY = page(
  'ExampleEvents (Preview)',
  [
    '| `Timestamp` | `datetime` | When it happened |',
    '|`DeviceId`|`string`|Compact cells|',
    '| `TargetDeviceName ` | `string` | A space inside the backticks |',
    '| `FileCreationTime\t` | `datetime` | A tab inside the backticks |',
    '| `AccountDomain` [*](#mdi-only) | `string` | A footnote after the name |',
    '| `LatestAction`* | `string` | An asterisk after the name |',
    '| `DistinguishedName` | string | A type without backticks |',
    '| `IsGuest` | `boolean` | Another word for bool |',
    '| `Flags` | `nullable bool` | Two words |',
    '| `Port` | `integer` | Another word for int |',
    '| `Items` | `object` | JSON |',
    '| `Parts` | `array` | JSON |',
    '| `Category` | `enum` | An enumeration name |',
    '| `Score` | `real` | A number |',
    '| `Id` | `guid` | An identifier; the description has a | pipe |',
  ].join('\n'),
  `
## ActionType values

| Action | Description | Defense strategy |
|-------|-------------|------------------|
| \`SomethingBlocked\` | Not a column | Nothing |
`,
);

describe('parsePage', () => {
  it('reads every column of a table page, whatever the cell quirks, and no other table', () => {
    const parsed = parsePage('advanced-hunting-exampleevents-table.md', QUIRKY);
    assert.equal(parsed.kind, 'table');
    assert.equal(parsed.name, 'ExampleEvents');
    assert.equal(parsed.msDate, '2025-03-28');
    assert.deepEqual(
      parsed.columns.map((c) => `${c.name}:${c.docType}`),
      [
        'Timestamp:datetime',
        'DeviceId:string',
        'TargetDeviceName:string',
        'FileCreationTime:datetime',
        'AccountDomain:string',
        'LatestAction:string',
        'DistinguishedName:string',
        'IsGuest:boolean',
        'Flags:nullable bool',
        'Port:integer',
        'Items:object',
        'Parts:array',
        'Category:enum',
        'Score:real',
        'Id:guid',
      ],
    );
  });

  it("reads a function page's output columns and Syntax block", () => {
    const text = `---
ms.date: 02/16/2024
---
# SampleProfile()

| Column | Data type | Description |
|------------|---------------|-------------|
| \`Prevalence\` | \`int\` | How common |

## Syntax

\`\`\`kusto
invoke SampleProfile(x,y)
\`\`\`
`;
    const parsed = parsePage('advanced-hunting-sampleprofile-function.md', text);
    assert.equal(parsed.kind, 'function');
    assert.equal(parsed.name, 'SampleProfile');
    assert.deepEqual(parsed.columns, [{ name: 'Prevalence', docType: 'int' }]);
    assert.deepEqual(parsed.syntax, { invoke: true, name: 'SampleProfile', parameters: ['x', 'y'] });
  });

  it('refuses a page whose title does not name what its file name says, and a row without a type', () => {
    assert.throws(() => parsePage('advanced-hunting-otherevents-table.md', QUIRKY), PageError);
    assert.throws(
      () => parsePage('advanced-hunting-exampleevents-table.md', page('ExampleEvents', '| `Timestamp` | | when |')),
      /column Timestamp has no data type/,
    );
    assert.throws(
      () => parsePage('advanced-hunting-exampleevents-table.md', '# ExampleEvents\n\nNo table.'),
      /no column/,
    );
  });
});

const sourced = (file: string, text: string): SourcedPage => ({ file, commit: SHA, page: parsePage(file, text) });

describe('buildSchema', () => {
  it('turns the documentation words into Kusto types and keeps the word where it differs', () => {
    const schema = buildSchema([sourced('advanced-hunting-exampleevents-table.md', QUIRKY)]);
    const table = schema.tables[0];
    assert.ok(table);
    assert.deepEqual(table.source, {
      path: 'defender-xdr/advanced-hunting-exampleevents-table.md',
      commit: SHA,
      msDate: '2025-03-28',
    });
    const types = Object.fromEntries(table.columns.map((c) => [c.name, [c.type, c.docType]]));
    assert.deepEqual(types['IsGuest'], ['bool', 'boolean']);
    assert.deepEqual(types['Flags'], ['bool', 'nullable bool']);
    assert.deepEqual(types['Port'], ['int', 'integer']);
    assert.deepEqual(types['Items'], ['dynamic', 'object']);
    assert.deepEqual(types['Parts'], ['dynamic', 'array']);
    assert.deepEqual(types['Category'], ['string', 'enum']);
    assert.deepEqual(types['Timestamp'], ['datetime', undefined]);
  });

  it('stops on an unknown type word and on a column listed twice, naming the page', () => {
    const bad = page('ExampleEvents', '| `A` | `varchar` | x |\n| `B` | `string` | x |\n| `B` | `string` | x |');
    assert.throws(
      () => buildSchema([sourced('advanced-hunting-exampleevents-table.md', bad)]),
      (e: unknown) =>
        e instanceof SchemaBuildError &&
        e.problems.some((p) => p.includes("unknown type 'varchar'")) &&
        e.problems.some((p) => p.includes('column B is listed twice')),
    );
  });

  it('applies a documented correction only while the page still says what it corrects', () => {
    const graph = (type: string) =>
      sourced(
        'advanced-hunting-graphapiauditevents-table.md',
        page('GraphApiAuditEvents', `| \`Timestamp\` | \`${type}\` | x |`),
      );
    const ts = buildSchema([graph('string')]).tables[0]?.columns[0];
    assert.equal(ts?.type, 'datetime');
    assert.equal(ts?.docType, 'string');
    assert.match(ts?.override ?? '', /every other table/);
    assert.throws(() => buildSchema([graph('datetime')]), /expects the page to say 'string'/);
  });

  it("checks a function page's Syntax against its signature", () => {
    const fn = (syntax: string) =>
      sourced(
        'advanced-hunting-fileprofile-function.md',
        `# FileProfile()\n\n| Column | Data type | Description |\n|--|--|--|\n| \`GlobalPrevalence\` | \`int\` | x |\n\n## Syntax\n\n\`\`\`kusto\n${syntax}\n\`\`\`\n`,
      );
    const f = buildSchema([fn('invoke FileProfile(x,y)')]).functions[0];
    assert.equal(f?.invocation, 'invoke');
    assert.deepEqual(
      f?.parameters.map((p) => p.name),
      ['x', 'y'],
    );
    assert.throws(() => buildSchema([fn('invoke FileProfile(a,b)')]), /are not the signature's/);
    assert.throws(() => buildSchema([fn('FileProfile(x,y)')]), /calls FileProfile, the signature says invoke/);
  });
});

describe('schema:generate and schema:check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-schema-pages-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out.json');

  it('generates from a folder, reports the folder up to date, then names every drift', async () => {
    writeFileSync(join(dir, 'advanced-hunting-exampleevents-table.md'), QUIRKY);
    writeFileSync(join(dir, 'commits.json'), JSON.stringify({ 'advanced-hunting-exampleevents-table.md': SHA }));
    writeFileSync(join(dir, 'notes.md'), '# not a schema page');
    assert.equal(await main(['generate', dir, '--out', out]), 0);
    const generated = JSON.parse(readFileSync(out, 'utf8')) as { tables: Array<{ name: string }> };
    assert.deepEqual(
      generated.tables.map((t) => t.name),
      ['ExampleEvents'],
    );
    assert.equal(await main(['check', dir, '--out', out]), 0);

    // The page changes: a column's type, a new column, one gone.
    const changed = QUIRKY.replace('| `Port` | `integer` |', '| `Port` | `long` |')
      .replace('| `Score` | `real` | A number |', '| `Severity` | `string` | New |')
      .replace('2025', '2026');
    writeFileSync(join(dir, 'advanced-hunting-exampleevents-table.md'), changed);
    assert.equal(await main(['check', dir, '--out', out]), 1);
  });

  it('diffSchemas says what changed in words', () => {
    const before = buildSchema([sourced('advanced-hunting-exampleevents-table.md', QUIRKY)]);
    const changed = QUIRKY.replace('| `Port` | `integer` |', '| `Port` | `long` |').replace(
      '| `Score` | `real` | A number |',
      '| `Severity` | `string` | New |',
    );
    const afterSchema = buildSchema([sourced('advanced-hunting-exampleevents-table.md', changed)]);
    assert.deepEqual(diffSchemas(before, afterSchema), [
      'table ExampleEvents: column Score removed',
      'table ExampleEvents: column Port int → long',
      'table ExampleEvents: column Severity:string added',
    ]);
  });

  it('refuses a folder with no schema pages or with a page of unknown commit', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'riposte-schema-empty-'));
    try {
      assert.equal(await main(['check', empty, '--out', out]), 1);
      writeFileSync(join(empty, 'advanced-hunting-exampleevents-table.md'), QUIRKY);
      assert.equal(await main(['generate', empty, '--out', join(empty, 'x.json')]), 1);
      assert.equal(await main(['generate', empty, '--out', join(empty, 'x.json'), '--commit', SHA]), 0);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
