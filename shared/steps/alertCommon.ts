// What the alert steps share: the Graph alerts client (absent on the legacy API; such workflows are refused at load,
// so reaching here without one is a deployment that changed DEFENDER_API under a loaded workflow), alert ids, the
// write-guard target of an alert, and enum lists read from step input.
import type { AlertsClient } from '../defender/alertTypes';
import { alertPath } from '../defender/alertsClient';
import { AppError, InputError } from '../errors';
import type { StepRuntime } from './types';

/** What the load-time check and the errors name: the Graph API alert steps call. */
export const ALERTS_API = 'security alerts_v2, permission SecurityAlert.Read.All / SecurityAlert.ReadWrite.All';

export function alertsOf(rt: StepRuntime): AlertsClient {
  const client = rt.defender.alerts;
  if (!client)
    throw new AppError(
      'CONFIG_INVALID',
      'alert steps need Microsoft Graph (DEFENDER_API=graph): the legacy Defender API has no alerts endpoint',
    );
  return client;
}

/** @throws {InputError} naming `field` unless `value` is an alert id ("da637…_-961…": word characters, dashes). */
export function alertIdOf(value: unknown, field = 'alertId'): string {
  const id = typeof value === 'string' ? value.trim() : value;
  try {
    alertPath(id);
  } catch {
    const got = value === undefined ? 'nothing' : (JSON.stringify(value)?.slice(0, 60) ?? typeof value);
    throw new InputError(field, `${field} must be an alert id (letters, digits, _ and -), got ${got}`);
  }
  return id as string;
}

/** The write guard's target for an alert: kept apart from incident ids (digits) by its prefix. */
export const alertTarget = (alertId: string): string => `alert:${alertId}`;

/** One value or a list, each from `allowed`; undefined when absent. @throws {InputError} naming the item. */
export function enumListOf<T extends string>(
  obj: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
): T[] | undefined {
  const raw = obj[field];
  if (raw === undefined || raw === null) return undefined;
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) return undefined;
  return values.map((v, i) => {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      throw new InputError(
        Array.isArray(raw) ? `${field}[${i}]` : field,
        `${field} '${String(v)}' is not one of: ${allowed.join(', ')}`,
      );
    return v as T;
  });
}

/** One value from `allowed`, or undefined when absent. */
export function enumOf<T extends string>(
  obj: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
): T | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new InputError(field, `${field} '${String(v)}' is not one of: ${allowed.join(', ')}`);
  return v as T;
}
