#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them. Usage:
#   fuzz/run.sh [SECONDS] [TARGET...]     SECONDS per target (default 20); TARGETs: wire json history (default all)
# The targets are compiled straight from the module sources with `swiftc -sanitize=fuzzer` into build/fuzz
# (SwiftPM's build is not involved: swift-crypto's Crypto module is replaced by fuzz/Support/CryptoStandIn.swift,
# a self-tested SHA-256/HMAC, so nothing but the toolchain and libzmq is needed). Each target fuzzes with
# build/fuzz/corpus/<target> (new inputs) and fuzz/corpus/<target> (the committed seeds). A crash, trap or
# failed property makes this script exit 1 and print the reproducer's path and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(wire json history)
OUT=build/fuzz
mkdir -p "$OUT/artifacts"
SWIFTC=${SWIFTC:-swiftc}
export SWIFT_BACKTRACE=enable=no   # let libFuzzer's own handler report traps and save the input

# Rebuilds $1 (an output file) when any of the remaining paths is newer.
stale() { local out=$1; shift; [ ! -e "$out" ] || [ -n "$(find "$@" -newer "$out" -print -quit)" ]; }

if stale "$OUT/Crypto.o" fuzz/Support/CryptoStandIn.swift; then
  echo "fuzz: building the Crypto stand-in"
  (cd "$OUT" && "$SWIFTC" -parse-as-library -emit-module -emit-object -wmo -O -module-name Crypto \
     -o Crypto.o "$OLDPWD/fuzz/Support/CryptoStandIn.swift")
fi
if stale "$OUT/JupyterProtocol.o" Sources/JupyterProtocol "$OUT/Crypto.o"; then
  echo "fuzz: building JupyterProtocol with coverage instrumentation"
  (cd "$OUT" && "$SWIFTC" -parse-as-library -emit-module -emit-object -wmo -O -sanitize=fuzzer -I . \
     -module-name JupyterProtocol -o JupyterProtocol.o "$OLDPWD"/Sources/JupyterProtocol/*.swift)
fi
ZMQ_CFLAGS=$(pkg-config --cflags libzmq 2>/dev/null || true)
ZMQ_LIBS=$(pkg-config --libs libzmq 2>/dev/null || echo -lzmq)
build_target() {
  local name=$1 main=$2 extra_objs=("${@:3}")
  local exe="$OUT/fuzz-$name"
  if stale "$exe" "fuzz/Targets/$main" fuzz/Support/Exercise.swift "$OUT/JupyterProtocol.o" "${extra_objs[@]}"; then
    echo "fuzz: building fuzz-$name"
    "$SWIFTC" -parse-as-library -O -sanitize=fuzzer -I "$OUT" -module-name "Fuzz_$name" \
      fuzz/Support/Exercise.swift "fuzz/Targets/$main" "$OUT/JupyterProtocol.o" "$OUT/Crypto.o" "${extra_objs[@]}" \
      $( [ ${#extra_objs[@]} -gt 0 ] && echo "$ZMQ_LIBS -Xcc -fmodule-map-file=$PWD/Sources/CZeroMQ/module.modulemap" ) -o "$exe"
  fi
}
for t in "${TARGETS[@]}"; do
  case $t in
    wire) build_target wire WireFuzz.swift ;;
    json) build_target json JSONFuzz.swift ;;
    history)
      if stale "$OUT/JupyterKernel.o" Sources/JupyterKernel "$OUT/JupyterProtocol.o"; then
        echo "fuzz: building JupyterKernel with coverage instrumentation"
        (cd "$OUT" && "$SWIFTC" -parse-as-library -emit-module -emit-object -wmo -O -sanitize=fuzzer -I . \
           -Xcc -fmodule-map-file="$OLDPWD/Sources/CZeroMQ/module.modulemap" $(for f in $ZMQ_CFLAGS; do echo -Xcc "$f"; done) \
           -module-name JupyterKernel -o JupyterKernel.o "$OLDPWD"/Sources/JupyterKernel/*.swift)
      fi
      build_target history HistoryFuzz.swift "$OUT/JupyterKernel.o" ;;
    *) echo "fuzz: unknown target '$t' (expected wire, json or history)" >&2; exit 2 ;;
  esac
done

status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$OUT/corpus/$t"
  log="$OUT/fuzz-$t.log"
  echo "fuzz: $t for ${SECONDS_PER}s (seeds: fuzz/corpus/$t; log: $log)"
  if "$OUT/fuzz-$t" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$OUT/artifacts/$t-" -print_final_stats=1 "$OUT/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$log" | sed "s/^/fuzz: $t /" || true
  else
    status=1
    repro=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //' || true)
    echo "fuzz: $t FAILED — a crash, trap or failed property:" >&2
    grep -E "Fatal error|fuzz property failed|ERROR: libFuzzer|SUMMARY" "$log" | head -5 >&2 || true
    grep -E "^ +#[0-9]+ .* in \\\$s" "$log" | head -6 >&2 || true
    echo "fuzz: reproducer: ${repro:-see $log}" >&2
    if [ -n "$repro" ]; then echo "fuzz: replay with: SWIFT_BACKTRACE=enable=no $OUT/fuzz-$t $repro" >&2; fi
  fi
done
exit $status
