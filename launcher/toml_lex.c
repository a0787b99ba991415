/* TOML lexing: strings and escapes, numbers, booleans, date-times, comments, UTF-8 (see toml.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_internal.h"

int tl_fail(P *ps, const char *fmt, ...) {
  if (!ps->failed) {
    int k = snprintf(ps->err, ps->errlen, "line %d: ", ps->line);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < ps->errlen) vsnprintf(ps->err + k, ps->errlen - (size_t)k, fmt, ap);
    va_end(ap);
  }
  ps->failed = 1;
  return -1;
}

void *tl_xalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) {
    fputs("launcher: out of memory\n", stderr);
    exit(80);
  }
  return p;
}

static void buf_put(Buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 32;
    while (cap < b->n + n + 1) cap *= 2;
    char *ns = realloc(b->s, cap);
    if (!ns) {
      fputs("launcher: out of memory\n", stderr);
      exit(80);
    }
    b->s = ns;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = 0;
}

static void buf_utf8(Buf *b, unsigned long c) {
  char o[4];
  size_t n;
  if (c < 0x80) { o[0] = (char)c; n = 1; }
  else if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); n = 2; }
  else if (c < 0x10000) {
    o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F)); n = 3;
  } else {
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F)); n = 4;
  }
  buf_put(b, o, n);
}


/* ---- tree ---- */

toml_node *tl_node_new(toml_type t) {
  toml_node *n = tl_xalloc(sizeof *n);
  n->type = t;
  return n;
}

void toml_free(toml_node *n) {
  if (!n) return;
  for (size_t i = 0; i < n->n; i++) toml_free(n->kids[i]);
  free(n->kids);
  free(n->key);
  free(n->str);
  free(n);
}

void tl_node_add(toml_node *parent, toml_node *kid) {
  if (parent->n == parent->cap) {
    size_t cap = parent->cap ? parent->cap * 2 : 4;
    toml_node **k = realloc(parent->kids, cap * sizeof *k);
    if (!k) {
      fputs("launcher: out of memory\n", stderr);
      exit(80);
    }
    parent->kids = k;
    parent->cap = cap;
  }
  parent->kids[parent->n++] = kid;
}


/* ---- lexing helpers ---- */

static int is_bare(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* At a newline (\n or \r\n)? Returns its length, 0 otherwise. */
int tl_newline_len(P *ps) {
  if (at(ps, 0) == '\n') return 1;
  if (at(ps, 0) == '\r' && at(ps, 1) == '\n') return 2;
  return 0;
}

static int bad_ctl(int c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F; }

static int skip_comment(P *ps) {
  if (at(ps, 0) != '#') return 0;
  while (ps->p < ps->end && !tl_newline_len(ps)) {
    if (bad_ctl(at(ps, 0))) return tl_fail(ps, "control character in comment");
    ps->p++;
  }
  return 0;
}

/* Skips whitespace, comments and newlines (inside arrays and between statements). */
int tl_skip_all(P *ps) {
  for (;;) {
    skip_ws(ps);
    if (at(ps, 0) == '#' && skip_comment(ps)) return -1;
    int nl = tl_newline_len(ps);
    if (!nl) return 0;
    ps->p += nl;
    ps->line++;
  }
}

/* After a statement: optional whitespace and comment, then a newline or the end. */
int tl_end_of_line(P *ps) {
  skip_ws(ps);
  if (skip_comment(ps)) return -1;
  if (ps->p >= ps->end) return 0;
  int nl = tl_newline_len(ps);
  if (!nl) {
    int c = at(ps, 0);
    if (c >= 0x20 && c < 0x7F) return tl_fail(ps, "expected the end of the line, found '%c'", c);
    return tl_fail(ps, "expected the end of the line");
  }
  ps->p += nl;
  ps->line++;
  return 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int escape(P *ps, Buf *b) {
  ps->p++; /* backslash */
  int c = at(ps, 0);
  const char *simple = NULL;
  switch (c) {
  case 'b': simple = "\b"; break;
  case 't': simple = "\t"; break;
  case 'n': simple = "\n"; break;
  case 'f': simple = "\f"; break;
  case 'r': simple = "\r"; break;
  case '"': simple = "\""; break;
  case '\\': simple = "\\"; break;
  case 'u': case 'U': {
    int digits = c == 'u' ? 4 : 8;
    unsigned long v = 0;
    for (int i = 1; i <= digits; i++) {
      int h = hexval(at(ps, (size_t)i));
      if (h < 0) return tl_fail(ps, "\\%c escape needs %d hex digits", c, digits);
      v = v * 16 + (unsigned long)h;
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return tl_fail(ps, "escape is not a Unicode scalar value");
    buf_utf8(b, v);
    ps->p += 1 + digits;
    return 0;
  }
  default:
    if (c < 0) return tl_fail(ps, "unterminated string");
    if (c >= 0x20 && c < 0x7F) return tl_fail(ps, "invalid escape '\\%c'", c);
    return tl_fail(ps, "invalid escape sequence");
  }
  buf_put(b, simple, 1);
  ps->p++;
  return 0;
}

/* Parses any string form at ps->p. multi_ok = 0 for keys. */
int tl_string(P *ps, Buf *b, int multi_ok) {
  char q = (char)at(ps, 0);
  int multi = at(ps, 1) == q && at(ps, 2) == q;
  b->n = 0;
  buf_put(b, "", 0);
  if (multi) {
    if (!multi_ok) return tl_fail(ps, "multi-line strings cannot be keys");
    ps->p += 3;
    int nl = tl_newline_len(ps); /* a newline right after the opening quotes is trimmed */
    if (nl) { ps->p += nl; ps->line++; }
  } else {
    ps->p++;
  }
  for (;;) {
    int c = at(ps, 0);
    if (c < 0) return tl_fail(ps, "unterminated string");
    if (c == q) {
      if (!multi) { ps->p++; return 0; }
      size_t k = 0;
      while (at(ps, k) == q) k++;
      if (k >= 3) {
        if (k > 5) return tl_fail(ps, "too many quotes at the end of a multi-line string");
        buf_put(b, ps->p, k - 3);
        ps->p += k;
        return 0;
      }
      buf_put(b, ps->p, k);
      ps->p += k;
      continue;
    }
    int nl = tl_newline_len(ps);
    if (nl) {
      if (!multi) return tl_fail(ps, "newline in a single-line string");
      buf_put(b, ps->p, (size_t)nl);
      ps->p += nl;
      ps->line++;
      continue;
    }
    if (c == '\\' && q == '"') {
      if (multi) { /* line-ending backslash: trim whitespace and newlines up to the next content */
        size_t k = 1;
        while (is_ws(at(ps, k))) k++;
        if (at(ps, k) == '\n' || (at(ps, k) == '\r' && at(ps, k + 1) == '\n')) {
          ps->p += k;
          for (;;) {
            skip_ws(ps);
            int l = tl_newline_len(ps);
            if (!l) break;
            ps->p += l;
            ps->line++;
          }
          continue;
        }
      }
      if (escape(ps, b)) return -1;
      continue;
    }
    if (bad_ctl(c)) return tl_fail(ps, "control character in string");
    buf_put(b, ps->p, 1);
    ps->p++;
  }
}

/* One key (bare or quoted) into b. */
int tl_simple_key(P *ps, Buf *b) {
  int c = at(ps, 0);
  if (c == '"' || c == '\'') {
    if (tl_string(ps, b, 0)) return -1;
    if (strlen(b->s) != b->n) return tl_fail(ps, "key contains a NUL character");
    return 0;
  }
  const char *s = ps->p;
  while (is_bare(at(ps, 0))) ps->p++;
  if (ps->p == s) {
    if (c < 0 || tl_newline_len(ps)) return tl_fail(ps, "expected a key");
    if (c >= 0x20 && c < 0x7F) return tl_fail(ps, "invalid character '%c' in key", c);
    return tl_fail(ps, "invalid character in key");
  }
  b->n = 0;
  buf_put(b, s, (size_t)(ps->p - s));
  return 0;
}


static int digits_ok(const char *s, size_t n, int base) {
  if (n == 0 || s[0] == '_' || s[n - 1] == '_') return 0;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)s[i];
    if (c == '_') { if (s[i + 1] == '_') return 0; continue; }
    int h = hexval(c);
    if (h < 0 || h >= base) return 0;
  }
  return 1;
}

static void strip_underscores(char *dst, const char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) if (s[i] != '_') dst[k++] = s[i];
  dst[k] = 0;
}

static int num(const char *s, int n, int max) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v <= max ? v : -1;
}

/* HH:MM:SS[.frac]; returns the length used or -1. */
static int time_part(const char *s) {
  if (num(s, 2, 23) < 0 || s[2] != ':' || num(s + 3, 2, 59) < 0 || s[5] != ':' || num(s + 6, 2, 60) < 0) return -1;
  int n = 8;
  if (s[n] == '.') {
    int k = ++n;
    while (s[n] >= '0' && s[n] <= '9') n++;
    if (n == k) return -1;
  }
  return n;
}

/* RFC 3339 as TOML allows it: offset/local date-time, local date, local time. */
static int valid_datetime(const char *s) {
  if (s[2] == ':') return time_part(s) > 0 && s[time_part(s)] == 0;
  int y = num(s, 4, 9999), m = s[4] == '-' ? num(s + 5, 2, 12) : -1, d = s[7] == '-' ? num(s + 8, 2, 31) : -1;
  if (y < 0 || m < 1 || d < 1) return 0;
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > days[m - 1] || (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))) return 0;
  if (s[10] == 0) return 1;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return 0;
  int n = time_part(s + 11);
  if (n < 0) return 0;
  const char *o = s + 11 + n;
  if (*o == 0 || ((*o == 'Z' || *o == 'z') && o[1] == 0)) return 1;
  return (*o == '+' || *o == '-') && num(o + 1, 2, 23) >= 0 && o[3] == ':' && num(o + 4, 2, 59) >= 0 && o[6] == 0;
}

/* Integers, floats, booleans and date-times. */
toml_node *tl_scalar(P *ps) {
  const char *s = ps->p;
  for (;;) {
    while (ps->p < ps->end) {
      int c = at(ps, 0);
      if (is_ws(c) || c == ',' || c == ']' || c == '}' || c == '#' || c == '\n' || c == '\r') break;
      ps->p++;
    }
    /* "1979-05-27 07:32:00": a date and a time may be separated by one space. */
    if (ps->p - s == 10 && s[4] == '-' && at(ps, 0) == ' ' && at(ps, 1) >= '0' && at(ps, 1) <= '9' &&
        at(ps, 2) >= '0' && at(ps, 2) <= '9' && at(ps, 3) == ':') {
      ps->p++;
      continue;
    }
    break;
  }
  size_t n = (size_t)(ps->p - s);
  if (n == 0) {
    int c = at(ps, 0);
    if (c > 0x20 && c < 0x7F) tl_fail(ps, "expected a value, found '%c'", c);
    else tl_fail(ps, "expected a value");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)s[i];
    if ((c <= 0x20 && !(c == ' ' && i == 10)) || c >= 0x7F) { /* scalars are printable ASCII */
      tl_fail(ps, "invalid character in value");
      return NULL;
    }
  }
  if (n > 128) { tl_fail(ps, "value too long"); return NULL; }
  char tok[130], clean[130];
  memcpy(tok, s, n);
  tok[n] = 0;
  if (!strcmp(tok, "true") || !strcmp(tok, "false")) {
    toml_node *v = tl_node_new(TOML_BOOL);
    v->i = tok[0] == 't';
    return v;
  }
  const char *u = tok + (tok[0] == '+' || tok[0] == '-');
  if (!strcmp(u, "inf") || !strcmp(u, "nan")) {
    toml_node *v = tl_node_new(TOML_FLOAT);
    v->f = strtod(tok, NULL);
    return v;
  }
  if (n >= 5 && tok[0] >= '0' && tok[0] <= '9' && (tok[4] == '-' || tok[2] == ':')) {
    if (!valid_datetime(tok)) {
      tl_fail(ps, "invalid date-time '%s'", tok);
      return NULL;
    }
    toml_node *v = tl_node_new(TOML_DATETIME);
    v->str = tl_xalloc(n + 1);
    memcpy(v->str, tok, n + 1);
    v->len = n;
    return v;
  }
  if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'o' || tok[1] == 'b')) {
    int base = tok[1] == 'x' ? 16 : tok[1] == 'o' ? 8 : 2;
    if (!digits_ok(tok + 2, n - 2, base)) { tl_fail(ps, "invalid integer '%s'", tok); return NULL; }
    strip_underscores(clean, tok + 2, n - 2);
    errno = 0;
    unsigned long long x = strtoull(clean, NULL, base);
    if (errno || x > (unsigned long long)9223372036854775807LL) { tl_fail(ps, "integer out of range"); return NULL; }
    toml_node *v = tl_node_new(TOML_INT);
    v->i = (long long)x;
    return v;
  }
  /* decimal integer or float: [sign] int [. digits] [e [sign] digits] */
  size_t i = (size_t)(u - tok), ib = i;
  while (tok[i] && ((tok[i] >= '0' && tok[i] <= '9') || tok[i] == '_')) i++;
  size_t ie = i;
  int is_float = 0, ok = digits_ok(tok + ib, ie - ib, 10) && !(tok[ib] == '0' && ie - ib > 1);
  if (ok && tok[i] == '.') {
    is_float = 1;
    size_t fb = ++i;
    while (tok[i] && ((tok[i] >= '0' && tok[i] <= '9') || tok[i] == '_')) i++;
    ok = digits_ok(tok + fb, i - fb, 10);
  }
  if (ok && (tok[i] == 'e' || tok[i] == 'E')) {
    is_float = 1;
    i++;
    if (tok[i] == '+' || tok[i] == '-') i++;
    size_t eb = i;
    while (tok[i] && ((tok[i] >= '0' && tok[i] <= '9') || tok[i] == '_')) i++;
    ok = digits_ok(tok + eb, i - eb, 10);
  }
  if (!ok || tok[i]) {
    if ((tok[0] >= 'a' && tok[0] <= 'z') || (tok[0] >= 'A' && tok[0] <= 'Z'))
      tl_fail(ps, "invalid value '%s' (strings must be quoted)", tok);
    else
      tl_fail(ps, "invalid number '%s'", tok);
    return NULL;
  }
  strip_underscores(clean, tok, n);
  errno = 0;
  toml_node *v;
  if (is_float) {
    v = tl_node_new(TOML_FLOAT);
    v->f = strtod(clean, NULL);
  } else {
    long long x = strtoll(clean, NULL, 10);
    if (errno) { tl_fail(ps, "integer out of range"); return NULL; }
    v = tl_node_new(TOML_INT);
    v->i = x;
  }
  return v;
}


/* TOML documents must be valid UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
int tl_check_utf8(P *ps) {
  const unsigned char *s = (const unsigned char *)ps->p, *e = (const unsigned char *)ps->end;
  while (s < e) {
    unsigned c = *s;
    if (c == '\n') ps->line++;
    if (c < 0x80) { s++; continue; }
    int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
    if (n < 0 || c > 0xF4 || e - s <= n) return tl_fail(ps, "invalid UTF-8");
    unsigned long v = c & (0x3F >> n);
    for (int i = 1; i <= n; i++) {
      if ((s[i] & 0xC0) != 0x80) return tl_fail(ps, "invalid UTF-8");
      v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && v < 0x800) || (n == 3 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
      return tl_fail(ps, "invalid UTF-8");
    s += n + 1;
  }
  ps->line = 1;
  return 0;
}

