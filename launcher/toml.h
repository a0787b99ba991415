/*
 * A small, strict TOML 1.0 reader for the launcher: metadata.toml, <layer>.toml and exec.d output.
 *
 * Supported: comments, bare/quoted/dotted keys, [tables], [[arrays of tables]], basic, literal and
 * multi-line strings with every TOML 1.0 escape, integers (dec/hex/oct/bin), floats, booleans,
 * arrays, inline tables and RFC 3339 date-times (kept as their text in str). Invalid input yields
 * NULL and a "line N: what" message, never a crash.
 */
#ifndef CNB_TOML_H
#define CNB_TOML_H

#include <stddef.h>

typedef enum { TOML_TABLE, TOML_ARRAY, TOML_STRING, TOML_INT, TOML_FLOAT, TOML_BOOL, TOML_DATETIME } toml_type;

typedef struct toml_node toml_node;
struct toml_node {
  toml_type type;
  unsigned flags;      /* internal bookkeeping (how a table was defined) */
  char *key;           /* key in the parent table; NULL for array elements */
  char *str;           /* TOML_STRING: NUL-terminated value (may embed NULs; see len); TOML_DATETIME: its text */
  size_t len;          /* TOML_STRING, TOML_DATETIME: byte length */
  long long i;         /* TOML_INT, TOML_BOOL (0/1) */
  double f;            /* TOML_FLOAT */
  toml_node **kids;    /* TOML_TABLE (key/value pairs) and TOML_ARRAY (elements) */
  size_t n, cap;
};

/* Parses buf[0..len). Returns the root table, or NULL with a message in err. */
toml_node *toml_parse(const char *buf, size_t len, char *err, size_t errlen);
void toml_free(toml_node *node);

/* Lookup helpers; all accept NULL and return NULL / the fallback when missing or of another type. */
const toml_node *toml_get(const toml_node *table, const char *key);
const char *toml_get_string(const toml_node *table, const char *key);
int toml_get_bool(const toml_node *table, const char *key, int fallback);
const char *toml_type_name(toml_type type);

#endif
