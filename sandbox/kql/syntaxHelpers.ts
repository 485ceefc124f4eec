// Reading the Kusto.Language syntax tree: named children, lists, token text, named parameters (`kind=inner`), and
// the errors the converters raise for what the sandbox does not evaluate.
import type { KustoNode } from './kustoLanguage';
import { kindName } from './kustoParser';
import { decodeStringLiteral } from './literals';
import { KqlError } from './types';

/** An 'unsupported' error: a construct Kusto accepts that the sandbox does not evaluate. */
export function unsupported(what: string, pos: number): KqlError {
  return new KqlError('unsupported', `${what} is not supported by the sandbox`, pos);
}

export function child(node: KustoNode, property: string): KustoNode | null {
  const value = node[property];
  return value === null || value === undefined ? null : (value as KustoNode);
}

export function required(node: KustoNode, property: string): KustoNode {
  const value = child(node, property);
  if (!value)
    throw new KqlError('syntax', `Syntax error at offset ${node.TextStart}: missing ${property}`, node.TextStart);
  return value;
}

interface KustoSyntaxList {
  Count: number;
  getItem(i: number): KustoNode;
}

/** Items of a SyntaxList; SeparatedElement wrappers are unwrapped. */
export function items(node: KustoNode | null): KustoNode[] {
  if (!node) return [];
  const list = node as unknown as KustoSyntaxList;
  const out: KustoNode[] = [];
  for (let i = 0; i < list.Count; i++) {
    const item = list.getItem(i);
    const element = kindName(item) === 'SeparatedElement' ? child(item, 'Element') : item;
    if (element && !element.IsMissing) out.push(element);
  }
  return out;
}

export function text(token: KustoNode | null): string {
  return token ? String(token['Text'] ?? '') : '';
}

export function simpleName(node: KustoNode): string {
  return String(node['SimpleName'] ?? '');
}

/** The first token's text: the keyword of a query operator (`mv-expand`, `join`, ...). */
export function firstTokenText(node: KustoNode): string {
  let current: KustoNode | null = node;
  while (current && !current.IsToken) {
    let next: KustoNode | null = null;
    for (let i = 0; i < current.ChildCount && !next; i++) {
      const c = current.GetChild(i);
      if (c && (c.IsToken ? text(c) !== '' : c.Width > 0)) next = c;
    }
    current = next;
  }
  return current ? text(current) : kindName(node);
}

/** The keyword(s) naming an operator node, e.g. 'mv-expand', 'project-away', 'order by', 'make-series'. */
export function operatorKeyword(node: KustoNode): string {
  return firstTokenText(node).toLowerCase();
}

/** A named parameter's value: its literal text (identifiers, keywords, numbers, booleans, decoded strings). */
export interface NamedParameter {
  name: string;
  value: string;
  node: KustoNode;
  pos: number;
}

/** The `name=value` parameters of an operator (`kind=inner`, `withsource=T`, `hint.strategy=broadcast`). */
export function namedParameters(node: KustoNode | null): NamedParameter[] {
  return items(node).map((p) => {
    const nameNode = required(p, 'Name');
    const valueNode = required(p, 'Expression');
    return {
      name: simpleName(nameNode).toLowerCase(),
      value: parameterText(valueNode),
      node: valueNode,
      pos: p.TextStart,
    };
  });
}

function parameterText(node: KustoNode): string {
  const kind = kindName(node);
  if (kind === 'NameDeclaration' || kind === 'NameReference') return simpleName(node);
  if (kind === 'StringLiteralExpression') return decodeStringLiteral(text(child(node, 'Token')));
  const token = child(node, 'Token');
  if (token) return text(token);
  return firstTokenText(node);
}
