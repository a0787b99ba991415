import { type Keychain, multiKeychain } from './credential.ts';
import { dockerConfigKeychain } from './docker-config.ts';
import { envKeychain } from './env-keychain.ts';

export * from './challenge.ts';
export * from './cred-helper.ts';
export * from './credential.ts';
export * from './docker-config.ts';
export * from './env-keychain.ts';
export * from './memo.ts';

/**
 * The lifecycle's keychain (platform.md "Registry Authentication", same order as the reference):
 * `CNB_REGISTRY_AUTH`, then docker config.json (`auths`, `credHelpers`, `credsStore`), then anonymous.
 * @param env the process environment record (read by the CLI edge, passed in).
 */
export function defaultKeychain(env: Readonly<Record<string, string | undefined>>): Keychain {
  return multiKeychain(envKeychain(env), dockerConfigKeychain(env));
}
