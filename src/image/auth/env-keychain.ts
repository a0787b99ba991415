import { LifecycleError } from '../../platform/index.ts';
import { ANONYMOUS, type Credential, type Keychain, normalizeRegistryKey } from './credential.ts';

/** The environment variable the platform sets (platform.md "Registry Authentication"). */
export const CNB_REGISTRY_AUTH = 'CNB_REGISTRY_AUTH';

function badAuth(why: string): LifecycleError {
  return new LifecycleError(
    'ERR_REGISTRY_AUTH_ENV',
    'invalidArgs',
    `${CNB_REGISTRY_AUTH} ${why}; it must be a JSON object mapping registry hosts to Authorization header ` +
      `values, e.g. {"registry.example.com": "Basic <base64 user:password>"}, {"host:5000": "Bearer <token>"} ` +
      `or {"host": "X-Identity <identity token>"}`,
  );
}

/** `Basic <value>`, `Bearer <token>` or `X-Identity <token>`: the scheme, one space, the rest as given. */
const HEADER = /^(basic|bearer|x-identity) (.*)$/i;

/**
 * Turns an `Authorization` header value into a credential as the reference lifecycle's env keychain
 * does (platform.md "Registry Authentication"): `Basic <anything>` is sent as given (never decoded or
 * checked), `Bearer <token>` is a registry token used as is, `X-Identity <token>` an identity (refresh)
 * token exchanged at the registry's token endpoint. An empty value is anonymous. Returns undefined for
 * any other scheme.
 */
export function credentialFromHeader(header: string): Credential | undefined {
  const m = HEADER.exec(header);
  if (m === null) return undefined;
  const value = m[2]!;
  if (value === '') return ANONYMOUS;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return { kind: 'bearer', token: value };
  if (scheme === 'x-identity') return { kind: 'identity-token', token: value };
  return { kind: 'basic-encoded', auth: value };
}

/**
 * Parses the value of `CNB_REGISTRY_AUTH` (undefined or empty → an empty map) into registry → header
 * value. Only the JSON shape is checked here; a header value is checked when its registry is used.
 * @throws LifecycleError `ERR_REGISTRY_AUTH_ENV` for invalid JSON or non-string values (never echoing them).
 */
export function parseRegistryAuth(value: string | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
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
    out.set(normalizeRegistryKey(registry), header);
  }
  return out;
}

/**
 * A keychain reading `CNB_REGISTRY_AUTH` from an env record. The JSON is parsed now (a broken variable
 * fails the phase at start, like the reference); an entry's value is checked only when that registry is
 * used, and an unusable one fails naming the registry (never echoing the value).
 */
export function envKeychain(env: Readonly<Record<string, string | undefined>>): Keychain {
  const map = parseRegistryAuth(env[CNB_REGISTRY_AUTH]);
  return {
    resolve: async (registry) => {
      const header = map.get(normalizeRegistryKey(registry));
      if (header === undefined) return ANONYMOUS;
      const cred = credentialFromHeader(header);
      if (cred === undefined)
        throw badAuth(
          `has an unsupported Authorization value for registry "${registry}" (Basic, Bearer and X-Identity are supported)`,
        );
      return cred;
    },
  };
}
