// A small OData v4 `$filter` parser and evaluator: comparisons (eq ne gt ge lt le), `in (...)`, `and`, `or`, `not`
// and parentheses over string, enum and date-time properties. Anything else is a FilterError naming what it met.

export class FilterError extends Error {
  override readonly name = 'FilterError';
}

type Comparison = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'datetime'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export type FilterNode =
  | { op: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { op: 'not'; expr: FilterNode }
  | { op: 'cmp'; prop: string; cmp: Comparison; value: Literal }
  | { op: 'in'; prop: string; values: Literal[] };

type Token =
  | { t: 'lparen' | 'rparen' | 'comma'; at: number }
  | { t: 'ident'; v: string; at: number }
  | { t: 'literal'; v: Literal; at: number };

const DATETIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?/;
const NUMBER = /^-?\d+(?:\.\d+)?/;
const IDENT = /^[A-Za-z_$][\w.$/]*/;

function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new FilterError(`Unterminated string literal at position ${start}.`);
    const ch = text[i];
    if (ch === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += ch;
    i += 1;
  }
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      out.push({ t: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', at: i });
      i += 1;
      continue;
    }
    const rest = text.slice(i);
    if (ch === "'") {
      const q = readQuoted(text, i);
      out.push({ t: 'literal', v: { kind: 'string', value: q.value }, at: i });
      i = q.end;
      continue;
    }
    const dt = DATETIME.exec(rest);
    if (dt && dt[0].length >= 10 && !/^\d{4}-\d{2}-\d{2}\d/.test(rest)) {
      out.push({ t: 'literal', v: { kind: 'datetime', value: dt[0] }, at: i });
      i += dt[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      out.push({ t: 'literal', v: { kind: 'number', value: Number(num[0]) }, at: i });
      i += num[0].length;
      continue;
    }
    const id = IDENT.exec(rest);
    if (id) {
      const word = id[0];
      i += word.length;
      // A qualified enum literal: microsoft.graph.security.incidentStatus'active'.
      if (text[i] === "'") {
        const q = readQuoted(text, i);
        out.push({ t: 'literal', v: { kind: 'string', value: q.value }, at: i - word.length });
        i = q.end;
        continue;
      }
      const lower = word.toLowerCase();
      if (lower === 'null') out.push({ t: 'literal', v: { kind: 'null' }, at: i - word.length });
      else if (lower === 'true' || lower === 'false')
        out.push({ t: 'literal', v: { kind: 'bool', value: lower === 'true' }, at: i - word.length });
      else out.push({ t: 'ident', v: word, at: i - word.length });
      continue;
    }
    throw new FilterError(`Syntax error: character '${ch}' is not valid at position ${i} in '${text}'.`);
  }
  return out;
}

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const UNSUPPORTED_OPERATORS = new Set(['has', 'add', 'sub', 'mul', 'div', 'mod', 'any', 'all']);

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  parse(): FilterNode {
    if (this.tokens.length === 0) throw new FilterError('The $filter expression is empty.');
    const node = this.or();
    const extra = this.tokens[this.pos];
    if (extra) throw new FilterError(`Syntax error at position ${extra.at} in '${this.text}'.`);
    return node;
  }

  private peekWord(): string | undefined {
    const t = this.tokens[this.pos];
    return t?.t === 'ident' ? t.v.toLowerCase() : undefined;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.peekWord() === 'or') {
      this.pos += 1;
      left = { op: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.peekWord() === 'and') {
      this.pos += 1;
      left = { op: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    if (this.peekWord() === 'not') {
      this.pos += 1;
      return { op: 'not', expr: this.unary() };
    }
    const t = this.tokens[this.pos];
    if (t?.t === 'lparen') {
      this.pos += 1;
      const inner = this.or();
      if (this.tokens[this.pos]?.t !== 'rparen') throw new FilterError(`')' expected in '${this.text}'.`);
      this.pos += 1;
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    const prop = this.tokens[this.pos];
    if (prop?.t !== 'ident') {
      throw new FilterError(
        `Syntax error: expected a property name at position ${prop?.at ?? this.text.length} in '${this.text}'.`,
      );
    }
    this.pos += 1;
    if (this.tokens[this.pos]?.t === 'lparen') {
      throw new FilterError(
        `An unknown function with name '${prop.v}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.`,
      );
    }
    const opTok = this.tokens[this.pos];
    const op = opTok?.t === 'ident' ? opTok.v.toLowerCase() : undefined;
    if (op === undefined)
      throw new FilterError(`Syntax error: expected an operator after '${prop.v}' in '${this.text}'.`);
    this.pos += 1;
    if (op === 'in') {
      if (this.tokens[this.pos]?.t !== 'lparen') throw new FilterError(`'(' expected after 'in' in '${this.text}'.`);
      this.pos += 1;
      const values: Literal[] = [this.literal()];
      while (this.tokens[this.pos]?.t === 'comma') {
        this.pos += 1;
        values.push(this.literal());
      }
      if (this.tokens[this.pos]?.t !== 'rparen') throw new FilterError(`')' expected in '${this.text}'.`);
      this.pos += 1;
      return { op: 'in', prop: prop.v, values };
    }
    if (!COMPARISONS.has(op)) {
      if (UNSUPPORTED_OPERATORS.has(op))
        throw new FilterError(`The operator '${op}' is not supported in this $filter.`);
      throw new FilterError(
        `Syntax error: '${op}' is not a valid operator at position ${opTok?.at ?? 0} in '${this.text}'.`,
      );
    }
    return { op: 'cmp', prop: prop.v, cmp: op as Comparison, value: this.literal() };
  }

  private literal(): Literal {
    const t = this.tokens[this.pos];
    if (t?.t !== 'literal') {
      throw new FilterError(
        `Syntax error: expected a literal value at position ${t?.at ?? this.text.length} in '${this.text}'.`,
      );
    }
    this.pos += 1;
    return t.v;
  }
}

export function parseFilter(text: string): FilterNode {
  return new Parser(tokenize(text), text).parse();
}

export type FilterProperty<T> =
  | { kind: 'string'; get: (item: T) => string | null }
  | { kind: 'datetime'; get: (item: T) => string }
  | { kind: 'enum'; get: (item: T) => string; parse: (value: string) => string | undefined };

export interface FilterSchema<T> {
  properties: Record<string, FilterProperty<T>>;
  /** Message for a property that is missing or not filterable. */
  notFilterable: (name: string) => string;
}

function findProperty<T>(schema: FilterSchema<T>, name: string): FilterProperty<T> {
  const exact = schema.properties[name];
  if (exact) return exact;
  const key = Object.keys(schema.properties).find((k) => k.toLowerCase() === name.toLowerCase());
  const prop = key === undefined ? undefined : schema.properties[key];
  if (!prop) throw new FilterError(schema.notFilterable(name));
  return prop;
}

function literalText(l: Literal): string {
  switch (l.kind) {
    case 'null':
      return 'null';
    case 'string':
    case 'datetime':
      return l.value;
    default:
      return String(l.value);
  }
}

type Predicate<T> = (item: T) => boolean;

function compare(a: number, cmp: Comparison, b: number): boolean {
  switch (cmp) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

function leaf<T>(prop: FilterProperty<T>, name: string, cmp: Comparison, value: Literal): Predicate<T> {
  if (prop.kind === 'datetime') {
    if (value.kind !== 'datetime' && value.kind !== 'string') {
      throw new FilterError(
        `A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and '${value.kind}' for property '${name}'.`,
      );
    }
    const ms = Date.parse(value.value);
    if (Number.isNaN(ms))
      throw new FilterError(`The value '${value.value}' of '${name}' is not a valid DateTimeOffset.`);
    return (item) => compare(Date.parse(prop.get(item)), cmp, ms);
  }
  if (cmp !== 'eq' && cmp !== 'ne') {
    throw new FilterError(`The operator '${cmp}' is not supported for property '${name}'; use eq, ne or in.`);
  }
  const negate = cmp === 'ne';
  if (value.kind === 'null') {
    return (item) => (prop.get(item) === null) !== negate;
  }
  if (value.kind !== 'string') {
    throw new FilterError(
      `A binary operator with incompatible types was detected for property '${name}' and value '${literalText(value)}'.`,
    );
  }
  if (prop.kind === 'enum') {
    const wanted = prop.parse(value.value);
    if (wanted === undefined)
      throw new FilterError(
        `The string '${value.value}' is not a valid enumeration type constant for property '${name}'.`,
      );
    return (item) => (prop.get(item) === wanted) !== negate;
  }
  const wanted = value.value.toLowerCase();
  return (item) => (prop.get(item)?.toLowerCase() === wanted) !== negate;
}

/** Compiles a parsed filter against a schema; throws FilterError for unknown properties or bad values. */
export function compileFilter<T>(node: FilterNode, schema: FilterSchema<T>): Predicate<T> {
  switch (node.op) {
    case 'and': {
      const l = compileFilter(node.left, schema);
      const r = compileFilter(node.right, schema);
      return (item) => l(item) && r(item);
    }
    case 'or': {
      const l = compileFilter(node.left, schema);
      const r = compileFilter(node.right, schema);
      return (item) => l(item) || r(item);
    }
    case 'not': {
      const e = compileFilter(node.expr, schema);
      return (item) => !e(item);
    }
    case 'cmp':
      return leaf(findProperty(schema, node.prop), node.prop, node.cmp, node.value);
    case 'in': {
      const prop = findProperty(schema, node.prop);
      const parts = node.values.map((v) => leaf(prop, node.prop, 'eq', v));
      return (item) => parts.some((p) => p(item));
    }
  }
}
