/* Internals shared by toml.c (tables, keys, arrays) and toml_lex.c (strings, scalars, lexing). */
#ifndef CNB_TOML_INTERNAL_H
#define CNB_TOML_INTERNAL_H

#include <stddef.h>

#include "toml.h"

enum { F_DEFINED = 1, F_DOTTED = 2, F_INLINE = 4, F_AOT = 8 };
enum { MAX_DEPTH = 64 };

typedef struct {
  const char *p, *end;
  int line;
  char *err;
  size_t errlen;
  int failed;
  int depth;
} P;

typedef struct {
  char *s;
  size_t n, cap;
} Buf;

static inline int at(P *ps, size_t off) { return ps->p + off < ps->end ? (unsigned char)ps->p[off] : -1; }
static inline int is_ws(int c) { return c == ' ' || c == '\t'; }
static inline void skip_ws(P *ps) {
  while (is_ws(at(ps, 0))) ps->p++;
}

/* Records "line N: <message>" once; returns -1. */
__attribute__((format(printf, 2, 3))) int tl_fail(P *ps, const char *fmt, ...);
void *tl_xalloc(size_t n);
toml_node *tl_node_new(toml_type t);
void tl_node_add(toml_node *parent, toml_node *kid);
/* Length of the newline (\n or \r\n) at the cursor, 0 if none. */
int tl_newline_len(P *ps);
/* Skips whitespace, comments and newlines. */
int tl_skip_all(P *ps);
/* Optional whitespace and comment, then a newline or the end of input. */
int tl_end_of_line(P *ps);
/* Any string form at the cursor into b (multi_ok = 0 for keys). */
int tl_string(P *ps, Buf *b, int multi_ok);
/* One bare or quoted key into b. */
int tl_simple_key(P *ps, Buf *b);
/* Integer, float, boolean or date-time at the cursor. */
toml_node *tl_scalar(P *ps);
/* The whole document must be valid UTF-8. */
int tl_check_utf8(P *ps);

#endif
