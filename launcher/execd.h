/* exec.d (buildpack.md "Exec.d", "Exec.d Output (TOML)"; platform.md "launcher" Execution). */
#ifndef CNB_EXECD_H
#define CNB_EXECD_H

#include <stddef.h>

#include "layers.h"
#include "util.h"

/* Checks exec.d output (TOML "NAME = string" pairs) and sets each pair in e (override).
 * Returns 0, or -1 with a message in err. Exposed for the fuzz harness and the tests. */
int execd_apply_output(envlist *e, const char *out, size_t len, char *err, size_t errlen);

/* Every launch layer's exec.d/ files, then every launch layer's exec.d/<type>/ files (type may be NULL), in the
 * current directory (the app dir), each with the current env and a pipe on fd 3. */
void execd_run_all(envlist *e, const layer_set *ls, const char *type);

#endif
