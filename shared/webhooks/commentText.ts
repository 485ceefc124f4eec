// Comment text as ticket systems send it: Jira as wiki-markup text or an Atlassian Document Format tree, ServiceNow
// journals as "<date> <time> - <user> (Work notes)" entries, newest first.
import { isRecord } from './readBody';

/** Text written by Riposte itself carries this marker, so its echo can be recognised. */
export const RIPOSTE_MARKER = '[riposte:';

const MAX_DEPTH = 64;
const BLOCK = new Set([
  'paragraph',
  'heading',
  'blockquote',
  'codeBlock',
  'listItem',
  'bulletList',
  'orderedList',
  'panel',
  'rule',
  'tableRow',
  'mediaGroup',
  'mediaSingle',
]);

function walk(node: unknown, depth: number): string {
  if (!isRecord(node) || depth > MAX_DEPTH) return '';
  const attrs = isRecord(node.attrs) ? node.attrs : {};
  switch (node.type) {
    case 'text':
      return typeof node.text === 'string' ? node.text : '';
    case 'hardBreak':
      return '\n';
    case 'mention':
    case 'emoji':
      return typeof attrs.text === 'string' ? attrs.text : typeof attrs.shortName === 'string' ? attrs.shortName : '';
    case 'inlineCard':
      return typeof attrs.url === 'string' ? attrs.url : '';
  }
  const inner = Array.isArray(node.content) ? node.content.map((c) => walk(c, depth + 1)).join('') : '';
  return typeof node.type === 'string' && BLOCK.has(node.type) ? `${inner}\n` : inner;
}

/**
 * Plain text of a Jira comment body.
 * @returns undefined when the body is neither text nor an ADF document.
 */
export function jiraCommentText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim();
  if (!isRecord(body) || body.type !== 'doc') return undefined;
  return walk(body, 0)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const JOURNAL_HEADER =
  /^[0-9][0-9./-]+ [0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?: ?[AaPp][Mm])? - [^\n]* \([^()\n]+\)[ \t]*$/gm;

/**
 * The newest entry of a ServiceNow journal value: `getJournalEntry(1)` sends one entry with its header line,
 * `getJournalEntry(-1)` all of them newest first; a plain value (no header) is taken whole.
 */
export function latestJournalEntry(value: string): string {
  const headers = [...value.matchAll(JOURNAL_HEADER)];
  const first = headers[0];
  if (!first) return value.trim();
  const start = first.index + first[0].length;
  const end = headers[1]?.index ?? value.length;
  return value.slice(start, end).trim();
}

/** True when the text carries Riposte's marker (any case). */
export function hasRiposteMarker(text: string | undefined): boolean {
  return text !== undefined && text.toLowerCase().includes(RIPOSTE_MARKER);
}
