#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void die(int code, const char *fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "ERROR: failed to launch: %s\n", msg);
  exit(code);
}

void warn(const char *fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "Warning: %s\n", msg);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die(EXIT_LAUNCH, "out of memory");
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) die(EXIT_LAUNCH, "out of memory");
  return q;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) die(EXIT_LAUNCH, "formatting failed");
  char *s = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

char *path_join(const char *a, const char *b) {
  size_t n = strlen(a);
  return xasprintf("%s%s%s", a, (n && a[n - 1] == '/') ? "" : "/", b);
}

void strlist_push(strlist *l, char *owned) {
  if (l->n + 2 > l->cap) {
    l->cap = l->cap ? l->cap * 2 : 16;
    l->v = xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = owned;
  l->v[l->n] = NULL;
}

void strlist_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

static ssize_t env_find(const envlist *e, const char *name) {
  size_t k = strlen(name);
  for (size_t i = 0; i < e->kv.n; i++)
    if (!strncmp(e->kv.v[i], name, k) && e->kv.v[i][k] == '=') return (ssize_t)i;
  return -1;
}

const char *env_get(const envlist *e, const char *name) {
  ssize_t i = env_find(e, name);
  return i < 0 ? NULL : e->kv.v[i] + strlen(name) + 1;
}

void env_set(envlist *e, const char *name, const char *value) {
  char *kv = xasprintf("%s=%s", name, value);
  ssize_t i = env_find(e, name);
  if (i < 0) {
    strlist_push(&e->kv, kv);
  } else {
    free(e->kv.v[i]);
    e->kv.v[i] = kv;
  }
}

void env_unset(envlist *e, const char *name) {
  ssize_t i = env_find(e, name);
  if (i < 0) return;
  free(e->kv.v[i]);
  memmove(&e->kv.v[i], &e->kv.v[i + 1], (e->kv.n - (size_t)i) * sizeof *e->kv.v); /* moves the NULL too */
  e->kv.n--;
}

char **env_array(envlist *e) {
  if (!e->kv.v) {
    e->kv.cap = 16;
    e->kv.v = xmalloc(e->kv.cap * sizeof *e->kv.v);
    e->kv.v[0] = NULL;
  }
  return e->kv.v;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* getdents64 record (not exported by every libc under this name). */
struct dent64 {
  unsigned long long ino;
  long long off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

/* Directory listing and file reading use static buffers rather than opendir()/growing mallocs: the
 * launcher's start-up time is dominated by page faults, and each opendir() or large malloc maps and
 * unmaps fresh pages. */
static char io_buf[65536] __attribute__((aligned(8)));

strlist list_dir(const char *dir, int want_dirs) {
  strlist out = {0};
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    die(EXIT_LAUNCH, "failed to list files in dir '%s': %s", dir, strerror(errno));
  }
  for (;;) {
    long n = syscall(SYS_getdents64, fd, io_buf, sizeof io_buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      die(EXIT_LAUNCH, "failed to list files in dir '%s': %s", dir, strerror(errno));
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct dent64 *de = (struct dent64 *)(io_buf + off);
      off += de->reclen;
      if (!strcmp(de->name, ".") || !strcmp(de->name, "..")) continue;
      int isdir;
      if (de->type != DT_UNKNOWN) {
        isdir = de->type == DT_DIR;
      } else { /* like Go's DirEntry.IsDir: a symlink is not a directory */
        struct stat st;
        isdir = fstatat(fd, de->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      }
      if (isdir == !!want_dirs) strlist_push(&out, xstrdup(de->name));
    }
  }
  close(fd);
  if (out.n) qsort(out.v, out.n, sizeof *out.v, cmp_str);
  return out;
}

char *read_file(const char *path, size_t *len) {
  /* Only regular files: a FIFO would block, /dev/zero never ends (platform.md "launcher" exit codes). */
  struct stat st;
  if (stat(path, &st)) return NULL;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return NULL;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { /* replaced since the stat */
    close(fd);
    errno = EINVAL;
    return NULL;
  }
  char *buf = NULL;
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, io_buf, sizeof io_buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      free(buf);
      close(fd);
      errno = err;
      return NULL;
    }
    if (r == 0) break;
    if (n + (size_t)r > MAX_INPUT_BYTES) {
      free(buf);
      close(fd);
      errno = EFBIG;
      return NULL;
    }
    buf = xrealloc(buf, n + (size_t)r + 1);
    memcpy(buf + n, io_buf, (size_t)r);
    n += (size_t)r;
  }
  close(fd);
  if (!buf) buf = xmalloc(1);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

const char *read_error(int err) {
  if (err == EINVAL) return "not a regular file (launcher inputs must be regular files, not FIFOs or devices)";
  if (err == EFBIG) return "larger than the launcher's 16 MiB limit for an input file";
  return strerror(err);
}

int is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
