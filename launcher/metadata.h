/* <layers>/config/metadata.toml (platform.md "metadata.toml") and API versions. */
#ifndef CNB_METADATA_H
#define CNB_METADATA_H

#include <stddef.h>

typedef struct {
  int major, minor;
} api_version;

typedef struct {
  char *id;
  char *api_text;
  api_version api;
} md_buildpack;

typedef struct {
  char *type;
  char **command; /* NULL-terminated; a string command becomes a one-element array */
  size_t ncommand;
  char **args; /* NULL-terminated */
  size_t nargs;
  int direct;
  char *working_dir; /* NULL when not set */
  char *buildpack_id;
  char **exec_env; /* NULL-terminated; empty when not set (every execution environment) */
  size_t nexec_env;
} md_process;

typedef struct {
  md_buildpack *buildpacks;
  size_t nbuildpacks;
  md_process *processes;
  size_t nprocesses;
} metadata;

/* Parses "<major>.<minor>", "<major>" or "v<major>.<minor>" (the reference's grammar). 0 on success. */
int api_parse(const char *text, api_version *out);
int api_less(api_version a, int major, int minor);

/* Reads and validates metadata.toml; exits 80 (unreadable/invalid) or 12 (unsupported buildpack API). */
void metadata_load(const char *path, metadata *md);
const md_process *metadata_process(const metadata *md, const char *type);
/* The first process of `type` eligible for execution environment `exec_env` (platform-0.15.md
 * "Execution Environment": no exec-env, "*", or `exec_env` listed); NULL `exec_env` means any. */
const md_process *metadata_process_for(const metadata *md, const char *type, const char *exec_env);
const md_buildpack *metadata_buildpack(const metadata *md, const char *id);

#endif
