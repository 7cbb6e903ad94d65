#!/usr/bin/env bash
# Make sure the given Debian packages are installed; install them when running as root.
#
# Usage: scripts/test-env/ensure-packages.sh PKG...
#
# Quiet (exit 0) when every package is already installed. Otherwise:
#   - as root: apt-get install -y -q PKG... (after one `apt-get update -q` if the first
#     attempt fails); apt's output goes to stderr so callers can keep stdout clean;
#   - as non-root: exit 1 with
#       missing Debian packages: X Y — run as root: apt-get update && apt-get install -y X Y
# Safe to run from several processes at once: the install runs under flock(1) on a lock
# file in /tmp, and the check is repeated once the lock is held.
set -euo pipefail

LOCK_FILE="${SEKISHO_ENSURE_PACKAGES_LOCK:-/tmp/sekisho-ensure-packages.lock}"

if [ "$#" -eq 0 ]; then
  echo "usage: $0 PKG..." >&2
  exit 2
fi

# Prints the packages (from "$@") that are not in state "install ok installed".
missing_packages() {
  local pkg status out=()
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || out+=("$pkg")
  done
  if [ "${#out[@]}" -gt 0 ]; then echo "${out[*]}"; fi
}

missing="$(missing_packages "$@")"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: $missing — run as root: apt-get update && apt-get install -y $missing" >&2
  exit 1
fi

# Root: serialize installs across processes (two test files must not run apt at once).
exec 9>>"$LOCK_FILE"
chmod 666 "$LOCK_FILE" 2>/dev/null || true
flock 9

# Another process may have installed them while we waited for the lock.
missing="$(missing_packages "$@")"
[ -z "$missing" ] && exit 0

read -r -a pkgs <<<"$missing"
# Non-interactive: slapd's debconf questions (domain, admin password) take their defaults
# instead of waiting for a terminal.
export DEBIAN_FRONTEND=noninteractive
# Packages with a service (slapd, redis-server, nginx) must not start it: the tests start their
# own servers on ephemeral ports, and a system slapd would hold port 389 and keep running.
# invoke-rc.d asks policy-rc.d; exit 101 = "action forbidden". Docker images ship one already;
# elsewhere a temporary one is put in place for the install and removed after.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# temporary, from sekisho scripts/test-env/ensure-packages.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi
echo "ensure-packages: installing ${pkgs[*]}" >&2
if ! apt-get install -y -q "${pkgs[@]}" >&2; then
  apt-get update -q >&2
  apt-get install -y -q "${pkgs[@]}" >&2
fi

missing="$(missing_packages "$@")"
if [ -n "$missing" ]; then
  echo "ensure-packages: still missing after apt-get install: $missing" >&2
  exit 1
fi
