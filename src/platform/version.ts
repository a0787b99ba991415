/**
 * The lifecycle's version: what `-version` prints, `lifecycle.toml`'s `[lifecycle] version`, the
 * lifecycle image's labels and `launcher.version` in `io.buildpacks.build.metadata`
 * (docs/decisions.md D-252). A semver that passes pack's version gates (creator ≥ 0.7.4, a separate
 * lifecycle image ≥ 0.7.5, extensions ≥ 0.19.0), in a line the Go lifecycle has not released, with
 * the pre-release tag `ts` so that nobody takes it for one of the reference's releases.
 */
export const LIFECYCLE_VERSION = '0.90.0-ts';
