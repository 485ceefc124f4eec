// Converts the Kusto.Language syntax tree into the engine's AST (ast.ts), rejecting anything outside the supported
// subset with an 'unsupported' KqlError that names the operator or construct.
import type { BinaryOp, Expr, ListOp, NamePattern, QueryOp, Statement, StringPredicate } from './ast';
import { kindName, type KustoElement } from './kustoParser';
import {
  decodeStringLiteral,
  parseDatetimeLiteral,
  parseIntText,
  parseLongText,
  parseRealText,
  parseTimespanLiteral,
} from './literals';
import { formatTimespan } from './datetime';
import { KqlError } from './types';

export const SUPPORTED_OPERATORS = [
  'where',
  'filter',
  'project',
  'project-away',
  'project-rename',
  'project-reorder',
  'extend',
  'summarize',
  'order by',
  'sort by',
  'take',
  'limit',
  'top',
  'distinct',
  'count',
  'print',
] as const;

function unsupportedOperator(name: string, pos: number): KqlError {
  return new KqlError(
    'unsupported',
    `The sandbox does not support the '${name}' operator (supported: ${SUPPORTED_OPERATORS.join(', ')})`,
    pos,
  );
}

function unsupported(what: string, pos: number): KqlError {
  return new KqlError('unsupported', `The sandbox does not support ${what}`, pos);
}

function child(node: KustoElement, property: string): KustoElement | null {
  const value = node[property];
  return value === null || value === undefined ? null : (value as KustoElement);
}

function required(node: KustoElement, property: string): KustoElement {
  const value = child(node, property);
  if (!value)
    throw new KqlError('syntax', `Syntax error at offset ${node.TextStart}: missing ${property}`, node.TextStart);
  return value;
}

interface KustoSyntaxList {
  Count: number;
  getItem(i: number): KustoElement;
}

/** Items of a SyntaxList; SeparatedElement wrappers are unwrapped. */
function items(node: KustoElement | null): KustoElement[] {
  if (!node) return [];
  const list = node as unknown as KustoSyntaxList;
  const out: KustoElement[] = [];
  for (let i = 0; i < list.Count; i++) {
    const item = list.getItem(i);
    const element = kindName(item) === 'SeparatedElement' ? child(item, 'Element') : item;
    if (element && !element.IsMissing) out.push(element);
  }
  return out;
}

function text(token: KustoElement | null): string {
  return token ? String(token['Text'] ?? '') : '';
}

function simpleName(node: KustoElement): string {
  return String(node['SimpleName'] ?? '');
}

/** The first token's text: the keyword of a query operator (`mv-expand`, `join`, ...). */
function firstTokenText(node: KustoElement): string {
  let current: KustoElement | null = node;
  while (current && !current.IsToken) {
    let next: KustoElement | null = null;
    for (let i = 0; i < current.ChildCount && !next; i++) {
      const c = current.GetChild(i);
      if (c && (c.IsToken ? text(c) !== '' : c.Width > 0)) next = c;
    }
    current = next;
  }
  return current ? text(current) : kindName(node);
}

export function convertQuery(root: KustoElement): Statement[] {
  if (items(child(root, 'Directives')).length > 0) throw unsupported('query directives', 0);
  return items(child(root, 'Statements')).map(convertStatement);
}

function convertStatement(node: KustoElement): Statement {
  const pos = node.TextStart;
  switch (kindName(node)) {
    case 'LetStatement': {
      const value = required(node, 'Expression');
      if (kindName(value) === 'FunctionDeclaration')
        throw unsupported("user-defined functions ('let f = (...) { ... }')", pos);
      const name = required(node, 'Name');
      return { k: 'let', pos, name: simpleName(name), namePos: name.TextStart, value: convertExpr(value) };
    }
    case 'ExpressionStatement':
      return { k: 'query', pos, body: convertExpr(required(node, 'Expression')) };
    case 'QueryParametersStatement':
      throw unsupported("'declare query_parameters' statements (put the values in let statements)", pos);
    default:
      throw unsupported(`'${firstTokenText(node)}' statements`, pos);
  }
}

const BINARY_OPS: Record<string, BinaryOp> = {
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  '==': '==',
  '!=': '!=',
  '<>': '!=',
  '=~': '=~',
  '!~': '!~',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  and: 'and',
  or: 'or',
  'matches regex': 'matches regex',
};

const STRING_PREDICATES = new Set(['has', 'hasprefix', 'hassuffix', 'contains', 'startswith', 'endswith']);

function stringPredicate(operator: string): StringPredicate | undefined {
  const negated = operator.startsWith('!');
  const bare = negated ? operator.slice(1) : operator;
  const caseSensitive = bare.endsWith('_cs');
  const kind = caseSensitive ? bare.slice(0, -3) : bare;
  if (!STRING_PREDICATES.has(kind)) return undefined;
  return { kind: kind as StringPredicate['kind'], negated, caseSensitive };
}

const LIST_OPS = new Set<string>(['in', '!in', 'in~', '!in~', 'has_any', 'has_all']);

const LITERAL_KINDS = new Set([
  'BooleanLiteralExpression',
  'IntLiteralExpression',
  'LongLiteralExpression',
  'RealLiteralExpression',
  'DateTimeLiteralExpression',
  'TimespanLiteralExpression',
  'GuidLiteralExpression',
  'StringLiteralExpression',
  'CompoundStringLiteralExpression',
  'NullLiteralExpression',
]);

function convertLiteral(node: KustoElement): Expr {
  const pos = node.TextStart;
  const kind = kindName(node);
  if (kind === 'CompoundStringLiteralExpression') {
    const value = items(child(node, 'Tokens'))
      .map((t) => decodeStringLiteral(text(t)))
      .join('');
    return { k: 'literal', pos, type: 'string', value };
  }
  const token = required(node, 'Token');
  const valueText = String(token['ValueText'] ?? '');
  switch (kind) {
    case 'StringLiteralExpression':
      return { k: 'literal', pos, type: 'string', value: decodeStringLiteral(text(token)) };
    case 'BooleanLiteralExpression':
      return {
        k: 'literal',
        pos,
        type: 'bool',
        value: valueText.trim() === 'null' ? null : valueText.trim().toLowerCase() === 'true',
      };
    case 'LongLiteralExpression':
      return { k: 'literal', pos, type: 'long', value: parseLongText(valueText) };
    case 'IntLiteralExpression':
      return { k: 'literal', pos, type: 'int', value: valueText.trim() === 'null' ? null : parseIntText(valueText) };
    case 'RealLiteralExpression':
      return { k: 'literal', pos, type: 'real', value: parseRealText(valueText) };
    case 'DateTimeLiteralExpression':
      return { k: 'literal', pos, type: 'datetime', value: parseDatetimeLiteral(valueText) };
    case 'TimespanLiteralExpression':
      return { k: 'literal', pos, type: 'timespan', value: parseTimespanLiteral(valueText) };
    case 'GuidLiteralExpression':
      return {
        k: 'literal',
        pos,
        type: 'guid',
        value: valueText.trim() === 'null' ? null : valueText.trim().toLowerCase(),
      };
    default: // NullLiteralExpression
      return { k: 'literal', pos, type: 'dynamic', value: null };
  }
}

/** A `dynamic(...)` literal's content as a JSON value. */
function jsonValue(node: KustoElement): unknown {
  const kind = kindName(node);
  switch (kind) {
    case 'JsonArrayExpression':
      return items(child(node, 'Values')).map(jsonValue);
    case 'JsonObjectExpression': {
      const obj: Record<string, unknown> = {};
      for (const pair of items(child(node, 'Pairs'))) {
        const name = required(pair, 'Name');
        const key = kindName(name) === 'StringLiteralToken' ? decodeStringLiteral(text(name)) : text(name);
        obj[key] = jsonValue(required(pair, 'Value'));
      }
      return obj;
    }
    case 'UnaryMinusExpression': {
      const inner = jsonValue(required(node, 'Expression'));
      if (typeof inner === 'number') return -inner;
      break;
    }
    case 'UnaryPlusExpression':
      return jsonValue(required(node, 'Expression'));
    default:
      if (LITERAL_KINDS.has(kind)) {
        const lit = convertLiteral(node);
        if (lit.k === 'literal')
          return lit.type === 'timespan' && typeof lit.value === 'number' ? formatTimespan(lit.value) : lit.value;
      }
  }
  throw unsupported(`this value inside dynamic(): '${firstTokenText(node)}'`, node.TextStart);
}

function convertExprList(node: KustoElement | null): Expr[] {
  return items(node).map(convertExpr);
}

export function convertExpr(node: KustoElement): Expr {
  const pos = node.TextStart;
  const kind = kindName(node);
  if (LITERAL_KINDS.has(kind)) return convertLiteral(node);
  switch (kind) {
    case 'DynamicExpression':
      return { k: 'literal', pos, type: 'dynamic', value: jsonValue(required(node, 'Expression')) };
    case 'NameReference': {
      const name = child(node, 'Name');
      if (name && kindName(name) === 'WildcardedName') throw unsupported('wildcard column names here', pos);
      return { k: 'name', pos, name: simpleName(node) };
    }
    case 'StarExpression':
      return { k: 'star', pos };
    case 'ParenthesizedExpression':
      return { k: 'paren', pos, expr: convertExpr(required(node, 'Expression')) };
    case 'UnaryMinusExpression':
    case 'UnaryPlusExpression':
      return {
        k: 'unary',
        pos,
        op: kind === 'UnaryMinusExpression' ? '-' : '+',
        operand: convertExpr(required(node, 'Expression')),
      };
    case 'InExpression':
    case 'InCsExpression':
    case 'NotInExpression':
    case 'NotInCsExpression':
    case 'HasAnyExpression':
    case 'HasAllExpression': {
      const op = text(required(node, 'Operator')).toLowerCase();
      if (!LIST_OPS.has(op)) throw unsupported(`the '${op}' operator`, pos);
      return {
        k: 'list',
        pos,
        op: op as ListOp,
        left: convertExpr(required(node, 'Left')),
        items: convertExprList(child(required(node, 'Right'), 'Expressions')),
      };
    }
    case 'BetweenExpression':
    case 'NotBetweenExpression': {
      const couple = required(node, 'Right');
      return {
        k: 'between',
        pos,
        negated: kind === 'NotBetweenExpression',
        left: convertExpr(required(node, 'Left')),
        low: convertExpr(required(couple, 'First')),
        high: convertExpr(required(couple, 'Second')),
      };
    }
    case 'FunctionCallExpression':
      return {
        k: 'call',
        pos,
        name: simpleName(required(node, 'Name')),
        args: convertExprList(child(required(node, 'ArgumentList'), 'Expressions')),
      };
    case 'PathExpression': {
      const selector = required(node, 'Selector');
      if (kindName(selector) !== 'NameReference') throw unsupported(`'${firstTokenText(selector)}' after '.'`, pos);
      return { k: 'member', pos, target: convertExpr(required(node, 'Expression')), member: simpleName(selector) };
    }
    case 'ElementExpression': {
      const selector = required(node, 'Selector');
      return {
        k: 'index',
        pos,
        target: convertExpr(required(node, 'Expression')),
        index: convertExpr(required(selector, 'Expression')),
      };
    }
    case 'SimpleNamedExpression':
      return {
        k: 'assign',
        pos,
        name: simpleName(required(node, 'Name')),
        expr: convertExpr(required(node, 'Expression')),
      };
    case 'OrderedExpression': {
      const ordering = child(node, 'Ordering');
      const direction = text(ordering && child(ordering, 'AscOrDescKeyword')).toLowerCase();
      const nulls = ordering && child(ordering, 'NullsClause');
      const firstOrLast = text(nulls && child(nulls, 'FirstOrLastKeyword')).toLowerCase();
      const expr: Expr = { k: 'ordered', pos, expr: convertExpr(required(node, 'Expression')) };
      if (direction === 'asc' || direction === 'desc') expr.desc = direction === 'desc';
      if (firstOrLast === 'first' || firstOrLast === 'last') expr.nullsFirst = firstOrLast === 'first';
      return expr;
    }
    case 'ToScalarExpression':
      return { k: 'toscalar', pos, query: convertExpr(required(node, 'Expression')) };
    case 'MaterializeExpression':
      return { k: 'materialize', pos, query: convertExpr(required(node, 'Expression')) };
    case 'PipeExpression':
      return {
        k: 'pipe',
        pos,
        input: convertExpr(required(node, 'Expression')),
        op: convertOperator(required(node, 'Operator')),
      };
    case 'PrintOperator':
      return { k: 'print', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'CompoundNamedExpression':
      throw unsupported("multiple-name assignments ('(a, b) = ...')", pos);
    default:
      break;
  }
  if (kind.endsWith('Operator')) throw unsupportedOperator(firstTokenText(node), pos);
  const operatorToken = child(node, 'Operator');
  if (operatorToken && operatorToken.IsToken && child(node, 'Left') && child(node, 'Right')) {
    const op = text(operatorToken).toLowerCase().replace(/\s+/g, ' ');
    const left = convertExpr(required(node, 'Left'));
    const right = convertExpr(required(node, 'Right'));
    const binary = BINARY_OPS[op];
    if (binary) return { k: 'binary', pos, op: binary, left, right };
    const pred = stringPredicate(op);
    if (pred) return { k: 'strop', pos, pred, left, right };
    throw unsupported(`the '${op}' operator`, pos);
  }
  throw unsupported(`'${firstTokenText(node)}' (${kind})`, pos);
}

function namePatterns(node: KustoElement, operator: string): NamePattern[] {
  return items(child(node, 'Expressions')).map((e) => {
    if (kindName(e) !== 'NameReference')
      throw unsupported(`expressions in '${operator}' (only column names)`, e.TextStart);
    return { pattern: simpleName(e), pos: e.TextStart };
  });
}

function convertOperator(node: KustoElement): QueryOp {
  const pos = node.TextStart;
  switch (kindName(node)) {
    case 'FilterOperator':
      return {
        k: 'where',
        pos,
        keyword: text(child(node, 'Keyword')).toLowerCase() || 'where',
        condition: convertExpr(required(node, 'Condition')),
      };
    case 'ProjectOperator':
      return { k: 'project', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'ProjectAwayOperator':
      return { k: 'project-away', pos, names: namePatterns(node, 'project-away') };
    case 'ProjectReorderOperator':
      return { k: 'project-reorder', pos, names: namePatterns(node, 'project-reorder') };
    case 'ProjectRenameOperator':
      return {
        k: 'project-rename',
        pos,
        renames: items(child(node, 'Expressions')).map((e) => {
          const source = kindName(e) === 'SimpleNamedExpression' ? required(e, 'Expression') : null;
          if (!source || kindName(source) !== 'NameReference')
            throw unsupported("this form of 'project-rename' (use NewName = OldName)", e.TextStart);
          return { to: simpleName(required(e, 'Name')), from: simpleName(source), pos: source.TextStart };
        }),
      };
    case 'ExtendOperator':
      return { k: 'extend', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'SummarizeOperator': {
      const by = child(node, 'ByClause');
      if (by && child(by, 'BinClause')) throw unsupported("'summarize ... by ... bin=' clauses", pos);
      return {
        k: 'summarize',
        pos,
        aggregates: convertExprList(child(node, 'Aggregates')),
        by: by ? convertExprList(child(by, 'Expressions')) : [],
      };
    }
    case 'SortOperator':
      return {
        k: 'sort',
        pos,
        keyword: text(child(node, 'Keyword')).toLowerCase() || 'sort',
        keys: convertExprList(child(node, 'Expressions')),
      };
    case 'TakeOperator':
      return {
        k: 'take',
        pos,
        keyword: text(child(node, 'Keyword')).toLowerCase() || 'take',
        count: convertExpr(required(node, 'Expression')),
      };
    case 'TopOperator':
      return {
        k: 'top',
        pos,
        count: convertExpr(required(node, 'Expression')),
        key: convertExpr(required(node, 'ByExpression')),
      };
    case 'DistinctOperator':
      return { k: 'distinct', pos, exprs: convertExprList(child(node, 'Expressions')) };
    case 'CountOperator':
      if (child(node, 'AsIdentifier')) throw unsupported("'count as'", pos);
      return { k: 'count', pos };
    default:
      throw unsupportedOperator(firstTokenText(node), pos);
  }
}
