/*
 * The Cloud Native Buildpacks launcher (platform.md "launcher", Platform API 0.7-0.15).
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

/* Platform APIs this lifecycle supports (src/platform/api.ts SUPPORTED_PLATFORM_APIS). */
static const api_version SUPPORTED_PLATFORM_APIS[] = {{0, 7},  {0, 8},  {0, 9},  {0, 10}, {0, 11},
                                                      {0, 12}, {0, 13}, {0, 14}, {0, 15}};
#define SUPPORTED_PLATFORM_TEXT "0.7, 0.8, 0.9, 0.10, 0.11, 0.12, 0.13, 0.14, 0.15"

static int platform_supported(api_version v) {
  for (size_t i = 0; i < sizeof SUPPORTED_PLATFORM_APIS / sizeof *SUPPORTED_PLATFORM_APIS; i++)
    if (SUPPORTED_PLATFORM_APIS[i].major == v.major && SUPPORTED_PLATFORM_APIS[i].minor == v.minor) return 1;
  return 0;
}

/* Named Platform API rules (src/platform/api.ts `platformFeatures` names). */
static int process_command_array(api_version v) { return !api_less(v, 0, 10); }
static int exec_env(api_version v) { return !api_less(v, 0, 15); }

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
  /* The exporter records CNB_PLATFORM_API in the image env; absent means 0.12 (docs/launcher.md). */
  const char *platform_api = env_or("CNB_PLATFORM_API", "0.12");
  api_version pa;
  if (api_parse(platform_api, &pa))
    die(EXIT_PLATFORM_API, "failed to parse platform API '%s'; set CNB_PLATFORM_API to one of %s or unset it",
        platform_api, SUPPORTED_PLATFORM_TEXT);
  if (!platform_supported(pa))
    die(EXIT_PLATFORM_API,
        "failed to set platform API: platform API version '%s' is incompatible with the lifecycle (supported: %s)",
        platform_api, SUPPORTED_PLATFORM_TEXT);

  const char *layers_dir = absolute(env_or("CNB_LAYERS_DIR", "/layers"));
  const char *app_dir = absolute(env_or("CNB_APP_DIR", "/workspace"));
  char *config = path_join(layers_dir, "config/metadata.toml");
  metadata md;
  metadata_load(config, &md);
  free(config);

  const char *requested = getenv("CNB_PROCESS_TYPE");
  if (requested && *requested) {
    warn("CNB_PROCESS_TYPE is not supported in Platform API %s", platform_api);
    warn("Run with ENTRYPOINT '%s' to invoke the '%s' process type", requested, requested);
  }

  const char *self = argc > 0 ? argv[0] : "launcher";
  launch_proc proc;
  /* platform-0.10.md "launcher": user args replace overridable args from 0.10 (appended before);
   * platform-0.15.md "Execution Environment": processes are filtered by CNB_EXEC_ENV (default production). */
  launch_rules rules = {.append_user_args = !process_command_array(pa),
                        .exec_env = exec_env(pa) ? env_or("CNB_EXEC_ENV", "production") : NULL};
  process_select(&md, process_type_from_argv0(&md, self), argv + (argc > 0), argc > 0 ? (size_t)argc - 1 : 0,
                 &rules, &proc);

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
