#!/usr/bin/env bash
# Builds the static C launcher (DESIGN.md "Why the launcher is C").
# Usage: bash scripts/build-launcher.sh <output-path>
# Uses musl-gcc (Debian: apt-get install musl-tools) and falls back to static glibc (gcc -static).
set -euo pipefail
out="${1:?usage: build-launcher.sh <output-path>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/launcher"
sources=("$src"/main.c "$src"/toml.c "$src"/toml_lex.c "$src"/util.c "$src"/metadata.c "$src"/layers.c "$src"/execd.c \
  "$src"/process.c "$src"/exec.c)
flags=(-std=c11 -D_GNU_SOURCE -Os -static -Wall -Wextra -Werror -ffunction-sections -fdata-sections
  -Wl,--gc-sections -s)

if command -v musl-gcc >/dev/null 2>&1; then
  cc=musl-gcc
else
  cc="${CC:-gcc}"
  echo "build-launcher: musl-gcc not found (apt-get install musl-tools); using $cc -static (glibc)" >&2
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"$cc" "${flags[@]}" -o "$tmp" "${sources[@]}"
strip "$tmp" 2>/dev/null || true
size=$(stat -c %s "$tmp")
if [ "$size" -gt 1048576 ]; then
  echo "build-launcher: $tmp is $size bytes, over the 1 MiB budget" >&2
  exit 1
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "built $out ($size bytes, $cc)"
