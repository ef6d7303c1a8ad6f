#!/usr/bin/env bash
# Builds LSTMKit (debug configuration, LSTMKit itself compiled with -O), compiles the core LSTM
# micro-benchmark against libLSTMKit.so and writes its result to build/benchmarks/core_lstm_layer.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product LSTMKit >/dev/null
BIN="$(swift build --show-bin-path)"
OUT=build/benchmarks; mkdir -p "$OUT"
swiftc -O -swift-version 5 -I "$BIN/Modules" -Xcc -fmodule-map-file=Sources/CBLAS/module.modulemap -L "$BIN" -lLSTMKit -Xlinker -rpath -Xlinker "$BIN" \
    benchmarks/core_lstm_layer.swift -o "$OUT/core_lstm_layer"
"$OUT/core_lstm_layer" | tee "$OUT/core_lstm_layer.txt"
