#!/usr/bin/env bash
# Attack soak (issue #19): well-behaved visitors (wrk: pages across sites,
# languages and consent states, and opt-out form posts) while
# examples/attacker holds silent TCP connections, partial HTTP/2 prefaces,
# idle HTTP/2 connections and request bodies that never arrive, against the
# release binary with a hard limit of 256 open files (the issue's
# reproduction). Server on CPU 0, visitors and attacker on CPU 1. Reports
# the visitors' errors and latency and how fast each attack was shed.
# Loopback only, bounded in time. Not part of the default test run.
#   benches/attack-soak.sh [SECONDS]
# PRIVACY_PAGES_BINARY runs another build (an older one, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/load/common.sh
seconds="${1:-60}"
need_tools wrk curl taskset
cargo build --release --locked --quiet --bin privacy-pages --example attacker
binary="${PRIVACY_PAGES_BINARY:-target/release/privacy-pages}"
port=$(free_port)
log=$(mktemp)
attack=$(mktemp)
# `ulimit -n` sets the hard limit too: start-up cannot raise it past 256.
(ulimit -n 256 && exec taskset -c 0 "$binary" --listen "127.0.0.1:$port" --log-format json) > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2> /dev/null || true; rm -f "$log" "$attack"' EXIT
wait_ready "$port"
ulimit -n 65536 2> /dev/null || true

echo "== attacker: ${seconds} s" >&2
taskset -c 1 target/release/examples/attacker "127.0.0.1:$port" "$seconds" > "$attack" &
attacker=$!
# Let the attack build up first; the visitors stop before it does.
sleep 3
visit_seconds=$((seconds - 6))
echo "== visitors: ${visit_seconds} s" >&2
taskset -c 1 wrk -t1 -c32 -d"${visit_seconds}s" --timeout 5s -s benches/load/mix.lua "http://127.0.0.1:$port" | wrk_json > "$log.pages" &
pages=$!
optouts=$(taskset -c 1 wrk -t1 -c4 -d"${visit_seconds}s" --timeout 5s -s benches/load/optout.lua "http://127.0.0.1:$port" | wrk_json)
wait "$pages"
wait "$attacker"
accept_failures=$(grep -c 'accept failed' "$log" || true)
kill -TERM "$pid"
wait "$pid" || true

python3 - "$(cat "$log.pages")" "$optouts" "$accept_failures" << 'PY'
import json, sys
print("| visitors | requests | errors (socket + non-2xx/3xx) | error rate | p50 / p99 / max |")
print("| --- | --- | --- | --- | --- |")
for name, raw in (("pages (32 connections)", sys.argv[1]), ("opt-out posts (4 connections)", sys.argv[2])):
    r = json.loads(raw)
    errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"] + r["non_2xx_3xx"]
    rate = errors / max(1, r["requests"] + r["connect_errors"])
    print(f'| {name} | {r["requests"]:,} | {errors:,} | {rate:.2%} | {r["p50_us"]/1000:.1f} / {r["p99_us"]/1000:.1f} / {r["max_us"]/1000:.1f} ms |')
print(f"\n`accept failed` lines in the server log: {sys.argv[3]}\n")
PY
cat "$attack"
rm -f "$log.pages"
