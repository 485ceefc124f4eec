// The three error kinds: their messages (in the service's words where it has them) and offsets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkKqlSyntax, KqlError } from '../../../sandbox/kql';
import { run } from './fixtures';

function failure(query: string): KqlError {
  try {
    run(query);
  } catch (e) {
    assert.ok(e instanceof KqlError, `expected a KqlError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${query} to fail`);
}

describe('syntax errors', () => {
  it('carry the parser message and offset', () => {
    // The parser expects ')' where the pipe is.
    const query = 'Events | where Timestamp > ago(1h | take 10';
    const e = failure(query);
    assert.equal(e.kind, 'syntax');
    assert.equal(e.offset, query.indexOf('| take'));
    assert.equal(e.message, `Syntax error at offset ${query.indexOf('| take')}: Expected: )`);
  });

  it('checkKqlSyntax reports the same without evaluating', () => {
    assert.deepEqual(checkKqlSyntax('Events | where x == 1'), { ok: true });
    assert.deepEqual(checkKqlSyntax('NoSuchTable | mv-expand x'), { ok: true });
    const bad = checkKqlSyntax('Events | where FileName == "unterminated');
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.offset > 0 && bad.message.startsWith(`Syntax error at offset ${bad.offset}: `));
  });

  it('flags keywords used as names', () => {
    assert.equal(failure('Events | extend double = 1').kind, 'syntax');
  });
});

describe('semantic errors', () => {
  it('name an unknown table with the operator that follows it', () => {
    const e = failure('EmailAttachmentInfo | where FileName == "x"');
    assert.equal(e.kind, 'semantic');
    assert.equal(
      e.message,
      "'where' operator: Failed to resolve table or column expression named 'EmailAttachmentInfo'",
    );
    assert.equal(e.offset, 0);
    assert.equal(failure('Nope').message, "Failed to resolve table or column expression named 'Nope'");
  });

  it('name an unknown column with its operator and offset', () => {
    const e = failure('Events | project FileName, Nope');
    assert.equal(e.message, "'project' operator: Failed to resolve scalar expression named 'Nope'");
    assert.equal(e.offset, 'Events | project FileName, '.length);
    assert.equal(
      failure('Events | where AccountUpn == "x"').message,
      "'where' operator: Failed to resolve scalar expression named 'AccountUpn'",
    );
    assert.equal(
      failure('Events | summarize count() by Nope').message,
      "'summarize' operator: Failed to resolve scalar expression named 'Nope'",
    );
    assert.equal(
      failure('Events | order by Nope').message,
      "'order' operator: Failed to resolve scalar expression named 'Nope'",
    );
  });

  it("report a second let of one name at the name, in Kusto.Language's words", () => {
    // Kusto.Language (ParseAndAnalyze) reports this for `let x = 1; let x = 2; print x` at the second x.
    for (const query of ['let x = 1; let x = 2; print x', 'let Events = Events | take 1; let Events = 1; Events']) {
      const e = failure(query);
      assert.equal(e.kind, 'semantic');
      const name = query.startsWith('let x') ? 'x' : 'Events';
      assert.equal(e.message, `A variable with the name '${name}' has already been declared.`);
      assert.equal(e.offset, query.indexOf(`let ${name}`, 1) + 4);
    }
  });

  it('report a column dropped by an earlier operator', () => {
    assert.match(
      failure('Events | project FileName | where Port > 1').message,
      /'where' operator: Failed to resolve scalar expression named 'Port'/,
    );
  });

  it('report unknown functions and wrong argument counts', () => {
    assert.equal(failure('Events | where foo(FileName)').message, "'where' operator: Unknown function: 'foo'.");
    assert.match(
      failure('Events | extend x = tolower()').message,
      /'extend' operator: tolower\(\): expects 1 arguments, got 0/,
    );
  });

  it('report type mismatches', () => {
    assert.match(
      failure('Events | where FileName > 5').message,
      /The operator '>' is not defined for the operand types string and long/,
    );
    assert.match(failure('Events | where Port =~ 5').message, /'=~'/);
    assert.match(failure('Events | extend x = FileName.foo').message, /dynamic/);
  });
});

describe('unsupported features', () => {
  it('say "not supported by the sandbox", name the operator and where it is, and list the supported ones', () => {
    const e = failure('Events\n| scan with (step s: true;)');
    assert.equal(e.kind, 'unsupported');
    assert.match(
      e.message,
      /^The 'scan' operator is not supported by the sandbox \(supported: where, filter, project, .*join.*union.*\) \(line 2, column 3\)$/,
    );
    assert.equal(e.offset, 'Events\n| '.length);
    assert.match(failure('Events | fork (take 1)').message, /'fork' operator is not supported by the sandbox/);
    assert.match(failure('Events | partition by DeviceName (take 1)').message, /'partition' operator/);
  });

  it('name the function when Kusto knows it but the sandbox does not', () => {
    const e = failure('Events | extend u = series_fir(dynamic([1]), dynamic([1]))');
    assert.equal(e.kind, 'unsupported');
    assert.match(e.message, /^The 'series_fir' function is not supported by the sandbox \(supported: .*ago.*tolower/);
  });

  it('name unsupported aggregation functions', () => {
    const e = failure('Events | summarize tdigest(Port) by DeviceName');
    assert.equal(e.kind, 'unsupported');
    assert.match(
      e.message,
      /^The 'tdigest' aggregation function is not supported by the sandbox \(supported: .*arg_max/,
    );
    assert.equal(failure('Events | summarize nope(Port)').message, "'summarize' operator: Unknown function: 'nope'.");
  });

  it('reject query parameters', () => {
    assert.match(failure('declare query_parameters(n: long = 1); Events | take n').message, /query_parameters/);
  });
});
