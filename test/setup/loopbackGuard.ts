// Loaded before every test file (see scripts/test.mjs): any socket to an address other than loopback fails the
// test loudly instead of leaving the machine. Covers http, https, axios, the Azure SDKs and fetch alike.
import net from 'node:net';

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|localhost|::ffff:127(?:\.\d{1,3}){3})$/i;
const original = net.Socket.prototype.connect;

function targetOf(args: unknown[]): { host?: string; path?: string } {
  const first = args[0];
  if (Array.isArray(first)) return targetOf(first);
  if (first && typeof first === 'object') {
    const o = first as { host?: string; path?: string };
    return { host: o.host ?? (o.path ? undefined : 'localhost'), path: o.path };
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost' };
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const { host, path } = targetOf(args);
  if (!path && host !== undefined && !LOOPBACK.test(host.replace(/^\[|\]$/g, ''))) {
    throw new Error(`loopback guard: a test tried to connect to ${host}; only 127.0.0.1 is allowed`);
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
