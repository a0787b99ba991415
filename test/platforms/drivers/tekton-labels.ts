import { remote } from '../../../src/image/index.ts';
import type { World } from '../../support/platform/index.ts';

/**
 * The get-labels-and-env step of Tekton's buildpacks-phases 0.3 task (it runs skopeo and jq in an image
 * of its own, so the test does it the way its script does): the builder's labels and env from the
 * registry, the Platform API check, the extension label.
 */

/** The task parameters that matter here, with the task's defaults. */
export interface PhasesParams {
  readonly APP_IMAGE: string;
  readonly CNB_BUILDER_IMAGE: string;
  readonly CNB_BUILD_IMAGE?: string;
  readonly CNB_CACHE_IMAGE?: string;
  readonly CNB_RUN_IMAGE?: string;
  readonly CNB_PLATFORM_API?: string;
  readonly CNB_PLATFORM_API_SUPPORTED?: string;
  readonly CNB_PROCESS_TYPE?: string;
  readonly TAGS?: string;
}

/** Results of the get-labels-and-env step. */
export interface BuilderLabels {
  readonly uid: string;
  readonly gid: string;
  readonly platformApi: string;
  readonly extensions: string;
}

/**
 * get-labels-and-env: inspects the builder in the registry (skopeo + jq there), checks the lifecycle
 * supports the task's Platform API, and reads CNB_USER_ID/CNB_GROUP_ID from the image env.
 */
export async function getLabelsAndEnv(w: World, p: PhasesParams): Promise<BuilderLabels> {
  const img = await remote.image(p.CNB_BUILDER_IMAGE, { env: { CNB_REGISTRY_AUTH: w.registryAuth } });
  const labels = img.config.config.Labels ?? {};
  const env = img.config.config.Env ?? [];
  const supportedByTask = p.CNB_PLATFORM_API_SUPPORTED ?? '0.13';
  const meta = JSON.parse(labels['io.buildpacks.builder.metadata'] ?? '{}') as {
    lifecycle?: { apis?: { platform?: { supported?: string[] } } };
  };
  // `platforms=($(jq -r '.lifecycle.apis.platform.supported'))` then `[[ "${platforms[@]}" =~ "$API" ]]`
  const platforms = JSON.stringify(meta.lifecycle?.apis?.platform?.supported ?? null, null, 2);
  const api = p.CNB_PLATFORM_API || supportedByTask;
  if (!(platforms.includes(api) && api === supportedByTask))
    throw new Error(
      `${api} is not in the list of the supported platform by lifecycle (${platforms}) or by this task`,
    );
  const ext = labels['io.buildpacks.extension.layers'];
  const get = (k: string) => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
  return {
    uid: get('CNB_USER_ID'),
    gid: get('CNB_GROUP_ID'),
    platformApi: api,
    extensions: ext !== '{}' ? String(ext) : 'empty',
  };
}
