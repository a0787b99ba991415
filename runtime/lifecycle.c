/*
 * /cnb/lifecycle/lifecycle: a static program that starts the bundled Node runtime on the bundled
 * lifecycle (docs/decisions.md D-250). It needs nothing from the image but the Linux kernel: the
 * runtime's own loader and C libraries are beside it in <dir>, found through /proc/self/exe.
 *
 *   <dir>/ld-linux-x86-64.so.2 --inhibit-cache --library-path <dir> --argv0 <argv0>
 *       <dir>/node <dir>/lifecycle.mjs <name> <args...>
 *
 * <name> is basename(argv[0]) (`analyzer`, … through the phase symlinks, or `lifecycle`); the bundle
 * dispatches on it as the reference does. Variables that would change how Node or the loader start
 * (NODE_OPTIONS & co., LD_PRELOAD) are moved aside under CNB_LIFECYCLE_HIDDEN_<name> and put back by
 * the bundle before anything runs (D-251). The runtime's malloc is tuned through GLIBC_TUNABLES (D-437):
 * the variable is set for Node only, named in CNB_LIFECYCLE_RUNTIME_ENV, and taken out again (or the
 * platform's own value put back) by the bundle, so buildpacks and other children never see it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HIDDEN_PREFIX "CNB_LIFECYCLE_HIDDEN_"

/* Keep in step with src/cli/hidden-env.ts. */
static const char *const HIDDEN[] = {
    "NODE_OPTIONS", "NODE_ICU_DATA", "NODE_CHANNEL_FD", "NODE_TLS_REJECT_UNAUTHORIZED", "LD_PRELOAD",
    "GLIBC_TUNABLES", NULL,
};

/* Keep in step with src/cli/hidden-env.ts (RUNTIME_ENV_MARKER). */
#define RUNTIME_ENV_MARKER "CNB_LIFECYCLE_RUNTIME_ENV"

/*
 * glibc's malloc keeps freed memory up to 64 MiB at the top of its heap and serves allocations up to
 * 4 MiB from the heap, instead of handing megabyte buffers back to the kernel and faulting them in
 * again zeroed (docs/decisions.md D-437): the tar, gzip and upload buffers of a layer are reused.
 */
static const char MALLOC_TUNABLES[] = "glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864";

/*
 * Phases that stream layers through gzip, sha256, files and sockets, by the names they run under (the
 * phase symlinks, or `lifecycle <subcommand>`). They start Node with a 64 MiB initial old generation
 * (docs/decisions.md D-432): with V8's default, the megabyte buffers a layer goes through made the heap
 * run a full mark-compact every few tens of milliseconds, 12-15 % of an export's CPU. The flag costs the
 * start-up ~8 ms, so the other phases and `lifecycle -version` go without it.
 */
static const char *const DATA_PHASES[] = {
    "analyzer", "restorer", "extender", "exporter", "creator",
    "analyze",  "restore",  "extend",   "export",   "create", NULL,
};

static int moves_layers(const char *name) {
  for (const char *const *p = DATA_PHASES; *p != NULL; p++)
    if (strcmp(*p, name) == 0) return 1;
  return 0;
}

static void fail(const char *what, const char *path) {
  fprintf(stderr, "ERROR: failed to start the lifecycle: %s %s: %s\n", what, path, strerror(errno));
  exit(127);
}

static int hide_env(void) {
  char key[128];
  for (const char *const *n = HIDDEN; *n != NULL; n++) {
    snprintf(key, sizeof key, "%s%s", HIDDEN_PREFIX, *n);
    const char *v = getenv(*n);
    if (v != NULL) {
      if (setenv(key, v, 1) != 0 || unsetenv(*n) != 0) return -1;
    } else if (unsetenv(key) != 0) {
      return -1;
    }
  }
  return 0;
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + 1 + strlen(name) + 1;
  char *p = malloc(n);
  if (p == NULL) {
    errno = ENOMEM;
    fail("allocating", name);
  }
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

int main(int argc, char **argv) {
  static char self[PATH_MAX];
  const char *argv0 = argc > 0 && argv[0] != NULL ? argv[0] : "lifecycle";
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
  } else if (strchr(argv0, '/') == NULL || realpath(argv0, self) == NULL) {
    fail("finding its own directory through", "/proc/self/exe (is /proc mounted?)");
  }
  char *slash = strrchr(self, '/');
  if (slash == NULL) fail("finding its own directory in", self);
  *slash = '\0';
  const char *dir = self[0] == '\0' ? "/" : self;
  const char *base = strrchr(argv0, '/');
  const char *name = base != NULL ? base + 1 : argv0;
  if (*name == '\0') name = "lifecycle";

  // The runtime sits beside this program, flat: pack's `builder create` keeps only the entries one
  // level under `lifecycle/` of a lifecycle tarball (docs/decisions.md D-259).
  const char *lib = dir;
  char *loader = join(lib, "ld-linux-x86-64.so.2");
  if (hide_env() != 0 || setenv("GLIBC_TUNABLES", MALLOC_TUNABLES, 1) != 0 ||
      setenv(RUNTIME_ENV_MARKER, "GLIBC_TUNABLES", 1) != 0)
    fail("setting", "the environment");

  char **args = calloc((size_t)argc + 12, sizeof *args);
  if (args == NULL) {
    errno = ENOMEM;
    fail("allocating", "arguments");
  }
  int i = 0;
  args[i++] = loader;
  args[i++] = "--inhibit-cache";
  args[i++] = "--library-path";
  args[i++] = (char *)lib;
  args[i++] = "--argv0";
  args[i++] = (char *)argv0;
  args[i++] = join(lib, "node");
  if (moves_layers(name) || (strcmp(name, "lifecycle") == 0 && argc > 1 && moves_layers(argv[1])))
    args[i++] = "--initial-old-space-size=64";
  args[i++] = join(lib, "lifecycle.mjs");
  args[i++] = (char *)name;
  for (int a = 1; a < argc; a++) args[i++] = argv[a];
  args[i] = NULL;
  execv(loader, args);
  fail("executing", loader);
  return 127;
}
