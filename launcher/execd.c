#include "execd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toml.h"

int execd_apply_output(envlist *e, const char *out, size_t len, char *err, size_t errlen) {
  char perr[256];
  toml_node *root = toml_parse(out, len, perr, sizeof perr);
  if (!root) {
    snprintf(err, errlen, "output is not valid TOML: %s", perr);
    return -1;
  }
  /* Check everything first so a bad value leaves the environment untouched. */
  for (size_t i = 0; i < root->n; i++) {
    const toml_node *kv = root->kids[i];
    if (kv->type != TOML_STRING) {
      snprintf(err, errlen, "output key '%s' must be a string, not %s %s (write NAME = \"value\" lines to fd 3)",
               kv->key, (kv->type == TOML_ARRAY || kv->type == TOML_INT) ? "an" : "a", toml_type_name(kv->type));
      toml_free(root);
      return -1;
    }
    if (!kv->key[0] || strchr(kv->key, '=')) {
      snprintf(err, errlen, "output key '%s' is not a valid environment variable name", kv->key);
      toml_free(root);
      return -1;
    }
    if (strlen(kv->str) != kv->len) {
      snprintf(err, errlen, "output value of '%s' contains a NUL character", kv->key);
      toml_free(root);
      return -1;
    }
  }
  for (size_t i = 0; i < root->n; i++) env_set(e, root->kids[i]->key, root->kids[i]->str);
  toml_free(root);
  return 0;
}

static void run_one(envlist *e, const char *path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC)) die(EXIT_LAUNCH, "exec.d: pipe: %s", strerror(errno));
  fflush(NULL);
  char *argv[] = {(char *)path, NULL};
  char **envp = env_array(e);
  pid_t pid = fork();
  if (pid < 0) die(EXIT_LAUNCH, "exec.d: fork: %s", strerror(errno));
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != 0) dup2(null, 0);
    if (fds[1] == 3) {
      fcntl(3, F_SETFD, 0);
    } else if (dup2(fds[1], 3) < 0) {
      _exit(127);
    }
    signal(SIGPIPE, SIG_DFL);
    execve(path, argv, envp);
    fprintf(stderr, "ERROR: failed to launch: exec.d: failed to execute %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  size_t cap = 4096, n = 0;
  char *out = xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) out = xrealloc(out, cap *= 2);
    ssize_t r = read(fds[0], out + n, cap - n - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n > MAX_INPUT_BYTES) { /* memory stays bounded; a program that never exits is waited for (D-233) */
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      die(EXIT_LAUNCH, "exec.d: %s wrote more than the launcher's 16 MiB limit to fd 3", path);
    }
  }
  out[n] = 0;
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die(EXIT_LAUNCH, "exec.d: wait for %s: %s", path, strerror(errno));
  if (WIFSIGNALED(status)) die(EXIT_LAUNCH, "exec.d: %s was killed by signal %d", path, WTERMSIG(status));
  if (WEXITSTATUS(status) != 0) die(EXIT_LAUNCH, "exec.d: %s exited with status %d", path, WEXITSTATUS(status));
  char err[512];
  if (execd_apply_output(e, out, n, err, sizeof err)) die(EXIT_LAUNCH, "exec.d: %s: %s", path, err);
  free(out);
}

static void run_dir(envlist *e, const char *dir) {
  strlist files = list_dir(dir, 0);
  for (size_t i = 0; i < files.n; i++) {
    char *p = path_join(dir, files.v[i]);
    run_one(e, p);
    free(p);
  }
  strlist_free(&files);
}

void execd_run_all(envlist *e, const layer_set *ls, const char *type) {
  /* platform.md: every layer's exec.d/ first, then every layer's exec.d/<process>/. */
  for (int pass = 0; pass < ((type && *type) ? 2 : 1); pass++) {
    for (size_t i = 0; i < ls->dirs.n; i++) {
      char *dir = path_join(ls->dirs.v[i], "exec.d");
      char *sub = pass ? path_join(dir, type) : NULL;
      run_dir(e, sub ? sub : dir);
      free(sub);
      free(dir);
    }
  }
}
