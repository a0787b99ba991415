/* Launch layers and the launch environment (buildpack.md "Layer Paths",
 * "Environment Variable Modification Rules"; platform.md "Launch Environment"). */
#ifndef CNB_LAYERS_H
#define CNB_LAYERS_H

#include "metadata.h"
#include "util.h"

/* Absolute paths of every launch layer, in build order (metadata.toml buildpacks), then layer name. */
typedef struct {
  strlist dirs;
  size_t *bp_end; /* bp_end[i]: index one past buildpack i's last layer in dirs */
  size_t nbp;
} layer_set;

void layers_find(const char *layers_dir, const metadata *md, layer_set *out);

/* The launcher's environment minus CNB_APP_DIR, CNB_LAYERS_DIR, CNB_PROCESS_TYPE, CNB_PLATFORM_API and
 * CNB_DEPRECATION_MODE, with /cnb/process and /cnb/lifecycle removed from PATH. */
void env_from_environ(envlist *e, char **environ);

/* bin -> PATH, lib -> LD_LIBRARY_PATH, then env/, env.launch/, env.launch/<type>/ (type may be NULL). */
void layers_apply_env(envlist *e, const layer_set *ls, const char *type);

#endif
