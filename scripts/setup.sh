#!/usr/bin/env bash
# Installs everything the build, the demo and the test suite need on a fresh Debian machine:
# Debian packages (registry, Docker engine, skopeo, umoci, htpasswd, musl for the static launcher,
# a static busybox for test base images, debootstrap for the platform tests' Debian rootfs) and the npm packages. Idempotent; needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(docker-registry docker.io skopeo umoci pigz apache2-utils musl-tools gcc make binutils busybox-static tar gzip time debootstrap)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Fail (never skip) when a required tool is still missing.
for bin in docker-registry dockerd docker skopeo umoci pigz htpasswd musl-gcc strip busybox debootstrap node npm; do
  command -v "$bin" >/dev/null 2>&1 || { echo "setup: required program '$bin' is missing after install" >&2; exit 1; }
done

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # npm ci: exactly the committed lock file (which lists every platform's optional packages, so npm ci
  # accepts it), including the pinned Node runtime shipped in dist/lifecycle (docs/decisions.md D-255).
  npm ci --no-audit --no-fund --loglevel=error
fi
