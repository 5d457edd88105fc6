#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600) and prints, per
# target, executions, coverage and findings. Needs the nightly toolchain and
# cargo-fuzz (installed if missing). Not part of the default test run.
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(content_pipeline accept_language cookie_consent return_to)
command -v cargo-fuzz > /dev/null || cargo install cargo-fuzz --locked
cargo +nightly fuzz build -O > /dev/null
mkdir -p fuzz/logs
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  case "$target" in
    content_pipeline) args+=(-max_len=65536 -dict=fuzz/dicts/markdown.dict) ;;
    return_to) args+=(-dict=fuzz/dicts/return_to.dict) ;;
  esac
  log="fuzz/logs/$target.log"
  status=0
  cargo +nightly fuzz run -O "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- "${args[@]}" > "$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  crashes=$(ls "fuzz/artifacts/$target" 2> /dev/null | wc -l)
  printf '%-18s %6ss  %12s execs  cov %6s  exit %s  artifacts %s\n' "$target" "$seconds" "$execs" "$cov" "$status" "$crashes"
done
