#!/usr/bin/env bash
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
#
# Runs each libFuzzer target in BUILD_DIR for SECONDS on its committed seed
# corpus (fuzz/corpus/TARGET; new inputs go to BUILD_DIR/corpus/TARGET, never
# into the repository). A crash, leak, sanitizer report or timeout fails the
# run; the input is kept as BUILD_DIR/artifacts/TARGET-crash-… — turn it into
# a regression test in tests/ and fix it.
set -euo pipefail
build=${1:?build dir}
seconds=${2:-60}
shift 2 || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  seeds=fuzz/corpus/${t#fuzz_}
  work=$build/corpus/${t#fuzz_}
  mkdir -p "$work"
  echo "==> $t for ${seconds}s (seeds: $seeds)"
  # The app-backed targets keep caches and sessions between inputs: no leak
  # checks there; the pure parsers keep them.
  leaks=1
  [[ $t == fuzz_http || $t == fuzz_open311 || $t == fuzz_import ]] && leaks=0
  if ! ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" \
      >"$build/$t.log" 2>&1; then
    echo "!! $t found a problem:"; tail -60 "$build/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
