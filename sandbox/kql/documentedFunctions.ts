// Defender's documented functions besides FileProfile(), answered from the seed tables so their results join with
// everything else:
// - `AssignedIPAddresses(DeviceName, Time)` (advanced-hunting-assignedipaddresses-function.md): the addresses a
//   device held at its latest network report on or before Time (else its latest), from DeviceNetworkInfo;
// - `T | invoke DeviceFromIP(IpColumn, Time)` (advanced-hunting-devicefromip-function.md): the device each address
//   was assigned to (DeviceNetworkInfo, then the local addresses DeviceNetworkEvents saw);
// - `T | invoke SeenBy()` (advanced-hunting-seenby-function.md): an onboarded device that discovered each row's
//   device (DeviceInfo).
// Output columns and their types come from the schema (schemas/hunting), as for every table.
import type { Expr } from './ast';
import { compileExpr, semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import { ProjectionBuilder } from './projection';
import { schemaFunction } from './seedSchemas';
import type { KqlColumn } from './types';
import type { Row } from './values';

type Call = Extract<Expr, { k: 'call' }>;

function outputColumns(name: string): readonly KqlColumn[] {
  return schemaFunction(name)?.columns ?? [];
}

/** A constant argument's value (a literal, a let, a folded call such as ago(1d)). */
function constantArg(arg: Expr | undefined, scope: Scope, env: QueryEnv, what: string): unknown {
  if (!arg) return undefined;
  const c = compileExpr(arg, scope, env);
  if (!c.constant) throw semanticError(scope, `${what} must be a constant`, arg.pos);
  return c.ev({});
}

function rowsOf(env: QueryEnv, table: string): readonly Row[] {
  return env.tables.get(table)?.rows ?? [];
}

function addressesOf(row: Row): { IPAddress: string; AddressType?: string }[] {
  const v = row.IPAddresses;
  const list = typeof v === 'string' ? (JSON.parse(v || '[]') as unknown) : v;
  return Array.isArray(list)
    ? list.filter((a): a is { IPAddress: string } => typeof (a as { IPAddress?: unknown })?.IPAddress === 'string')
    : [];
}

const sameDevice = (a: string, b: string): boolean =>
  a.toLowerCase() === b.toLowerCase() || a.toLowerCase().split('.')[0] === b.toLowerCase().split('.')[0];

export function assignedIpAddresses(call: Call, env: QueryEnv, nextOperator: string | null): Plan {
  const scope: Scope = { columns: new Map(), operator: nextOperator };
  const device = constantArg(call.args[0], scope, env, 'AssignedIPAddresses(): the device name');
  if (typeof device !== 'string')
    throw semanticError(scope, 'AssignedIPAddresses(): the first argument is a device name (string)', call.pos);
  const at = constantArg(call.args[1], scope, env, 'AssignedIPAddresses(): the time');
  const columns = outputColumns('AssignedIPAddresses');
  return {
    columns: columns.map((c) => ({ ...c })),
    rows: () => {
      const reports = rowsOf(env, 'DeviceNetworkInfo').filter(
        (r) => typeof r.DeviceName === 'string' && sameDevice(r.DeviceName, device),
      );
      const before = typeof at === 'string' ? reports.filter((r) => String(r.Timestamp) <= at) : reports;
      const latest = (before.length > 0 ? before : reports).reduce<Row | undefined>(
        (best, r) => (!best || String(r.Timestamp) > String(best.Timestamp) ? r : best),
        undefined,
      );
      if (!latest) return [];
      return addressesOf(latest).map((a) => {
        const values: Row = {
          Timestamp: latest.Timestamp,
          IPAddress: a.IPAddress,
          IPType: /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a.IPAddress) ? 'Private' : 'Public',
          NetworkAdapterType: latest.NetworkAdapterType ?? null,
          ConnectedNetworks: latest.ConnectedNetworks ?? null,
        };
        return Object.fromEntries(columns.map((c) => [c.name, values[c.name] ?? null]));
      });
    },
  };
}

/** The column argument of an invoke-style function: a bare column name or its name as a string. */
function columnArg(arg: Expr | undefined, fallback: string, scope: Scope, fn: string): string {
  if (!arg) return fallback;
  if (arg.k === 'name') return arg.name;
  if (arg.k === 'literal' && typeof arg.value === 'string') return arg.value;
  throw semanticError(scope, `${fn}(): the first argument names a column`, arg.pos);
}

/** The input's columns, then the function's documented columns (replacing same-named ones, as `extend` does). */
function extendWith(input: Plan, fn: string, valuesOf: (row: Row) => Row): Plan {
  const added = outputColumns(fn);
  const builder = new ProjectionBuilder();
  for (const c of input.columns) builder.add(c.name, c.type, () => null);
  for (const c of added) builder.add(c.name, c.type, () => null, true);
  return {
    columns: builder.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: () =>
      input.rows().map((row) => {
        const extra = valuesOf(row);
        const o: Row = { ...row };
        for (const c of added) o[c.name] = extra[c.name] ?? (c.type === 'string' ? '' : null);
        return o;
      }),
  };
}

export function deviceFromIp(input: Plan, call: Call, scope: Scope, env: QueryEnv): Plan {
  const column = columnArg(call.args[0], 'IP', scope, 'DeviceFromIP');
  if (!scope.columns.has(column))
    throw semanticError(scope, `DeviceFromIP(): the input has no column '${column}'`, call.pos);
  let index: Map<string, string> | undefined;
  const deviceOf = (ip: string): string => {
    if (!index) {
      index = new Map();
      for (const r of rowsOf(env, 'DeviceNetworkInfo'))
        for (const a of addressesOf(r)) if (!index.has(a.IPAddress)) index.set(a.IPAddress, String(r.DeviceId ?? ''));
      for (const r of rowsOf(env, 'DeviceNetworkEvents')) {
        const ip = String(r.LocalIP ?? '');
        if (ip && !index.has(ip)) index.set(ip, String(r.DeviceId ?? ''));
      }
    }
    return index.get(ip) ?? '';
  };
  return extendWith(input, 'DeviceFromIP', (row) => {
    const ip = String(row[column] ?? '');
    return { IP: ip, DeviceId: ip ? deviceOf(ip) : '' };
  });
}

export function seenBy(input: Plan, env: QueryEnv): Plan {
  const onboarded = [
    ...new Set(
      rowsOf(env, 'DeviceInfo')
        .filter((r) => r.OnboardingStatus === 'Onboarded')
        .map((r) => String(r.DeviceId ?? ''))
        .filter(Boolean),
    ),
  ].sort();
  return extendWith(input, 'SeenBy', (row) => {
    const own = String(row.DeviceId ?? '');
    const others = onboarded.filter((d) => d !== own);
    if (others.length === 0) return {};
    let h = 0;
    for (const ch of own) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return { DeviceId: others[h % others.length] };
  });
}
