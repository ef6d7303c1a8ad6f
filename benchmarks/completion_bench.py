#!/usr/bin/env python3
"""Completion benchmark: complete_request / inspect_request / is_complete_request latency of
swift-lstm-kernel, through jupyter_client, after one cell declared a struct and a global.

* first completion: the first complete_request of a fresh kernel (starts sourcekit-lsp, initialises it,
  loads the standard library, LSTMKit and the earlier cell's module), median and max over --kernels;
* warm completion: later member / prefix completions on changing code, p50 and p90 over --requests;
* hover: inspect_request on an earlier cell's type, p50 and p90;
* is_complete: is_complete_request (swift-syntax only, no language server), p50 and p90.
Writes completion_bench.json and completion_bench.md to --out (default build/benchmarks).

Usage: .venv/bin/python benchmarks/completion_bench.py [--kernel PATH] [--out DIR] [--kernels 3] [--requests 40]
"""
import argparse
import json
import os
import pathlib
import platform
import subprocess
import tempfile
import time

from jupyter_client.manager import start_new_kernel

REPO = pathlib.Path(__file__).resolve().parents[1]
EARLIER_CELL = "struct Point { var x: Int; var y: Int }\nvar learningRate = 0.01\nlet origin = Point(x: 1, y: 2)\n"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def wait_idle_after(kc, msg_id, timeout=120):
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            return


def timed(call):
    began = time.perf_counter()
    reply = call()
    return time.perf_counter() - began, reply


def measure_kernel(requests):
    # Started and ready (kernel_info answered) before anything is timed.
    km, kc = start_new_kernel(kernel_name="swift-lstm", startup_timeout=60)
    try:
        reply = kc.execute(EARLIER_CELL, reply=True, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        wait_idle_after(kc, reply["parent_header"]["msg_id"])
        first, reply = timed(lambda: kc.complete("origin.", 7, reply=True, timeout=60))
        assert "x" in reply["content"]["matches"], reply["content"]
        warm, hover, complete_check = [], [], []
        for i in range(requests):
            code = f"let xs = [{i}, 2]\nprint(origin.x, xs.co" if i % 2 else f"let v{i} = learn"
            seconds, reply = timed(lambda: kc.complete(code, len(code), reply=True, timeout=60))
            assert reply["content"]["matches"], (code, reply["content"])
            warm.append(seconds)
            code = f"let p{i} = Point(x: {i}, y: 0)"
            seconds, reply = timed(lambda: kc.inspect(code, 10, reply=True, timeout=60))
            assert reply["content"]["found"], reply["content"]
            hover.append(seconds)
            began = time.perf_counter()
            msg_id = kc.is_complete(f"for i in 0..<{i} {{")
            while kc.get_shell_msg(timeout=60)["parent_header"].get("msg_id") != msg_id:
                pass
            complete_check.append(time.perf_counter() - began)
        return first, warm, hover, complete_check
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kernel", help="swift-lstm-kernel binary (default: the debug build)")
    parser.add_argument("--out", default=str(REPO / "build" / "benchmarks"))
    parser.add_argument("--kernels", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    kernel = args.kernel or subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True,
                                           capture_output=True, text=True).stdout.strip() + "/swift-lstm-kernel"
    with tempfile.TemporaryDirectory() as root:
        prefix = pathlib.Path(root) / "prefix"
        subprocess.run([kernel, "install", "--prefix", str(prefix)], check=True, capture_output=True)
        os.environ.update({"JUPYTER_PATH": str(prefix / "share" / "jupyter"), "JUPYTER_DATA_DIR": f"{root}/data",
                           "JUPYTER_RUNTIME_DIR": f"{root}/runtime", "JUPYTER_CONFIG_DIR": f"{root}/config",
                           "JUPYTER_PLATFORM_DIRS": "0"})
        firsts, warm, hover, checks = [], [], [], []
        for _ in range(args.kernels):
            first, w, h, c = measure_kernel(args.requests)
            firsts.append(first)
            warm += w
            hover += h
            checks += c
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}",
        "kernels": args.kernels, "requests_per_kernel": args.requests,
        "first_completion_s": {"p50": percentile(firsts, 0.5), "max": max(firsts)},
        "warm_completion_s": {"p50": percentile(warm, 0.5), "p90": percentile(warm, 0.9)},
        "hover_s": {"p50": percentile(hover, 0.5), "p90": percentile(hover, 0.9)},
        "is_complete_s": {"p50": percentile(checks, 0.5), "p90": percentile(checks, 0.9)},
    }
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "completion_bench.json").write_text(json.dumps(results, indent=2) + "\n")
    ms = lambda s: f"{s * 1000:.0f} ms"
    table = [
        "# Completion latency (swift-lstm-kernel, through jupyter_client)", "",
        f"{results['machine']}; {args.kernels} kernels × {args.requests} requests.", "",
        "| request | p50 | p90 / max |", "|---|---|---|",
        f"| first complete (starts sourcekit-lsp) | {ms(results['first_completion_s']['p50'])} "
        f"| max {ms(results['first_completion_s']['max'])} |",
        f"| warm complete | {ms(results['warm_completion_s']['p50'])} | {ms(results['warm_completion_s']['p90'])} |",
        f"| inspect (hover) | {ms(results['hover_s']['p50'])} | {ms(results['hover_s']['p90'])} |",
        f"| is_complete | {ms(results['is_complete_s']['p50'])} | {ms(results['is_complete_s']['p90'])} |", "",
    ]
    (out / "completion_bench.md").write_text("\n".join(table))
    print("\n".join(table))


if __name__ == "__main__":
    main()
