#include "metadata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "util.h"

/* Buildpack APIs this lifecycle supports (src/platform/api.ts SUPPORTED_BUILDPACK_APIS). */
static const api_version SUPPORTED_BUILDPACK_APIS[] = {{0, 7}, {0, 8}, {0, 9}, {0, 10}, {0, 11}, {0, 12}};

static int parse_uint(const char **s, int *out) {
  const char *p = *s;
  long v = 0;
  if (*p < '0' || *p > '9') return -1;
  while (*p >= '0' && *p <= '9') {
    v = v * 10 + (*p - '0');
    if (v > 1000000) return -1;
    p++;
  }
  *out = (int)v;
  *s = p;
  return 0;
}

int api_parse(const char *text, api_version *out) {
  const char *p = text;
  if (!p) return -1;
  if (*p == 'v') p++;
  if (parse_uint(&p, &out->major)) return -1;
  out->minor = 0;
  if (*p == '.') {
    p++;
    if (*p && parse_uint(&p, &out->minor)) return -1;
  }
  return *p ? -1 : 0;
}

int api_less(api_version a, int major, int minor) { return a.major != major ? a.major < major : a.minor < minor; }

static const char *where;

__attribute__((noreturn)) static void bad(const char *what, const char *expected) {
  die(EXIT_METADATA, "failed to read metadata %s: %s must be %s", where, what, expected);
}

static char *opt_string(const toml_node *t, const char *key, const char *ctx) {
  const toml_node *v = toml_get(t, key);
  if (!v) return NULL;
  if (v->type != TOML_STRING || strlen(v->str) != v->len) {
    char *w = xasprintf("%s.%s", ctx, key);
    bad(w, "a string");
  }
  return xstrdup(v->str);
}

/* An array of strings (or, where allow_string, a single string) as a NULL-terminated list. */
static char **string_list(const toml_node *v, const char *ctx, int allow_string, size_t *n) {
  char **out;
  if (v && v->type == TOML_STRING && allow_string) {
    out = xmalloc(2 * sizeof *out);
    out[0] = xstrdup(v->str);
    out[1] = NULL;
    *n = 1;
    return out;
  }
  if (v && v->type != TOML_ARRAY) bad(ctx, allow_string ? "a string or an array of strings" : "an array of strings");
  size_t k = v ? v->n : 0;
  out = xmalloc((k + 1) * sizeof *out);
  for (size_t i = 0; i < k; i++) {
    const toml_node *e = v->kids[i];
    if (e->type != TOML_STRING || strlen(e->str) != e->len)
      bad(ctx, allow_string ? "a string or an array of strings" : "an array of strings");
    out[i] = xstrdup(e->str);
  }
  out[k] = NULL;
  *n = k;
  return out;
}

static const toml_node *table_array(const toml_node *root, const char *key) {
  const toml_node *v = toml_get(root, key);
  if (!v) return NULL;
  if (v->type != TOML_ARRAY) bad(key, "an array of tables");
  for (size_t i = 0; i < v->n; i++)
    if (v->kids[i]->type != TOML_TABLE) bad(key, "an array of tables");
  return v;
}

static void load_buildpacks(const toml_node *root, metadata *md) {
  const toml_node *a = table_array(root, "buildpacks");
  md->nbuildpacks = a ? a->n : 0;
  md->buildpacks = xmalloc((md->nbuildpacks + 1) * sizeof *md->buildpacks);
  for (size_t i = 0; i < md->nbuildpacks; i++) {
    const toml_node *t = a->kids[i];
    char *ctx = xasprintf("buildpacks[%zu]", i);
    md_buildpack *bp = &md->buildpacks[i];
    bp->id = opt_string(t, "id", ctx);
    bp->api_text = opt_string(t, "api", ctx);
    if (!bp->id) bad(xasprintf("%s.id", ctx), "present");
    if (!bp->api_text || api_parse(bp->api_text, &bp->api))
      die(EXIT_BUILDPACK_API, "failed to parse buildpack API '%s' for buildpack '%s'", bp->api_text ? bp->api_text : "",
          bp->id);
    int ok = 0;
    for (size_t k = 0; k < sizeof SUPPORTED_BUILDPACK_APIS / sizeof *SUPPORTED_BUILDPACK_APIS; k++)
      ok |= SUPPORTED_BUILDPACK_APIS[k].major == bp->api.major && SUPPORTED_BUILDPACK_APIS[k].minor == bp->api.minor;
    if (!ok)
      die(EXIT_BUILDPACK_API,
          "buildpack API version '%s' is incompatible with the lifecycle (buildpack '%s'; supported: 0.7-0.12)",
          bp->api_text, bp->id);
    free(ctx);
  }
}

static void load_processes(const toml_node *root, metadata *md) {
  const toml_node *a = table_array(root, "processes");
  md->nprocesses = a ? a->n : 0;
  md->processes = xmalloc((md->nprocesses + 1) * sizeof *md->processes);
  for (size_t i = 0; i < md->nprocesses; i++) {
    const toml_node *t = a->kids[i];
    md_process *p = &md->processes[i];
    char *ctx = xasprintf("processes[%zu]", i);
    p->type = opt_string(t, "type", ctx);
    if (!p->type) bad(xasprintf("%s.type", ctx), "present");
    p->command = string_list(toml_get(t, "command"), xasprintf("%s.command", ctx), 1, &p->ncommand);
    p->args = string_list(toml_get(t, "args"), xasprintf("%s.args", ctx), 0, &p->nargs);
    const toml_node *d = toml_get(t, "direct");
    if (d && d->type != TOML_BOOL) bad(xasprintf("%s.direct", ctx), "a boolean");
    p->direct = d ? (int)d->i : 0;
    p->working_dir = opt_string(t, "working-dir", ctx);
    if (p->working_dir && !*p->working_dir) {
      free(p->working_dir);
      p->working_dir = NULL;
    }
    p->buildpack_id = opt_string(t, "buildpack-id", ctx);
    if (!p->buildpack_id) p->buildpack_id = xstrdup("");
    p->exec_env = string_list(toml_get(t, "exec-env"), xasprintf("%s.exec-env", ctx), 0, &p->nexec_env);
    free(ctx);
  }
}

void metadata_load(const char *path, metadata *md) {
  size_t len;
  char *text = read_file(path, &len);
  if (!text) die(EXIT_METADATA, "failed to read metadata %s: %s", path, read_error(errno));
  char err[512];
  toml_node *root = toml_parse(text, len, err, sizeof err);
  if (!root) die(EXIT_METADATA, "failed to read metadata %s: %s", path, err);
  where = path;
  load_buildpacks(root, md);
  load_processes(root, md);
  toml_free(root);
  free(text);
}

const md_process *metadata_process(const metadata *md, const char *type) {
  for (size_t i = 0; i < md->nprocesses; i++)
    if (!strcmp(md->processes[i].type, type)) return &md->processes[i];
  return NULL;
}

static int eligible(const md_process *p, const char *exec_env) {
  if (!exec_env || p->nexec_env == 0) return 1;
  for (size_t i = 0; i < p->nexec_env; i++)
    if (!strcmp(p->exec_env[i], "*") || !strcmp(p->exec_env[i], exec_env)) return 1;
  return 0;
}

const md_process *metadata_process_for(const metadata *md, const char *type, const char *exec_env) {
  for (size_t i = 0; i < md->nprocesses; i++)
    if (!strcmp(md->processes[i].type, type) && eligible(&md->processes[i], exec_env)) return &md->processes[i];
  return NULL;
}

const md_buildpack *metadata_buildpack(const metadata *md, const char *id) {
  for (size_t i = 0; i < md->nbuildpacks; i++)
    if (!strcmp(md->buildpacks[i].id, id)) return &md->buildpacks[i];
  return NULL;
}
