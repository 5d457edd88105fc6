#!/usr/bin/env bash
# Side-by-side load comparison (issue #8), loopback only, about 4 minutes:
#   (a) privacy-pages, release build, bundled content, request log on;
#   (b) nginx serving the bytes privacy-pages produced for the same request,
#       saved first (access log on);
#   (c) the ceiling: examples/ceiling.rs returning those bytes from memory.
# Same wrk settings for all, three request kinds (no compression; gzip, br;
# opted out of Carbon with gzip, br), then one table: req/s, latency
# percentiles, ratios, and privacy-pages' RSS, start-up time and binary size.
#   benches/load.sh [SECONDS] [CONNECTIONS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/load/common.sh
seconds="${1:-15}"
connections="${2:-64}"
threads="${3:-2}"
need_tools wrk nginx curl
nginx=$(command -v nginx || echo /usr/sbin/nginx)
cargo build --release --locked --quiet --bin privacy-pages --example ceiling
binary=target/release/privacy-pages
ceiling=target/release/examples/ceiling
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2> /dev/null || true

# What a browser sends: a cookie header of typical size, German first.
common=(
  -H "Host: octoprint.org"
  -H "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
  -H "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
  -H "Accept-Language: de-DE,de;q=0.9,en;q=0.8"
)
session_cookie="_session=4f1c2a9be07d4c5e8a3b6f0d2e1c7a95; theme=dark; seen_notice=2024-05-01"
scenario_names=("plain" "gzip, br" "opted out, gzip, br")
scenario_headers=(
  "Cookie: $session_cookie"
  "Cookie: $session_cookie|Accept-Encoding: gzip, br"
  "Cookie: $session_cookie; carbon-disable=true|Accept-Encoding: gzip, br"
)
path=/privacy

# (a) privacy-pages, and how long it takes from exec to its first 200.
pp_port=$(free_port)
startup_ms=$(python3 - "$binary" "$pp_port" << 'PY'
import http.client, subprocess, sys, time, statistics
binary, port = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(5):
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/privacy", headers={"Host": "octoprint.org"})
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.0005)
    times.append((time.perf_counter() - start) * 1000)
    proc.terminate()
    proc.wait()
print(f"{statistics.median(times):.1f}")
PY
)
"$binary" --listen "127.0.0.1:$pp_port" --log-format json > "$work/privacy-pages.log" 2>&1 &
pp_pid=$!
pids+=("$pp_pid")
wait_ready "$pp_port"

run_wrk() { # port, header lines joined by |
  local args=("${common[@]}")
  IFS='|' read -r -a extra <<< "$2"
  for h in "${extra[@]}"; do args+=(-H "$h"); done
  wrk -t"$threads" -c"$connections" -d"$3" --timeout 5s "${args[@]}" -s benches/load/report.lua "http://127.0.0.1:$1$path" | wrk_json
}
fetch() { # port, header lines, output file; prints the Content-Encoding
  local args=()
  for h in "${common[@]}"; do [ "$h" = "-H" ] || args+=(-H "$h"); done
  IFS='|' read -r -a extra <<< "$2"
  for h in "${extra[@]}"; do args+=(-H "$h"); done
  curl -fsS -D "$3.head" -o "$3" "${args[@]}" "http://127.0.0.1:$1$path"
  awk 'tolower($1) == "content-encoding:" { gsub("\r", ""); print $2 }' "$3.head"
}

results="$work/results.jsonl"
: > "$results"
for i in "${!scenario_names[@]}"; do
  name="${scenario_names[$i]}"
  headers="${scenario_headers[$i]}"
  body="$work/body$i"
  encoding=$(fetch "$pp_port" "$headers" "$body")

  # (b) nginx with exactly those bytes.
  ng_port=$(free_port)
  mkdir -p "$work/nginx$i"
  cp "$body" "$work/nginx$i/page"
  chmod 644 "$work/nginx$i/page"
  encoding_header=""
  [ -n "$encoding" ] && encoding_header="add_header Content-Encoding $encoding;"
  cat > "$work/nginx$i.conf" << CONF
worker_processes $threads;
daemon off;
pid $work/nginx$i.pid;
error_log $work/nginx$i.error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx$i.access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$ng_port;
    root $work/nginx$i;
    default_type "text/html; charset=utf-8";
    location / { try_files /page =404; $encoding_header }
  }
}
CONF
  "$nginx" -c "$work/nginx$i.conf" -p "$work" &
  ng_pid=$!
  pids+=("$ng_pid")

  # (c) the ceiling with the same bytes.
  ce_port=$(free_port)
  if [ -n "$encoding" ]; then "$ceiling" "127.0.0.1:$ce_port" "$body" "$encoding" & else "$ceiling" "127.0.0.1:$ce_port" "$body" & fi
  ce_pid=$!
  pids+=("$ce_pid")
  wait_ready "$ng_port" "$path"
  wait_ready "$ce_port" "$path"

  # All three send the same bytes.
  for port in "$ng_port" "$ce_port"; do
    fetch "$port" "$headers" "$work/check" > /dev/null
    cmp -s "$body" "$work/check" || { echo "port $port does not serve the same bytes" >&2; exit 1; }
  done

  for server in privacy-pages nginx ceiling; do
    case "$server" in
      privacy-pages) port=$pp_port ;;
      nginx) port=$ng_port ;;
      ceiling) port=$ce_port ;;
    esac
    echo "== $name: $server (warm-up 3 s, then ${seconds} s)" >&2
    run_wrk "$port" "$headers" 3s > /dev/null
    json=$(run_wrk "$port" "$headers" "${seconds}s")
    rss=0
    [ "$server" = privacy-pages ] && rss=$(rss_kib "$pp_pid")
    printf '{"scenario":"%s","server":"%s","bytes":%d,"rss_kib":%d,"wrk":%s}\n' \
      "$name" "$server" "$(wc -c < "$body")" "$rss" "$json" >> "$results"
  done
  kill "$ng_pid" "$ce_pid"
  wait "$ng_pid" "$ce_pid" 2> /dev/null || true
done
hwm=$(hwm_kib "$pp_pid")
size=$(stat -c %s "$binary")

python3 - "$results" "$startup_ms" "$hwm" "$size" "$seconds" "$connections" "$threads" << 'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
startup_ms, hwm, size = float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
seconds, connections, threads = sys.argv[5:8]
print(f"wrk -t{threads} -c{connections} -d{seconds}s, GET /privacy (octoprint.org), Accept-Language de-DE, typical cookie")
print()
head = f"{'request':<22} {'server':<14} {'bytes':>7} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'p99.9 ms':>8} {'errors':>6} {'×nginx':>7} {'×ceiling':>8}"
print(head)
print("-" * len(head))
by = {(r["scenario"], r["server"]): r for r in rows}
failed = []
for r in rows:
    w = r["wrk"]
    rps = w["requests"] / (w["duration_us"] / 1e6)
    r["rps"] = rps
    errors = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] + w["non_2xx_3xx"]
    ratio_n = ratio_c = ""
    if r["server"] == "privacy-pages":
        n = by[(r["scenario"], "nginx")]["wrk"]; c = by[(r["scenario"], "ceiling")]["wrk"]
        ratio_n = f"{rps / (n['requests'] / (n['duration_us'] / 1e6)):.2f}"
        ratio_c = f"{rps / (c['requests'] / (c['duration_us'] / 1e6)):.2f}"
        p99_ratio = w["p99_us"] / max(n["p99_us"], 1)
        r["p99_ratio"] = p99_ratio
    print(f"{r['scenario']:<22} {r['server']:<14} {r['bytes']:>7} {rps:>9,.0f} {w['p50_us']/1000:>7.2f} {w['p99_us']/1000:>7.2f} {w['p999_us']/1000:>8.2f} {errors:>6} {ratio_n:>7} {ratio_c:>8}")
print()
for r in rows:
    if r["server"] == "privacy-pages":
        print(f"p99 privacy-pages / nginx ({r['scenario']}): {r['p99_ratio']:.2f}")
rss = max(r["rss_kib"] for r in rows)
print(f"privacy-pages RSS after load: {rss/1024:.1f} MiB (peak {hwm/1024:.1f} MiB)")
print(f"start to first 200 (median of 5): {startup_ms:.1f} ms")
print(f"stripped release binary: {size/1048576:.1f} MiB ({size:,} bytes)")
PY
