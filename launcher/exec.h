/* Starting the process in place: direct (execve) or through one bash (platform.md "launcher" Execution). */
#ifndef CNB_EXEC_H
#define CNB_EXEC_H

#include "layers.h"
#include "process.h"

/* Never returns: execs the process or exits 82. self is the launcher's argv[0] ($0 for profiles). */
__attribute__((noreturn)) void exec_direct(envlist *e, const launch_proc *p, const char *app_dir);
__attribute__((noreturn)) void exec_shell(envlist *e, const launch_proc *p, const layer_set *ls, const char *app_dir,
                                          const char *self);

/* Go exec.LookPath semantics against the PATH in e: a name with '/' is used as is, otherwise the first
 * executable regular file in PATH. Returns a new string or NULL with errno set. */
char *look_path(const envlist *e, const char *file);

#endif
