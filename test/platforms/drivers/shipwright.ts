import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ContainerRun, runContainer, succeeded, type World } from '../../support/platform/index.ts';
import type { Pod } from './pod.ts';

/**
 * Shipwright's `buildpacks-v3` ClusterBuildStrategy (shipwright-io/build
 * samples/v1beta1/buildstrategy/buildpacks-v3): one build-and-push step of the builder image as uid 1001
 * gid 1000, `/bin/bash -c <script> -- --insecure-registries <items>`, the script calling the five phases
 * with layers and cache under /tmp/.shp, every environment variable written to /platform/env, and the
 * digest grepped out of report.toml. The script below is the strategy's (its comments left out), the result path
 * substituted as Tekton does.
 */

/** The build-and-push script (Tekton replaces `$(results.shp-image-digest.path)`). */
export const SHIPWRIGHT_SCRIPT = `insecureRegistries=""
inInsecureRegistries=false

while [[ $# -gt 0 ]]; do
  arg="$1"
  shift

  if [ "\${arg}" == "--insecure-registries" ]; then
    inInsecureRegistries=true
  elif [ "\${inInsecureRegistries}" == "true" ]; then
    insecureRegistries="\${insecureRegistries}\${arg},"
  else
    echo "Invalid usage"
    exit 1
  fi
done

if [[ "\${PARAM_OUTPUT_INSECURE}" == "true" ]]; then
  outputImageHost="\${PARAM_OUTPUT_IMAGE%%/*}"
  if [[ "\${outputImageHost}" == "\${PARAM_OUTPUT_IMAGE}" || ( "\${outputImageHost}" != *.* && "\${outputImageHost}" != *:* && "\${outputImageHost}" != "localhost" ) ]]; then
    echo "> Output image '\${PARAM_OUTPUT_IMAGE}' has no explicit registry host; not adding to insecure registries."
  else
    insecureRegistries="\${insecureRegistries}\${outputImageHost},"
  fi
fi

if [[ ! -z "$insecureRegistries" ]]; then
  echo "> Using insecure registries: $insecureRegistries"

  export CNB_INSECURE_REGISTRIES="\${insecureRegistries}"
fi

set -euo pipefail

echo "> Processing environment variables..."
ENV_DIR="/platform/env"

envs=($(env))

block_list=("PATH" "HOSTNAME" "PWD" "_" "SHLVL" "HOME" "")

for env in "\${envs[@]}"; do
  blocked=false

  IFS='=' read -r key value string <<< "$env"

  for str in "\${block_list[@]}"; do
    if [[ "$key" == "$str" ]]; then
      blocked=true
      break
    fi
  done

  if [ "$blocked" == "false" ]; then
    path="\${ENV_DIR}/\${key}"
    echo -n "$value" > "$path"
  fi
done

LAYERS_DIR=/tmp/.shp/layers
CACHE_DIR=/tmp/.shp/cache

mkdir -p "$CACHE_DIR" "$LAYERS_DIR"

function announce_phase {
  printf "===> %s\\n" "$1"
}

announce_phase "ANALYZING"
/cnb/lifecycle/analyzer -layers="$LAYERS_DIR" "\${PARAM_OUTPUT_IMAGE}"

announce_phase "DETECTING"
/cnb/lifecycle/detector -app="\${PARAM_SOURCE_CONTEXT}" -layers="$LAYERS_DIR"

announce_phase "RESTORING"
/cnb/lifecycle/restorer -cache-dir="$CACHE_DIR" -layers="$LAYERS_DIR"

announce_phase "BUILDING"
/cnb/lifecycle/builder -app="\${PARAM_SOURCE_CONTEXT}" -layers="$LAYERS_DIR"

exporter_args=( -layers="$LAYERS_DIR" -report=/tmp/report.toml -cache-dir="$CACHE_DIR" -app="\${PARAM_SOURCE_CONTEXT}")
grep -q "buildpack-default-process-type" "$LAYERS_DIR/config/metadata.toml" || exporter_args+=( -process-type web )

announce_phase "EXPORTING"
/cnb/lifecycle/exporter "\${exporter_args[@]}" "\${PARAM_OUTPUT_IMAGE}"

# Store the image digest
grep digest /tmp/report.toml | tail -n 1 | tr -d ' \\"\\n' | sed s/digest=// > "/tekton/results/shp-image-digest"
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
