"""Where one prediction batch and one training step of the stacked 2×LSTM(256) workload spend their
instructions, with LSTMKit's own step loop and through oneDNN, counted by callgrind.

Instruction counts do not depend on what else the machine is doing (wall-clock profiles on a shared
2-core VM do), so before/after comparisons hold across runs. Only the measured region is counted: the
driver (benchmarks/lstm_bench.swift, workloads profile-predict / profile-train) builds the model, runs a
warm-up batch, then one batch inside `measuredStep()`, on whose symbol callgrind toggles collection.

Caveats, printed with the report: valgrind 3.19 emulates no AVX-512, so OpenBLAS and oneDNN pick their
AVX2 kernels here (about half the instructions per FLOP of the AVX-512 ones the real run uses); and it
runs one thread at a time, so a spinning wait counts the instructions of its spin.

Usage: python3 benchmarks/lstm_profile.py [--gru]   → build/benchmarks/lstm_profile.{json,md}
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from lstm_bench import OUT, REPO, build_swift_driver, machine_facts  # noqa: E402

# (category, test on "function [object]") in order; the first match wins.
CATEGORIES = [
    ("oneDNN: JIT-compiled products and fused cell math", lambda f, o: o in ("???", "") or o.endswith("libdnnl.so.2") and "jit" in f.lower()),
    ("oneDNN: library code (reorders, bookkeeping)", lambda f, o: "libdnnl" in o),
    ("OpenBLAS: packing copies", lambda f, o: "openblas" in o and re.search(r"(copy|beta)", f)),
    ("OpenBLAS: product kernels", lambda f, o: "openblas" in o),
    ("optimizer (Adam)", lambda f, o: "adam" in f.lower()),
    ("cell kernels (LSTMKit C)", lambda f, o: re.search(r"(lstm_(fwd|bwd)|sigmoid|tanh|gru)", f, re.I) and "LSTMKit" in o and not f.startswith("$s")),
    ("hand-offs and waits", lambda f, o: "libgomp" in o or re.search(r"(helper_main|lk_parallel_chunks|sched_yield|futex|pthread_cond|pthread_mutex)", f)),
    ("copies and zeroing", lambda f, o: re.search(r"(memcpy|memmove|memset|swap_bt)", f)),
    ("allocation and Swift runtime", lambda f, o: "libswiftCore" in o or re.search(r"(malloc|free|calloc|_int_)", f)),
    ("other LSTMKit code (layers, loss, glue)", lambda f, o: "LSTMKit" in o),
    ("other", lambda f, o: True),
]


def stripped_library(bin_dir):
    """A copy of libLSTMKit.so without debug info: valgrind 3.19 cannot read Swift's DWARF 5."""
    lib_dir = OUT / "profile-lib"
    lib_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["objcopy", "--strip-debug", f"{bin_dir}/libLSTMKit.so", str(lib_dir / "libLSTMKit.so")], check=True)
    return lib_dir


def profile(exe, lib_dir, what, onednn, gru):
    out = OUT / f"callgrind.{what}.{'onednn' if onednn else 'steploop'}{'.gru' if gru else ''}.out"
    env = dict(os.environ, LD_LIBRARY_PATH=str(lib_dir), LSTMKIT_ONEDNN="1" if onednn else "0")
    symbol = next(line.split()[-1] for line in subprocess.run(["nm", exe], capture_output=True, text=True, check=True)
                  .stdout.splitlines() if "12measuredStep" in line)
    cmd = ["valgrind", "--tool=callgrind", f"--toggle-collect={symbol}", f"--callgrind-out-file={out}",
           exe, f"profile-{what}"] + (["--gru"] if gru else [])
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"callgrind failed:\n{run.stderr[-3000:]}")
    driver = json.loads([l for l in run.stdout.splitlines() if l.startswith("{")][-1])
    if driver["onednn"] != onednn:
        raise RuntimeError(f"asked for oneDNN={onednn}, the driver ran with {driver['onednn']}")
    total, split = split_of(out)
    return dict(what=what, onednn=onednn, gru=gru, total=total, split=split, blas_core=driver["blas_core"])


def split_of(out):
    """(total instructions, instructions per category) of a callgrind output file."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)], capture_output=True, text=True,
                          check=True).stdout
    split = {name: 0 for name, _ in CATEGORIES}
    total = 0
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*?):(\S.*?)(?:\s+\[(.*)\])?\s*$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        count, function, obj = int(m.group(1).replace(",", "")), m.group(3), (m.group(4) or "???")
        total += count
        for name, test in CATEGORIES:
            if test(function, obj):
                split[name] += count
                break
    return total, split


def report(results, machine):
    cell = "GRU" if results[0]["gru"] else "LSTM"
    lines = [f"# Instruction profile: stacked 2×{cell}(256), batch 64, T 50 (callgrind)", "",
             f"Machine: {machine['cpu']}. Counted with `valgrind --tool=callgrind` over one batch after a warm-up "
             "(benchmarks/lstm_profile.py). Valgrind emulates no AVX-512, so OpenBLAS "
             f"({results[0]['blas_core']} under valgrind) and oneDNN run their AVX2 kernels here, and threads run one at a "
             "time, so spin-waits count their spinning. Millions of instructions (share of the column).", ""]
    heads = [f"{r['what']}, {'oneDNN' if r['onednn'] else 'step loop'}" for r in results]
    lines += ["| part | " + " | ".join(heads) + " |", "|---|" + "---|" * len(results)]
    for name, _ in CATEGORIES:
        cells = [f"{r['split'][name] / 1e6:,.0f} ({100 * r['split'][name] / max(1, r['total']):.0f} %)" for r in results]
        if any(r["split"][name] for r in results):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join(f"**{r['total'] / 1e6:,.0f}**" for r in results) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gru", action="store_true", help="profile the stacked GRU(256) model instead")
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_annotate", "objcopy"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (apt-get install valgrind binutils)")
    OUT.mkdir(parents=True, exist_ok=True)
    exe = build_swift_driver()
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.strip()
    lib_dir = stripped_library(bin_dir)
    results = [profile(exe, lib_dir, what, onednn, args.gru) for what in ("predict", "train") for onednn in (False, True)]
    machine = machine_facts()
    name = "lstm_profile_gru" if args.gru else "lstm_profile"
    (OUT / f"{name}.json").write_text(json.dumps(dict(machine=machine, results=results), indent=2) + "\n")
    (OUT / f"{name}.md").write_text(report(results, machine) + "\n")
    print((OUT / f"{name}.md").read_text())


if __name__ == "__main__":
    main()
