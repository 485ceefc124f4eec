// The coverage corpus, built at run time from Markdown pages (Microsoft's Advanced Hunting documentation): every
// ```kusto / ```kql code block is one query. Nothing is vendored: the pages are read from a folder the caller gives.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface CorpusQuery {
  /** `<page>:<line>` of the block's opening fence. */
  id: string;
  page: string;
  line: number;
  text: string;
}

export interface Corpus {
  folder: string;
  pages: number;
  /** Pages holding at least one block. */
  pagesWithQueries: number;
  queries: CorpusQuery[];
  /** Blocks holding only comments or blank lines (nothing to run). */
  commentOnlyBlocks: number;
}

const FENCE_OPEN = /^([ \t]*)(`{3,}|~{3,})\s*(kusto|kql)\b[^\n]*$/i;

/** The code blocks of one page: each block's text, un-indented by its fence's indentation. */
export function codeBlocks(markdown: string): { line: number; text: string }[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.trim().startsWith(fence[0]!.repeat(3)) && l.trim().replace(/[`~]/g, '') === '') break;
      // Lines inside an indented block lose at most the fence's indentation.
      const lead = /^[ \t]*/.exec(l)?.[0].length ?? 0;
      body.push(l.slice(Math.min(indent, lead)));
    }
    blocks.push({ line: i + 1, text: body.join('\n').replace(/\s+$/, '') });
    i = j;
  }
  return blocks;
}

/** True when a block has something besides comments and blank lines. */
export function hasQuery(text: string): boolean {
  return text.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('//'));
}

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...markdownFiles(path));
    else if (name.toLowerCase().endsWith('.md')) out.push(path);
  }
  return out;
}

/** Every kusto/kql block of every `.md` page under `folder`. */
export function buildCorpus(folder: string): Corpus {
  const files = markdownFiles(folder);
  const queries: CorpusQuery[] = [];
  let commentOnlyBlocks = 0;
  let pagesWithQueries = 0;
  for (const file of files) {
    const page = relative(folder, file);
    const blocks = codeBlocks(readFileSync(file, 'utf8'));
    if (blocks.length > 0) pagesWithQueries++;
    for (const b of blocks) {
      if (!hasQuery(b.text)) {
        commentOnlyBlocks++;
        continue;
      }
      queries.push({ id: `${page}:${b.line}`, page, line: b.line, text: b.text });
    }
  }
  return { folder, pages: files.length, pagesWithQueries, queries, commentOnlyBlocks };
}
