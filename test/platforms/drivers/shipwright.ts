import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ContainerRun, runContainer, succeeded, type World } from '../../support/platform/index.ts';
import type { Pod } from './pod.ts';

/**
 * Shipwright's `buildpacks-v3` ClusterBuildStrategy (shipwright-io/build
 * samples/v1beta1/buildstrategy/buildpacks-v3): one build-and-push step of the builder image as uid 1001
 * gid 1000, `/bin/bash -c <script> -- --insecure-registries <items>`, `CNB_PLATFORM_API` from the
 * `platform-api-version` parameter (0.13), the `/platform/env` emptyDir. {@link SHIPWRIGHT_SCRIPT} is
 * written here after the strategy's script (its text is not copied), doing to the lifecycle what it does.
 */

/**
 * The build-and-push script: the insecure registries (the args after `--insecure-registries`, and the
 * output image's host with `PARAM_OUTPUT_INSECURE=true`) go to `CNB_INSECURE_REGISTRIES`; then, strict,
 * every env var but PATH, HOSTNAME, PWD, _, SHLVL and HOME becomes `/platform/env/<name>` holding the
 * value up to its first `=` (the strategy reads `key=value` with `IFS='='`), without newline; the five
 * phases run with layers and cache under `/tmp/.shp`; the exporter gets `-process-type web` unless a
 * buildpack set a default process; the digest (the last report line naming it, spaces and quotes
 * removed, `digest=` cut) goes to the `shp-image-digest` result (path as Tekton substitutes it).
 */
export const SHIPWRIGHT_SCRIPT = `registries=""
listing=false
for arg in "$@"; do
  if [[ "$arg" == "--insecure-registries" ]]; then
    listing=true
  elif [[ "$listing" == "true" ]]; then
    registries+="$arg,"
  else
    echo "Invalid usage"
    exit 1
  fi
done
if [[ "$PARAM_OUTPUT_INSECURE" == "true" ]]; then
  host="\${PARAM_OUTPUT_IMAGE%%/*}"
  if [[ "$host" != "$PARAM_OUTPUT_IMAGE" && ( "$host" == *.* || "$host" == *:* || "$host" == "localhost" ) ]]; then
    registries+="$host,"
  else
    echo "> Output image '$PARAM_OUTPUT_IMAGE' has no explicit registry host; not adding to insecure registries."
  fi
fi
if [[ -n "$registries" ]]; then
  echo "> Using insecure registries: $registries"
  export CNB_INSECURE_REGISTRIES="$registries"
fi

set -euo pipefail

echo "> Processing environment variables..."
for entry in $(env); do
  IFS='=' read -r name value _ <<< "$entry"
  case "$name" in
    PATH|HOSTNAME|PWD|_|SHLVL|HOME|"") ;;
    *) printf '%s' "$value" > "/platform/env/$name" ;;
  esac
done

layers=/tmp/.shp/layers
cache=/tmp/.shp/cache
mkdir -p "$cache" "$layers"
phase() { printf '===> %s\\n' "$1"; }

phase ANALYZING
/cnb/lifecycle/analyzer -layers="$layers" "$PARAM_OUTPUT_IMAGE"
phase DETECTING
/cnb/lifecycle/detector -app="$PARAM_SOURCE_CONTEXT" -layers="$layers"
phase RESTORING
/cnb/lifecycle/restorer -cache-dir="$cache" -layers="$layers"
phase BUILDING
/cnb/lifecycle/builder -app="$PARAM_SOURCE_CONTEXT" -layers="$layers"

export_args=(-layers="$layers" -report=/tmp/report.toml -cache-dir="$cache" -app="$PARAM_SOURCE_CONTEXT")
if ! grep -q buildpack-default-process-type "$layers/config/metadata.toml"; then
  export_args+=(-process-type web)
fi
phase EXPORTING
/cnb/lifecycle/exporter "\${export_args[@]}" "$PARAM_OUTPUT_IMAGE"

grep digest /tmp/report.toml | tail -n 1 | tr -d ' "\\n' | sed 's/^digest=//' > /tekton/results/shp-image-digest
`;

/** One BuildRun: the source in `pod`'s `source` volume; resolves with the step and the digest result. */
export async function shipwrightBuild(
  w: World,
  pod: Pod,
  p: { outputImage: string; platformApi: string; insecureRegistries?: readonly string[] },
): Promise<{ run: ContainerRun; digest: string }> {
  const source = await pod.volume('source');
  const home = await pod.volume('tekton-home');
  const results = await pod.volume('results');
  const platformEnv = await pod.volume('platform-env');
  await w.dockerConfig(home);
  const run = await runContainer(w.dockerd, {
    image: w.builder.name,
    entrypoint: '/bin/bash',
    cmd: ['-c', SHIPWRIGHT_SCRIPT, '--', '--insecure-registries', ...(p.insecureRegistries ?? [])],
    user: '1001:1000',
    env: {
      HOME: '/tekton/home',
      CNB_PLATFORM_API: p.platformApi,
      PARAM_SOURCE_CONTEXT: '/workspace/source',
      PARAM_OUTPUT_IMAGE: p.outputImage,
      PARAM_OUTPUT_INSECURE: 'false',
    },
    binds: [
      `${source}:/workspace/source`,
      `${home}:/tekton/home`,
      `${results}:/tekton/results`,
      `${platformEnv}:/platform/env`,
    ],
  });
  succeeded(run, 'shipwright build-and-push');
  return { run, digest: (await readFile(join(results, 'shp-image-digest'), 'utf8')).trim() };
}
