"""Runs every benchmark of the project and gathers their reports in build/benchmarks/RESULTS.md.

Each benchmark measures its own baseline in the same run (ipykernel for the kernel, Keras and PyTorch
for LSTMKit) and writes <name>.json and <name>.md; this script only runs them in turn and concatenates
the Markdown. A failing benchmark is reported and the others still run; the exit status says whether
all succeeded.

Usage: python benchmarks/run.py --kernel PATH/swift-lstm-kernel [--out build/benchmarks] [--only NAME ...]
"""
import argparse
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
BENCHMARKS = {
    "kernel_bench": ["--kernel", "{kernel}", "--out", "{out}"],
    "cell_bench": ["--kernel", "{kernel}", "--out", "{out}"],
    "completion_bench": ["--kernel", "{kernel}", "--out", "{out}"],
    "install_bench": ["--kernel", "{kernel}", "--out", "{out}"],
    "lstm_bench": [],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", required=True, help="the built swift-lstm-kernel binary")
    parser.add_argument("--out", default=str(HERE.parent / "build" / "benchmarks"))
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    failed = []
    for name in args.only or BENCHMARKS:
        argv = [a.format(kernel=args.kernel, out=out) for a in BENCHMARKS[name]]
        print(f"== {name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *argv])
        print(f"== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)

    sections = ["# Benchmark results", "",
                f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; "
                f"written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", ""]
    for name in args.only or BENCHMARKS:
        report = out / f"{name}.md"
        sections.append(report.read_text() if report.exists() else f"## {name}\n\n(no report: the run failed)\n")
    (out / "RESULTS.md").write_text("\n".join(sections))
    print(f"wrote {out / 'RESULTS.md'}")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
