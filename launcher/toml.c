/* Strict TOML 1.0 reader (see toml.h): tables, arrays of tables, keys, arrays, inline tables.
 * Lexing (strings, scalars) lives in toml_lex.c. No dependencies beyond libc. */
#include <stdlib.h>
#include <string.h>

#include "toml_internal.h"

static toml_node *find(const toml_node *t, const char *key) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->kids[i]->key, key) == 0) return t->kids[i];
  return NULL;
}


/* ---- values ---- */

static toml_node *value(P *ps);

static toml_node *array(P *ps) {
  toml_node *a = tl_node_new(TOML_ARRAY);
  ps->p++; /* [ */
  for (;;) {
    if (tl_skip_all(ps)) goto bad;
    if (at(ps, 0) == ']') { ps->p++; return a; }
    toml_node *v = value(ps);
    if (!v) goto bad;
    tl_node_add(a, v);
    if (tl_skip_all(ps)) goto bad;
    if (at(ps, 0) == ',') { ps->p++; continue; }
    if (at(ps, 0) == ']') { ps->p++; return a; }
    tl_fail(ps, "expected ',' or ']' in array");
    goto bad;
  }
bad:
  toml_free(a);
  return NULL;
}

static int keyval(P *ps, toml_node *table, int in_inline);

static toml_node *inline_table(P *ps) {
  toml_node *t = tl_node_new(TOML_TABLE);
  t->flags = F_INLINE | F_DEFINED;
  ps->p++; /* { */
  skip_ws(ps);
  if (at(ps, 0) == '}') { ps->p++; return t; }
  for (;;) {
    skip_ws(ps);
    if (keyval(ps, t, 1)) goto bad;
    skip_ws(ps);
    if (at(ps, 0) == ',') { ps->p++; continue; }
    if (at(ps, 0) == '}') { ps->p++; return t; }
    tl_fail(ps, "expected ',' or '}' in inline table");
    goto bad;
  }
bad:
  toml_free(t);
  return NULL;
}

static toml_node *value(P *ps) {
  if (++ps->depth > MAX_DEPTH) { tl_fail(ps, "values nested too deeply"); return NULL; }
  toml_node *v = NULL;
  int c = at(ps, 0);
  if (c == '"' || c == '\'') {
    Buf b = {0};
    if (tl_string(ps, &b, 1) == 0) {
      v = tl_node_new(TOML_STRING);
      v->str = b.s;
      v->len = b.n;
    } else {
      free(b.s);
    }
  } else if (c == '[') {
    v = array(ps);
  } else if (c == '{') {
    v = inline_table(ps);
  } else {
    v = tl_scalar(ps);
  }
  ps->depth--;
  return v;
}

/* ---- keys and tables ---- */

/* key = value, possibly dotted, into table. */
static int keyval(P *ps, toml_node *table, int in_inline) {
  Buf k = {0};
  toml_node *t = table;
  for (int parts = 0;; parts++) {
    if (parts > MAX_DEPTH) {
      tl_fail(ps, "key has too many parts");
      goto bad;
    }
    if (tl_simple_key(ps, &k)) goto bad;
    skip_ws(ps);
    if (at(ps, 0) != '.') break;
    ps->p++;
    skip_ws(ps);
    toml_node *sub = find(t, k.s);
    if (!sub) {
      sub = tl_node_new(TOML_TABLE);
      sub->flags = F_DOTTED;
      sub->key = k.s;
      k.s = NULL; k.n = k.cap = 0;
      tl_node_add(t, sub);
    } else if (sub->type != TOML_TABLE || (sub->flags & F_INLINE) || ((sub->flags & F_DEFINED) && !in_inline)) {
      tl_fail(ps, "cannot add keys to '%s' with a dotted key: it is already defined", k.s);
      goto bad;
    }
    t = sub;
  }
  if (at(ps, 0) != '=') {
    tl_fail(ps, at(ps, 0) < 0 || tl_newline_len(ps) ? "expected '=' after key" : "expected '=' after key, found '%c'",
         at(ps, 0));
    goto bad;
  }
  ps->p++;
  skip_ws(ps);
  if (find(t, k.s)) {
    tl_fail(ps, "duplicate key '%s'", k.s);
    goto bad;
  }
  toml_node *v = value(ps);
  if (!v) goto bad;
  v->key = k.s;
  tl_node_add(t, v);
  return 0;
bad:
  free(k.s);
  return -1;
}

/* [a.b.c] or [[a.b.c]] header; returns the table that following key/values go into. */
static toml_node *header(P *ps, toml_node *root) {
  int aot = at(ps, 1) == '[';
  ps->p += aot ? 2 : 1;
  Buf k = {0};
  toml_node *t = root;
  for (int parts = 0;; parts++) {
    if (parts > MAX_DEPTH) {
      tl_fail(ps, "table name has too many parts");
      goto bad;
    }
    skip_ws(ps);
    if (tl_simple_key(ps, &k)) goto bad;
    skip_ws(ps);
    int last = at(ps, 0) != '.';
    toml_node *sub = find(t, k.s);
    if (!last) {
      ps->p++;
      if (!sub) {
        sub = tl_node_new(TOML_TABLE);
        sub->key = k.s;
        k.s = NULL; k.n = k.cap = 0;
        tl_node_add(t, sub);
      } else if (sub->type == TOML_ARRAY && (sub->flags & F_AOT)) {
        sub = sub->kids[sub->n - 1];
      } else if (sub->type != TOML_TABLE || (sub->flags & F_INLINE)) {
        tl_fail(ps, "key '%s' is already defined as a value", k.s);
        goto bad;
      }
      t = sub;
      continue;
    }
    if (aot) {
      if (!sub) {
        sub = tl_node_new(TOML_ARRAY);
        sub->flags = F_AOT;
        sub->key = k.s;
        k.s = NULL;
        tl_node_add(t, sub);
      } else if (sub->type != TOML_ARRAY || !(sub->flags & F_AOT)) {
        tl_fail(ps, "'%s' is already defined and is not an array of tables", k.s);
        goto bad;
      }
      toml_node *el = tl_node_new(TOML_TABLE);
      el->flags = F_DEFINED;
      tl_node_add(sub, el);
      t = el;
    } else {
      if (!sub) {
        sub = tl_node_new(TOML_TABLE);
        sub->key = k.s;
        k.s = NULL;
        tl_node_add(t, sub);
      } else if (sub->type != TOML_TABLE || (sub->flags & (F_DEFINED | F_DOTTED | F_INLINE))) {
        tl_fail(ps, "table '%s' is defined more than once", k.s);
        goto bad;
      }
      sub->flags |= F_DEFINED;
      t = sub;
    }
    break;
  }
  free(k.s);
  if (at(ps, 0) != ']' || (aot && at(ps, 1) != ']')) {
    tl_fail(ps, aot ? "expected ']]' to close the table header" : "expected ']' to close the table header");
    return NULL;
  }
  ps->p += aot ? 2 : 1;
  return t;
bad:
  free(k.s);
  return NULL;
}

toml_node *toml_parse(const char *buf, size_t len, char *err, size_t errlen) {
  P ps = {buf, buf + len, 1, err, errlen, 0, 0};
  if (errlen) err[0] = 0;
  if (tl_check_utf8(&ps)) return NULL;
  if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) ps.p += 3; /* byte order mark */
  toml_node *root = tl_node_new(TOML_TABLE), *cur = root;
  for (;;) {
    if (tl_skip_all(&ps)) break;
    if (ps.p >= ps.end) return root;
    if (at(&ps, 0) == '[') {
      cur = header(&ps, root);
      if (!cur) break;
    } else if (keyval(&ps, cur, 0)) {
      break;
    }
    if (tl_end_of_line(&ps)) break;
  }
  if (!ps.failed) tl_fail(&ps, "invalid TOML");
  toml_free(root);
  return NULL;
}

const toml_node *toml_get(const toml_node *t, const char *key) {
  return t && t->type == TOML_TABLE ? find(t, key) : NULL;
}

const char *toml_get_string(const toml_node *t, const char *key) {
  const toml_node *v = toml_get(t, key);
  return v && v->type == TOML_STRING ? v->str : NULL;
}

int toml_get_bool(const toml_node *t, const char *key, int fallback) {
  const toml_node *v = toml_get(t, key);
  return v && v->type == TOML_BOOL ? (int)v->i : fallback;
}

const char *toml_type_name(toml_type t) {
  static const char *names[] = {"table", "array", "string", "integer", "float", "boolean", "date-time"};
  return names[t];
}
