#!/usr/bin/env bash
# Per-core comparison for a fronted site (issue #15), loopback only:
# every server is pinned to CPU 0 and wrk to CPU 1 (taskset), nginx runs one
# worker with its access log on, privacy-pages with its JSON request log on,
# so that each row is what one core of each does with the same bytes.
#   A. /privacy (bundled content, kept in the response cache) vs nginx
#      serving the bytes privacy-pages sent;
#   B. a page of a fronted `root` (tests/fixtures/front), for a visitor who
#      allows everything and for one who turned Carbon off, vs nginx serving
#      the bytes privacy-pages sent;
#   C. `upstream` in front of nginx vs that nginx alone (same core), with
#      nginx itself as the proxy (proxy_pass, kept-alive upstream
#      connections) for what one proxy hop costs on that core: saturated
#      (every connection sends again at once) and paced (each connection
#      waits PACE_MS after an answer, benches/load/paced.lua), where p50 is
#      the time a request takes rather than the queue in front of it;
#   D. RSS of privacy-pages, sampled every 250 ms, while 256 connections
#      stream a 50 MB file through `upstream`;
#   E. a page of a real size (the rendered octoprint.org policy, 15 KB)
#      through `upstream`, compressed in br and in zstd, vs nginx alone.
#   benches/front.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/load/common.sh
seconds="${1:-10}"
connections="${2:-64}"
export PACE_MS="${PACE_MS:-20}"
need_tools wrk nginx curl
command -v taskset > /dev/null || { apt-get install -y -qq util-linux > /dev/null; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
cargo build --release --locked --quiet --bin privacy-pages
binary=$PWD/target/release/privacy-pages
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# Started in command substitutions (subshells), so not in `pids`: stopped by name.
trap 'cleanup; pkill -f "$work/" 2> /dev/null || true' EXIT
ulimit -n 65536 2> /dev/null || true
SERVER_CPU=0
LOAD_CPU=1

browser=(
  -H "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
  -H "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
  -H "Accept-Language: de-DE,de;q=0.9,en;q=0.8"
  -H "Accept-Encoding: gzip, br"
)
cookie="_session=4f1c2a9be07d4c5e8a3b6f0d2e1c7a95; theme=dark; seen_notice=2024-05-01"

# privacy-pages pinned to the server core; prints its pid.
start_pp() { # port, args...
  local port=$1; shift
  taskset -c "$SERVER_CPU" "$binary" --listen "127.0.0.1:$port" --log-format json "$@" \
    >> "$work/privacy-pages.log" 2>&1 &
  pids+=("$!")
  echo "$!"
}

# nginx with one worker on the server core, access log on; prints its pid.
start_nginx() { # name, port, server block body[, http block lines]
  local name=$1 port=$2 body=$3 http=${4:-}
  cat > "$work/$name.conf" << CONF
worker_processes 1;
daemon off;
pid $work/$name.pid;
error_log $work/$name.error.log;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log $work/$name.access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  $http
  server {
    listen 127.0.0.1:$port;
    $body
  }
}
CONF
  # Its output to a file: a command substitution waits for whoever holds its pipe.
  taskset -c "$SERVER_CPU" "$nginx" -c "$work/$name.conf" -p "$work" > "$work/$name.out" 2>&1 &
  echo "$!"
}

# A copy of the fixture site, fronted from `root` or from `upstream`.
fixture_content() { # dir, "root" | "upstream URL"
  mkdir -p "$1"
  cp -r tests/fixtures/front/content tests/fixtures/front/site "$1/"
  if [ "$2" != root ]; then
    sed -i "s|^root = .*|upstream = \"${2#upstream }\"|" "$1/content/shop.example/site.toml"
  fi
}

wrk_run() { # port, path, duration, connections, header lines (|-joined); $WRK_SCRIPT
  local script="${WRK_SCRIPT:-benches/load/report.lua}"
  local args=("${browser[@]}")
  IFS='|' read -r -a extra <<< "$5"
  for h in "${extra[@]}"; do args+=(-H "$h"); done
  taskset -c "$LOAD_CPU" wrk -t1 -c"$4" -d"$3" --timeout 5s "${args[@]}" \
    -s "$script" "http://127.0.0.1:$1$2" | wrk_json
}

fetch() { # port, path, header lines, output file; prints the Content-Encoding
  local args=()
  for h in "${browser[@]}"; do [ "$h" = "-H" ] || args+=(-H "$h"); done
  IFS='|' read -r -a extra <<< "$3"
  for h in "${extra[@]}"; do args+=(-H "$h"); done
  curl -fsS -D "$4.head" -o "$4" "${args[@]}" "http://127.0.0.1:$1$2"
  awk 'tolower($1) == "content-encoding:" { gsub("\r", ""); print $2 }' "$4.head"
}

results="$work/results.jsonl"
: > "$results"
measure() { # row, server, port, path, headers, bytes file
  echo "== $1: $2 (warm-up 2 s, then ${seconds} s)" >&2
  wrk_run "$3" "$4" 2s "$connections" "$5" > /dev/null
  local json
  json=$(wrk_run "$3" "$4" "${seconds}s" "$connections" "$5")
  printf '{"row":"%s","server":"%s","bytes":%d,"wrk":%s}\n' "$1" "$2" "$(wc -c < "$6")" "$json" >> "$results"
}

# nginx serving exactly the bytes privacy-pages sent for one request.
same_bytes_nginx() { # name, body file, encoding; prints "pid port"
  local port; port=$(free_port)
  mkdir -p "$work/$1"
  cp "$2" "$work/$1/page"
  chmod 644 "$work/$1/page"
  local encoding_header=""
  [ -n "$3" ] && encoding_header="add_header Content-Encoding $3;"
  local pid
  pid=$(start_nginx "$1" "$port" "root $work/$1; default_type \"text/html; charset=utf-8\"; location / { try_files /page =404; $encoding_header }")
  wait_ready "$port" /
  echo "$pid $port"
}

compare() { # row, privacy-pages port, path, headers
  local body="$work/body-${#compared[@]}"
  local encoding; encoding=$(fetch "$2" "$3" "$4" "$body")
  read -r ng_pid ng_port < <(same_bytes_nginx "same${#compared[@]}" "$body" "$encoding")
  fetch "$ng_port" / "$4" "$work/check" > /dev/null
  cmp -s "$body" "$work/check" || { echo "nginx does not serve the same bytes" >&2; exit 1; }
  measure "$1" privacy-pages "$2" "$3" "$4" "$body"
  measure "$1" nginx "$ng_port" / "$4" "$body"
  kill "$ng_pid"; wait "$ng_pid" 2> /dev/null || true
  compared+=("$1")
}
compared=()

# A. /privacy on the bundled content.
port=$(free_port)
pid=$(start_pp "$port")
wait_ready "$port"
compare "/privacy, kept" "$port" /privacy "Host: octoprint.org|Cookie: $cookie"
# A page of a real size for row E: the rendered octoprint.org policy, as HTML.
curl -fsS -H "Host: octoprint.org" -o "$work/policy.html" "http://127.0.0.1:$port/privacy"
kill "$pid"; wait "$pid" 2> /dev/null || true

# B. A page of a fronted root.
fixture_content "$work/root" root
port=$(free_port)
pid=$(start_pp "$port" --content "$work/root/content")
wait_ready "$port" /_privacy/healthz
compare "root /blog/, allows all" "$port" /blog/ "Host: shop.example|Cookie: $cookie"
compare "root /blog/, Carbon off" "$port" /blog/ "Host: shop.example|Cookie: $cookie; carbon-disable=true"
kill "$pid"; wait "$pid" 2> /dev/null || true

# C. upstream in front of nginx, against that nginx alone.
head -c $((50 * 1024 * 1024)) /dev/zero > "$work/big.bin"
up_port=$(free_port)
cp -r tests/fixtures/front/site "$work/upsite"
mv "$work/big.bin" "$work/upsite/big.bin"
cp "$work/policy.html" "$work/upsite/policy.html"
chmod -R a+rX "$work/upsite"
up_pid=$(start_nginx upstream "$up_port" "root $work/upsite; location / { try_files \$uri \$uri.html \$uri/ =404; }")
wait_ready "$up_port" /
fixture_content "$work/up" "upstream http://127.0.0.1:$up_port"
port=$(free_port)
pid=$(start_pp "$port" --content "$work/up/content")
wait_ready "$port" /_privacy/healthz
proxy_port=$(free_port)
proxy_pid=$(start_nginx proxy "$proxy_port" \
  "location / { proxy_pass http://site; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; }" \
  "upstream site { server 127.0.0.1:$up_port; keepalive 64; }")
pids+=("$proxy_pid")
wait_ready "$proxy_port" /
fetch "$up_port" /blog/ "Host: shop.example" "$work/upbody" > /dev/null
fetch "$port" /blog/ "Host: shop.example" "$work/ppbody" > /dev/null
upstream_rows() { # row name
  measure "$1" "nginx alone" "$up_port" /blog/ "Host: shop.example|Cookie: $cookie" "$work/upbody"
  measure "$1" "nginx → nginx" "$proxy_port" /blog/ "Host: shop.example|Cookie: $cookie" "$work/upbody"
  measure "$1" "privacy-pages → nginx" "$port" /blog/ "Host: shop.example|Cookie: $cookie" "$work/ppbody"
}
upstream_rows "upstream /blog/"
WRK_SCRIPT=benches/load/paced.lua upstream_rows "upstream /blog/, paced"

# E. A page of a real size through upstream, compressed in br (the browser
# headers above) and in zstd (what Chrome and Firefox add).
fetch "$up_port" /policy.html "Host: shop.example" "$work/up-policy" > /dev/null
fetch "$port" /policy.html "Host: shop.example" "$work/pp-policy-br" > /dev/null
fetch "$port" /policy.html "Host: shop.example|Accept-Encoding: zstd" "$work/pp-policy-zstd" > /dev/null
real_size_rows() { # row name
  measure "$1" "nginx alone" "$up_port" /policy.html "Host: shop.example|Cookie: $cookie" "$work/up-policy"
  measure "$1" "privacy-pages → nginx, br" "$port" /policy.html "Host: shop.example|Cookie: $cookie" "$work/pp-policy-br"
  measure "$1" "privacy-pages → nginx, zstd" "$port" /policy.html "Host: shop.example|Cookie: $cookie|Accept-Encoding: gzip, deflate, br, zstd" "$work/pp-policy-zstd"
}
real_size_rows "upstream 15 KB page"
WRK_SCRIPT=benches/load/paced.lua real_size_rows "upstream 15 KB page, paced"

# D. RSS while 256 connections stream the 50 MB file through privacy-pages.
rss_before=$(rss_kib "$pid")
taskset -c "$LOAD_CPU" wrk -t1 -c256 -d"${seconds}s" --timeout 30s -H "Host: shop.example" \
  "http://127.0.0.1:$port/big.bin" > "$work/big.wrk" 2>&1 &
wrk_pid=$!
: > "$work/rss.series"
while kill -0 "$wrk_pid" 2> /dev/null; do
  echo "$(date +%s.%N) $(rss_kib "$pid" || echo 0)" >> "$work/rss.series"
  sleep 0.25
done
rss_after=$(rss_kib "$pid")
transfer=$(awk '/Transfer\/sec/ { print $2 }' "$work/big.wrk")
read_total=$(awk '/ read$/ { print $(NF-1) }' "$work/big.wrk")

python3 - "$results" "$seconds" "$connections" "$rss_before" "$rss_after" "$transfer" "$read_total" "$work/rss.series" << 'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
seconds, connections = sys.argv[2:4]
before, after = (int(x) for x in sys.argv[4:6])
transfer, read_total = sys.argv[6:8]
series = [tuple(float(x) for x in line.split()) for line in open(sys.argv[8]) if line.strip()]
print(f"per core: servers on CPU 0, wrk -t1 -c{connections} -d{seconds}s on CPU 1; gzip, br; access/request logs on")
print()
head = f"{'request':<28} {'server':<28} {'bytes':>7} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'ratio':>6}"
print(head)
print("-" * len(head))
by = {}
for r in rows:
    w = r["wrk"]
    r["rps"] = w["requests"] / (w["duration_us"] / 1e6)
    by.setdefault(r["row"], []).append(r)
for name, group in by.items():
    base = group[-1] if group[-1]["server"] == "nginx" else group[0]
    for r in group:
        w = r["wrk"]
        errors = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] + w["non_2xx_3xx"]
        ratio = f"{r['rps'] / base['rps']:.2f}" if r is not base else ""
        print(f"{name:<28} {r['server']:<28} {r['bytes']:>7} {r['rps']:>9,.0f} {w['p50_us']/1000:>7.2f} {w['p99_us']/1000:>7.2f} {errors:>6} {ratio:>6}")
print()
for name, group in by.items():
    if not name.startswith("upstream"):
        continue
    alone = group[0]["wrk"]
    for r in group[1:]:
        w = r["wrk"]
        print(f"{name}: {r['server']} adds {(w['p50_us'] - alone['p50_us']) / 1000:+.2f} ms p50, "
              f"{(w['p99_us'] - alone['p99_us']) / 1000:+.2f} ms p99 over nginx alone at {connections} connections")
t0 = series[0][0] if series else 0
kib = [k for _, k in series]
steady = [k for t, k in series if t - t0 >= 2]
print(f"RSS while 256 connections stream a 50 MB file through upstream ({read_total} in {seconds} s, {transfer}/s): "
      f"{before/1024:.1f} MiB before, {max(kib, default=0)/1024:.1f} MiB peak, "
      f"{min(steady, default=0)/1024:.1f}–{max(steady, default=0)/1024:.1f} MiB from 2 s to the end "
      f"({len(steady)} samples), {after/1024:.1f} MiB after")
PY
