#!/usr/bin/env bash
# Fuzzes launcher/toml.c with libFuzzer (clang; Debian: apt-get install -y clang) at low priority.
# Usage: bash launcher/fuzz/run.sh [seconds=3600] [workdir=/tmp/launcher-fuzz]
# Crashes land in <workdir>/crashes/; the log in <workdir>/fuzz.log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-3600}"
work="${2:-/tmp/launcher-fuzz}"
mkdir -p "$work/corpus" "$work/crashes"
cp -n "$here"/corpus/* "$work/corpus/" 2>/dev/null || true
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$work/fuzz_toml" -D_GNU_SOURCE \
  "$here/fuzz_toml.c" "$here/../toml.c" "$here/../toml_lex.c" "$here/../execd.c" "$here/../util.c" "$here/../layers.c"
cd "$work"
exec nice -n 19 ./fuzz_toml -max_total_time="$secs" -max_len=4096 -timeout=5 -rss_limit_mb=1024 \
  -dict="$here/toml.dict" -artifact_prefix="$work/crashes/" -print_final_stats=1 \
  "$work/corpus" >"$work/fuzz.log" 2>&1
