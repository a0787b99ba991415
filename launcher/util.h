/* Shared helpers: errors and exit codes, memory, strings, the environment list, directories. */
#ifndef CNB_UTIL_H
#define CNB_UTIL_H

#include <stddef.h>

/* Exit codes (platform.md "launcher" Outputs): 11/12 API errors, 80-89 launch errors. */
enum {
  EXIT_PLATFORM_API = 11,
  EXIT_BUILDPACK_API = 12,
  EXIT_METADATA = 80, /* <layers>/config/metadata.toml missing or invalid */
  EXIT_LAUNCH = 82,   /* any other launch error (the reference lifecycle's launch code) */
};

/* Prints "ERROR: failed to launch: <msg>" on stderr and exits with code. */
__attribute__((noreturn, format(printf, 2, 3))) void die(int code, const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);
char *path_join(const char *a, const char *b);

typedef struct {
  char **v;
  size_t n, cap;
} strlist;
void strlist_push(strlist *l, char *owned);
void strlist_free(strlist *l);

/* The process environment as an ordered list of "NAME=value" strings. */
typedef struct {
  strlist kv;
} envlist;
const char *env_get(const envlist *e, const char *name);
void env_set(envlist *e, const char *name, const char *value);
void env_unset(envlist *e, const char *name);
/* NULL-terminated view for execve (valid until the next change). */
char **env_array(envlist *e);

/* Sorted (byte order) names in dir; want_dirs selects directories (1) or everything else (0).
 * A missing dir yields an empty list; other errors exit with EXIT_LAUNCH. */
strlist list_dir(const char *dir, int want_dirs);

/* Largest launcher input read into memory: metadata.toml, <layer>.toml, env files, exec.d output. */
#define MAX_INPUT_BYTES (16u << 20)

/* Reads a whole regular file (symlinks resolved) of at most MAX_INPUT_BYTES; NULL with errno set on
 * failure: EINVAL when it is not a regular file (a FIFO, a device: never opened), EFBIG when larger. */
char *read_file(const char *path, size_t *len);
/* Why read_file failed with errno err, for messages. */
const char *read_error(int err);
int is_regular_file(const char *path);
int is_dir(const char *path);

#endif
