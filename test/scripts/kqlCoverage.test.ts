// `npm run kql-coverage`'s corpus is built from Markdown at run time: these pin how blocks are found (fences,
// indentation under list items, comment-only blocks) and how an answer other than 200 is attributed.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blockerOf } from '../../scripts/kqlCoverage/cli';
import { buildCorpus, codeBlocks } from '../../scripts/kqlCoverage/corpus';

const PAGE = [
  '# A page',
  '```kusto',
  'DeviceInfo',
  '| take 1',
  '```',
  'prose',
  '1. Step:',
  '',
  '    ```kql',
  '    EmailEvents',
  '    | where Timestamp > ago(1d)',
  '     ```',
  '```kusto',
  '// only a comment',
  '```',
  '```powershell',
  'Get-Item',
  '```',
].join('\n');

describe('kql-coverage corpus', () => {
  it('takes every kusto and kql block, un-indented under list items, with its line', () => {
    assert.deepEqual(codeBlocks(PAGE), [
      { line: 2, text: 'DeviceInfo\n| take 1' },
      { line: 9, text: 'EmailEvents\n| where Timestamp > ago(1d)' },
      { line: 13, text: '// only a comment' },
    ]);
  });

  it('reads every .md page under the folder and leaves comment-only blocks out', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'kql-corpus-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'advanced-hunting-x.md'), PAGE);
      writeFileSync(join(dir, 'notes.txt'), '```kusto\nDeviceInfo\n```');
      const corpus = buildCorpus(dir);
      assert.deepEqual(
        corpus.queries.map((q) => q.id),
        [join('sub', 'advanced-hunting-x.md:2'), join('sub', 'advanced-hunting-x.md:9')],
      );
      assert.deepEqual([corpus.pages, corpus.pagesWithQueries, corpus.commentOnlyBlocks], [1, 1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('attributes a refusal to the operator or function it names, a 5xx to the sandbox', () => {
    const msg = (message: string) => blockerOf({ status: 400, rows: 0, message });
    assert.equal(msg("The 'search' operator is not supported by the sandbox (supported: where)"), 'operator search');
    assert.equal(msg("The function 'SeenBy' is not supported by the sandbox"), 'function SeenBy');
    assert.equal(blockerOf({ status: 500, rows: 0 }), '500 (sandbox fault)');
    assert.match(msg("'where' operator: Failed to resolve scalar expression named 'x'"), /^rejected as Defender would/);
  });
});
