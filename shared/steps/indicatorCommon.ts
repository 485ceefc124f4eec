// What the indicator steps share: the MDE indicators client (on every DEFENDER_API: indicators live on the Defender
// for Endpoint API host), the value and type of the step's input, expiry, and the load-time check of literal values.
import type { IndicatorsClient } from '../defender/indicatorsClient';
import { indicatorOf, INDICATOR_TYPES, type IndicatorType } from '../defender/indicatorTypes';
import { AppError, InputError } from '../errors';
import { parseDuration } from '../workflows/schedule';
import type { CompiledValue } from '../workflows/expressions';
import { enumOf } from './alertCommon';
import { incidentIdOf } from './common';
import type { Report, StepRuntime, StepTarget } from './types';

export function indicatorsOf(rt: StepRuntime): IndicatorsClient {
  const client = rt.defender.indicators;
  if (!client)
    throw new AppError(
      'CONFIG_INVALID',
      'indicator steps need the Defender for Endpoint API (MDE_API_BASE_URL / the cloud default): no client was built',
    );
  return client;
}

/** The value and its type (given, or inferred from the value); `type` and `value` name the fields in errors. */
export function valueAndType(obj: Record<string, unknown>): { value: string; type: IndicatorType } {
  return indicatorOf(obj.value, enumOf(obj, 'type', INDICATOR_TYPES), 'value', 'type');
}

/** The incident an indicator write is reported under ('' for none). */
export const reportedIncident = (obj: Record<string, unknown>): string =>
  obj.incidentId === undefined || obj.incidentId === null || obj.incidentId === '' ? '' : incidentIdOf(obj.incidentId);

/** StepChange.target for an indicator: "<indicatorType>:<value>". */
export const indicatorStepTarget = (type: IndicatorType, value: string): StepTarget => ({
  kind: 'indicator',
  id: `${type}:${value}`,
});

/** An expiry as written: an ISO-8601 duration from the run ('P30D') or an instant. */
export type Expiry = { duration: string; ms: number } | { at: string };

/** @throws {InputError} naming `expiry` unless it is a duration or a date-time in the future (of `now`). */
export function expiryOf(v: unknown, now: Date, field = 'expiry'): Expiry | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && v.startsWith('P')) {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0)
      throw new InputError(field, `${field} '${v}' must be an ISO-8601 duration such as 'P30D' or 'PT12H'`);
    return { duration: v, ms };
  }
  const at = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(at))
    throw new InputError(
      field,
      `${field} must be an ISO-8601 duration ('P30D') or date-time, got ${JSON.stringify(v)}`,
    );
  if (at <= now.getTime()) throw new InputError(field, `${field} ${v} is in the past: the indicator would never apply`);
  return { at: new Date(at).toISOString() };
}

/** The expirationTime to send for `e` at `now`. */
export const expirationTimeOf = (e: Expiry, now: Date): string =>
  'at' in e ? e.at : new Date(now.getTime() + e.ms).toISOString();

/** Literal fields of a step input (templates left out), for load-time checks. */
export function literalFields(input: CompiledValue): Record<string, unknown> {
  if (input.kind !== 'object') return {};
  return Object.fromEntries(
    input.entries.filter(([, v]) => v.kind === 'literal').map(([k, v]) => [k, (v as { value: unknown }).value]),
  );
}

/** Reports at load what parse would refuse at run time, for the literal value and type. */
export function checkLiteralValue(fields: Record<string, unknown>, dynamic: Set<string>, report: Report): void {
  if (!('value' in fields) || dynamic.has('type')) return;
  try {
    valueAndType(fields);
  } catch (e) {
    if (e instanceof InputError) report(`.${e.field}`, e.message);
    else throw e;
  }
}
