#!/usr/bin/env python3
"""Executes notebooks headless with the swift-lstm kernel: executed .ipynb plus HTML into an output folder.

    python tools/notebooks/run_notebooks.py --out build/notebooks notebooks/*.ipynb

Every notebook is run (a failure does not stop the others); the exit status is non-zero if any cell
errored, and each failure is printed with its notebook, cell number, source and the kernel's error.
The executed copy is written even when a cell fails, so the error can be read in context, and it is
marked trusted (as `jupyter trust` does), so JupyterLab shows its SVG outputs when it is opened.

The kernelspec is found the way Jupyter finds it: `make install-kernel` installs it for the user;
`--kernel-dir DIR` (a kernelspec folder holding kernel.json, or a Jupyter data folder holding
kernels/<name>/) or JUPYTER_PATH point at another one, e.g. a temporary install in tests.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.sign import NotebookNotary
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

KERNEL_NAME = "swift-lstm"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# One cell may compile Swift and train a model; generous, because a cold build cache pays swiftc start-up.
DEFAULT_CELL_TIMEOUT = 300


@dataclass
class CellFailure:
    """A cell that did not run cleanly: where it is and what the kernel said."""

    index: int  # 1-based position among all cells of the notebook
    execution_count: object
    source: str
    ename: str
    evalue: str
    traceback: list = field(default_factory=list)

    def describe(self, notebook):
        lines = [f"{notebook}: cell {self.index} (In [{self.execution_count}]) failed: {self.ename}: {self.evalue}"]
        lines += ["  | " + line for line in self.source.splitlines()]
        for frame in self.traceback:
            lines += ["  > " + line for line in ANSI_ESCAPE.sub("", frame).splitlines()]
        return "\n".join(lines)


@dataclass
class NotebookRun:
    """The result of executing one notebook."""

    source: Path
    executed: Path
    html: object  # Path or None
    seconds: float
    notebook: object  # the executed nbformat node
    failures: list

    @property
    def ok(self):
        return not self.failures


def prepare_kernel_dir(kernel_dir, kernel_name=KERNEL_NAME):
    """Puts `kernel_dir` first on JUPYTER_PATH so Jupyter finds the kernelspec there.

    `kernel_dir` may be a kernelspec folder (with kernel.json; linked as kernels/<kernel_name> in a
    temporary data folder) or a data folder that already has kernels/<name>/ inside.
    Returns the temporary folder to remove afterwards, or None.
    """
    kernel_dir = Path(kernel_dir).resolve()
    scratch = None
    if (kernel_dir / "kernel.json").is_file():
        scratch = Path(tempfile.mkdtemp(prefix="swift-lstm-kernels-"))
        (scratch / "kernels").mkdir()
        (scratch / "kernels" / kernel_name).symlink_to(kernel_dir)
        data_dir = scratch
    elif (kernel_dir / "kernels").is_dir():
        data_dir = kernel_dir
    else:
        raise SystemExit(f"--kernel-dir: expected a folder with kernel.json or with kernels/, got {kernel_dir}")
    paths = [str(data_dir)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    return scratch


def check_kernel(kernel_name=KERNEL_NAME):
    """Returns the kernelspec's folder, or exits with a message saying how to install it."""
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise SystemExit(
            f"kernelspec '{kernel_name}' not found (JUPYTER_PATH={os.environ.get('JUPYTER_PATH', '')!r}).\n"
            "Install it with `make install-kernel`, or pass --kernel-dir with a kernelspec folder."
        )
    binary = spec.argv[0] if spec.argv else ""
    if binary and os.path.isabs(binary) and not os.access(binary, os.X_OK):
        raise SystemExit(f"kernelspec '{kernel_name}' runs {binary}, which is not an executable: run `make build`")
    return spec.resource_dir


def _error_outputs(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def collect_failures(nb):
    """Every code cell with an error output, in order."""
    failures = []
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        for out in _error_outputs(cell):
            failures.append(
                CellFailure(
                    index=index,
                    execution_count=cell.get("execution_count"),
                    source=cell.source,
                    ename=out.get("ename", ""),
                    evalue=out.get("evalue", ""),
                    traceback=list(out.get("traceback", [])),
                )
            )
    return failures


def execute_notebook(path, out_dir, kernel_name=KERNEL_NAME, timeout=DEFAULT_CELL_TIMEOUT, html=True,
                     startup_timeout=120):
    """Executes the notebook at `path` and writes `<out_dir>/<name>.ipynb` (and `.html`).

    Stops at the first failing cell, as `make notebooks` should; the failure is in the result, not
    raised. Returns a `NotebookRun`.
    """
    path = Path(path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        startup_timeout=startup_timeout,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    started = time.monotonic()
    extra = []
    try:
        client.execute()
    except CellExecutionError:
        pass  # the error output is in the cell; collect_failures reports it with its source
    except (CellTimeoutError, DeadKernelError) as exc:
        extra.append(_failure_without_output(nb, exc))
    seconds = time.monotonic() - started

    failures = collect_failures(nb) + extra
    # A print can reach the notebook as several stream chunks; store them merged, as front ends show them.
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    executed = out_dir / path.name
    nbformat.write(nb, executed)
    trust(executed)
    html_path = None
    if html:
        html_path = write_html(nb, out_dir / (path.stem + ".html"))
    return NotebookRun(path, executed, html_path, seconds, nb, failures)


def trust(path):
    """Signs the notebook at `path` as `jupyter trust` does (the user's Jupyter data folder holds the key
    and the signature database), so JupyterLab renders its SVG outputs instead of the text fallback.
    We ran it ourselves, so its outputs are ours. Returns whether it is now trusted."""
    try:
        notary = NotebookNotary()
        nb = nbformat.read(path, as_version=4)
        notary.sign(nb)
        return notary.check_signature(nb)
    except Exception as exc:  # a read-only data folder must not fail the run
        print(f"  could not mark {path} trusted ({exc}); run `jupyter trust {path}`", file=sys.stderr)
        return False


def _failure_without_output(nb, exc):
    """A timeout or a dead kernel leaves no error output: report the last cell that started."""
    started = [i for i, c in enumerate(nb.cells, start=1) if c.cell_type == "code" and c.get("execution_count")]
    index = started[-1] if started else 0
    cell = nb.cells[index - 1] if index else nbformat.v4.new_code_cell("")
    return CellFailure(index, cell.get("execution_count"), cell.source, type(exc).__name__, str(exc).strip())


def write_html(nb, html_path):
    """Renders the executed notebook to HTML with nbconvert (the form readers open without Jupyter)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    Path(html_path).write_text(body, encoding="utf-8")
    return Path(html_path)


def slowest_cells(nb, count=3):
    """[(seconds, cell number)] of the slowest cells, from nbclient's recorded timing."""
    timed = []
    for index, cell in enumerate(nb.cells, start=1):
        meta = cell.get("metadata", {}).get("execution", {})
        start, end = meta.get("iopub.execute_input"), meta.get("shell.execute_reply")
        if start and end:
            from datetime import datetime

            seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            timed.append((seconds, index))
    return sorted(timed, reverse=True)[:count]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks to execute")
    parser.add_argument("--out", type=Path, default=Path("build/notebooks"), help="output folder")
    parser.add_argument("--kernel", default=KERNEL_NAME, help=f"kernelspec name (default {KERNEL_NAME})")
    parser.add_argument("--kernel-dir", help="a kernelspec folder, or a Jupyter data folder with kernels/")
    parser.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT, help="seconds allowed per cell")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    args = parser.parse_args(argv)

    scratch = prepare_kernel_dir(args.kernel_dir, args.kernel) if args.kernel_dir else None
    try:
        spec_dir = check_kernel(args.kernel)
        print(f"kernel {args.kernel}: {spec_dir}", flush=True)
        runs = []
        for path in args.notebooks:
            print(f"executing {path} ...", flush=True)
            run = execute_notebook(path, args.out, args.kernel, args.timeout, html=not args.no_html)
            runs.append(run)
            slow = ", ".join(f"cell {i} {s:.1f} s" for s, i in slowest_cells(run.notebook))
            status = "ok" if run.ok else f"FAILED ({len(run.failures)} error(s))"
            print(f"  {status} in {run.seconds:.1f} s -> {run.executed}" + (f"  [slowest: {slow}]" if slow else ""),
                  flush=True)
            for failure in run.failures:
                print(failure.describe(path), file=sys.stderr, flush=True)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    timings = {str(r.source): {"seconds": round(r.seconds, 2), "ok": r.ok} for r in runs}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    total = sum(r.seconds for r in runs)
    failed = [r for r in runs if not r.ok]
    print(f"{len(runs) - len(failed)}/{len(runs)} notebooks ran cleanly in {total:.1f} s "
          f"(timings in {args.out / 'timings.json'})")
    if failed:
        print("FAILED: " + ", ".join(str(r.source) for r in failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
