// The app registration's client secret as Entra sees it, and the Key Vault secret store. They are separate on
// purpose: rotation can change one without the other, as it can in real life.
import { randomBytes } from 'node:crypto';

/** A value shaped like an Entra client secret: 40 characters with the "8Q~"-style marker at positions 3..5. */
export function newClientSecret(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.';
  const bytes = randomBytes(37);
  const body = Array.from(bytes, (b) => chars[b % chars.length]).join('');
  return `${body.slice(0, 3)}8Q~${body.slice(3, 37)}`;
}

export type SecretCheck = 'ok' | 'wrong' | 'expired';

export class AppCredential {
  private value: string;
  private expired = false;

  constructor(initial: string) {
    this.value = initial;
  }

  current(): string {
    return this.value;
  }

  check(secret: string): SecretCheck {
    if (secret !== this.value) return 'wrong';
    return this.expired ? 'expired' : 'ok';
  }

  /** A new secret replaces the old one, which Entra then rejects as wrong (7000215). */
  rotate(): string {
    this.value = newClientSecret();
    this.expired = false;
    return this.value;
  }

  expire(): void {
    this.expired = true;
  }

  restore(value: string): void {
    this.value = value;
    this.expired = false;
  }
}

export interface SecretVersion {
  version: string;
  value: string;
  contentType: string | undefined;
  tags: Record<string, string> | undefined;
  enabled: boolean;
  created: number;
  updated: number;
  nbf: number | undefined;
  exp: number | undefined;
  /** True for the secret behind a Key Vault certificate (its `managed` flag and `kid`). */
  managed?: boolean;
}

const newVersionId = (): string => randomBytes(16).toString('hex');

export class VaultStore {
  private readonly secrets = new Map<string, SecretVersion[]>();

  /** Adds a new version (the latest). Times are unix seconds, as Key Vault sends them. */
  set(
    name: string,
    value: string,
    nowSeconds: number,
    extra: Partial<
      Pick<SecretVersion, 'contentType' | 'tags' | 'enabled' | 'nbf' | 'exp' | 'version' | 'managed'>
    > = {},
  ): SecretVersion {
    const v: SecretVersion = {
      version: extra.version ?? newVersionId(),
      value,
      contentType: extra.contentType,
      tags: extra.tags,
      enabled: extra.enabled ?? true,
      created: nowSeconds,
      updated: nowSeconds,
      nbf: extra.nbf,
      exp: extra.exp,
      ...(extra.managed ? { managed: true } : {}),
    };
    const list = this.secrets.get(name.toLowerCase()) ?? [];
    list.push(v);
    this.secrets.set(name.toLowerCase(), list);
    return v;
  }

  /** Secret names are case-insensitive in Key Vault. */
  versions(name: string): readonly SecretVersion[] | undefined {
    return this.secrets.get(name.toLowerCase());
  }

  latest(name: string): SecretVersion | undefined {
    return this.versions(name)?.at(-1);
  }

  version(name: string, version: string): SecretVersion | undefined {
    return this.versions(name)?.find((v) => v.version === version.toLowerCase());
  }

  names(): string[] {
    return [...this.secrets.keys()];
  }

  delete(name: string): boolean {
    return this.secrets.delete(name.toLowerCase());
  }

  setEnabled(name: string, enabled: boolean, nowSeconds: number): boolean {
    const v = this.latest(name);
    if (!v) return false;
    v.enabled = enabled;
    v.updated = nowSeconds;
    return true;
  }

  clear(): void {
    this.secrets.clear();
  }
}
