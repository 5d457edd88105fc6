# Shared by the load scripts: build, start, wait, measure. Sourced.

# Installs Debian's wrk (and nginx, when asked) if missing.
need_tools() {
  local missing=()
  for tool in "$@"; do
    command -v "$tool" > /dev/null || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local packages=()
    for tool in "${missing[@]}"; do
      case "$tool" in nginx) packages+=(nginx-light) ;; *) packages+=("$tool") ;; esac
    done
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" > /dev/null
  fi
}

# A free loopback port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits (up to 10 s) until http://127.0.0.1:$1$2 answers 200.
wait_ready() {
  for _ in $(seq 1 200); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$1${2:-/healthz}"; then return 0; fi
    sleep 0.05
  done
  echo "nothing answered on port $1" >&2
  return 1
}

# Resident set size of a process, in KiB.
rss_kib() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# Peak resident set size of a process, in KiB.
hwm_kib() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# The JSON line mix.lua (or a --latency run's done()) printed.
wrk_json() {
  grep '^JSON ' | sed 's/^JSON //'
}
