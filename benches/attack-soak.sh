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
# SOAK_BINARY runs another build (an older one, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/load/common.sh
seconds="${1:-60}"
need_tools wrk curl taskset
cargo build --release --locked --quiet --bin privacy-pages --example attacker
binary="${SOAK_BINARY:-target/release/privacy-pages}"
port=$(free_port)
log=$(mktemp)
attack=$(mktemp)
# `ulimit -n` sets the hard limit too: start-up cannot raise it past 256.
(ulimit -n 256 && exec taskset -c 0 "$binary" --listen "127.0.0.1:$port" --log-format json) > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2> /dev/null || true; rm -f "$log" "$attack"' EXIT
if ! wait_ready "$port"; then cat "$log" >&2; exit 1; fi
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
# New visitors: wrk keeps its connections, so every half second one more
# visitor arrives on a fresh connection (2 s to get the page).
(
  end=$((SECONDS + visit_seconds))
  while [ "$SECONDS" -lt "$end" ]; do
    curl -s -m 2 -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Host: octoprint.org' "http://127.0.0.1:$port/privacy" || true
    sleep 0.5
  done
) > "$log.fresh" &
fresh=$!
optouts=$(taskset -c 1 wrk -t1 -c4 -d"${visit_seconds}s" --timeout 5s -s benches/load/optout.lua "http://127.0.0.1:$port" | wrk_json)
wait "$pages"
wait "$fresh"
wait "$attacker"
accept_failures=$(grep -c 'accept failed' "$log" || true)
kill -TERM "$pid"
wait "$pid" || true

python3 - "$(cat "$log.pages")" "$optouts" "$accept_failures" "$log.fresh" << 'PY'
import json, sys
fresh = [line.split() for line in open(sys.argv[4]) if line.strip()]
print("| visitors | requests | errors (socket + non-2xx/3xx) | error rate | p50 / p99 / max |")
print("| --- | --- | --- | --- | --- |")
for name, raw in (("pages (32 connections)", sys.argv[1]), ("opt-out posts (4 connections)", sys.argv[2])):
    r = json.loads(raw)
    errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"] + r["non_2xx_3xx"]
    rate = errors / max(1, r["requests"] + r["connect_errors"])
    print(f'| {name} | {r["requests"]:,} | {errors:,} | {rate:.2%} | {r["p50_us"]/1000:.1f} / {r["p99_us"]/1000:.1f} / {r["max_us"]/1000:.1f} ms |')
ok = sorted(float(t) * 1000 for code, t in fresh if code == "200")
p99 = ok[min(len(ok) - 1, int(len(ok) * 0.99))] if ok else float("nan")
print(f'| new visitors (a fresh connection every 0.5 s) | {len(fresh):,} | {len(fresh) - len(ok):,} | {(len(fresh) - len(ok)) / max(1, len(fresh)):.2%} | p99 {p99:.1f} ms |')
print(f"\n`accept failed` lines in the server log: {sys.argv[3]}\n")
PY
cat "$attack"
rm -f "$log.pages" "$log.fresh"
