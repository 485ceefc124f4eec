// The MDE API's indicators (response-actions.md §3), answered in the MDE error envelope {error:{code,message,target}}.
// Sources (MicrosoftDocs/defender-docs, defender-endpoint/api/): post-ti-indicator.md (body, 200 + the created or
// updated Indicator, 400 on a bad body, "CIDR notation for IPs isn't supported", Audit needs generateAlert, 15,000
// active per tenant, 100/min and 1,500/h), ti-indicator.md (entity), get-ti-indicators-collection.md ($filter
// properties, $top ≤ 10,000, $skip, only active indicators; Ti.ReadWrite sees only its own),
// delete-ti-indicator-by-id.md (204, 404), batch-delete-ti-indicators.md (≤ 500 ids; 400 empty, oversized or
// invalid; 404 when any is missing; 30/min), common-errors.md (InvalidHashValue, InvalidDomainName,
// InvalidIpAddress, InvalidUrl, MissingRequiredParameter, InvalidRequestBody).
// The upsert key is not documented (§8.5): the sandbox takes indicatorType + indicatorValue (case-insensitive).
import { isIP } from 'node:net';
import { actorOf, apiError, apiOk, apiRoute, type ApiName } from './apiCommon';
import { isPlainObject, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import { parsePaging } from './incidentQuery';
import type { TokenClaims } from './jwt';
import { compileFilter, FilterError, parseFilter, type FilterSchema } from './odataFilter';
import type { Route } from './router';
import type { SandboxState } from './state';
import { defenderTime } from './timeFormat';

const TYPES = ['FileSha1', 'FileSha256', 'FileMd5', 'CertificateThumbprint', 'IpAddress', 'DomainName', 'Url'];
const ACTIONS = ['Alert', 'Warn', 'Block', 'Audit', 'BlockAndRemediate', 'AlertAndBlock', 'Allowed'];
const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'];
const REQUIRED = ['indicatorValue', 'indicatorType', 'action', 'title', 'description'] as const;
export const MAX_ACTIVE_INDICATORS = 15_000;
const MAX_TOP = 10_000;
const MAX_BATCH = 500;

export interface StoredIndicator {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  application: string | null;
  source: string;
  sourceType: 'User' | 'AadApp';
  createdBy: string;
  createdBySource: string;
  title: string;
  description: string;
  recommendedActions: string | null;
  severity: string | null;
  generateAlert: boolean;
  expirationTime: string | null;
  creationTimeDateTimeUtc: string;
  lastUpdateTime: string;
  lastUpdatedBy: string;
  rbacGroupNames: string[];
  educateUrl: string | null;
}

/** The tenant's indicators, by id (ids are numeric strings, as the docs' examples show: "995"). */
export class IndicatorStore {
  private readonly byId = new Map<string, StoredIndicator>();
  private next = 1000;

  list(): StoredIndicator[] {
    return [...this.byId.values()];
  }
  get(id: string): StoredIndicator | undefined {
    return this.byId.get(id);
  }
  put(i: Omit<StoredIndicator, 'id'> & { id?: string }): StoredIndicator {
    const stored = { ...i, id: i.id ?? String(this.next++) } as StoredIndicator;
    this.byId.set(stored.id, stored);
    return stored;
  }
  delete(id: string): boolean {
    return this.byId.delete(id);
  }
  clear(): void {
    this.byId.clear();
    this.next = 1000;
  }
}

const hex = (n: number) => new RegExp(`^[0-9a-fA-F]{${n}}$`);
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const isDomain = (v: string): boolean => {
  const labels = v.replace(/\.$/, '').split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
};
/** indicators-overview.md: IPv6 "with all 8 segments"; a compressed form is what Defender's portal refuses. */
const isFullIpv6 = (v: string): boolean => isIP(v) === 6 && !v.includes('::') && v.split(':').length === 8;

/** The documented error code for a value that does not fit its type, or undefined when it fits. */
function valueProblem(type: string, value: string): [string, string] | undefined {
  const bad = (code: string, what: string): [string, string] => [code, `The indicator value '${value}' ${what}.`];
  switch (type) {
    case 'FileSha1':
    case 'CertificateThumbprint':
      return hex(40).test(value) ? undefined : bad('InvalidHashValue', 'is not a valid SHA-1 hash');
    case 'FileSha256':
      return hex(64).test(value) ? undefined : bad('InvalidHashValue', 'is not a valid SHA-256 hash');
    case 'FileMd5':
      return hex(32).test(value) ? undefined : bad('InvalidHashValue', 'is not a valid MD5 hash');
    case 'IpAddress':
      if (value.includes('/')) return bad('InvalidIpAddress', 'is a CIDR range; CIDR notation is not supported');
      return isIP(value) === 4 || isFullIpv6(value) ? undefined : bad('InvalidIpAddress', 'is not a valid IP address');
    case 'DomainName':
      return isDomain(value) ? undefined : bad('InvalidDomainName', 'is not a valid domain name');
    default: {
      let ok: boolean;
      try {
        const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
        ok =
          /^(https?|ftp):$/.test(u.protocol) && (isDomain(u.hostname) || isIP(u.hostname.replace(/^\[|\]$/g, '')) > 0);
      } catch {
        ok = false;
      }
      return ok && !value.includes('*') ? undefined : bad('InvalidUrl', 'is not a valid URL');
    }
  }
}

const sameValue = (a: StoredIndicator, type: string, value: string): boolean =>
  a.indicatorType === type &&
  (type === 'Url' ? a.indicatorValue === value : a.indicatorValue.toLowerCase() === value.toLowerCase());

const active = (state: SandboxState) => (i: StoredIndicator) =>
  i.expirationTime === null || Date.parse(i.expirationTime) > state.now().getTime();

/** Ti.ReadWrite exposes only the app's own indicators; Ti.ReadWrite.All every one (get-ti-indicators-collection.md). */
const visibleTo = (claims: TokenClaims) => (i: StoredIndicator) =>
  (Array.isArray(claims.roles) && claims.roles.includes('Ti.ReadWrite.All')) || i.createdBy === claims.appid;

const inList =
  (values: readonly string[]) =>
  (v: string): string | undefined =>
    values.find((x) => x.toLowerCase() === v.toLowerCase());

const FILTER: FilterSchema<StoredIndicator> = {
  properties: {
    indicatorValue: { kind: 'string', get: (i) => i.indicatorValue },
    indicatorType: { kind: 'enum', get: (i) => i.indicatorType, parse: inList(TYPES) },
    action: { kind: 'enum', get: (i) => i.action, parse: inList(ACTIONS) },
    severity: { kind: 'enum', get: (i) => i.severity ?? '', parse: inList(SEVERITIES) },
    title: { kind: 'string', get: (i) => i.title },
    application: { kind: 'string', get: (i) => i.application },
    createdBy: { kind: 'string', get: (i) => i.createdBy },
    createdByDisplayName: { kind: 'string', get: (i) => i.createdBySource },
    expirationTime: { kind: 'datetime', get: (i) => i.expirationTime ?? '9999-12-31T00:00:00Z' },
    creationTimeDateTimeUtc: { kind: 'datetime', get: (i) => i.creationTimeDateTimeUtc },
  },
  notFilterable: (name) =>
    `Invalid filter clause: the property '${name}' is not filterable. Filterable properties: application, createdByDisplayName, expirationTime, generateAlert, title, rbacGroupNames, rbacGroupIds, indicatorValue, indicatorType, creationTimeDateTimeUtc, createdBy, action, severity.`,
};

export interface IndicatorRoutesOptions {
  /** The API whose token audience, roles and envelope the routes use. */
  api: ApiName;
  /** Path prefix of the API on the sandbox's listener (e.g. '' for /api/indicators). */
  prefix?: string;
}

export function indicatorRoutes(state: SandboxState, store: IndicatorStore, o: IndicatorRoutesOptions): Route[] {
  const { api } = o;
  const base = (o.prefix ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const bad = (req: SandboxRequest, code: string, message: string): Reply =>
    apiError(state, api, req, 400, code, message);

  function submit(req: SandboxRequest, claims: TokenClaims): Reply {
    const body = jsonBody(req);
    if (body instanceof Error || !isPlainObject(body))
      return bad(req, 'InvalidRequestBody', 'The request body must be a JSON object (Indicator).');
    // Parameter names are case-sensitive: 'IndicatorValue' leaves indicatorValue missing (common-errors.md).
    for (const name of REQUIRED) {
      const v = body[name];
      if (typeof v !== 'string' || v.trim() === '')
        return bad(req, 'MissingRequiredParameter', `Parameter ${name} is missing or empty.`);
    }
    const { indicatorValue: rawValue, indicatorType: type, action } = body as Record<string, string>;
    if (!TYPES.includes(type ?? ''))
      return bad(req, 'InvalidRequestBody', `Invalid indicatorType '${type}'. Allowed values: ${TYPES.join(', ')}.`);
    if (!ACTIONS.includes(action ?? ''))
      return bad(req, 'InvalidRequestBody', `Invalid action '${action}'. Allowed values: ${ACTIONS.join(', ')}.`);
    const value = (rawValue ?? '').trim();
    const problem = valueProblem(type ?? '', value);
    if (problem) return bad(req, problem[0], problem[1]);
    if (body.severity !== undefined && body.severity !== null && !SEVERITIES.includes(String(body.severity)))
      return bad(req, 'InvalidRequestBody', `Invalid severity '${String(body.severity)}'.`);
    if (body.generateAlert !== undefined && typeof body.generateAlert !== 'boolean')
      return bad(req, 'InvalidRequestBody', 'generateAlert must be true or false.');
    if (action === 'Audit' && body.generateAlert !== true)
      return bad(
        req,
        'InvalidInput',
        'The generateAlert parameter must be set to true when creating an Audit indicator.',
      );
    let expirationTime: string | null = null;
    if (body.expirationTime !== undefined && body.expirationTime !== null) {
      const ms = typeof body.expirationTime === 'string' ? Date.parse(body.expirationTime) : NaN;
      if (Number.isNaN(ms)) return bad(req, 'InvalidRequestBody', 'expirationTime must be a DateTimeOffset.');
      expirationTime = defenderTime(new Date(ms));
    }
    for (const f of ['recommendedActions', 'application', 'educateUrl'] as const) {
      if (body[f] !== undefined && body[f] !== null && typeof body[f] !== 'string')
        return bad(req, 'InvalidRequestBody', `${f} must be a string.`);
    }
    const groups = body.rbacGroupNames;
    const rbacGroupNames = Array.isArray(groups)
      ? groups.map(String)
      : typeof groups === 'string' && groups !== ''
        ? groups.split(',').map((g) => g.trim())
        : [];
    const at = defenderTime(state.now());
    const by = actorOf(claims);
    const existing = store.list().find((i) => sameValue(i, type ?? '', value));
    if (!existing && store.list().filter(active(state)).length >= MAX_ACTIVE_INDICATORS)
      return bad(
        req,
        'BadRequest',
        `The tenant has reached the limit of ${MAX_ACTIVE_INDICATORS} active indicators; delete some first.`,
      );
    const fields = {
      indicatorValue: existing?.indicatorValue ?? value,
      indicatorType: type ?? '',
      action: action ?? '',
      title: String(body.title),
      description: String(body.description),
      recommendedActions: typeof body.recommendedActions === 'string' ? body.recommendedActions : null,
      severity: typeof body.severity === 'string' ? body.severity : null,
      generateAlert: body.generateAlert === true,
      expirationTime,
      lastUpdateTime: at,
      lastUpdatedBy: by,
      rbacGroupNames,
      educateUrl: typeof body.educateUrl === 'string' ? body.educateUrl : null,
    };
    const stored = existing
      ? store.put({ ...existing, ...fields })
      : store.put({
          ...fields,
          // post-ti-indicator.md: application "only works for new indicators".
          application: typeof body.application === 'string' ? body.application : null,
          source: by,
          sourceType: 'AadApp',
          createdBy: String(claims.appid),
          createdBySource: by,
          creationTimeDateTimeUtc: at,
        });
    return apiOk(state, api, req, {
      '@odata.context': `${state.url}${o.prefix ?? ''}/api/$metadata#Indicators/$entity`,
      ...stored,
    });
  }

  function list(req: SandboxRequest, claims: TokenClaims): Reply {
    const q = req.url.searchParams;
    const paging = parsePaging(q, MAX_TOP);
    if (!paging.ok) return bad(req, 'ODataError', paging.message);
    let rows = store.list().filter(active(state)).filter(visibleTo(claims));
    const filter = q.get('$filter');
    if (filter !== null && filter.trim() !== '') {
      try {
        rows = rows.filter(compileFilter(parseFilter(filter), FILTER));
      } catch (e) {
        if (!(e instanceof FilterError)) throw e;
        return bad(req, 'ODataError', e.message);
      }
    }
    const size = paging.top ?? MAX_TOP;
    return apiOk(state, api, req, {
      '@odata.context': `${state.url}${o.prefix ?? ''}/api/$metadata#Indicators`,
      value: rows.slice(paging.skip, paging.skip + size),
    });
  }

  function remove(req: SandboxRequest, id: string, claims: TokenClaims): Reply {
    const found = store.get(id);
    if (!found || !visibleTo(claims)(found))
      return apiError(state, api, req, 404, 'NotFound', `Indicator with id '${id}' was not found.`);
    store.delete(id);
    return { status: 204 };
  }

  function batchDelete(req: SandboxRequest, claims: TokenClaims): Reply {
    const body = jsonBody(req);
    const ids = isPlainObject(body) ? body.IndicatorIds : undefined;
    if (!Array.isArray(ids) || ids.length === 0)
      return bad(req, 'InvalidRequestBody', 'IndicatorIds must be a non-empty list of indicator ids.');
    if (ids.length > MAX_BATCH)
      return bad(req, 'MaximumBatchSizeExceeded', `At most ${MAX_BATCH} indicator ids may be deleted per call.`);
    if (!ids.every((i) => typeof i === 'string' && /^\d+$/.test(i)))
      return bad(req, 'InvalidRequestBody', 'Every indicator id must be a string of digits.');
    const missing = (ids as string[]).filter((i) => {
      const found = store.get(i);
      return !found || !visibleTo(claims)(found);
    });
    if (missing.length > 0)
      return apiError(state, api, req, 404, 'NotFound', `Indicators not found: ${missing.join(', ')}.`);
    for (const i of ids as string[]) store.delete(i);
    return { status: 204 };
  }

  return [
    apiRoute(
      state,
      api,
      'indicatorsBatch',
      ['POST'],
      new RegExp(`^${base}/api/indicators/BatchDelete/?$`, 'i'),
      (req, _p, c) => batchDelete(req, c),
    ),
    apiRoute(state, api, 'indicatorsSubmit', ['POST'], new RegExp(`^${base}/api/indicators/?$`, 'i'), (req, _p, c) =>
      submit(req, c),
    ),
    apiRoute(state, api, 'indicatorsList', ['GET'], new RegExp(`^${base}/api/indicators/?$`, 'i'), (req, _p, c) =>
      list(req, c),
    ),
    apiRoute(
      state,
      api,
      'indicatorsDelete',
      ['DELETE'],
      new RegExp(`^${base}/api/indicators/([^/]+)/?$`, 'i'),
      (req, [id = ''], c) => remove(req, id, c),
    ),
  ];
}
