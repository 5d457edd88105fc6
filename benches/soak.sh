#!/usr/bin/env bash
# Load soak (issue #6): the release binary on loopback under wrk, 256
# connections for 60 s across sites, pages, languages and consent states
# (benches/load/mix.lua). Reports errors (must be 0), latency percentiles
# and RSS before and after (must not grow beyond noise); exits 1 if either
# fails. Not part of the default test run.
#   benches/soak.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/load/common.sh
seconds="${1:-60}"
connections="${2:-256}"
need_tools wrk curl
cargo build --release --locked --quiet
binary=target/release/privacy-pages
port=$(free_port)
log=$(mktemp)
# Per-request logging stays on, as in production; it goes to a file.
"$binary" --listen "127.0.0.1:$port" --log-format json > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2> /dev/null || true; rm -f "$log"' EXIT
wait_ready "$port"
# The file descriptor limit must cover the connections.
ulimit -n 65536 2> /dev/null || true

run_wrk() {
  wrk -t2 -c"$connections" -d"$1" --timeout 5s -s benches/load/mix.lua "http://127.0.0.1:$port" | wrk_json
}
echo "== warm-up: 5 s" >&2
run_wrk 5s > /dev/null
rss_before=$(rss_kib "$pid")
echo "== soak: $connections connections, ${seconds} s" >&2
result=$(run_wrk "${seconds}s")
rss_after=$(rss_kib "$pid")
hwm=$(hwm_kib "$pid")
kill -TERM "$pid"
exit_code=0
wait "$pid" || exit_code=$?
trap 'rm -f "$log"' EXIT

python3 - "$result" "$rss_before" "$rss_after" "$hwm" "$exit_code" "$seconds" "$connections" "$(wc -l < "$log")" << 'PY'
import json, sys
r = json.loads(sys.argv[1])
before, after, hwm, exit_code = (int(x) for x in sys.argv[2:6])
seconds, connections, log_lines = sys.argv[6], sys.argv[7], int(sys.argv[8])
errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"] + r["non_2xx_3xx"]
growth = after - before
# Noise: allocator arenas and socket buffers move by a few MiB either way.
grew = growth > max(4096, before // 5)
rows = [
    ("connections / duration", f"{connections} / {seconds} s"),
    ("requests", f'{r["requests"]:,}'),
    ("requests/s", f'{r["requests"] / (r["duration_us"] / 1e6):,.0f}'),
    ("errors (socket + non-2xx/3xx)", f"{errors}  (connect {r['connect_errors']}, read {r['read_errors']}, write {r['write_errors']}, timeout {r['timeouts']}, status {r['non_2xx_3xx']})"),
    ("latency p50 / p99 / p99.9 / max", f'{r["p50_us"]/1000:.2f} / {r["p99_us"]/1000:.2f} / {r["p999_us"]/1000:.2f} / {r["max_us"]/1000:.2f} ms'),
    ("RSS after warm-up → after soak", f"{before/1024:.1f} → {after/1024:.1f} MiB ({growth/1024:+.1f} MiB)"),
    ("peak RSS", f"{hwm/1024:.1f} MiB"),
    ("request log lines", f"{log_lines:,}"),
    ("exit after SIGTERM", str(exit_code)),
]
width = max(len(k) for k, _ in rows)
for k, v in rows:
    print(f"{k:<{width}}  {v}")
failed = []
if errors: failed.append(f"{errors} errors")
if grew: failed.append(f"RSS grew {growth/1024:.1f} MiB")
if exit_code: failed.append(f"exit code {exit_code}")
if failed:
    print("FAIL: " + ", ".join(failed))
    sys.exit(1)
print("PASS")
PY
