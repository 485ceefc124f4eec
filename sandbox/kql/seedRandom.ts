// Deterministic pseudo-random numbers for seed data (mulberry32), so every run produces the same tables for a `now`.
import { datetimeFromParts } from './datetime';

export class SeedRandom {
  private state: number;

  constructor(seed: number | string) {
    this.state = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick() from an empty list');
    return item;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  hex(length: number): string {
    let s = '';
    while (s.length < length) s += ((this.next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, length);
  }

  guid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Canonical datetime text between `fromMsAgo` and `toMsAgo` before `nowMs`, with all seven fractional digits. */
  timestamp(nowMs: number, fromMsAgo: number, toMsAgo = 0): string {
    const ms = Math.floor(nowMs - toMsAgo - this.next() * (fromMsAgo - toMsAgo));
    return datetimeFromParts(ms, this.int(0, 9999)) as string;
  }
}

/** FNV-1a, for stable seeds and fake hashes derived from names. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A stable fake hex digest of a name (for benign files' SHA1/SHA256/MD5). */
export function fakeDigest(name: string, length: number): string {
  return new SeedRandom(`${name}#${length}`).hex(length);
}
