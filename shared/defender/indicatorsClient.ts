// MDE indicators on the Defender for Endpoint API host (response-actions.md §3): submit (POST /api/indicators, an
// upsert answering the created or updated Indicator), find by value (GET /api/indicators with $filter on
// indicatorValue), remove (DELETE /api/indicators/{id}: 204, or 404 when it is gone). Sources (MicrosoftDocs/
// defender-docs, defender-endpoint/api/): post-ti-indicator.md, get-ti-indicators-collection.md,
// delete-ti-indicator-by-id.md. Every call goes through the `indicators` quota family (100/min, 1,500/h).
import { DefenderApiError, InputError } from '../errors';
import type { DefenderHttp } from '../http/defenderHttp';
import {
  INDICATOR_ACTIONS,
  INDICATOR_SEVERITIES,
  INDICATOR_TYPES,
  type Indicator,
  type IndicatorSubmission,
  type IndicatorType,
} from './indicatorTypes';

export const INDICATORS_PATH = '/api/indicators';

/** The list page's largest $top (get-ti-indicators-collection.md: "max value of 10,000"). */
export const INDICATOR_PAGE_SIZE = 10_000;

export interface IndicatorsClient {
  /** POST upsert. @returns the Indicator as the API answered it. */
  submit(s: IndicatorSubmission, call?: { signal?: AbortSignal | undefined }): Promise<Indicator>;
  /** Every active indicator with this value (and type, when given) the app can see. */
  findByValue(value: string, type?: IndicatorType, call?: { signal?: AbortSignal | undefined }): Promise<Indicator[]>;
  /** DELETE by id. @returns false when the API answered 404 (already gone). */
  remove(id: string, call?: { signal?: AbortSignal | undefined }): Promise<boolean>;
}

/** An OData string literal: single quotes doubled (OData ABNF), so no value can end the literal early. */
export const odataLiteral = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/** The $filter for one value (and type). */
export function indicatorFilter(value: string, type?: IndicatorType): string {
  const byValue = `indicatorValue eq ${odataLiteral(value)}`;
  return type === undefined ? byValue : `${byValue} and indicatorType eq ${odataLiteral(type)}`;
}

/** Indicator ids are numeric strings in every documented example ("995"); anything else never reaches a path. */
export function indicatorPath(id: string): string {
  if (!/^\d{1,20}$/.test(id)) throw new InputError('indicatorId', `indicator id '${id.slice(0, 40)}' is not valid`);
  return `${INDICATORS_PATH}/${id}`;
}

/** The POST body for `s`: the documented names only (they are case-sensitive), absent fields left out. */
export function submissionBody(s: IndicatorSubmission): Record<string, unknown> {
  const body: Record<string, unknown> = {
    indicatorValue: s.indicatorValue,
    indicatorType: s.indicatorType,
    action: s.action,
    title: s.title,
    description: s.description,
  };
  if (s.expirationTime !== undefined) body.expirationTime = s.expirationTime;
  if (s.severity !== undefined) body.severity = s.severity;
  if (s.recommendedActions !== undefined) body.recommendedActions = s.recommendedActions;
  if (s.generateAlert !== undefined) body.generateAlert = s.generateAlert;
  return body;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const oneOf = <T extends string>(v: unknown, all: readonly T[]): T | undefined =>
  all.find((x) => typeof v === 'string' && x.toLowerCase() === v.toLowerCase());

/** An Indicator from the wire (ti-indicator.md); ids may come as numbers. @throws {DefenderApiError} when unusable. */
export function mapIndicator(w: unknown, where: { method: string; path: string }): Indicator {
  const o = (typeof w === 'object' && w !== null ? w : {}) as Record<string, unknown>;
  const id = typeof o.id === 'number' ? String(o.id) : str(o.id);
  const type = oneOf(o.indicatorType, INDICATOR_TYPES);
  const action = oneOf(o.action, INDICATOR_ACTIONS);
  const value = str(o.indicatorValue);
  if (!id || !type || !action || value === undefined)
    throw new DefenderApiError(
      `Defender API ${where.method} ${where.path} answered an indicator without id, indicatorValue, indicatorType or action`,
      { status: 200, method: where.method, path: where.path },
    );
  const severity = oneOf(o.severity, INDICATOR_SEVERITIES);
  const out: Indicator = {
    id,
    indicatorValue: value,
    indicatorType: type,
    action,
    title: str(o.title) ?? '',
    description: str(o.description) ?? '',
  };
  if (str(o.expirationTime)) out.expirationTime = str(o.expirationTime);
  if (severity) out.severity = severity;
  if (str(o.recommendedActions) !== undefined) out.recommendedActions = str(o.recommendedActions);
  if (typeof o.generateAlert === 'boolean') out.generateAlert = o.generateAlert;
  if (str(o.createdBy)) out.createdBy = str(o.createdBy);
  if (str(o.creationTimeDateTimeUtc)) out.creationTimeDateTimeUtc = str(o.creationTimeDateTimeUtc);
  if (str(o.lastUpdateTime)) out.lastUpdateTime = str(o.lastUpdateTime);
  return out;
}

/** Hashes and domains compare without case; a URL's path may be case-sensitive. */
export const sameIndicatorValue = (type: IndicatorType, a: string, b: string): boolean =>
  type === 'Url' ? a === b : a.toLowerCase() === b.toLowerCase();

export function createIndicatorsClient(http: DefenderHttp): IndicatorsClient {
  return {
    async submit(s, call = {}) {
      // An upsert: repeating it after a timeout or 5xx sets the same fields again.
      const wire = await http.request<unknown>({
        method: 'POST',
        path: INDICATORS_PATH,
        data: submissionBody(s),
        family: 'indicators',
        signal: call.signal,
      });
      return mapIndicator(wire, { method: 'POST', path: INDICATORS_PATH });
    },

    async findByValue(value, type, call = {}) {
      const res = await http.request<{ value?: unknown }>({
        method: 'GET',
        path: INDICATORS_PATH,
        params: { $filter: indicatorFilter(value, type), $top: INDICATOR_PAGE_SIZE },
        family: 'indicators',
        signal: call.signal,
      });
      const rows = Array.isArray(res?.value) ? res.value : [];
      // The server's comparison is not documented: keep only exact matches (case-insensitive but for URLs).
      return rows
        .map((w) => mapIndicator(w, { method: 'GET', path: INDICATORS_PATH }))
        .filter(
          (i) =>
            (type === undefined || i.indicatorType === type) &&
            sameIndicatorValue(i.indicatorType, i.indicatorValue, value),
        );
    },

    async remove(id, call = {}) {
      try {
        await http.request<unknown>({
          method: 'DELETE',
          path: indicatorPath(id),
          family: 'indicators',
          signal: call.signal,
        });
        return true;
      } catch (e) {
        // delete-ti-indicator-by-id.md: 404 when no indicator has this id (removed meanwhile): nothing left to do.
        if (e instanceof DefenderApiError && e.status === 404) return false;
        throw e;
      }
    },
  };
}
