/* libFuzzer harness for the launcher's TOML reader (launcher/toml.c) and its exec.d output check
 * (execd_apply_output in launcher/execd.c).
 * Build and run: bash launcher/fuzz/run.sh [seconds] */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../execd.h"
#include "../toml.h"

static void walk(const toml_node *n, int depth) {
  if (depth > 10000) __builtin_trap();
  switch (n->type) {
  case TOML_STRING:
  case TOML_DATETIME:
    if (!n->str || n->str[n->len] != 0) __builtin_trap();
    break;
  case TOML_TABLE:
    for (size_t i = 0; i < n->n; i++) {
      const toml_node *k = n->kids[i];
      if (!k->key || toml_get(n, k->key) == NULL) __builtin_trap();
      (void)toml_get_string(n, k->key);
      (void)toml_get_bool(n, k->key, 0);
      walk(k, depth + 1);
    }
    break;
  case TOML_ARRAY:
    for (size_t i = 0; i < n->n; i++) {
      if (n->kids[i]->key) __builtin_trap();
      walk(n->kids[i], depth + 1);
    }
    break;
  default:
    break;
  }
  (void)toml_type_name(n->type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  toml_node *root = toml_parse((const char *)data, size, err, sizeof err);
  if (root) {
    walk(root, 0);
    toml_free(root);
  } else if (err[0] == 0 || memchr(err, 0, sizeof err) == NULL) {
    __builtin_trap(); /* every rejection must carry a message */
  }
  envlist env = {0};
  env_set(&env, "PATH", "/bin");
  if (execd_apply_output(&env, (const char *)data, size, err, sizeof err) == 0) {
    char **kv = env_array(&env);
    for (size_t i = 0; kv[i]; i++)
      if (!strchr(kv[i], '=') || kv[i] == strchr(kv[i], '=')) __builtin_trap();
  } else if (err[0] == 0) {
    __builtin_trap();
  }
  strlist_free(&env.kv);
  return 0;
}
