// `riposte validate` checks KQL with Microsoft's Kusto.Language against the Advanced Hunting schema: a corpus of
// broken queries, each reported at the right line and column with Kusto's own message and code; clean queries (every
// shipped query, the examples of Microsoft's schema pages) not reported; warnings apart from errors; library queries
// reported at their file's lines; workflows' hunt steps as the legacy API would run them; --json; exit codes.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KqlFinding } from '../../cli/kql/checkQueries';
import { main } from '../../cli/riposte';
import { capturedIo } from './cliProcess';
import { validateContent, validateKql, type ValidationReport } from '../../cli/validate';
import { DOCS_EXAMPLES } from '../fixtures/kql/defenderDocsExamples';

const REPO = join(__dirname, '..', '..');

const io = (cwd: string) => capturedIo({ cwd });

/** Where and what: `line:column code message`. */
const brief = (f: KqlFinding): string => `${f.line}:${f.column} ${f.code} ${f.message}`;

// Each query is wrong in one way Defender would refuse; the expectation is Kusto's diagnostic at the offending token.
const BROKEN: Record<string, { text: string; expect: string }> = {
  'syntax-missing-paren.kql': {
    text: 'DeviceProcessEvents\n| where Timestamp > ago(1h\n| take 10\n',
    expect: '2:27 KS005 Expected: )',
  },
  'unknown-column.kql': {
    text: '// A typo in a column name\nDeviceProcessEvents\n| where Timestamp > ago(1d)\n| where ProcessCommandLin has "-enc"\n',
    expect: "4:9 KS142 The name 'ProcessCommandLin' does not refer to any known column, table, variable or function.",
  },
  'unknown-table.kql': {
    text: 'DeviceProcessEvent\n| take 10\n',
    expect: "1:1 KS204 The name 'DeviceProcessEvent' does not refer to any known table, tabular variable or function.",
  },
  'type-mismatch.kql': {
    text: 'DeviceNetworkEvents\n| where RemotePort > "443"\n',
    expect: "2:20 KS106 The operator '>' is not defined for the operand types int and string.",
  },
  'assignment-in-where.kql': {
    text: 'EmailEvents | where SenderFromDomain = "contoso.com"\n',
    expect: '1:21 KS141 The expression must have the type bool.',
  },
  'column-of-another-table.kql': {
    text: 'EmailEvents\n| where Timestamp > ago(7d)\n| project Timestamp, DeviceName, Subject\n',
    expect: "3:22 KS142 The name 'DeviceName' does not refer to any known column, table, variable or function.",
  },
  'snapshot-table-has-no-timestamp.kql': {
    text: 'DeviceTvmSoftwareInventory\n| where Timestamp > ago(1d)\n',
    expect: "2:9 KS142 The name 'Timestamp' does not refer to any known column, table, variable or function.",
  },
  'unknown-function.kql': {
    text: 'DeviceInfo\n| extend Os = os_name(OSPlatform)\n',
    expect: "2:15 KS211 The name 'os_name' does not refer to any known function.",
  },
  'fileprofile-column-typo.kql': {
    text: 'DeviceFileEvents\n| where isnotempty(SHA1)\n| invoke FileProfile()\n| where GlobalPrevalance < 15\n',
    expect: "4:9 KS142 The name 'GlobalPrevalance' does not refer to any known column, table, variable or function.",
  },
  'crlf-line-endings.kql': {
    text: 'DeviceLogonEvents\r\n| where ActionType == "LogonFailed"\r\n| summarize Failures = count() by AccountName\r\n| where Failures > "5"\r\n',
    expect: "4:18 KS106 The operator '>' is not defined for the operand types long and string.",
  },
};

describe('riposte validate: KQL checked by Kusto.Language', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-kql-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each broken query at its line and column with Kusto’s message and code', () => {
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    for (const [name, { text }] of Object.entries(BROKEN)) writeFileSync(join(broken, name), text);
    const r = validateKql(broken, { base: dir });
    assert.equal(r.ok, false);
    assert.equal(r.kind, 'kql');
    assert.equal(r.kql.queries, Object.keys(BROKEN).length);
    for (const [name, { expect }] of Object.entries(BROKEN)) {
      const found = r.kql.errors.filter((f) => f.file === `broken/${name}`).map(brief);
      assert.deepEqual(found, [expect], name);
    }
    assert.equal(r.problemCount, Object.keys(BROKEN).length);
    assert.deepEqual(r.kql.warnings, []);
  });

  it('reports the two examples Microsoft’s own schema pages get wrong, and none of the others', () => {
    const examples = join(dir, 'docs');
    mkdirSync(examples);
    DOCS_EXAMPLES.forEach((e, i) => writeFileSync(join(examples, `${String(i).padStart(2, '0')}.kql`), e.query));
    const r = validateKql(examples, { base: examples });
    const byFile = (f: KqlFinding) => DOCS_EXAMPLES[Number(f.file.slice(0, 2))]?.page;
    assert.deepEqual(
      r.kql.errors.map((f) => `${byFile(f)} ${brief(f)}`),
      [
        // `where A = "x" and ...`: `=` is not a comparison in KQL.
        "defender-xdr/advanced-hunting-cloudprocessevents-table.md 1:50 KS106 The operator 'and' is not defined for the operand types string and string.",
        'defender-xdr/advanced-hunting-cloudprocessevents-table.md 1:74 KS198 The incomplete fragment is unexpected.',
        // Md5Hashes is not a column of the table (the page lists HashReputationMd5List).
        "defender-xdr/advanced-hunting-cloudstorageaggregatedevents-table.md 3:20 KS142 The name 'Md5Hashes' does not refer to any known column, table, variable or function.",
        "defender-xdr/advanced-hunting-cloudstorageaggregatedevents-table.md 4:30 KS142 The name 'Md5Hashes' does not refer to any known column, table, variable or function.",
      ],
    );
    // The rest (functions FileProfile, DeviceFromIP, AssignedIPAddresses, SeenBy included) are clean; a deprecated
    // any() is a warning, not an error.
    assert.equal(r.kql.queries, DOCS_EXAMPLES.length);
    assert.ok(
      r.kql.warnings.every((w) => w.code === 'KS507'),
      JSON.stringify(r.kql.warnings),
    );
  });

  it('passes every shipped query and workflow hunt step with no error and no warning', async () => {
    const r = await validateContent(REPO);
    assert.equal(r.ok, true);
    assert.equal(r.kql.queries, 9);
    assert.ok(r.kql.huntSteps >= 1, 'the suspicious-powershell workflow hunts');
    assert.deepEqual(r.kql.errors, []);
    assert.deepEqual(r.kql.warnings, []);
  });

  it('keeps warnings apart: a join without a kind is reported but does not fail the check (exit 0)', async () => {
    const warn = join(dir, 'warn');
    mkdirSync(warn);
    writeFileSync(
      join(warn, 'join.kql'),
      'DeviceProcessEvents\n| where FileName =~ "powershell.exe"\n| join (DeviceNetworkEvents | where RemotePort == 443) on DeviceId\n',
    );
    const r = validateKql(warn, { base: warn });
    assert.equal(r.ok, true);
    assert.deepEqual(r.kql.errors, []);
    assert.deepEqual(r.kql.warnings.map(brief), [
      '3:3 KS508 Avoid using joins without specifying the join kind. The default join behavior may be unexpected.',
    ]);
    const out = io(dir);
    assert.equal(await main(['validate', 'warn'], out), 0);
    assert.match(out.out, /ok kql +1 query analysed with Kusto\.Language: no errors, 1 warning\n/);
    assert.match(out.out, /warn\/join\.kql:3:3: warning KS508: Avoid using joins/);
    assert.match(out.out, /All queries are valid\.\n$/);
  });

  it('maps a library query’s position through its header and bound parameters back to the file', async () => {
    const content = join(dir, 'content');
    cpSync(join(REPO, 'queries'), join(content, 'queries'), { recursive: true });
    const file = join(content, 'queries', 'devices-contacting-ips.kql');
    const text = readFileSync(file, 'utf8');
    // Line 18 of the file (the body's second line) gets a wrong column name.
    assert.equal(text.split('\n')[17], '| where Timestamp > ago(lookback)');
    writeFileSync(
      file,
      text.replace('| where Timestamp > ago(lookback)', '| where Timestamp > ago(lookback) and RemoteIp != ""'),
    );
    const r = await validateContent(content);
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.kql.errors.map((f) => `${f.file}:${brief(f)}`),
      [
        "queries/devices-contacting-ips.kql:18:39 KS142 The name 'RemoteIp' does not refer to any known column, table, variable or function.",
      ],
    );
    assert.equal(r.problemCount, 1);
    const out = io(content);
    assert.equal(await main(['validate'], out), 1);
    assert.match(
      out.out,
      /!! kql +1 error in 9 queries\n {7}queries\/devices-contacting-ips\.kql:18:39: error KS142: /,
    );
    assert.match(out.out, /1 problem found\.\n$/);
  });

  it('checks a .kql file with the header outside a content folder as a library query, header problems included', () => {
    const lib = join(dir, 'lib');
    mkdirSync(lib);
    writeFileSync(
      join(lib, 'logons-by-account.kql'),
      [
        '// ---',
        '// name: logons-by-account',
        '// description: Failed logons of one account, per device, in the lookback.',
        '// params:',
        '//   account: { type: string, description: Account name., example: jdoe }',
        '//   lookback: { type: timespan, default: 1d, description: How far back., example: 7d }',
        '// ---',
        '',
        'DeviceLogonEvents',
        '| where Timestamp > ago(lookback) and AccountName =~ account',
        '| summarize Failures = countif(ActionType == "LogonFailed") by DeviceName',
        '| where Failures > lookback',
      ].join('\n'),
    );
    writeFileSync(
      join(lib, 'misnamed.kql'),
      '// ---\n// name: another-name\n// description: Wrong name for the file.\n// ---\nDeviceInfo | take 1\n',
    );
    const r = validateKql(lib, { base: lib });
    assert.deepEqual(
      r.kql.errors.map((f) => `${f.file}:${brief(f)}`),
      [
        "logons-by-account.kql:12:18 KS106 The operator '>' is not defined for the operand types long and timespan.",
        'misnamed.kql:2:1 RIPOSTE name: "another-name" does not match the file name "misnamed.kql" (expected "misnamed")',
      ],
    );
  });

  it('checks a scheduled workflow’s hunt as the legacy API runs it: a query the window cannot enter is an error', async () => {
    const content = join(dir, 'sched');
    mkdirSync(join(content, 'queries'), { recursive: true });
    mkdirSync(join(content, 'workflows'));
    writeFileSync(
      join(content, 'queries', 'device-tables.kql'),
      '// ---\n// name: device-tables\n// description: Rows per Device table, to show a query the window cannot enter.\n// ---\nunion withsource=Table Device*\n| summarize Rows = count() by Table\n',
    );
    writeFileSync(
      join(content, 'workflows', 'sweep.yaml'),
      "name: sweep\ndescription: Every hour, counts the rows of every Device table since the last run.\ntriggers:\n  schedule: '0 0 * * * *'\nsteps:\n  - id: count\n    kind: hunt\n    input:\n      query: device-tables\n",
    );
    const r = await validateContent(content);
    assert.deepEqual(r.checks.map((c) => c.problems).flat(), []);
    assert.equal(r.kql.huntSteps, 1);
    assert.deepEqual(
      r.kql.errors.map((f) => `${f.file}:${f.line}:${f.column} ${f.code} [${f.context}] ${f.message}`),
      [
        'workflows/sweep.yaml:1:1 RIPOSTE [bound by workflows/sweep.yaml steps[0] (count)] on DEFENDER_API=legacy this scheduled hunt cannot run: the legacy Defender API has no timespan, so Riposte writes the window into the query, which it cannot do for a query that reads tables by a wildcard (Device*); put the time range in the query or use DEFENDER_API=graph',
      ],
    );
  });

  it('answers --json with errors and warnings apart, and exits 1 on an error, 2 on a path it cannot check', async () => {
    const mixed = join(dir, 'mixed');
    mkdirSync(join(mixed, 'nested'), { recursive: true });
    writeFileSync(join(mixed, 'ok.kql'), 'DeviceInfo | summarize arg_max(Timestamp, *) by DeviceId\n');
    writeFileSync(join(mixed, 'nested', 'bad.kql'), 'DeviceInfo | where Nope == 1\n');
    writeFileSync(join(mixed, 'nested', 'join.kql'), 'DeviceInfo | join (DeviceNetworkInfo) on DeviceId\n');
    writeFileSync(join(mixed, 'notes.txt'), 'not a query');
    const out = io(dir);
    assert.equal(await main(['validate', 'mixed', '--json'], out), 1);
    const report = JSON.parse(out.out) as ValidationReport;
    assert.deepEqual(Object.keys(report), ['ok', 'problemCount', 'warningCount', 'results']);
    assert.equal(report.ok, false);
    assert.equal(report.problemCount, 1);
    assert.equal(report.warningCount, 1);
    const [result] = report.results;
    assert.equal(result?.kind, 'kql');
    assert.equal(result?.kql.queries, 3, 'every .kql file below the folder, nothing else');
    assert.deepEqual(result?.kql.errors, [
      {
        file: 'mixed/nested/bad.kql',
        line: 1,
        column: 20,
        endLine: 1,
        endColumn: 24,
        severity: 'error',
        code: 'KS142',
        message: "The name 'Nope' does not refer to any known column, table, variable or function.",
      },
    ]);
    assert.deepEqual(
      result?.kql.warnings.map((w) => [w.file, w.severity, w.code]),
      [['mixed/nested/join.kql', 'warning', 'KS508']],
    );

    const several = io(dir);
    assert.equal(
      await main(['validate', 'mixed/ok.kql', join(REPO, 'queries', 'device-triage-snapshot.kql')], several),
      0,
    );
    assert.match(several.out, /Checking KQL in .*ok\.kql\n/);

    for (const bad of [
      ['validate', 'no-such-folder'],
      ['validate', 'mixed/notes.txt'],
    ]) {
      const e = io(dir);
      assert.equal(await main(bad, e), 2, bad.join(' '));
      assert.match(
        e.err,
        /riposte: .*(no such file or folder|not a folder or a \.kql file)\nRun riposte validate --help/,
      );
    }
  });
});
