// Credentials of the notification targets, read from Key Vault with the app's managed identity (the same client as
// the app's own secret) and cached like it: one provider per secret name, re-read after the TTL or when the target
// answers 401 (a rotated secret).
import type { SecretClientLike, SecretProvider } from '../credentials/secretProvider';
import { createSecretProvider } from '../credentials/secretProvider';

export interface NotifySecrets {
  get(name: string): Promise<string>;
  /** Reads the secret again (after a 401). */
  refresh(name: string): Promise<string>;
}

export function createNotifySecrets(o: {
  secretClient: SecretClientLike;
  vaultUrl: string;
  ttlMs: number;
}): NotifySecrets {
  const providers = new Map<string, SecretProvider>();
  const provider = (name: string): SecretProvider => {
    let p = providers.get(name);
    if (!p) {
      p = createSecretProvider({
        secretClient: o.secretClient,
        vaultUrl: o.vaultUrl,
        secretName: name,
        ttlMs: o.ttlMs,
      });
      providers.set(name, p);
    }
    return p;
  };
  return { get: (name) => provider(name).get(), refresh: (name) => provider(name).refresh() };
}
