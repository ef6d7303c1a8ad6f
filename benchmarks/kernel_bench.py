#!/usr/bin/env python3
"""Kernel protocol benchmark: swift-lstm-kernel against ipykernel, measured in the same run.

* start: from `KernelManager.start_kernel()` to the first kernel_info_reply (median of --starts runs);
* round trip: kernel_info request → reply through jupyter_client's blocking client, p50/p99 over
  --requests sequential requests (after a warm-up).
Writes kernel_bench.json and kernel_bench.md to --out (default build/benchmarks). Goals (issue 2):
start ≤ 0.5 s, round-trip p50 ≤ ipykernel's.

Usage: .venv/bin/python benchmarks/kernel_bench.py [--kernel PATH] [--out DIR] [--requests 1000] [--starts 5]
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

from jupyter_client.manager import KernelManager

REPO = pathlib.Path(__file__).resolve().parents[1]


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def time_start(kernel_name):
    """Seconds from start_kernel() to the first kernel_info_reply."""
    km = KernelManager(kernel_name=kernel_name)
    began = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.kernel_info(reply=True, timeout=60)
        return time.perf_counter() - began
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def time_round_trips(kernel_name, requests, warmup=50):
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        for _ in range(warmup):
            kc.kernel_info(reply=True, timeout=30)
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            kc.kernel_info(reply=True, timeout=30)
            samples.append(time.perf_counter() - began)
        return samples
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def measure(kernel_name, requests, starts):
    start_times = [time_start(kernel_name) for _ in range(starts)]
    trips = time_round_trips(kernel_name, requests)
    return {
        "start_s": {"median": statistics.median(start_times), "min": min(start_times), "max": max(start_times),
                    "runs": start_times},
        "kernel_info_round_trip_ms": {"p50": percentile(trips, 0.5) * 1e3, "p99": percentile(trips, 0.99) * 1e3,
                                      "mean": statistics.fmean(trips) * 1e3, "requests": len(trips)},
    }


def kernel_binary(explicit):
    if explicit:
        return pathlib.Path(explicit).resolve()
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.strip()
    return pathlib.Path(bin_dir) / "swift-lstm-kernel"


def markdown(result):
    swift, python = result["swift-lstm-kernel"], result["ipykernel"]
    rows = [
        ("start → first kernel_info_reply (median, s)", swift["start_s"]["median"], python["start_s"]["median"]),
        ("kernel_info round trip p50 (ms)", swift["kernel_info_round_trip_ms"]["p50"],
         python["kernel_info_round_trip_ms"]["p50"]),
        ("kernel_info round trip p99 (ms)", swift["kernel_info_round_trip_ms"]["p99"],
         python["kernel_info_round_trip_ms"]["p99"]),
    ]
    lines = [
        "# Kernel protocol benchmark",
        "",
        f"{result['date']} · {result['machine']} · {result['requests']} requests · {result['starts']} starts · "
        f"binary {result['binary']}",
        "",
        "| measure | swift-lstm-kernel | ipykernel | ratio (swift / ipykernel) |",
        "|---|---:|---:|---:|",
    ]
    for name, s, p in rows:
        lines.append(f"| {name} | {s:.3f} | {p:.3f} | {s / p:.2f} |")
    lines += ["", "Goals: start ≤ 0.5 s; round-trip p50 ≤ ipykernel's.", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", help="swift-lstm-kernel binary (default: swift build --show-bin-path)")
    parser.add_argument("--out", default=str(REPO / "build" / "benchmarks"))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()

    binary = kernel_binary(args.kernel)
    with tempfile.TemporaryDirectory() as tmp:
        # The swift kernelspec goes into a private prefix; ipykernel's `python3` spec comes from the venv.
        subprocess.run([str(binary), "install", "--prefix", tmp], check=True, capture_output=True)
        os.environ["JUPYTER_PATH"] = os.path.join(tmp, "share", "jupyter")
        os.environ["JUPYTER_DATA_DIR"] = os.path.join(tmp, "data")
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "runtime")
        result = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "binary": str(binary), "requests": args.requests, "starts": args.starts,
            "swift-lstm-kernel": measure("swift-lstm", args.requests, args.starts),
            "ipykernel": measure("python3", args.requests, args.starts),
        }
    swift, python = result["swift-lstm-kernel"], result["ipykernel"]
    result["ratios"] = {
        "start": swift["start_s"]["median"] / python["start_s"]["median"],
        "p50": swift["kernel_info_round_trip_ms"]["p50"] / python["kernel_info_round_trip_ms"]["p50"],
        "p99": swift["kernel_info_round_trip_ms"]["p99"] / python["kernel_info_round_trip_ms"]["p99"],
    }
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "kernel_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "kernel_bench.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
