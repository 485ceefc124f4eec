// The streamed hunting parser (shared/defender/huntingStream.ts) against the buffered path it replaces
// (JSON.parse + mapHuntingResult): the documented Graph and legacy answers and a generated 100,000-row result give the
// same result whatever the chunk boundaries; a body that is not whole JSON is a clear DEFENDER_HTTP error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readHuntingResult } from '../../shared/defender/huntingStream';
import { mapHuntingResult } from '../../shared/defender/mapIncident';
import { AppError } from '../../shared/errors';
import { fixtureText } from '../contracts/fixtures';

/** The body as `size`-byte chunks (a multi-byte character or an escape may straddle two of them). */
async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const buffered = (text: string) => mapHuntingResult(JSON.parse(text));

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return assert.fail('expected the parse to fail');
}

/** A generated Advanced Hunting result: the column types of the schema reference, repeated and unique values. */
function generatedBody(rows: number): string {
  const devices = [
    'ws-fin-042.contoso.local',
    'mac-dev-113.contoso.local',
    'srv-sql-01.contoso.local',
    'büro-7.contoso.de',
  ];
  const commands = [
    'powershell.exe -NoProfile -EncodedCommand SQBFAFgA',
    'cmd.exe /c "echo \\"quoted\\" & dir C:\\\\Users"',
    'python3 -m pytest tests/ \u2014 naïve ✓ 😀',
    'x'.repeat(600),
  ];
  const results = Array.from({ length: rows }, (_, i) => ({
    Timestamp: new Date(Date.UTC(2026, 0, 1) + i * 997).toISOString(),
    DeviceName: devices[i % devices.length],
    ProcessCommandLine: commands[i % commands.length],
    ProcessId: i % 7 === 0 ? -i : i * 31,
    Score: i % 5 === 0 ? 1.5e-7 * i : i / 3,
    IsElevated: i % 2 === 0,
    AccountSid: i % 11 === 0 ? null : `S-1-5-21-${i}`,
    AdditionalFields:
      i % 3 === 0 ? { Count: i, Tags: ['a', i % 4 === 0 ? 'b' : 'c'], Nested: { Deep: [1, [2, {}]] } } : {},
    Unicode: i % 13 === 0 ? 'tab\tnew\nline \u0000 lone \ud800 pair \ud83d\ude00 \u00e9' : 'é',
  }));
  return JSON.stringify({
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults',
    schema: [
      { name: 'Timestamp', type: 'DateTime' },
      { name: 'DeviceName', type: 'String' },
      { name: 'ProcessCommandLine', type: 'String' },
      { name: 'ProcessId', type: 'Int64' },
      { name: 'Score', type: 'Double' },
      { name: 'IsElevated', type: 'Boolean' },
      { name: 'AccountSid', type: 'String' },
      { name: 'AdditionalFields', type: 'Dynamic' },
      { name: 'Unicode', type: 'String' },
    ],
    results,
  });
}

describe('readHuntingResult (streamed)', () => {
  for (const [file, what] of [
    ['graph/security-runhuntingquery-example1.json', 'Graph, camelCase schema'],
    ['graph/security-runhuntingquery-pascalcase.json', 'Graph, PascalCase Name/Type schema'],
    ['legacy/api-advanced-hunting.json', 'legacy Schema/Results/Stats'],
  ] as const) {
    it(`the documented ${what} answer gives what the buffered path gives, in any chunking`, async () => {
      const text = fixtureText(file);
      const expected = buffered(text);
      assert.ok(expected.rows.length > 0 && expected.schema.every((c) => c.name !== '' && c.type !== ''));
      for (const size of [1, 7, 64 * 1024]) assert.deepEqual(await readHuntingResult(chunked(text, size)), expected);
    });
  }

  it('a generated 100,000-row result (Defender’s maximum) gives the same rows as JSON.parse', async () => {
    const text = generatedBody(100_000);
    const streamed = await readHuntingResult(chunked(text, 16_381));
    assert.equal(streamed.rows.length, 100_000);
    assert.deepEqual(streamed, buffered(text));
  });

  it('keeps a row key named __proto__ as data, as JSON.parse does', async () => {
    const text = '{"schema":[{"name":"__proto__","type":"String"}],"results":[{"__proto__":"x","a":{"__proto__":1}}]}';
    const r = await readHuntingResult(chunked(text, 5));
    assert.deepEqual(r, buffered(text));
    assert.equal(Object.getPrototypeOf(r.rows[0]), Object.prototype);
  });

  it('drops a byte-order mark before the JSON', async () => {
    const text = '{"Schema":[{"Name":"a","Type":"String"}],"Results":[{"a":"b"}]}';
    assert.deepEqual(await readHuntingResult(chunked(`\ufeff${text}`, 2)), buffered(text));
  });

  it('a body cut short, not JSON, or with more after the JSON is a DEFENDER_HTTP error that says so', async () => {
    const whole = generatedBody(20);
    for (const [body, detail] of [
      [whole.slice(0, Math.floor(whole.length / 2)), /ends before the JSON does/],
      [whole.slice(0, -1), /ends before the JSON does/],
      ['', /ends before the JSON does/],
      ['<html><body>Service Unavailable</body></html>', /not valid JSON/],
      [`${whole} {}`, /not valid JSON/],
    ] as const) {
      const e = await failure(readHuntingResult(chunked(body, 1000)));
      assert.ok(e instanceof AppError, String(e));
      assert.equal(e.code, 'DEFENDER_HTTP');
      assert.match(e.message, /^The hunting API returned a body that is not valid JSON/);
      assert.match(e.message, detail);
    }
  });

  it('valid JSON that is not a hunting result is refused as before', async () => {
    const e = await failure(readHuntingResult(chunked('{"value":[]}', 3)));
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'DEFENDER_HTTP');
    assert.match(e.message, /without schema or results/);
  });

  it('a failure of the body itself (a connection cut) comes through unchanged, for the HTTP layer to retry', async () => {
    const cut = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"schema":[],"results":[{"a":');
      throw cut;
    }
    assert.equal(await failure(readHuntingResult(source())), cut);
  });
});
