#!/usr/bin/env python3
"""%install benchmark: installing swift-collections' DequeModule from the machine's package mirror,
through jupyter_client.

* first install: an empty install cache (a new temporary folder), so SwiftPM resolves, fetches from the
  mirror and builds the package optimised; wall time of the execute_request;
* cached re-install: a second kernel installing the same set (the build is found in the cache);
* first cell after install: the next cell, importing and using the package (compile, link, load, run).
Writes install_bench.json and install_bench.md to --out (default build/benchmarks).

Usage: .venv/bin/python benchmarks/install_bench.py [--kernel PATH] [--out DIR]
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
INSTALL = '%install .package(url: "https://github.com/apple/swift-collections", from: "1.1.0") DequeModule'
USE = "import DequeModule\nvar queue = Deque([1, 2, 3])\nqueue.prepend(0)\nprint(Array(queue))"


def execute(kc, code, timeout=1800):
    """Wall seconds of one execute_request until its reply; fails on an error reply."""
    start = time.monotonic()
    reply = kc.execute(code, reply=True, timeout=timeout)
    seconds = time.monotonic() - start
    assert reply["content"]["status"] == "ok", reply["content"]
    return seconds


def cpu_model():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", default=None)
    parser.add_argument("--out", default=str(REPO / "build" / "benchmarks"))
    args = parser.parse_args()
    kernel = args.kernel or str(pathlib.Path(subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()) / "swift-lstm-kernel")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        prefix = pathlib.Path(root) / "prefix"
        subprocess.run([kernel, "install", "--prefix", str(prefix)], check=True, capture_output=True)
        os.environ.update({"JUPYTER_PATH": str(prefix / "share" / "jupyter"), "JUPYTER_DATA_DIR": f"{root}/data",
                           "JUPYTER_RUNTIME_DIR": f"{root}/runtime", "JUPYTER_CONFIG_DIR": f"{root}/config",
                           "JUPYTER_PLATFORM_DIRS": "0", "SWIFT_LSTM_INSTALL_CACHE": f"{root}/packages",
                           "SWIFT_LSTM_CELL_CACHE": f"{root}/cells"})
        results = {}
        km, kc = start_new_kernel(kernel_name="swift-lstm", startup_timeout=60)
        try:
            results["first_install_s"] = execute(kc, INSTALL)
            results["first_cell_after_install_s"] = execute(kc, USE)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        km, kc = start_new_kernel(kernel_name="swift-lstm", startup_timeout=60)
        try:
            results["cached_reinstall_s"] = execute(kc, INSTALL)
            results["first_cell_after_cached_install_s"] = execute(kc, USE)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    results["cpu"] = cpu_model()
    results["cores"] = os.cpu_count()
    results["load_average_at_end"] = os.getloadavg()[0]
    (out / "install_bench.json").write_text(json.dumps(results, indent=2) + "\n")
    report = "\n".join([
        "## %install (swift-collections DequeModule)", "",
        f"{results['cpu']}, {results['cores']} cores, load average {results['load_average_at_end']:.1f} at the end.", "",
        "| step | seconds |", "|---|---|",
        f"| first install (empty cache: resolve, fetch from the mirror, release build, load) | {results['first_install_s']:.2f} |",
        f"| first cell after install (`import DequeModule`, compile, link, run) | {results['first_cell_after_install_s']:.2f} |",
        f"| cached re-install in a second kernel | {results['cached_reinstall_s']:.2f} |",
        f"| first cell after the cached install | {results['first_cell_after_cached_install_s']:.2f} |",
        ""])
    (out / "install_bench.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
