#!/usr/bin/env python3
"""Cell benchmark: per-cell overhead of swift-lstm-kernel for a 5-line cell that uses LSTMKit.

* cold: 30 distinct cells (each compiles and links a new module), wall time from execute_request to
  execute_reply through jupyter_client, p50 and p90;
* cache hit: re-running the last cell unchanged (no compile), p50 and p90 over 30 re-runs;
* split: the kernel's own stage timings (parse, generate, compile, link in the kernel; load, run in the
  worker), read from the log the kernel writes when SWIFT_LSTM_CELL_TIMINGS is set; medians.
Goal (issue 3): cold p50 <= 0.35 s on a 2-core machine, cache hit <= 20 ms.
Writes cell_bench.json and cell_bench.md to --out (default build/benchmarks).

Usage: .venv/bin/python benchmarks/cell_bench.py [--kernel PATH] [--out DIR] [--cells 30]
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import tempfile
import time

from jupyter_client.manager import start_new_kernel

REPO = pathlib.Path(__file__).resolve().parents[1]


def cell(i: int) -> str:
    """Five lines using LSTMKit; `i` makes each cell distinct (a new module, no cache hit)."""
    return (f"let input{i} = Tensor([Float](repeating: {i}, count: 8))\n"
            f"let doubled{i} = try input{i} + input{i}\n"
            f"var total{i}: Float = 0\n"
            f"for value in doubled{i}.scalars {{ total{i} += value }}\n"
            f"print(\"cell {i}:\", total{i})")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def execute(kc, code):
    """Wall seconds from sending the request to its reply; fails loudly if the cell failed."""
    start = time.perf_counter()
    msg_id = kc.execute(code, stop_on_error=False)
    while True:
        reply = kc.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise SystemExit(f"benchmark cell failed: {reply['content']}\n{code}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", default=None)
    parser.add_argument("--out", default=str(REPO / "build" / "benchmarks"))
    parser.add_argument("--cells", type=int, default=30)
    args = parser.parse_args()
    kernel = args.kernel or str(pathlib.Path(subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()) / "swift-lstm-kernel")

    root = pathlib.Path(tempfile.mkdtemp(prefix="cell-bench-"))
    prefix = root / "prefix"
    subprocess.run([kernel, "install", "--prefix", str(prefix)], check=True, capture_output=True)
    timings_log = root / "timings.jsonl"
    os.environ.update({"JUPYTER_PATH": str(prefix / "share" / "jupyter"), "JUPYTER_DATA_DIR": str(root / "data"),
                       "JUPYTER_RUNTIME_DIR": str(root / "runtime"), "JUPYTER_PLATFORM_DIRS": "0",
                       "SWIFT_LSTM_CELL_TIMINGS": str(timings_log),
                       # An empty on-disk build cache: cold cells must really compile.
                       "SWIFT_LSTM_CELL_CACHE": str(root / "cell-cache")})
    # Started and ready (kernel_info answered) before anything is timed.
    km, kc = start_new_kernel(kernel_name="swift-lstm", startup_timeout=60)
    try:
        execute(kc, 'print("warm-up")')  # first swiftc run pays for disk caches; not a cell's overhead
        cold = [execute(kc, cell(i)) for i in range(args.cells)]
        hits = [execute(kc, cell(args.cells - 1)) for _ in range(args.cells)]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)

    records = [json.loads(line) for line in timings_log.read_text().splitlines() if line.strip()]
    cold_records = [r for r in records if not r["cached"]][1:]  # drop the warm-up cell
    hit_records = [r for r in records if r["cached"]]
    stages = ["parse", "generate", "compile", "link", "load", "run"]
    split = {s: statistics.median(r[s] for r in cold_records) for s in stages}
    hit_split = {s: statistics.median(r[s] for r in hit_records) for s in stages} if hit_records else {}
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "cells": args.cells,
        "cold_seconds": {"p50": percentile(cold, 0.5), "p90": percentile(cold, 0.9), "all": cold},
        "cache_hit_seconds": {"p50": percentile(hits, 0.5), "p90": percentile(hits, 0.9), "all": hits},
        "cold_stage_medians_seconds": split,
        "cache_hit_stage_medians_seconds": hit_split,
        "goal": {"cold_p50": 0.35, "cache_hit": 0.020},
    }
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cell_bench.json").write_text(json.dumps(result, indent=2))
    lines = [
        "# Cell overhead (5-line LSTMKit cell, wall time request → reply)",
        "",
        f"{os.cpu_count()} CPUs, {args.cells} cells. Goal: cold p50 ≤ 0.35 s, cache hit ≤ 20 ms.",
        "",
        "| case | p50 | p90 |",
        "|---|---|---|",
        f"| cold (compile + link + run) | {result['cold_seconds']['p50']*1000:.0f} ms | {result['cold_seconds']['p90']*1000:.0f} ms |",
        f"| cache hit (unchanged re-run) | {result['cache_hit_seconds']['p50']*1000:.1f} ms | {result['cache_hit_seconds']['p90']*1000:.1f} ms |",
        "",
        "Stage medians of the cold cells (kernel's own clock):",
        "",
        "| " + " | ".join(stages) + " |",
        "|" + "---|" * len(stages),
        "| " + " | ".join(f"{split[s]*1000:.1f} ms" for s in stages) + " |",
        "",
    ]
    (out / "cell_bench.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
