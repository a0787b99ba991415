/* Process selection (platform.md "launcher": deriving <cmd>, <args>, <working-dir>, <direct>). */
#ifndef CNB_PROCESS_H
#define CNB_PROCESS_H

#include <stddef.h>

#include "metadata.h"

typedef struct {
  const char *type; /* "" for a user-provided command */
  const char *command;
  char **args; /* NULL-terminated */
  size_t nargs;
  int direct;
  const char *working_dir; /* NULL: <app> */
  const char *buildpack_id;
} launch_proc;

/* The process type named by the last path element of argv0, or NULL when no such process exists. */
const char *process_type_from_argv0(const metadata *md, const char *argv0);

/* What the Platform API changes in process selection (main.c derives it from CNB_PLATFORM_API). */
typedef struct {
  int append_user_args; /* before 0.10: user args are appended to the process's args, whatever the buildpack API */
  const char *exec_env; /* from 0.15: CNB_EXEC_ENV, processes are filtered by it; NULL before */
} launch_rules;

/* Builds the process to launch from the type (or NULL) and the user's arguments. Exits 82 on error. */
void process_select(const metadata *md, const char *type, char **user_args, size_t nuser, const launch_rules *rules,
                    launch_proc *out);

#endif
