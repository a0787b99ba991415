#!/usr/bin/env bash
# Launcher start-up overhead: exec of /bin/true through the launcher vs directly, in the same run.
# Usage: bash bench/launcher.sh [iterations=2000] [launcher=dist/lifecycle/launcher]
# Builds the launcher into a temp dir when the given one does not exist. Target: <= 2 ms without exec.d.
set -euo pipefail
n="${1:-2000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
launcher="${2:-$root/dist/lifecycle/launcher}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -x "$launcher" ]; then
  cp "$launcher" "$work/launcher" # a private copy: a concurrent `npm run build` may replace dist/
else
  bash "$root/scripts/build-launcher.sh" "$work/launcher" >/dev/null
fi
launcher="$work/launcher"

# A realistic app image: 2 buildpacks, 3 launch layers with bin/, lib/ and env files, a 0.9 process.
layers="$work/layers" app="$work/workspace"
mkdir -p "$layers/config" "$app" "$work/cnb/process"
cat >"$layers/config/metadata.toml" <<'EOF'
[[buildpacks]]
id = "example/jvm"
version = "1.0.0"
api = "0.9"

[[buildpacks]]
id = "example/app"
version = "1.0.0"
api = "0.10"

[[processes]]
type = "web"
command = [ "/bin/true" ]
args = [ "--port", "8080" ]
direct = true
default = true
buildpack-id = "example/app"

[[processes]]
type = "worker"
command = [ "/bin/true" ]
args = []
direct = true
buildpack-id = "example/app"
EOF
for l in example_jvm/jre example_jvm/helper example_app/deps; do
  mkdir -p "$layers/$l/bin" "$layers/$l/lib" "$layers/$l/env" "$layers/$l/env.launch"
  printf '[types]\nlaunch = true\n' >"$layers/$l.toml"
  printf '/opt/%s' "$l" >"$layers/$l/env/HOME_${l##*/}"
  printf ':' >"$layers/$l/env.launch/JAVA_OPTS.delim"
  printf -- '-Xss1m' >"$layers/$l/env.launch/JAVA_OPTS.append"
done
ln -s "$launcher" "$work/cnb/process/web"
# The same layers plus one exec.d executable (shell script) for comparison.
cp -r "$layers" "$work/layers-execd"
mkdir -p "$work/layers-execd/example_app/deps/exec.d"
printf '#!/bin/sh\necho "FROM_EXECD = \\"1\\"" >&3\n' >"$work/layers-execd/example_app/deps/exec.d/set"
chmod +x "$work/layers-execd/example_app/deps/exec.d/set"

export CNB_LAYERS_DIR="$layers" CNB_APP_DIR="$app" CNB_PLATFORM_API=0.12

now() { date +%s%N; }
batch() { # batch <command...>: microseconds per run over one batch of $per runs
  local t0 t1
  t0=$(now)
  for ((i = 0; i < per; i++)); do "$@"; done
  t1=$(now)
  echo $(((t1 - t0) / per / 1000))
}
cpu() { # cpu <command...>: CPU microseconds (user+sys, children included) per run over $per runs
  local TIMEFORMAT='%3U %3S' out
  out=$({ time (for ((i = 0; i < per; i++)); do "$@"; done) ; } 2>&1)
  awk -v o="$out" -v n="$per" 'BEGIN { split(o, a, " "); printf "%d", (a[1] + a[2]) * 1e6 / n }'
}
# The machine may be shared: run the variants interleaved in rounds and keep each one's best round.
rounds=10 per=$(((n + 9) / 10))
base=999999999 proc=999999999 dash=999999999 execd=999999999 cbase=999999999 cproc=999999999
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
"$work/cnb/process/web" || { echo "launcher failed" >&2; exit 1; }
"$launcher" -- /bin/true || { echo "launcher failed" >&2; exit 1; }
CNB_LAYERS_DIR="$work/layers-execd" "$work/cnb/process/web" || { echo "launcher failed" >&2; exit 1; }
for ((r = 0; r < rounds; r++)); do
  base=$(min "$(batch /bin/true)" "$base")
  proc=$(min "$(batch "$work/cnb/process/web")" "$proc")
  dash=$(min "$(batch "$launcher" -- /bin/true)" "$dash")
  execd=$(min "$(CNB_LAYERS_DIR="$work/layers-execd" batch "$work/cnb/process/web")" "$execd")
  cbase=$(min "$(cpu /bin/true)" "$cbase")
  cproc=$(min "$(cpu "$work/cnb/process/web")" "$cproc")
done
size=$(stat -c %s "$launcher")

ms() { awk -v us="$1" 'BEGIN { printf "%.3f ms", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "launcher: ${2:-$root/dist/lifecycle/launcher} ($size bytes)"
echo "iterations: $rounds interleaved rounds of $per runs each (a fork+exec from bash); best round shown"
echo "/bin/true directly:                 $(ms "$base") per run"
echo "/cnb/process/web -> /bin/true:      $(ms "$proc") per run  (+$(ms $((proc - base))), $(ratio "$proc" "$base"))"
echo "launcher -- /bin/true:              $(ms "$dash") per run  (+$(ms $((dash - base))), $(ratio "$dash" "$base"))"
echo "with one exec.d (sh script):        $(ms "$execd") per run  (+$(ms $((execd - base))), $(ratio "$execd" "$base"))"
echo "CPU time (user+sys) per run:        /bin/true $(ms "$cbase"), via launcher $(ms "$cproc") (+$(ms $((cproc - cbase))))"
over=$((cproc - cbase))
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall-clock figures include waiting for a CPU)"
if [ "$over" -le 2000 ]; then
  echo "overhead without exec.d (CPU time): $(ms "$over") <= 2 ms target: OK"
else
  echo "overhead without exec.d (CPU time): $(ms "$over") > 2 ms target: OVER"
fi
