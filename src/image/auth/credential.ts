/**
 * Registry credentials and keychains (platform.md "Registry Authentication"). A keychain maps a registry
 * host to a credential; the registry client turns the credential into an `Authorization` header for
 * Basic registries or into a token request for Bearer registries. Credentials never appear in messages.
 */

/** What a keychain can answer for a registry. */
export type Credential =
  | { readonly kind: 'anonymous' }
  /** Username and password (Basic auth, or the basis of a token request). */
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** A Basic `Authorization` value sent as given (CNB_REGISTRY_AUTH `Basic <anything>`, not decoded). */
  | { readonly kind: 'basic-encoded'; readonly auth: string }
  /** A registry token sent as `Authorization: Bearer <token>` as is. */
  | { readonly kind: 'bearer'; readonly token: string }
  /** An OAuth2 refresh token ("identity token") exchanged at the token service. */
  | { readonly kind: 'identity-token'; readonly token: string; readonly username?: string };

/** Resolves a credential for a registry host (`index.docker.io`, `127.0.0.1:5000`, …). */
export interface Keychain {
  resolve(registry: string): Promise<Credential>;
}

/** The anonymous credential. */
export const ANONYMOUS: Credential = Object.freeze({ kind: 'anonymous' });

/** A keychain that always answers anonymous. */
export const anonymousKeychain: Keychain = { resolve: async () => ANONYMOUS };

/** A keychain answering the first non-anonymous credential of `keychains`, in order. */
export function multiKeychain(...keychains: readonly Keychain[]): Keychain {
  return {
    async resolve(registry) {
      for (const k of keychains) {
        const c = await k.resolve(registry);
        if (c.kind !== 'anonymous') return c;
      }
      return ANONYMOUS;
    },
  };
}

/** A keychain from a fixed map of registry → credential (handy for library callers and tests). */
export function staticKeychain(map: Readonly<Record<string, Credential>>): Keychain {
  return { resolve: async (registry) => map[normalizeRegistryKey(registry)] ?? map[registry] ?? ANONYMOUS };
}

/** `Authorization` header value for Basic credentials. */
export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * The Basic `Authorization` value of a credential (username/password encoded, an encoded value as
 * given), or undefined for credentials that are not Basic (go-containerregistry's basic transport).
 */
export function basicAuthorization(cred: Credential): string | undefined {
  if (cred.kind === 'basic') return basicHeader(cred.username, cred.password);
  if (cred.kind === 'basic-encoded') return `Basic ${cred.auth}`;
  return undefined;
}

/**
 * Normalises a registry key the way docker does for config.json (`https://index.docker.io/v1/` →
 * `index.docker.io`, `http://host:5000/path` → `host:5000`), and `docker.io` to `index.docker.io`.
 */
export function normalizeRegistryKey(key: string): string {
  let k = key.trim();
  k = k.replace(/^[a-z]+:\/\//i, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  k = k.toLowerCase();
  if (k === 'docker.io' || k === 'registry-1.docker.io') return 'index.docker.io';
  return k;
}
