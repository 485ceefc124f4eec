import type { Plan } from './expressions';
import type { Row } from './values';

/** Caches a plan's rows so a tabular let used twice is computed once. */
export function memoPlan(plan: Plan): Plan {
  let rows: Row[] | undefined;
  return { columns: plan.columns, rows: () => (rows ??= plan.rows()) };
}
