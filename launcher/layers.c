#include "layers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "toml.h"

/* A layer directory is a launch layer unless its <layer>.toml says otherwise. Exported images carry
 * no <layer>.toml (only launch layers are exported), so a directory without one counts as launch. */
static int is_launch_layer(const char *bp_dir, const char *name) {
  char *toml_name = xasprintf("%s.toml", name);
  char *path = path_join(bp_dir, toml_name);
  free(toml_name);
  size_t len;
  char *text = read_file(path, &len);
  if (!text) {
    if (errno != ENOENT) die(EXIT_LAUNCH, "failed to read layer metadata %s: %s", path, read_error(errno));
    free(path);
    return 1;
  }
  char err[512];
  toml_node *root = toml_parse(text, len, err, sizeof err);
  if (!root) die(EXIT_LAUNCH, "failed to read layer metadata %s: %s", path, err);
  int launch = toml_get_bool(toml_get(root, "types"), "launch", 0);
  toml_free(root);
  free(text);
  free(path);
  return launch;
}

static char *escape_id(const char *id) {
  char *s = xstrdup(id);
  for (char *p = s; *p; p++)
    if (*p == '/') *p = '_';
  return s;
}

void layers_find(const char *layers_dir, const metadata *md, layer_set *out) {
  memset(out, 0, sizeof *out);
  out->nbp = md->nbuildpacks;
  out->bp_end = xmalloc((md->nbuildpacks + 1) * sizeof *out->bp_end);
  for (size_t i = 0; i < md->nbuildpacks; i++) {
    char *esc = escape_id(md->buildpacks[i].id);
    char *bp_dir = path_join(layers_dir, esc);
    free(esc);
    struct stat st;
    if (stat(bp_dir, &st) == 0) {
      strlist names = list_dir(bp_dir, 1);
      for (size_t k = 0; k < names.n; k++)
        if (is_launch_layer(bp_dir, names.v[k])) strlist_push(&out->dirs, path_join(bp_dir, names.v[k]));
      strlist_free(&names);
    } else if (errno != ENOENT && errno != ENOTDIR) {
      die(EXIT_LAUNCH, "find buildpack directory %s: %s", bp_dir, strerror(errno));
    }
    free(bp_dir);
    out->bp_end[i] = out->dirs.n;
  }
}

static int excluded(const char *kv) {
  static const char *names[] = {"CNB_APP_DIR", "CNB_LAYERS_DIR", "CNB_PROCESS_TYPE", "CNB_PLATFORM_API",
                                "CNB_DEPRECATION_MODE"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    size_t k = strlen(names[i]);
    if (!strncmp(kv, names[i], k) && kv[k] == '=') return 1;
  }
  return 0;
}

static char *strip_path(const char *path) {
  char *out = xmalloc(strlen(path) + 1);
  size_t n = 0;
  const char *p = path;
  int first = 1;
  for (;;) {
    const char *end = strchr(p, ':');
    size_t k = end ? (size_t)(end - p) : strlen(p);
    int drop = (k == 12 && !strncmp(p, "/cnb/process", 12)) || (k == 14 && !strncmp(p, "/cnb/lifecycle", 14));
    if (!drop) {
      if (!first) out[n++] = ':';
      memcpy(out + n, p, k);
      n += k;
      first = 0;
    }
    if (!end) break;
    p = end + 1;
  }
  out[n] = 0;
  return out;
}

void env_from_environ(envlist *e, char **environ) {
  for (char **p = environ; p && *p; p++) {
    const char *eq = strchr(*p, '=');
    if (!eq || eq == *p || excluded(*p)) continue;
    if (!strncmp(*p, "PATH=", 5)) {
      char *stripped = strip_path(*p + 5);
      env_set(e, "PATH", stripped);
      free(stripped);
      continue;
    }
    char *name = xmalloc((size_t)(eq - *p) + 1);
    memcpy(name, *p, (size_t)(eq - *p));
    name[eq - *p] = 0;
    env_set(e, name, eq + 1);
    free(name);
  }
}

/* Prepends one buildpack's "<layer>/<sub>" dirs (ascending layer order) to var. */
static void prepend_layer_paths(envlist *e, const layer_set *ls, size_t from, size_t to, const char *sub,
                                const char *var) {
  char *block = NULL;
  for (size_t i = from; i < to; i++) {
    char *dir = path_join(ls->dirs.v[i], sub);
    if (is_dir(dir)) {
      char *nb = block ? xasprintf("%s:%s", block, dir) : xstrdup(dir);
      free(block);
      block = nb;
    }
    free(dir);
  }
  if (!block) return;
  const char *cur = env_get(e, var);
  char *v = (cur && *cur) ? xasprintf("%s:%s", block, cur) : xstrdup(block);
  env_set(e, var, v);
  free(v);
  free(block);
}

/* Applies every file in one env directory (modification rules, default action override). */
static void apply_env_dir(envlist *e, const char *dir) {
  strlist files = list_dir(dir, 0);
  for (size_t i = 0; i < files.n; i++) {
    const char *file = files.v[i];
    const char *dot = strchr(file, '.');
    size_t nlen = dot ? (size_t)(dot - file) : strlen(file);
    const char *action = dot ? dot + 1 : "override";
    if (nlen == 0) continue;
    int prepend = !strcmp(action, "prepend"), append = !strcmp(action, "append");
    int override = !strcmp(action, "override"), dflt = !strcmp(action, "default");
    if (!prepend && !append && !override && !dflt) continue; /* .delim and unknown suffixes */
    char *name = xmalloc(nlen + 1);
    memcpy(name, file, nlen);
    name[nlen] = 0;
    char *path = path_join(dir, file);
    char *value = read_file(path, NULL);
    if (!value) die(EXIT_LAUNCH, "modify env: failed to read %s: %s", path, read_error(errno));
    const char *cur = env_get(e, name);
    int has = cur && *cur;
    char *next = NULL;
    if (override) {
      next = xstrdup(value);
    } else if (dflt) {
      if (!has) next = xstrdup(value);
    } else {
      char *delim_name = xasprintf("%s.delim", name);
      char *delim_path = path_join(dir, delim_name);
      char *delim = read_file(delim_path, NULL);
      if (!delim && errno != ENOENT)
        die(EXIT_LAUNCH, "modify env: failed to read %s: %s", delim_path, read_error(errno));
      if (!delim) delim = xstrdup("");
      if (!has) next = xstrdup(value);
      else if (prepend) next = xasprintf("%s%s%s", value, delim, cur);
      else next = xasprintf("%s%s%s", cur, delim, value);
      free(delim);
      free(delim_path);
      free(delim_name);
    }
    if (next) env_set(e, name, next);
    free(next);
    free(value);
    free(path);
    free(name);
  }
  strlist_free(&files);
}

void layers_apply_env(envlist *e, const layer_set *ls, const char *type) {
  size_t from = 0;
  for (size_t b = 0; b < ls->nbp; b++) {
    size_t to = ls->bp_end[b];
    prepend_layer_paths(e, ls, from, to, "bin", "PATH");
    prepend_layer_paths(e, ls, from, to, "lib", "LD_LIBRARY_PATH");
    for (size_t i = from; i < to; i++) {
      char *env_dir = path_join(ls->dirs.v[i], "env");
      char *launch_dir = path_join(ls->dirs.v[i], "env.launch");
      apply_env_dir(e, env_dir);
      apply_env_dir(e, launch_dir);
      if (type && *type) {
        char *proc_dir = path_join(launch_dir, type);
        apply_env_dir(e, proc_dir);
        free(proc_dir);
      }
      free(env_dir);
      free(launch_dir);
    }
    from = to;
  }
}
