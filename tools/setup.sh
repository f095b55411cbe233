#!/usr/bin/env bash
# Installs what Porthole's build, tests and lab need on a fresh Debian machine (as root):
# the pinned toolchain from npm (deno, assemblyscript) and the Debian packages the lab and
# the compatibility tests use. Idempotent: only missing packages are installed.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpcap.so' || need+=(libpcap0.8)
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v sysctl >/dev/null && command -v ps >/dev/null || need+=(procps)
command -v nmap >/dev/null || need+=(nmap)
command -v ndiff >/dev/null || need+=(ndiff)
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v xsltproc >/dev/null || need+=(xsltproc)
command -v jq >/dev/null || need+=(jq)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v tmux >/dev/null || need+=(tmux)
command -v man >/dev/null || need+=(man-db)
command -v setcap >/dev/null || need+=(libcap2-bin)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
# The inventory's PostgreSQL tests start a server of their own (initdb in a temporary folder).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# The inventory report's test opens the HTML file in headless Chromium.
command -v chromium >/dev/null || need+=(chromium)
if ((${#need[@]})) && [ "$(id -u)" = 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # No service is started by the install (postgresql's cluster would be): policy-rc.d says no.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [ -n "$policy" ]; then rm -f "$policy"; fi
elif ((${#need[@]})); then
  echo "setup: missing ${need[*]} (run as root to install them); tests that need them will skip" >&2
fi

if [ ! -x node_modules/.bin/deno ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# `deno bundle` fetches its esbuild from npm on first use; the artifact tests bundle inside the
# suite's network namespace, which has no way out: fetch it now, while the registry is reachable.
DENO_NO_UPDATE_CHECK=1 node_modules/.bin/deno task -q bundle >/dev/null
# The real-daemons lab's daemons (OpenSSH, Exim, BIND, Samba, … from Debian) for the -sV and
# script tests; installed, never started here.
if [ "$(id -u)" = 0 ]; then
  DENO_NO_UPDATE_CHECK=1 node_modules/.bin/deno run --allow-all tests/lab/install_daemons.ts
fi
