import { LifecycleError } from '../../platform/index.ts';
import { ANONYMOUS, type Credential, type Keychain, normalizeRegistryKey } from './credential.ts';

/** The environment variable the platform sets (platform.md "Registry Authentication"). */
export const CNB_REGISTRY_AUTH = 'CNB_REGISTRY_AUTH';

function badAuth(why: string): LifecycleError {
  return new LifecycleError(
    'ERR_REGISTRY_AUTH_ENV',
    'invalidArgs',
    `${CNB_REGISTRY_AUTH} ${why}; it must be a JSON object mapping registry hosts to Authorization header ` +
      `values, e.g. {"registry.example.com": "Basic <base64 user:password>"} or {"host:5000": "Bearer <token>"}`,
  );
}

/**
 * Turns an `Authorization` header value into a credential, like the reference lifecycle's env keychain:
 * `Basic <b64>` becomes username/password (so it also works for token services), `Bearer <t>` a registry
 * token used as is. Returns undefined for any other scheme.
 */
export function credentialFromHeader(header: string): Credential | undefined {
  const m = /^\s*(basic|bearer)\s+(\S+)\s*$/i.exec(header);
  if (m === null) return undefined;
  const value = m[2]!;
  if (m[1]!.toLowerCase() === 'bearer') return { kind: 'bearer', token: value };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Parses the value of `CNB_REGISTRY_AUTH` (undefined or empty → an empty map).
 * @throws LifecycleError `ERR_REGISTRY_AUTH_ENV` for invalid JSON or header values (never echoing them).
 */
export function parseRegistryAuth(value: string | undefined): ReadonlyMap<string, Credential> {
  const out = new Map<string, Credential>();
  if (value === undefined || value.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw badAuth('is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badAuth('is not a JSON object');
  for (const [registry, header] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof header !== 'string') throw badAuth(`has a non-string value for registry "${registry}"`);
    const cred = credentialFromHeader(header);
    if (cred === undefined) {
      throw badAuth(
        `has an unsupported header for registry "${registry}" (only Basic and Bearer are supported)`,
      );
    }
    out.set(normalizeRegistryKey(registry), cred);
  }
  return out;
}

/** A keychain reading `CNB_REGISTRY_AUTH` from an env record (parsed eagerly so errors surface early). */
export function envKeychain(env: Readonly<Record<string, string | undefined>>): Keychain {
  const map = parseRegistryAuth(env[CNB_REGISTRY_AUTH]);
  return { resolve: async (registry) => map.get(normalizeRegistryKey(registry)) ?? ANONYMOUS };
}
