// Converts the Kusto.Language syntax tree into the engine's AST (ast.ts), rejecting anything outside the supported
// subset with an 'unsupported' KqlError that names the operator or construct.
import type { BinaryOp, Expr, FunctionParam, ListOp, Statement, StringPredicate } from './ast';
import type { KustoNode } from './kustoLanguage';
import { kindName } from './kustoParser';
import {
  decodeStringLiteral,
  parseDatetimeLiteral,
  parseIntText,
  parseLongText,
  parseRealText,
  parseTimespanLiteral,
} from './literals';
import { formatTimespan } from './datetime';
import { child, firstTokenText, items, required, simpleName, text, unsupported } from './syntaxHelpers';
import {
  columnDeclarations,
  convertOperator,
  convertSourceOperator,
  typeOf,
  unsupportedOperator,
} from './syntaxOperators';

export function convertQuery(root: KustoNode): Statement[] {
  if (items(child(root, 'Directives')).length > 0) throw unsupported('A query directive', 0);
  return items(child(root, 'Statements')).map(convertStatement);
}

function convertStatement(node: KustoNode): Statement {
  const pos = node.TextStart;
  switch (kindName(node)) {
    case 'LetStatement': {
      const value = required(node, 'Expression');
      const name = required(node, 'Name');
      return { k: 'let', pos, name: simpleName(name), namePos: name.TextStart, value: convertExpr(value) };
    }
    case 'ExpressionStatement':
      return { k: 'query', pos, body: convertExpr(required(node, 'Expression')) };
    case 'QueryParametersStatement':
      throw unsupported("A 'declare query_parameters' statement (put the values in let statements)", pos);
    default:
      throw unsupported(`A '${firstTokenText(node)}' statement`, pos);
  }
}

function convertFunction(node: KustoNode): Expr {
  const params: FunctionParam[] = items(child(required(node, 'Parameters'), 'Parameters')).map((p) => {
    const decl = required(p, 'NameAndType');
    const typeNode = required(decl, 'Type');
    const isTable = kindName(typeNode) === 'SchemaTypeExpression';
    const defaultValue = child(p, 'DefaultValue');
    const param: FunctionParam = {
      name: simpleName(required(decl, 'Name')),
      type: isTable ? 'table' : typeOf(typeNode),
      pos: p.TextStart,
    };
    if (defaultValue) param.defaultValue = convertExpr(required(defaultValue, 'Value'));
    return param;
  });
  const body = required(node, 'Body');
  const statements: Statement[] = items(child(body, 'Statements')).map(convertStatement);
  const result = child(body, 'Expression');
  if (result) statements.push({ k: 'query', pos: result.TextStart, body: convertExpr(result) });
  return { k: 'lambda', pos: node.TextStart, params, body: statements };
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

function convertLiteral(node: KustoNode): Expr {
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
function jsonValue(node: KustoNode): unknown {
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
  throw unsupported(`This value inside dynamic(): '${firstTokenText(node)}'`, node.TextStart);
}

export function convertExprList(node: KustoNode | null): Expr[] {
  return items(node).map(convertExpr);
}

export function convertExpr(node: KustoNode): Expr {
  const pos = node.TextStart;
  const kind = kindName(node);
  if (LITERAL_KINDS.has(kind)) return convertLiteral(node);
  switch (kind) {
    case 'DynamicExpression':
      return { k: 'literal', pos, type: 'dynamic', value: jsonValue(required(node, 'Expression')) };
    case 'NameReference': {
      const name = child(node, 'Name');
      if (name && kindName(name) === 'WildcardedName') throw unsupported('A wildcard name here', pos);
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
      if (!LIST_OPS.has(op)) throw unsupported(`The '${op}' operator`, pos);
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
      return {
        k: 'assignMany',
        pos,
        names: items(child(required(node, 'Names'), 'Names')).map((n) => simpleName(n)),
        expr: convertExpr(required(node, 'Expression')),
      };
    case 'FunctionDeclaration':
      return convertFunction(node);
    case 'TypeOfLiteralExpression':
      // typeof(long) as an argument (extract(), extractjson()): the type's name.
      return { k: 'literal', pos, type: 'string', value: typeOf(node) };
    case 'DataTableExpression':
      return {
        k: 'datatable',
        pos,
        columns: columnDeclarations(child(required(node, 'Schema'), 'Columns')),
        values: convertExprList(child(node, 'Values')),
      };
    case 'ExternalDataExpression': {
      const withClause = child(node, 'WithClause');
      const format = withClause
        ? (items(child(withClause, 'Properties'))
            .map((p) => ({
              name: simpleName(required(p, 'Name')).toLowerCase(),
              value: convertExpr(required(p, 'Expression')),
            }))
            .find((p) => p.name === 'format')?.value ?? null)
        : null;
      return {
        k: 'externaldata',
        pos,
        columns: columnDeclarations(child(required(node, 'Schema'), 'Columns')),
        urls: convertExprList(child(node, 'URIs')),
        format:
          format && format.k === 'literal' ? String(format.value).toLowerCase() : format ? formatName(format) : null,
      };
    }
    default:
      break;
  }
  const source = kind.endsWith('Operator') ? convertSourceOperator(node) : null;
  if (source) return { k: 'source', pos, op: source };
  if (kind.endsWith('Operator')) throw unsupportedOperator(firstTokenText(node).toLowerCase(), pos);
  const operatorToken = child(node, 'Operator');
  if (operatorToken && operatorToken.IsToken && child(node, 'Left') && child(node, 'Right')) {
    const op = text(operatorToken).toLowerCase().replace(/\s+/g, ' ');
    const left = convertExpr(required(node, 'Left'));
    const right = convertExpr(required(node, 'Right'));
    const binary = BINARY_OPS[op];
    if (binary) return { k: 'binary', pos, op: binary, left, right };
    const pred = stringPredicate(op);
    if (pred) return { k: 'strop', pos, pred, left, right };
    throw unsupported(`The '${op}' operator`, pos);
  }
  throw unsupported(`'${firstTokenText(node)}' (${kind})`, pos);
}

/** `format=csv` written as a bare name. */
function formatName(e: Expr): string | null {
  return e.k === 'name' ? e.name.toLowerCase() : null;
}
