// parse and parse-where (parse-operator.md): the pattern is anchored at the start of the text; a column takes the
// text up to the next literal (the rest when last), `*` skips text. kind=simple needs every part to match and every
// typed column to convert, kind=relaxed leaves just the failing columns empty, kind=regex reads the literals as
// regular expressions. parse-where drops the rows that do not match.
import type { QueryOp } from './ast';
import { compileExpr, semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import { ProjectionBuilder } from './projection';
import { compileRegex } from './stringOps';
import type { KqlType } from './types';
import { coerce, toKqlString, type Row } from './values';

type ParseOp = Extract<QueryOp, { k: 'parse' }>;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function convert(text: string, type: KqlType): unknown {
  if (type === 'string') return text;
  return coerce(text, 'string', type);
}

export function parse(input: Plan, op: ParseOp, scope: Scope, env: QueryEnv): Plan {
  const source = compileExpr(op.source, scope, env);
  const columns: { name: string; type: KqlType }[] = [];
  let pattern = '^';
  op.parts.forEach((part, i) => {
    const last = i === op.parts.length - 1;
    if (part.k === 'text') pattern += op.mode === 'regex' ? part.value : escapeRegex(part.value);
    else if (part.k === 'skip') pattern += last ? '[\\s\\S]*' : '[\\s\\S]*?';
    else {
      columns.push({ name: part.name, type: part.type });
      pattern += last ? '([\\s\\S]*)' : '([\\s\\S]*?)';
    }
  });
  let regex: RegExp;
  try {
    const flags = op.mode === 'regex' ? toInlineFlags(op.flags) : '';
    regex = compileRegex(flags + pattern);
  } catch (e) {
    throw semanticError(scope, `The parse pattern is not a valid regular expression: ${(e as Error).message}`, op.pos);
  }
  const builder = new ProjectionBuilder();
  for (const c of input.columns) builder.add(c.name, c.type, () => null);
  for (const c of columns) builder.add(c.name, c.type, () => null, true);
  const ev = source.ev;
  const from = source.type;
  const filter = op.keyword === 'parse-where';
  const empty = (type: KqlType) => (type === 'string' ? '' : null);
  return {
    columns: builder.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: () => {
      const out: Row[] = [];
      for (const row of input.rows()) {
        const m = regex.exec(toKqlString(ev(row), from));
        const values = columns.map((c, i) => (m ? convert(m[i + 1] ?? '', c.type) : empty(c.type)));
        const failed =
          !m || (op.mode !== 'relaxed' && values.some((v, i) => v === null && columns[i]?.type !== 'string'));
        if (failed && filter) continue;
        const o: Row = { ...row };
        columns.forEach((c, i) => {
          o[c.name] = failed && op.mode !== 'relaxed' ? empty(c.type) : (values[i] ?? empty(c.type));
        });
        out.push(o);
      }
      return out;
    },
  };
}

/** `flags=Ui` becomes an inline `(?i)`; U (ungreedy) and other flags are not applied. */
function toInlineFlags(flags: string): string {
  const kept = [...new Set(flags.replace(/[^ims]/g, ''))].join('');
  return kept ? `(?${kept})` : '';
}
