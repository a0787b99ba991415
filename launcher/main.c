/*
 * The Cloud Native Buildpacks launcher (platform.md "launcher", Platform API 0.12).
 *
 *   /cnb/process/<process-type> [<arg>...]
 *   /cnb/lifecycle/launcher [--] [<cmd> <arg>...]
 *
 * Reads <layers>/config/metadata.toml, picks the process, builds the launch environment from the
 * launch layers, runs exec.d, then replaces itself with the process (directly or through bash).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "execd.h"
#include "layers.h"
#include "metadata.h"
#include "process.h"
#include "util.h"

extern char **environ;

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

/* Relative CNB_LAYERS_DIR / CNB_APP_DIR are taken from the launcher's starting directory (layer paths
 * put on PATH must be absolute, and the launcher changes directory before reading layers). */
static const char *absolute(const char *path) {
  if (path[0] == '/') return path;
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) die(EXIT_LAUNCH, "get working directory: %s", strerror(errno));
  return path_join(cwd, path);
}

int main(int argc, char **argv) {
  /* The exporter records CNB_PLATFORM_API in the image env; absent means the API we implement. */
  const char *platform_api = env_or("CNB_PLATFORM_API", "0.12");
  api_version pa;
  if (api_parse(platform_api, &pa))
    die(EXIT_PLATFORM_API, "failed to parse platform API '%s'; set CNB_PLATFORM_API to 0.12 or unset it",
        platform_api);
  if (pa.major != 0 || pa.minor != 12)
    die(EXIT_PLATFORM_API,
        "failed to set platform API: platform API version '%s' is incompatible with the lifecycle (supported: 0.12)",
        platform_api);

  const char *layers_dir = absolute(env_or("CNB_LAYERS_DIR", "/layers"));
  const char *app_dir = absolute(env_or("CNB_APP_DIR", "/workspace"));
  char *config = path_join(layers_dir, "config/metadata.toml");
  metadata md;
  metadata_load(config, &md);
  free(config);

  const char *requested = getenv("CNB_PROCESS_TYPE");
  if (requested && *requested) {
    warn("CNB_PROCESS_TYPE is not supported in Platform API 0.12");
    warn("Run with ENTRYPOINT '%s' to invoke the '%s' process type", requested, requested);
  }

  const char *self = argc > 0 ? argv[0] : "launcher";
  launch_proc proc;
  process_select(&md, process_type_from_argv0(&md, self), argv + (argc > 0), argc > 0 ? (size_t)argc - 1 : 0,
                 &proc);

  if (chdir(app_dir)) die(EXIT_LAUNCH, "change to app directory: chdir %s: %s", app_dir, strerror(errno));
  envlist env = {0};
  env_from_environ(&env, environ);
  layer_set layers;
  layers_find(layers_dir, &md, &layers);
  layers_apply_env(&env, &layers, proc.type);
  execd_run_all(&env, &layers, proc.type);

  if (proc.direct) exec_direct(&env, &proc, app_dir);
  exec_shell(&env, &proc, &layers, app_dir, self);
}
