#!/usr/bin/env bash
# Bounded fuzzing run: builds every cargo-fuzz target, seeds the corpora (seed.sh), then fuzzes
# each target for SECONDS (default 30), FUZZ_JOBS targets at a time (default: the core count).
# Committed crash reproducers in fuzz/regressions/<target>/ are replayed first. Exits non-zero,
# printing the crashing input, if any target crashes, leaks, times out or runs out of memory.
# Usage: bash fuzz/run.sh [SECONDS]      Only some targets: FUZZ_TARGETS="bundle x509" bash fuzz/run.sh
set -euo pipefail
FUZZ="$(cd "$(dirname "$0")" && pwd)"
cd "$FUZZ"
secs="${1:-30}"
jobs="${FUZZ_JOBS:-$(nproc)}"
start=$(date +%s)
export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# Sanitizer instrumentation needs -Z flags: nightly if rustup has it, else stable unlocked.
if rustup run nightly rustc --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
if ! cargo metadata --locked --format-version 1 >/dev/null 2>&1; then
  echo "run.sh: warning: fuzz/Cargo.lock is out of date with the workspace; refresh it with" \
    "'cargo update --workspace --manifest-path fuzz/Cargo.toml' and commit it" >&2
fi

# 16 codegen units: a cold build on 2 cores takes 11.5 min instead of 14. The same flags for
# build and run, or run would rebuild everything.
flags=(--codegen-units 16)
"${fuzz[@]}" build "${flags[@]}"
built=$(date +%s)
bash "$FUZZ/seed.sh" >/dev/null

read -r -a targets <<<"${FUZZ_TARGETS:-$("${fuzz[@]}" list | tr '\n' ' ')}"
logs="$FUZZ/artifacts/logs"
mkdir -p "$logs"

run_one() {
  local t=$1
  mkdir -p "corpus/$t" "regressions/$t"
  # libFuzzer adds new inputs to the first corpus directory and only reads the others.
  if "${fuzz[@]}" run "${flags[@]}" "$t" "corpus/$t" "regressions/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    >"$logs/$t.log" 2>&1; then
    echo ok >"$logs/$t.status"
  else
    echo failed >"$logs/$t.status"
  fi
}

for t in "${targets[@]}"; do
  rm -f "$logs/$t.status"
  run_one "$t" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait

failed=0
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [ "$(cat "$logs/$t.status" 2>/dev/null)" = ok ]; then
    printf 'run.sh: %-13s ok     %8s runs, %s\n' "$t" "${runs:-?}" "${cov:-cov: ?}"
    continue
  fi
  failed=1
  printf 'run.sh: %-13s FAILED (log: %s)\n' "$t" "$log"
  grep -E -A2 'panicked at' "$log" | head -3 || true
  grep -E 'ERROR: |SUMMARY: ' "$log" | head -2 || true
  for f in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
    echo "run.sh: crashing input $f ($(stat -c %s "$f") bytes), base64:"
    base64 -w 76 "$f"
    echo "run.sh: reproduce with: (cd fuzz && ${fuzz[*]} run ${flags[*]} $t $f)"
  done
done
end=$(date +%s)
echo "run.sh: build $((built - start))s, fuzzing ${#targets[@]} targets x ${secs}s ($jobs at a time) $((end - built))s, total $((end - start))s"
exit "$failed"
