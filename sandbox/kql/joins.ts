// join and lookup (join-operator.md, lookup-operator.md in MicrosoftDocs/dataexplorer-docs): every join kind,
// `on Col` and `$left.A == $right.B` conditions. Right-side columns whose names clash with left-side ones get a
// numeric suffix (DeviceName1), as Kusto names them; lookup keeps its key columns once.
import type { JoinKey, QueryOp } from './ast';
import { semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import type { KqlColumn, KqlType } from './types';
import { compositeKey, isNumericType, type Row } from './values';

type JoinOp = Extract<QueryOp, { k: 'join' | 'lookup' }>;

interface ResolvedKey {
  left: string;
  right: string;
  type: KqlType;
}

function resolveKeys(op: JoinOp, left: Plan, right: Plan, scope: Scope): ResolvedKey[] {
  const leftTypes = new Map(left.columns.map((c) => [c.name, c.type]));
  const rightTypes = new Map(right.columns.map((c) => [c.name, c.type]));
  return op.keys.map((key: JoinKey) => {
    const lt = leftTypes.get(key.left);
    if (lt === undefined)
      throw semanticError(scope, `Failed to resolve column named '${key.left}' on the left side`, key.pos);
    const rt = rightTypes.get(key.right);
    if (rt === undefined)
      throw semanticError(scope, `Failed to resolve column named '${key.right}' on the right side`, key.pos);
    const comparable =
      lt === rt ||
      lt === 'dynamic' ||
      rt === 'dynamic' ||
      (isNumericType(lt) && isNumericType(rt)) ||
      ((lt === 'string' || lt === 'guid') && (rt === 'string' || rt === 'guid'));
    if (!comparable) {
      throw semanticError(
        scope,
        `The join attributes '${key.left}' (${lt}) and '${key.right}' (${rt}) must have the same type`,
        key.pos,
      );
    }
    return { left: key.left, right: key.right, type: lt };
  });
}

/** A value's join-key form: numbers of any numeric type compare equal, guids and strings alike; null never matches
 * (an empty string does, as in Kusto). */
function keyPart(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

function rowKey(row: Row, names: readonly string[]): string | null {
  const parts: unknown[] = [];
  for (const n of names) {
    const p = keyPart(row[n]);
    if (p === null) return null;
    parts.push(p);
  }
  return compositeKey(parts);
}

/** Output names for the right side's columns: a clash with a name already taken gets the first free suffix 1, 2, ... */
function renameRight(taken: Set<string>, columns: readonly KqlColumn[]): { from: string; to: string; type: KqlType }[] {
  return columns.map((c) => {
    let to = c.name;
    for (let n = 1; taken.has(to); n++) to = `${c.name}${n}`;
    taken.add(to);
    return { from: c.name, to, type: c.type };
  });
}

export function join(left: Plan, op: JoinOp, env: QueryEnv, scope: Scope): Plan {
  const right = env.compileTabular(op.right, null);
  const keys = resolveKeys(op, left, right, scope);
  const leftNames = keys.map((k) => k.left);
  const rightNames = keys.map((k) => k.right);
  const kind = op.kind;
  const budget = env.budget;

  if (op.k === 'lookup') return lookup(left, right, keys, kind === 'inner', env);

  if (kind === 'leftsemi' || kind === 'leftanti' || kind === 'rightsemi' || kind === 'rightanti') {
    const keepLeft = kind.startsWith('left');
    const semi = kind.endsWith('semi');
    const [kept, other] = keepLeft ? [left, right] : [right, left];
    const [keptNames, otherNames] = keepLeft ? [leftNames, rightNames] : [rightNames, leftNames];
    return {
      columns: kept.columns,
      rows: () => {
        const present = new Set<string>();
        for (const row of other.rows()) {
          const k = rowKey(row, otherNames);
          if (k !== null) present.add(k);
        }
        const out = kept.rows().filter((row) => {
          const k = rowKey(row, keptNames);
          return (k !== null && present.has(k)) === semi;
        });
        budget.spend(out.length, op.pos);
        return out;
      },
    };
  }

  const taken = new Set(left.columns.map((c) => c.name));
  const renamed = renameRight(taken, right.columns);
  const columns: KqlColumn[] = [...left.columns, ...renamed.map((r) => ({ name: r.to, type: r.type }))];
  const merge = (l: Row | null, r: Row | null): Row => {
    const out: Row = {};
    for (const c of left.columns) out[c.name] = l ? (l[c.name] ?? null) : null;
    for (const c of renamed) out[c.to] = r ? (r[c.from] ?? null) : null;
    return out;
  };
  return {
    columns,
    rows: () => {
      let leftRows = left.rows();
      if (kind === 'innerunique') {
        // Kusto deduplicates the left side on the join keys (one arbitrary row per key; here the first).
        const seen = new Set<string>();
        leftRows = leftRows.filter((row) => {
          const k = rowKey(row, leftNames);
          if (k === null || seen.has(k)) return false;
          seen.add(k);
          return true;
        });
      }
      const index = new Map<string, Row[]>();
      const rightRows = right.rows();
      for (const row of rightRows) {
        const k = rowKey(row, rightNames);
        if (k === null) continue;
        const list = index.get(k);
        if (list) list.push(row);
        else index.set(k, [row]);
      }
      const out: Row[] = [];
      const matchedRight = new Set<Row>();
      const keepUnmatchedLeft = kind === 'leftouter' || kind === 'fullouter';
      for (const l of leftRows) {
        const k = rowKey(l, leftNames);
        const matches = k === null ? undefined : index.get(k);
        if (matches) {
          budget.spend(matches.length, op.pos);
          for (const r of matches) {
            out.push(merge(l, r));
            matchedRight.add(r);
          }
        } else if (keepUnmatchedLeft) {
          out.push(merge(l, null));
        }
      }
      if (kind === 'rightouter' || kind === 'fullouter') {
        for (const r of rightRows) if (!matchedRight.has(r)) out.push(merge(null, r));
      }
      budget.spend(out.length, op.pos);
      return out;
    },
  };
}

function lookup(left: Plan, right: Plan, keys: ResolvedKey[], inner: boolean, env: QueryEnv): Plan {
  const leftNames = keys.map((k) => k.left);
  const rightNames = keys.map((k) => k.right);
  const rightKeys = new Set(rightNames);
  const taken = new Set(left.columns.map((c) => c.name));
  const renamed = renameRight(
    taken,
    right.columns.filter((c) => !rightKeys.has(c.name)),
  );
  const columns: KqlColumn[] = [...left.columns, ...renamed.map((r) => ({ name: r.to, type: r.type }))];
  return {
    columns,
    rows: () => {
      const index = new Map<string, Row[]>();
      for (const row of right.rows()) {
        const k = rowKey(row, rightNames);
        if (k === null) continue;
        const list = index.get(k);
        if (list) list.push(row);
        else index.set(k, [row]);
      }
      const out: Row[] = [];
      for (const l of left.rows()) {
        const k = rowKey(l, leftNames);
        const matches = k === null ? undefined : index.get(k);
        if (!matches) {
          if (inner) continue;
          const row: Row = {};
          for (const c of left.columns) row[c.name] = l[c.name] ?? null;
          for (const c of renamed) row[c.to] = null;
          out.push(row);
          continue;
        }
        for (const r of matches) {
          const row: Row = {};
          for (const c of left.columns) row[c.name] = l[c.name] ?? null;
          for (const c of renamed) row[c.to] = r[c.from] ?? null;
          out.push(row);
        }
        env.budget.spend(matches.length);
      }
      return out;
    },
  };
}
