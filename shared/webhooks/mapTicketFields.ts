// The mapping rules shared by Jira and ServiceNow: incident id, status, assignee and classification read from the
// ticket record through the compiled mapping. Pure functions; the source adapters decide what "changed" means.
import type { IncidentUpdate } from '../defender/types';
import { InputError } from '../errors';
import { asText, getPath, quote, tableKey, textAt, topField } from './fieldPath';
import type { IncidentIdRule, StatusTarget, TicketMappingRules, Verdict } from './types';

export interface RecordContext {
  /** Jira `issue.fields`, ServiceNow body. */
  record: unknown;
  /** How error messages name the record: `body.issue.fields`, `body`. */
  base: string;
  /** Whether a top-level record field changed in this event; absent means every field counts as changed. */
  changed?: (field: string) => boolean;
  /** ServiceNow `sys_class_name`, lower case, for per-table status maps. */
  recordType?: string;
  /** Mapping file, for warnings. */
  file: string;
}

const UPN = /^[^\s@]+@[^\s@]+$/;

function incidentIdFrom(text: string, where: string): string {
  const t = text.trim();
  if (!/^\d{1,19}$/.test(t)) {
    throw new InputError(where, `${where} must be a Defender incident id (digits only), got ${quote(t)}`);
  }
  const id = t.replace(/^0+/, '');
  if (id === '') throw new InputError(where, `${where} must be a Defender incident id greater than 0`);
  return id;
}

/**
 * The Defender incident id the ticket links to, from the first rule that finds one.
 * @returns undefined when no rule finds a value (the ticket is not linked to Defender).
 * @throws {InputError} naming the field when the value is not an id, or a list names two different incidents.
 */
export function findIncidentId(rules: readonly IncidentIdRule[], ctx: RecordContext): string | undefined {
  for (const rule of rules) {
    if (rule.when) {
      const gate = textAt(ctx.record, rule.when.field, `${ctx.base}.${rule.when.field}`);
      if (typeof gate !== 'string' || !rule.when.equals.includes(tableKey(gate))) continue;
    }
    const where = `${ctx.base}.${rule.field}`;
    const raw = getPath(ctx.record, rule.field);
    if (raw === undefined || raw === null) continue;
    const ids = new Set<string>();
    if (Array.isArray(raw)) {
      // Labels and multi-value fields: every element is a candidate; non-text elements cannot hold an id.
      raw.forEach((item, i) => {
        if (typeof item !== 'string' && typeof item !== 'number') return;
        const text = String(item);
        if (rule.pattern) {
          const m = rule.pattern.exec(text);
          if (m) ids.add(incidentIdFrom(m[1] ?? m[0], `${where}[${i}]`));
        } else if (/^\s*\d+\s*$/.test(text)) {
          ids.add(incidentIdFrom(text, `${where}[${i}]`));
        }
      });
    } else {
      const text = asText(raw, where);
      if (!text) continue;
      if (rule.pattern) {
        const m = rule.pattern.exec(text);
        if (m) ids.add(incidentIdFrom(m[1] ?? m[0], where));
      } else {
        ids.add(incidentIdFrom(text, where));
      }
    }
    if (ids.size > 1) {
      throw new InputError(where, `${where} names more than one Defender incident (${[...ids].join(', ')})`);
    }
    const [id] = ids;
    if (id !== undefined) return id;
  }
  return undefined;
}

/** The status the ticket is in now, as mapped (whether or not it changed in this event); undefined when unmapped. */
export function statusNow(m: TicketMappingRules, ctx: RecordContext): StatusTarget | undefined {
  return currentStatus(m, ctx, []);
}

function currentStatus(m: TicketMappingRules, ctx: RecordContext, warnings: string[]): StatusTarget | undefined {
  const rule = m.status;
  if (!rule) return undefined;
  const value = textAt(ctx.record, rule.field, `${ctx.base}.${rule.field}`);
  if (typeof value !== 'string') return undefined;
  const table = (ctx.recordType !== undefined ? rule.byRecordType.get(ctx.recordType) : undefined) ?? rule.map;
  const target = table.get(tableKey(value));
  if (!target) {
    warnings.push(
      `status ${quote(value)} at ${ctx.base}.${rule.field} is not mapped in ${ctx.file}; status left unchanged`,
    );
  }
  return target;
}

function verdictFor(m: TicketMappingRules, ctx: RecordContext, target: StatusTarget | undefined): Verdict | undefined {
  for (const source of m.classification?.from ?? []) {
    const value = textAt(ctx.record, source.field, `${ctx.base}.${source.field}`);
    const v = typeof value === 'string' ? source.map.get(tableKey(value)) : undefined;
    if (v) return v;
  }
  return target?.verdict ?? m.classification?.default;
}

function assignee(m: TicketMappingRules, ctx: RecordContext, warnings: string[]): string | undefined {
  const rule = m.assignee;
  if (!rule) return undefined;
  const values = rule.fields.map((f) => textAt(ctx.record, f, `${ctx.base}.${f}`));
  if (values.every((v) => v === undefined)) return undefined;
  const given = values.filter((v): v is string => typeof v === 'string');
  if (given.length === 0) return '';
  for (const v of given) {
    const upn = rule.users.get(tableKey(v));
    if (upn) return upn;
  }
  const upn = given.find((v) => UPN.test(v));
  if (upn) return upn;
  warnings.push(
    `assignee ${quote(given[0] ?? '')} has no UPN: add it to assignee.users in ${ctx.file}; assignee left unchanged`,
  );
  return undefined;
}

/**
 * Maps the record's changed fields to an incident update. Classification is set only while the ticket's mapped
 * status is resolved: ServiceNow keeps `close_code` on a reopened record, and it must not re-classify then.
 */
export function mapTicketFields(
  m: TicketMappingRules,
  ctx: RecordContext,
): { update: IncidentUpdate; warnings: string[] } {
  const warnings: string[] = [];
  const changed = ctx.changed ?? (() => true);
  const update: IncidentUpdate = {};
  const statusChanged = m.status !== undefined && changed(topField(m.status.field));
  const target = statusChanged || m.classification ? currentStatus(m, ctx, statusChanged ? warnings : []) : undefined;
  if (statusChanged && target) update.status = target.status;

  const classificationChanged = (m.classification?.from ?? []).some((s) => changed(topField(s.field)));
  const resolvedNow = m.status ? target?.status === 'resolved' : true;
  if (resolvedNow && (statusChanged || classificationChanged)) {
    const v = verdictFor(m, ctx, target);
    if (v) {
      update.classification = v.classification;
      if (v.determination) update.determination = v.determination;
    }
  }

  if (m.assignee && m.assignee.fields.some((f) => changed(topField(f)))) {
    const a = assignee(m, ctx, warnings);
    if (a !== undefined) update.assignedTo = a;
  }
  return { update, warnings };
}
