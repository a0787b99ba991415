import { LifecycleError } from '../platform/index.ts';

/**
 * Image references, parsed and normalised like the Docker/OCI distribution reference grammar
 * (and go-containerregistry's `name.ParseReference`, which the reference lifecycle uses):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain     := host [ ":" port ]          (a first component is a domain when it has "." or ":",
 *                                             or is "localhost"; otherwise the registry is Docker Hub)
 *
 * Docker Hub is spelled `index.docker.io` and single-component Hub repositories get `library/`.
 */

/** The registry used when a reference names none. */
export const DEFAULT_REGISTRY = 'index.docker.io';
/** The tag used when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';

/** A parsed, normalised image reference. */
export interface Reference {
  /** Registry host[:port], e.g. `index.docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/ubuntu`. */
  readonly repository: string;
  /** The tag, when the reference has one (`latest` is filled in when there is neither tag nor digest). */
  readonly tag?: string;
  /** The digest (`algorithm:hex`), when the reference has one; it wins over the tag for lookups. */
  readonly digest?: string;
  /** `registry/repository`. */
  readonly name: string;
  /** What to ask the registry for: the digest if any, else the tag. */
  readonly identifier: string;
  /** The original text. */
  readonly input: string;
  /** Canonical form: `registry/repository[:tag][@digest]`. */
  toString(): string;
}

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN_RE = new RegExp(`^(?:${ipv6}|${domainComponent}(?:\\.${domainComponent})*)(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

function invalid(input: string, why: string): LifecycleError {
  return new LifecycleError(
    'ERR_IMAGE_REFERENCE',
    'invalidArgs',
    `invalid image reference "${input}": ${why}; expected [registry[:port]/]repository[:tag][@sha256:<hex>], ` +
      'e.g. "index.docker.io/library/ubuntu:22.04" or "127.0.0.1:5000/app@sha256:…"',
  );
}

function make(
  registry: string,
  repository: string,
  tag: string | undefined,
  digest: string | undefined,
  input: string,
): Reference {
  const name = `${registry}/${repository}`;
  const text = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    name,
    identifier: digest ?? tag ?? DEFAULT_TAG,
    input,
    toString: () => text,
  };
}

/**
 * Parses and validates an image reference, filling in Docker Hub defaults.
 * @throws LifecycleError `ERR_IMAGE_REFERENCE` naming the input and the rule it breaks.
 */
export function parseReference(input: string): Reference {
  if (input.length === 0) throw invalid(input, 'it is empty');
  if (/\s/.test(input)) throw invalid(input, 'it contains whitespace');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(input, `"${digest}" is not a valid digest`);
    if (digest.startsWith('sha256:') && !SHA256_RE.test(digest)) {
      throw invalid(input, 'a sha256 digest must be 64 lowercase hex characters');
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      throw invalid(input, `"${tag}" is not a valid tag (letters, digits, "_", "." and "-", at most 128)`);
    }
  }
  if (rest.length === 0) throw invalid(input, 'the repository name is empty');
  if (rest.length > NAME_MAX) throw invalid(input, `the name is longer than ${NAME_MAX} characters`);

  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  let registry: string;
  let repository: string;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(registry)) throw invalid(input, `"${registry}" is not a valid registry host[:port]`);
  } else {
    registry = DEFAULT_REGISTRY;
    repository = rest;
  }
  if (registry === 'docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw invalid(
        input,
        component.length === 0
          ? 'the repository has an empty path component'
          : `repository component "${component}" may only contain lowercase letters, digits and separators ("." "_" "__" "-")`,
      );
    }
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return make(registry, repository, tag, digest, input);
}

/** True when `input` parses as an image reference. */
export function isValidReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}

/** The same repository with another tag (any digest is dropped). */
export function withTag(ref: Reference, tag: string): Reference {
  if (!TAG_RE.test(tag)) throw invalid(`${ref.name}:${tag}`, `"${tag}" is not a valid tag`);
  return make(ref.registry, ref.repository, tag, undefined, `${ref.name}:${tag}`);
}

/** The same repository pinned to a digest (any tag is dropped). */
export function withDigest(ref: Reference, digest: string): Reference {
  if (!SHA256_RE.test(digest) && !DIGEST_RE.test(digest)) {
    throw invalid(`${ref.name}@${digest}`, `"${digest}" is not a valid digest`);
  }
  return make(ref.registry, ref.repository, undefined, digest, `${ref.name}@${digest}`);
}

/** Accepts a string or an already parsed reference. */
export function toReference(ref: string | Reference): Reference {
  return typeof ref === 'string' ? parseReference(ref) : ref;
}
