import type { Credential, Keychain } from './credential.ts';

/**
 * A keychain that resolves each registry once and remembers the answer, so credentials read while the
 * lifecycle still runs as root (docker config.json, credential helpers) stay usable after it drops to
 * the build user (docs/reference-behaviour.md §0.8: the keychain is built before privileges are dropped).
 */
export function memoKeychain(k: Keychain): Keychain {
  const seen = new Map<string, Promise<Credential>>();
  return {
    resolve(registry) {
      let c = seen.get(registry);
      if (c === undefined) {
        c = k.resolve(registry);
        seen.set(registry, c);
      }
      return c;
    },
  };
}
