#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int executable_file(const char *path) {
  struct stat st;
  if (stat(path, &st)) return -1;
  if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
    errno = EACCES;
    return -1;
  }
  return 0;
}

char *look_path(const envlist *e, const char *file) {
  if (strchr(file, '/')) return executable_file(file) ? NULL : xstrdup(file);
  const char *path = env_get(e, "PATH");
  if (!path || !*path) {
    errno = ENOENT;
    return NULL;
  }
  for (const char *p = path;;) {
    const char *end = strchr(p, ':');
    size_t k = end ? (size_t)(end - p) : strlen(p);
    char *dir = k ? strndup(p, k) : xstrdup(".");
    if (!dir) die(EXIT_LAUNCH, "out of memory");
    char *cand = path_join(dir, file);
    free(dir);
    if (!executable_file(cand)) return cand;
    free(cand);
    if (!end) break;
    p = end + 1;
  }
  errno = ENOENT;
  return NULL;
}

static const char *work_dir(const launch_proc *p, const char *app_dir) {
  return p->working_dir ? p->working_dir : app_dir;
}

void exec_direct(envlist *e, const launch_proc *p, const char *app_dir) {
  char *bin = look_path(e, p->command);
  if (!bin) {
    if (errno == ENOENT && !strchr(p->command, '/'))
      die(EXIT_LAUNCH, "path lookup: exec: \"%s\": executable file not found in $PATH", p->command);
    die(EXIT_LAUNCH, "path lookup: exec: \"%s\": %s", p->command, strerror(errno));
  }
  const char *wd = work_dir(p, app_dir);
  if (chdir(wd)) die(EXIT_LAUNCH, "change directory: chdir %s: %s", wd, strerror(errno));
  char **argv = xmalloc((p->nargs + 2) * sizeof *argv);
  argv[0] = (char *)p->command;
  for (size_t i = 0; i < p->nargs; i++) argv[i + 1] = p->args[i];
  argv[p->nargs + 1] = NULL;
  execve(bin, argv, env_array(e));
  die(EXIT_LAUNCH, "direct exec: %s: %s", bin, strerror(errno));
}

/* Appends s to *script as one single-quoted shell word. */
static void add_quoted(char **script, const char *s) {
  size_t n = strlen(*script), extra = 2;
  for (const char *c = s; *c; c++) extra += *c == '\'' ? 4 : 1;
  *script = xrealloc(*script, n + extra + 1);
  char *o = *script + n;
  *o++ = '\'';
  for (const char *c = s; *c; c++) {
    if (*c == '\'') {
      memcpy(o, "'\\''", 4);
      o += 4;
    } else {
      *o++ = *c;
    }
  }
  *o++ = '\'';
  *o = 0;
}

static void add(char **script, const char *s) {
  size_t n = strlen(*script), k = strlen(s);
  *script = xrealloc(*script, n + k + 1);
  memcpy(*script + n, s, k + 1);
}

/* The shell sources only regular files: a FIFO or a device would hang it (D-233). */
static void check_sourceable(const char *path) {
  struct stat st;
  if (stat(path, &st)) die(EXIT_LAUNCH, "failed to read profile script %s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode)) die(EXIT_LAUNCH, "failed to read profile script %s: %s", path, read_error(EINVAL));
}

static void add_profiles_in(char **script, const char *dir) {
  strlist files = list_dir(dir, 0);
  for (size_t i = 0; i < files.n; i++) {
    char *path = path_join(dir, files.v[i]);
    check_sourceable(path);
    add(script, "source ");
    add_quoted(script, path);
    add(script, "\n");
    free(path);
  }
  strlist_free(&files);
}

void exec_shell(envlist *e, const launch_proc *p, const layer_set *ls, const char *app_dir, const char *self) {
  char *script = xstrdup("");
  /* platform.md: every layer's profile.d/, then every layer's profile.d/<process>/, then <app>/.profile. */
  for (int pass = 0; pass < (*p->type ? 2 : 1); pass++) {
    for (size_t i = 0; i < ls->dirs.n; i++) {
      char *dir = path_join(ls->dirs.v[i], "profile.d");
      char *sub = pass ? path_join(dir, p->type) : NULL;
      add_profiles_in(&script, sub ? sub : dir);
      free(sub);
      free(dir);
    }
  }
  char *app_profile = path_join(app_dir, ".profile");
  struct stat st;
  if (stat(app_profile, &st) == 0 && !S_ISDIR(st.st_mode)) {
    check_sourceable(app_profile);
    add(&script, "source ");
    add_quoted(&script, app_profile);
    add(&script, "\n");
  }
  free(app_profile);
  const char *wd = work_dir(p, app_dir);
  if (stat(wd, &st)) die(EXIT_LAUNCH, "change directory: chdir %s: %s", wd, strerror(errno));
  if (!S_ISDIR(st.st_mode)) die(EXIT_LAUNCH, "change directory: chdir %s: %s", wd, strerror(ENOTDIR));
  char *bash = NULL;
  if (executable_file("/bin/bash") == 0) bash = xstrdup("/bin/bash");
  else bash = look_path(e, "bash");
  if (!bash) die(EXIT_LAUNCH, "shell processes need bash: /bin/bash not found and no bash in PATH");
  add(&script, "cd ");
  add_quoted(&script, wd);
  add(&script, " || exit 1\n");
  if (p->nargs == 0) {
    /* Script mode: the command is a bash script, run by a bash that replaces this one. */
    add(&script, "exec -a bash ");
    add_quoted(&script, bash);
    add(&script, " -c \"$1\"\n");
  } else {
    /* Token mode: each token is expanded (variables, no word splitting) in this shell, then exec'd. */
    add(&script, "exec");
    for (size_t i = 0; i <= p->nargs; i++) {
      char tok[64];
      snprintf(tok, sizeof tok, " \"$(eval \"printf '%%s' \\\"${%zu}\\\"\")\"", i + 1);
      add(&script, tok);
    }
    add(&script, "\n");
  }
  char **argv = xmalloc((p->nargs + 6) * sizeof *argv);
  size_t k = 0;
  argv[k++] = "bash";
  argv[k++] = "-c";
  argv[k++] = script;
  argv[k++] = (char *)self;
  argv[k++] = (char *)p->command;
  for (size_t i = 0; i < p->nargs; i++) argv[k++] = p->args[i];
  argv[k] = NULL;
  execve(bash, argv, env_array(e));
  die(EXIT_LAUNCH, "bash exec: %s: %s", bash, strerror(errno));
}
