// IP functions (data-explorer/kusto/query/ipv4-*.md, ipv6-*.md, has-ipv4*.md, geo-info-from-ip-address-function.md):
// IPv4 as 32-bit and IPv6 as 128-bit numbers, CIDR prefixes, and a deterministic offline geolocation.
import { isIPv6 } from 'node:net';
import { arg, textOf, type ScalarFunction } from './functionHelpers';
import type { Compiled } from './compiled';
import { maliciousIps } from '../seed/entities';
import { toLong, type Row } from './values';

/** An IPv4 address with an optional `/prefix`; null when invalid. */
export function parseIpv4(text: string): { value: number; prefix: number } | null {
  const m = /^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return null;
  const prefix = m[5] === undefined ? 32 : Number(m[5]);
  if (prefix > 32) return null;
  const value =
    (((octets[0] as number) << 24) |
      ((octets[1] as number) << 16) |
      ((octets[2] as number) << 8) |
      (octets[3] as number)) >>>
    0;
  return { value, prefix };
}

function mask4(value: number, prefix: number): number {
  return prefix === 0 ? 0 : (value & (0xffffffff << (32 - prefix))) >>> 0;
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((s) => (value >>> s) & 255).join('.');
}

/** An IPv6 (or IPv4, mapped) address with an optional `/prefix` as a 128-bit number. */
export function parseIpv6(text: string): { value: bigint; prefix: number } | null {
  const [address = '', prefixText] = text.trim().split('/');
  const v4 = parseIpv4(address);
  if (v4) {
    const prefix = prefixText === undefined ? 128 : Number(prefixText) + 96;
    if (!(prefix >= 96 && prefix <= 128)) return null;
    return { value: (0xffffn << 32n) | BigInt(v4.value), prefix };
  }
  if (!isIPv6(address)) return null;
  let head = address;
  let tailV4 = '';
  const lastColon = address.lastIndexOf(':');
  if (address.slice(lastColon + 1).includes('.')) {
    tailV4 = address.slice(lastColon + 1);
    head = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const l = left ? left.split(':') : [];
  const r = right !== undefined && right !== '' ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g || '0', 16));
  if (tailV4) {
    const v4tail = parseIpv4(tailV4);
    if (!v4tail) return null;
    value = (value & ~0xffffffffn) | BigInt(v4tail.value);
  }
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (!(prefix >= 0 && prefix <= 128)) return null;
  return { value, prefix };
}

function mask6(value: bigint, prefix: number): bigint {
  if (prefix <= 0) return 0n;
  const ones = (1n << 128n) - 1n;
  return value & (ones ^ ((1n << BigInt(128 - prefix)) - 1n));
}

function formatIpv6Full(value: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16).padStart(4, '0'));
  return groups.join(':');
}

const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(
  (r) => parseIpv4(r) as { value: number; prefix: number },
);

function inRange4(ip: string, range: string): boolean | null {
  const a = parseIpv4(ip);
  const r = parseIpv4(range);
  if (!a || !r) return null;
  return mask4(a.value, r.prefix) === mask4(r.value, r.prefix);
}

function inRange6(ip: string, range: string): boolean | null {
  const a = parseIpv6(ip);
  const r = parseIpv6(range);
  if (!a || !r) return null;
  const p = Math.min(a.prefix, r.prefix);
  return mask6(a.value, p) === mask6(r.value, p);
}

function rangesOf(values: unknown[]): string[] {
  return values.flatMap((v) => (Array.isArray(v) ? v.map(String) : v === null || v === undefined ? [] : [String(v)]));
}

function texts(args: Compiled[]): ((row: Row) => string)[] {
  return args.map(textOf);
}

function twoText(fn: (a: string, b: string, row: Row) => unknown, type: 'bool' | 'long' | 'string'): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const [a, b] = texts(args) as [(r: Row) => string, (r: Row) => string];
      return { type, ev: (row) => fn(a(row), b(row), row) };
    },
  };
}

/** An address family: its width in bits and how its addresses are parsed and masked. */
interface IpFamily<V extends number | bigint> {
  bits: number;
  parse(text: string): { value: V; prefix: number } | null;
  mask(value: V, prefix: number): V;
}

const IPV4: IpFamily<number> = { bits: 32, parse: parseIpv4, mask: mask4 };
const IPV6: IpFamily<bigint> = { bits: 128, parse: parseIpv6, mask: mask6 };

/** -1, 0 or 1 for two addresses compared on their shortest prefix (at most `given`); null when one is invalid. */
function compareIps<V extends number | bigint>(
  family: IpFamily<V>,
  a: string,
  b: string,
  given: number | null,
): number | null {
  const x = family.parse(a);
  const y = family.parse(b);
  if (!x || !y) return null;
  const p = Math.min(given ?? family.bits, x.prefix, y.prefix);
  const mx = family.mask(x.value, p);
  const my = family.mask(y.value, p);
  return mx < my ? -1 : mx > my ? 1 : 0;
}

function compareWithPrefix(family: IpFamily<number> | IpFamily<bigint>, result: 'compare' | 'match'): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 3,
    compile: (args) => {
      const [a, b] = texts(args) as [(r: Row) => string, (r: Row) => string];
      const prefixArg = args[2];
      return {
        type: result === 'compare' ? 'int' : 'bool',
        ev: (row) => {
          const given = prefixArg ? toLong(prefixArg.ev(row), prefixArg.type) : null;
          const c = compareIps(family as IpFamily<number | bigint>, a(row), b(row), given);
          return c === null ? null : result === 'compare' ? c : c === 0;
        },
      };
    },
  };
}

/** A function of one address text. */
function oneText(type: 'bool' | 'int' | 'long' | 'string' | 'dynamic', fn: (ip: string) => unknown): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const ip = textOf(arg(args, 0));
      return { type, ev: (row) => fn(ip(row)) };
    },
  };
}

/** A function of an address text and a prefix length (null when the prefix is not a number). */
function textAndPrefix(type: 'long' | 'string', fn: (ip: string, prefix: number | null) => unknown): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const ip = textOf(arg(args, 0));
      const p = arg(args, 1);
      return { type, ev: (row) => fn(ip(row), toLong(p.ev(row), p.type)) };
    },
  };
}

/** format_ipv4 and format_ipv4_mask: a number or an address text, masked by an optional prefix (32), then `format`
 * of the masked value and the prefix used; '' when invalid. */
function formatIpv4With(format: (value: number, prefix: number) => string): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 2,
    compile: (args) => {
      const value = arg(args, 0);
      const p = args[1];
      return {
        type: 'string',
        ev: (row) => {
          const v = value.ev(row);
          const parsed = typeof v === 'number' ? { value: v >>> 0, prefix: 32 } : parseIpv4(String(v ?? ''));
          const prefix = p ? toLong(p.ev(row), p.type) : 32;
          if (!parsed || prefix === null || prefix < 0 || prefix > 32) return '';
          const q = Math.min(prefix, parsed.prefix);
          return format(mask4(parsed.value, q), q);
        },
      };
    },
  };
}

function anyRange(inRange: (ip: string, range: string) => boolean | null): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 64,
    compile: (args) => {
      const ip = textOf(arg(args, 0));
      const ranges = args.slice(1).map((a) => a.ev);
      return {
        type: 'bool',
        ev: (row) => {
          const address = ip(row);
          let sawValid = false;
          for (const r of rangesOf(ranges.map((ev) => ev(row)))) {
            const hit = inRange(address, r);
            if (hit) return true;
            if (hit === false) sawValid = true;
          }
          return sawValid ? false : null;
        },
      };
    },
  };
}

const IPV4_IN_TEXT = /(?<![\w.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![\w.]|\.\d)/g;

function ipv4sIn(text: string): string[] {
  return [...text.matchAll(IPV4_IN_TEXT)].map((m) => m[1] as string).filter((ip) => parseIpv4(ip) !== null);
}

function hasIpv4(prefix: boolean, any: boolean): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 64,
    compile: (args) => {
      const source = textOf(arg(args, 0));
      const wanted = args.slice(1).map((a) => a.ev);
      return {
        type: 'bool',
        ev: (row) => {
          const found = ipv4sIn(source(row));
          const targets = rangesOf(wanted.map((ev) => ev(row)));
          const list = any ? targets : targets.slice(0, 1);
          return found.some((ip) => list.some((t) => (prefix ? ip.startsWith(t) : ip === t)));
        },
      };
    },
  };
}

interface GeoInfo {
  country: string;
  state: string;
  city: string;
  latitude: number;
  longitude: number;
}

const PLACES: GeoInfo[] = [
  { country: 'United States', state: 'Washington', city: 'Seattle', latitude: 47.6062, longitude: -122.3321 },
  { country: 'Germany', state: 'Bavaria', city: 'Munich', latitude: 48.1351, longitude: 11.582 },
  { country: 'United Kingdom', state: 'England', city: 'London', latitude: 51.5072, longitude: -0.1276 },
  { country: 'Japan', state: 'Tokyo', city: 'Tokyo', latitude: 35.6762, longitude: 139.6503 },
  { country: 'Australia', state: 'New South Wales', city: 'Sydney', latitude: -33.8688, longitude: 151.2093 },
  { country: 'Brazil', state: 'Sao Paulo', city: 'Sao Paulo', latitude: -23.5558, longitude: -46.6396 },
];

/** The seed's attacker addresses sit where the seed's sign-in rows say they are (NL, RU). */
const KNOWN: Record<string, GeoInfo> = {
  [maliciousIps[0]]: {
    country: 'Netherlands',
    state: 'North Holland',
    city: 'Amsterdam',
    latitude: 52.3676,
    longitude: 4.9041,
  },
  [maliciousIps[1]]: { country: 'Russia', state: 'Moscow', city: 'Moscow', latitude: 55.7558, longitude: 37.6173 },
  [maliciousIps[2]]: {
    country: 'Netherlands',
    state: 'North Holland',
    city: 'Amsterdam',
    latitude: 52.3676,
    longitude: 4.9041,
  },
};

/** geo_info_from_ip_address(): a bag with country, state, city, latitude and longitude; empty for private and
 * invalid addresses. Offline, public addresses map deterministically onto a few places. */
export function geoInfo(ip: string): unknown {
  const known = KNOWN[ip.trim()];
  if (known) return { ...known };
  const v4 = parseIpv4(ip);
  if (v4) {
    if (PRIVATE_V4.some((r) => mask4(v4.value, r.prefix) === r.value) || v4.value >>> 24 === 127) return {};
    if (formatIpv4(mask4(v4.value, 24)) === '203.0.113.0') return { ...(PLACES[0] as GeoInfo) };
    return { ...(PLACES[v4.value % PLACES.length] as GeoInfo) };
  }
  const v6 = parseIpv6(ip);
  if (!v6) return {};
  return { ...(PLACES[Number(v6.value % BigInt(PLACES.length))] as GeoInfo) };
}

export const IP_FUNCTIONS: Record<string, ScalarFunction> = {
  ipv4_is_in_range: twoText((ip, range) => inRange4(ip, range), 'bool'),
  ipv4_is_in_any_range: anyRange(inRange4),
  ipv4_is_private: oneText('bool', (ip) => {
    const a = parseIpv4(ip);
    return a ? PRIVATE_V4.some((r) => mask4(a.value, r.prefix) === r.value && a.prefix >= r.prefix) : null;
  }),
  ipv4_compare: compareWithPrefix(IPV4, 'compare'),
  ipv4_is_match: compareWithPrefix(IPV4, 'match'),
  ipv6_compare: compareWithPrefix(IPV6, 'compare'),
  ipv6_is_match: compareWithPrefix(IPV6, 'match'),
  ipv6_is_in_range: twoText((ip, range) => inRange6(ip, range), 'bool'),
  ipv6_is_in_any_range: anyRange(inRange6),
  parse_ipv4: oneText('long', (ip) => {
    const a = parseIpv4(ip);
    return a ? mask4(a.value, a.prefix) : null;
  }),
  parse_ipv4_mask: textAndPrefix('long', (ip, prefix) => {
    const a = parseIpv4(ip);
    return a && prefix !== null && prefix >= 0 && prefix <= 32 ? mask4(a.value, Math.min(prefix, a.prefix)) : null;
  }),
  format_ipv4: formatIpv4With((value) => formatIpv4(value)),
  format_ipv4_mask: formatIpv4With((value, prefix) => `${formatIpv4(value)}/${prefix}`),
  parse_ipv6: oneText('string', (ip) => {
    const a = parseIpv6(ip);
    return a ? formatIpv6Full(mask6(a.value, a.prefix)) : '';
  }),
  parse_ipv6_mask: textAndPrefix('string', (ip, prefix) => {
    const a = parseIpv6(ip);
    return a && prefix !== null ? formatIpv6Full(mask6(a.value, Math.min(prefix, a.prefix))) : '';
  }),
  ipv4_netmask_suffix: oneText('int', (ip) => parseIpv4(ip)?.prefix ?? null),
  has_ipv4: hasIpv4(false, false),
  has_ipv4_prefix: hasIpv4(true, false),
  has_any_ipv4: hasIpv4(false, true),
  has_any_ipv4_prefix: hasIpv4(true, true),
  geo_info_from_ip_address: oneText('dynamic', geoInfo),
};
