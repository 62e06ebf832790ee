#!/usr/bin/env bash
# Install what walklab needs from Debian 12's packages, if anything is
# missing.  As root it runs apt-get; otherwise it prints the exact command
# and stops (exit 1).  `deps.sh ci` also installs what CI's checks need
# (.ci/run: clang-format).  spin (the model checker) runs `walklab verify`
# and its ctests (verify/).
set -euo pipefail

pkgs=(cmake make gcc pkgconf liburcu-dev libhwloc-dev libcriterion-dev
      gnuplot-nox spin valgrind)
if [ "${1:-}" = ci ]; then
	pkgs+=(clang-format)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "walklab: missing packages: ${missing[*]}" >&2
	echo "walklab: run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "walklab: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
