#!/usr/bin/env python3
"""Memory of one swift-lstm kernel: resident set (RSS) of the kernel, its worker and its sourcekit-lsp.

    python tools/remote/measure_kernel_rss.py [--kernel swift-lstm] [NOTEBOOK.ipynb ...]

Starts the kernel, runs one cell and one completion request (which starts sourcekit-lsp), and prints the
RSS of every process under the kernel ("idle"); then runs the code cells of each notebook given, in order,
and prints it again after each one. The numbers for docs/DEPLOYING.md come from this script.
"""
import argparse
import pathlib
import time

import nbformat
from jupyter_client.manager import KernelManager


def descendants(pid):
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def rss_by_process(pid):
    """{name: MiB} for the kernel and every process below it (same names summed)."""
    sizes = {}
    for p in descendants(pid):
        try:
            name = pathlib.Path(f"/proc/{p}/comm").read_text().strip()
            status = pathlib.Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        kib = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        label = "kernel" if p == pid else ("worker" if name == "swift-lstm-kern" else name)
        sizes[label] = sizes.get(label, 0) + kib / 1024
    return sizes


def show(label, pid):
    sizes = rss_by_process(pid)
    parts = ", ".join(f"{name} {mib:.0f}" for name, mib in sorted(sizes.items()))
    print(f"{label}: total {sum(sizes.values()):.0f} MiB ({parts})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernel", default="swift-lstm")
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args()
    km = KernelManager(kernel_name=args.kernel)
    # The notebooks read their data relative to their folder: the kernel's working directory.
    km.start_kernel(cwd=str(pathlib.Path(args.notebooks[0]).resolve().parent) if args.notebooks else None)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        pid = km.provisioner.process.pid
        kc.execute_interactive("let warmUp = 1", timeout=600)
        kc.complete("warmU", 5, reply=True, timeout=120)
        time.sleep(2)
        show("idle (one cell, one completion)", pid)
        for path in [pathlib.Path(n).resolve() for n in args.notebooks]:
            nb = nbformat.read(path, as_version=4)
            failed = 0
            for cell in nb.cells:
                if cell.cell_type == "code":
                    reply = kc.execute_interactive(cell.source, timeout=1800, output_hook=lambda msg: None)
                    if reply["content"]["status"] != "ok":
                        failed += 1
                        print(f"  a cell failed: {reply['content'].get('ename')}: "
                              f"{str(reply['content'].get('evalue'))[:200]}", flush=True)
            show(f"after {path.name}" + (f" ({failed} cells failed)" if failed else ""), pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


if __name__ == "__main__":
    main()
