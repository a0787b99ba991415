import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LifecycleError, parseBoundedJson } from '../../platform/index.ts';
import { runCredentialHelper } from './cred-helper.ts';
import { ANONYMOUS, type Credential, type Keychain, normalizeRegistryKey } from './credential.ts';

/** Docker Hub's key in config.json. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** The parts of docker's config.json that hold credentials. */
export interface DockerConfig {
  readonly auths?: Readonly<Record<string, DockerAuthEntry>>;
  readonly credHelpers?: Readonly<Record<string, string>>;
  readonly credsStore?: string;
}

export interface DockerAuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
}

/** Path of the docker config.json: `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`. */
export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const dir = env['DOCKER_CONFIG'];
  if (dir !== undefined && dir !== '') return join(dir, 'config.json');
  const home = env['HOME'];
  if (home !== undefined && home !== '') return join(home, '.docker', 'config.json');
  return undefined;
}

/** Reads a docker config.json; a missing file is an empty config. */
export async function readDockerConfig(path: string): Promise<DockerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return {};
    throw new LifecycleError(
      'ERR_DOCKER_CONFIG',
      'failed',
      `cannot read docker config ${path}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  try {
    const parsed = parseBoundedJson(text, path);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as DockerConfig;
  } catch {
    throw new LifecycleError(
      'ERR_DOCKER_CONFIG',
      'failed',
      `docker config ${path} is not a valid JSON object; fix or remove it (or set DOCKER_CONFIG to another directory)`,
    );
  }
}

/** Credential of a config.json `auths` entry (`auth` = base64 "user:password", or the explicit fields). */
export function credentialFromAuthEntry(entry: DockerAuthEntry): Credential {
  if (entry.registrytoken) return { kind: 'bearer', token: entry.registrytoken };
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  if (entry.identitytoken) {
    return username === ''
      ? { kind: 'identity-token', token: entry.identitytoken }
      : { kind: 'identity-token', token: entry.identitytoken, username };
  }
  if (username === '' && password === '') return ANONYMOUS;
  return { kind: 'basic', username, password };
}

/** The keys docker would look a registry up under (Docker Hub uses its historical v1 URL). */
function lookupKeys(registry: string): string[] {
  const host = normalizeRegistryKey(registry);
  return host === 'index.docker.io' ? [DOCKER_HUB_AUTH_KEY, 'index.docker.io', 'docker.io'] : [host];
}

function findHelper(helpers: Readonly<Record<string, string>>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (helpers[k]) return helpers[k];
  for (const [k, v] of Object.entries(helpers)) if (keys.includes(normalizeRegistryKey(k)) && v) return v;
  return undefined;
}

/**
 * Resolves a registry's credential from a docker config the way docker does: `credHelpers[registry]`,
 * else `credsStore`, else the `auths` entry (keys normalised: scheme and path ignored).
 */
export async function resolveFromDockerConfig(
  config: DockerConfig,
  registry: string,
  env: Readonly<Record<string, string | undefined>>,
  path: string,
): Promise<Credential> {
  const keys = lookupKeys(registry);
  const serverURL = keys[0]!;
  const helper = findHelper(config.credHelpers ?? {}, keys);
  if (helper !== undefined) return runCredentialHelper(helper, serverURL, env, `credHelpers in ${path}`);
  if (config.credsStore)
    return runCredentialHelper(config.credsStore, serverURL, env, `credsStore in ${path}`);
  const auths = config.auths ?? {};
  for (const k of keys) if (auths[k]) return credentialFromAuthEntry(auths[k]);
  for (const [k, entry] of Object.entries(auths)) {
    if (keys.includes(normalizeRegistryKey(k))) return credentialFromAuthEntry(entry);
  }
  return ANONYMOUS;
}

/**
 * A keychain backed by docker's config.json (`$DOCKER_CONFIG` or `$HOME/.docker`), read once on first use.
 * Credential helpers run with `env` (their PATH decides where `docker-credential-*` is found).
 */
export function dockerConfigKeychain(env: Readonly<Record<string, string | undefined>>): Keychain {
  const path = dockerConfigPath(env);
  let config: Promise<DockerConfig> | undefined;
  const cache = new Map<string, Promise<Credential>>();
  return {
    async resolve(registry) {
      if (path === undefined) return ANONYMOUS;
      config ??= readDockerConfig(path);
      const key = normalizeRegistryKey(registry);
      let c = cache.get(key);
      if (c === undefined) {
        c = config.then((cfg) => resolveFromDockerConfig(cfg, registry, env, path));
        cache.set(key, c);
      }
      return c;
    },
  };
}
