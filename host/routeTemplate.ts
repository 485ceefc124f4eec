// ASP.NET Core route templates as Function routes use them: literals (case-insensitive), `{name}`, `{name?}`,
// `{name=default}`, `{*rest}` / `{**rest}` (catch-all, last segment only), inline constraints `{id:int}`,
// `{n:range(1,9)}`, `{s:regex(^a+$)}`, and complex segments such as `{name}.{ext}`.

type Constraint = (value: string) => boolean;

interface ParamPart {
  kind: 'param';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}
type Part = { kind: 'literal'; text: string } | ParamPart;

interface Segment {
  parts: Part[];
  /** Only set for segments with several parts (e.g. `{name}.{ext}`). */
  pattern?: RegExp;
}

export interface CompiledRoute {
  readonly template: string;
  /** Lower sorts first: literal 1, complex 2, constrained parameter 3, parameter 4, catch-all 5 per segment. */
  readonly precedence: readonly number[];
  /** Route values when `path` (the part after the route prefix, still percent-encoded) matches, else `null`. */
  match(path: string): Record<string, string> | null;
}

const INT32 = /^-?\d{1,10}$/;
const numberArg = (args: string[], i: number): number => {
  const n = Number(args[i]);
  if (args[i] === undefined || !Number.isFinite(n)) throw new Error('constraint needs a number argument');
  return n;
};

function makeConstraint(spec: string): Constraint {
  const m = /^(\w+)(?:\((.*)\))?$/s.exec(spec);
  if (!m) throw new Error(`invalid route constraint "${spec}"`);
  const name = m[1]!.toLowerCase();
  const raw = m[2];
  const args = raw === undefined ? [] : raw.split(',').map((a) => a.trim());
  const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));
  switch (name) {
    case 'int':
      return (v) => INT32.test(v) && Math.abs(Number(v)) <= 2 ** 31;
    case 'long':
      return (v) => /^-?\d{1,19}$/.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'double':
    case 'float':
    case 'decimal':
      return isNumber;
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'min': {
      const min = numberArg(args, 0);
      return (v) => INT32.test(v) && Number(v) >= min;
    }
    case 'max': {
      const max = numberArg(args, 0);
      return (v) => INT32.test(v) && Number(v) <= max;
    }
    case 'range': {
      const [lo, hi] = [numberArg(args, 0), numberArg(args, 1)];
      return (v) => INT32.test(v) && Number(v) >= lo && Number(v) <= hi;
    }
    case 'minlength': {
      const n = numberArg(args, 0);
      return (v) => v.length >= n;
    }
    case 'maxlength': {
      const n = numberArg(args, 0);
      return (v) => v.length <= n;
    }
    case 'length': {
      const lo = numberArg(args, 0);
      const hi = args.length > 1 ? numberArg(args, 1) : lo;
      return (v) => v.length >= lo && v.length <= hi;
    }
    case 'regex': {
      // ASP.NET matches case-insensitively and does not anchor the pattern for you.
      const re = new RegExp(raw ?? '', 'i');
      return (v) => re.test(v);
    }
    default:
      throw new Error(`unknown route constraint "${name}"`);
  }
}

/** Split `name:int:range(1,5)=3?` on colons that are not inside parentheses. */
function splitConstraints(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

function parseParam(body: string): ParamPart {
  let text = body;
  let catchAll = false;
  if (text.startsWith('**')) [catchAll, text] = [true, text.slice(2)];
  else if (text.startsWith('*')) [catchAll, text] = [true, text.slice(1)];
  let defaultValue: string | undefined;
  const eq = text.lastIndexOf('=');
  if (eq > 0 && !text.slice(eq).includes(')')) [text, defaultValue] = [text.slice(0, eq), text.slice(eq + 1)];
  let optional = false;
  if (text.endsWith('?')) [optional, text] = [true, text.slice(0, -1)];
  const [name, ...specs] = splitConstraints(text);
  if (!name || !/^\w+$/.test(name)) throw new Error(`invalid route parameter "{${body}}"`);
  return {
    kind: 'param',
    name,
    optional: optional || catchAll || defaultValue !== undefined,
    catchAll,
    ...(defaultValue !== undefined ? { defaultValue } : {}),
    constraints: specs.map(makeConstraint),
  };
}

function parseSegment(text: string): Segment {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if ((ch === '{' || ch === '}') && text[i + 1] === ch) {
      literal += ch; // `{{` and `}}` escape a brace
      i++;
    } else if (ch === '{') {
      // Find the matching close brace; regex constraints may contain braces themselves.
      let depth = 1;
      let j = i + 1;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
      }
      if (depth !== 0) throw new Error(`unbalanced "{" in route segment "${text}"`);
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      parts.push(parseParam(text.slice(i + 1, j - 1)));
      i = j - 1;
    } else if (ch === '}') {
      throw new Error(`unbalanced "}" in route segment "${text}"`);
    } else literal += ch;
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  if (parts.length <= 1) return { parts };
  if (parts.some((p) => p.kind === 'param' && p.catchAll)) throw new Error('a catch-all must be a whole segment');
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = parts.map((p) => (p.kind === 'literal' ? escape(p.text) : '(.+?)')).join('');
  return { parts, pattern: new RegExp(`^${source}$`, 'i') };
}

function segmentScore(seg: Segment): number {
  if (seg.pattern) return 2;
  const p = seg.parts[0];
  if (!p || p.kind === 'literal') return 1;
  if (p.catchAll) return 5;
  return p.constraints.length > 0 ? 3 : 4;
}

function checkParam(p: ParamPart, value: string, values: Record<string, string>): boolean {
  if (!p.constraints.every((c) => c(value))) return false;
  values[p.name] = value;
  return true;
}

/**
 * Compile a route template.
 * @throws {Error} on malformed templates or unknown constraints (the host refuses to index such functions)
 */
export function compileRoute(template: string): CompiledRoute {
  const clean = template.replace(/^~?\/+/, '').replace(/\/+$/, '');
  const segments = clean === '' ? [] : clean.split('/').map(parseSegment);
  segments.forEach((seg, i) => {
    const p = seg.parts[0];
    if (p?.kind === 'param' && p.catchAll && i !== segments.length - 1) {
      throw new Error(`catch-all parameter must be the last segment in "${template}"`);
    }
    if (seg.parts.length === 0) throw new Error(`empty segment in route "${template}"`);
  });

  const match = (path: string): Record<string, string> | null => {
    const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
    const raw = trimmed === '' ? [] : trimmed.split('/');
    let decoded: string[];
    try {
      decoded = raw.map((s) => decodeURIComponent(s));
    } catch {
      return null;
    }
    const values: Record<string, string> = {};
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const first = seg.parts[0]!;
      const value = decoded[i];
      if (first.kind === 'param' && first.catchAll) {
        const rest = decoded.slice(i).join('/');
        if (rest === '') {
          if (first.defaultValue !== undefined) values[first.name] = first.defaultValue;
          return values;
        }
        return checkParam(first, rest, values) ? values : null;
      }
      if (value === undefined || value === '') {
        // Only trailing optional parameters (or ones with defaults) may be left out.
        if (seg.pattern || first.kind !== 'param' || !first.optional) return null;
        if (first.defaultValue !== undefined) values[first.name] = first.defaultValue;
        continue;
      }
      if (seg.pattern) {
        const m = seg.pattern.exec(value);
        if (!m) return null;
        let g = 1;
        for (const part of seg.parts) {
          if (part.kind === 'param' && !checkParam(part, m[g++]!, values)) return null;
        }
      } else if (first.kind === 'literal') {
        if (first.text.toLowerCase() !== value.toLowerCase()) return null;
      } else if (!checkParam(first, value, values)) return null;
    }
    return decoded.length > segments.length ? null : values;
  };

  return { template: clean, precedence: segments.map(segmentScore), match };
}

/** Sort order for candidate routes: more specific templates first (ASP.NET's inbound precedence). */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? 0;
    const y = b.precedence[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}
