// @peculiar/x509 v2 registers its algorithms through tsyringe, which throws at import time unless a
// Reflect metadata polyfill (reflect-metadata, core-js …) is loaded first. None is installed, so this
// module supplies the three functions tsyringe calls. It only fills in what is missing: if the
// `reflect-metadata` package is ever added and imported first, it is used instead.
// Import this module before "@peculiar/x509" (ES modules evaluate imports in order).
type MetadataMap = Map<unknown, unknown>;

interface ReflectMetadata {
  defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void;
  getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  getMetadata(key: unknown, target: object, property?: string | symbol): unknown;
}

const R = Reflect as typeof Reflect & Partial<ReflectMetadata>;

if (typeof R.getMetadata !== "function" || typeof R.defineMetadata !== "function" || typeof R.getOwnMetadata !== "function") {
  const store = new WeakMap<object, Map<string | symbol | undefined, MetadataMap>>();
  const own = (target: object, property: string | symbol | undefined, create: boolean): MetadataMap | undefined => {
    let byProperty = store.get(target);
    if (!byProperty) {
      if (!create) return undefined;
      byProperty = new Map();
      store.set(target, byProperty);
    }
    let map = byProperty.get(property);
    if (!map && create) {
      map = new Map();
      byProperty.set(property, map);
    }
    return map;
  };
  const polyfill: ReflectMetadata = {
    defineMetadata(key, value, target, property) {
      own(target, property, true)!.set(key, value);
    },
    getOwnMetadata(key, target, property) {
      return own(target, property, false)?.get(key);
    },
    getMetadata(key, target, property) {
      // Metadata is inherited along the prototype chain, as in reflect-metadata.
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
        const map = own(t, property, false);
        if (map?.has(key)) return map.get(key);
      }
      return undefined;
    },
  };
  Object.assign(R, polyfill);
}

export {};
