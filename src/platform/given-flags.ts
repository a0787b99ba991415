/**
 * Which flags count as given (docs/decisions.md D-270). Platforms template their step arguments and
 * leave a value empty when the parameter is unset (Tekton's buildpacks-phases task passes `-tag=`,
 * `-cache-image=`, `-insecure-registry=`, `-layers=`, `-cache-dir=`, `-skip-layers=`, `-uid=`, ...):
 * a flag whose value is empty means "not given", so the env var or the default applies. For a list
 * flag the empty occurrences are dropped, and the flag is not given when none is left.
 */
export type RawFlagValue = string | boolean | readonly string[];

/** The flag's value when it counts as given, or undefined when the platform left it empty (D-270). */
export function givenValue(raw: RawFlagValue): RawFlagValue | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') return raw === '' ? undefined : raw;
  const items = listItems(raw);
  return items.length === 0 ? undefined : items;
}

/**
 * The items of a list input: each occurrence (or the env var's value) split on commas, trimmed, empty
 * ones dropped (D-272: `-insecure-registry=a,b` as Tekton's `CNB_INSECURE_REGISTRIES` parameter).
 */
export function listItems(raw: string | readonly string[]): string[] {
  const parts = typeof raw === 'string' ? [raw] : raw;
  return parts
    .flatMap((p) => p.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/**
 * A list input given both ways: the env var's items, then the flag's, each once (D-271: the
 * reference's repeatable flags append to the value read from the env var).
 */
export function mergeList(fromEnv: readonly string[], fromFlags: readonly string[]): string[] {
  return [...new Set([...fromEnv, ...fromFlags])];
}
