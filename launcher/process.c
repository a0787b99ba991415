#include "process.h"

#include <string.h>

#include "util.h"

const char *process_type_from_argv0(const metadata *md, const char *argv0) {
  if (!argv0) return NULL;
  const char *slash = strrchr(argv0, '/');
  const char *base = slash ? slash + 1 : argv0;
  const md_process *p = metadata_process(md, base);
  return p ? p->type : NULL;
}

static char **concat(char **a, size_t na, char **b, size_t nb, size_t *n) {
  char **out = xmalloc((na + nb + 1) * sizeof *out);
  for (size_t i = 0; i < na; i++) out[i] = a[i];
  for (size_t i = 0; i < nb; i++) out[na + i] = b[i];
  out[na + nb] = NULL;
  *n = na + nb;
  return out;
}

void process_select(const metadata *md, const char *type, char **user, size_t nuser, const launch_rules *rules,
                    launch_proc *out) {
  memset(out, 0, sizeof *out);
  if (!type) {
    /* No buildpack process: `-- <cmd> <args>` is direct, anything else is a shell command. */
    out->type = "";
    out->buildpack_id = "";
    if (nuser == 0)
      die(EXIT_LAUNCH, "determine start command: when there is no default process a command is required");
    if (nuser > 1 && !strcmp(user[0], "--")) {
      out->direct = 1;
      out->command = user[1];
      out->args = concat(user + 2, nuser - 2, NULL, 0, &out->nargs);
    } else {
      out->command = user[0];
      out->args = concat(user + 1, nuser - 1, NULL, 0, &out->nargs);
    }
    return;
  }
  const md_process *p = metadata_process_for(md, type, rules->exec_env);
  if (!p && rules->exec_env)
    die(EXIT_LAUNCH,
        "determine start command: process type %s was not found for execution environment '%s' (CNB_EXEC_ENV)", type,
        rules->exec_env);
  if (!p) die(EXIT_LAUNCH, "determine start command: process type %s was not found", type);
  if (p->ncommand == 0 || !p->command[0][0])
    die(EXIT_LAUNCH, "determine start command: no command provided for process type \"%s\"", type);
  out->type = p->type;
  out->command = p->command[0];
  out->working_dir = p->working_dir;
  out->buildpack_id = p->buildpack_id;
  const md_buildpack *bp = metadata_buildpack(md, p->buildpack_id);
  /* Buildpacks with API >= 0.9 support default process args: direct, user args replace `args`.
   * Older ones: their `direct` is honoured and user args are appended. */
  int modern = bp && !api_less(bp->api, 0, 9);
  out->direct = modern ? 1 : p->direct;
  if (rules->append_user_args) {
    /* Platform API < 0.10 (the reference): command[1:] join the args, and user args are appended. */
    size_t nfixed, nall;
    char **fixed = concat(p->command + 1, p->ncommand ? p->ncommand - 1 : 0, p->args, p->nargs, &nfixed);
    out->args = concat(fixed, nfixed, user, nuser, &nall);
    out->nargs = nall;
    return;
  }
  if (p->ncommand > 1) {
    /* command[1:] are always passed; user args, if any, replace the overridable `args`. */
    size_t nfixed;
    char **fixed = concat(p->command + 1, p->ncommand - 1, NULL, 0, &nfixed);
    if (nuser) out->args = concat(fixed, nfixed, user, nuser, &out->nargs);
    else out->args = concat(fixed, nfixed, p->args, p->nargs, &out->nargs);
  } else if (nuser == 0) {
    out->args = concat(p->args, p->nargs, NULL, 0, &out->nargs);
  } else {
    if (!bp)
      die(EXIT_LAUNCH, "determine start command: failed to find buildpack for process %s with buildpack ID %s", type,
          p->buildpack_id);
    if (modern) out->args = concat(user, nuser, NULL, 0, &out->nargs);
    else out->args = concat(p->args, p->nargs, user, nuser, &out->nargs);
  }
}
