#!/usr/bin/env bash
# The browser suite. Installs what it needs if missing (Debian's chromium, the
# npm packages from the lockfile), builds the release binaries, then runs
# server, stub and browser in a network namespace that has only loopback, so
# that nothing, not even Chromium's own probes, can leave the machine.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
if ! command -v unshare > /dev/null || ! command -v ip > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq util-linux iproute2 > /dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
(cd ../.. && cargo build --release --locked --bin privacy-pages --example embed)

# Root can make the namespace directly; others through a user namespace.
if unshare -n true 2> /dev/null; then isolate=(unshare -n); else isolate=(unshare -rn); fi
exec "${isolate[@]}" sh -c 'ip link set lo up && exec npm test --silent'
