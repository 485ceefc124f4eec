// @peculiar/x509 uses tsyringe, which refuses to load without a Reflect metadata polyfill. It only needs
// defineMetadata / getMetadata / getOwnMetadata, so a WeakMap keeps us from adding the reflect-metadata package.
// Import this before @peculiar/x509.
type MetaMap = Map<string | symbol | undefined, Map<unknown, unknown>>;
const store = new WeakMap<object, MetaMap>();

function table(target: object, prop: string | symbol | undefined, create: boolean): Map<unknown, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let byKey = byProp.get(prop);
  if (!byKey && create) {
    byKey = new Map();
    byProp.set(prop, byKey);
  }
  return byKey;
}

interface ReflectWithMetadata {
  defineMetadata?: (key: unknown, value: unknown, target: object, prop?: string | symbol) => void;
  getOwnMetadata?: (key: unknown, target: object, prop?: string | symbol) => unknown;
  getMetadata?: (key: unknown, target: object, prop?: string | symbol) => unknown;
}

const R = Reflect as unknown as ReflectWithMetadata;
if (typeof R.getMetadata !== 'function') {
  R.defineMetadata = (key, value, target, prop) => void table(target, prop, true)?.set(key, value);
  R.getOwnMetadata = (key, target, prop) => table(target, prop, false)?.get(key);
  R.getMetadata = (key, target, prop) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const m = table(t, prop, false);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
}
