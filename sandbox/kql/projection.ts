// Output-column bookkeeping for project/extend/summarize/distinct/print, after Kusto.Language's ProjectionBuilder:
// explicitly named columns may not repeat; generated names are made unique (`Name1`, `Name2`, ...).
import type { Evaluator } from './compiled';
import { KqlError, type KqlColumn, type KqlType } from './types';

export interface ProjectedColumn extends KqlColumn {
  ev: Evaluator;
}

/** Rows are plain objects, where a `__proto__` key would set the prototype instead of a column. */
export function assertUsableName(name: string): void {
  if (name === '__proto__')
    throw new KqlError('unsupported', "A column named '__proto__' is not supported by the sandbox");
}

export class ProjectionBuilder {
  readonly columns: ProjectedColumn[] = [];
  private readonly index = new Map<string, number>();
  private readonly declared = new Set<string>();

  has(name: string): boolean {
    return this.index.has(name);
  }

  /** Adds a column with a generated or inherited name; with `replace`, an existing column of that name is replaced
   * in place (extend), otherwise the name is made unique. Returns the final name. */
  add(name: string, type: KqlType, ev: Evaluator, replace = false): string {
    assertUsableName(name);
    const existing = this.index.get(name);
    if (replace && existing !== undefined) {
      this.columns[existing] = { name, type, ev };
      return name;
    }
    let unique = name;
    for (let n = 1; this.index.has(unique); n++) unique = `${name}${n}`;
    this.index.set(unique, this.columns.length);
    this.columns.push({ name: unique, type, ev });
    return unique;
  }

  /** Adds an explicitly named column; returns false when the name was already declared explicitly. */
  declare(name: string, type: KqlType, ev: Evaluator, replace = false): boolean {
    if (this.declared.has(name)) return false;
    this.declared.add(this.add(name, type, ev, replace));
    return true;
  }
}
