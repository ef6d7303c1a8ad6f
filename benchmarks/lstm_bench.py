"""LSTM training benchmark: LSTMKit vs Keras 3 (JAX backend) vs PyTorch, in one run, on this machine.

Workloads
  1. The tutorial autoencoder (input 3x2, 5 samples, batch 5, 300 epochs): wall time of fit().
  2. Two stacked LSTM(256) (T 50, 32 features, Dense(1), mse, Adam, batch 64, 1,024 samples): training
     and prediction samples/s after a one-batch warm-up, achieved GFLOP/s and % of the measured peak;
     LSTMKit runs twice, as shipped (oneDNN for the default cells) and with its own step loop only.
  3. The same with two stacked GRU(256).
  4. Peak resident memory of each run (each framework and workload runs in its own process).
The machine's FMA peak comes from benchmarks/peak_flops.c in the same run; the report names the CPU, the
load average at start, and the reference frameworks' versions and builds.

Each workload runs in rounds (--repeats, default 3); a round runs LSTMKit, Keras and PyTorch one after
the other, so all three see the same machine state, and the report gives each framework's median over
the rounds with the range (the machines this runs on are shared, and one run can be off by 20%).

Usage:  python3 benchmarks/lstm_bench.py [--repeats N] [--skip-frameworks]
Creates .venv-bench from benchmarks/requirements.txt on first use (or uses $LSTM_BENCH_PYTHON), builds
libLSTMKit.so and the Swift driver benchmarks/lstm_bench.swift, and writes build/benchmarks/lstm_bench.{json,md}.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
OUT = REPO / "build" / "benchmarks"
T, FEATURES, UNITS, BATCH = 50, 32, 256, 64

# ---------------------------------------------------------------- reference implementations (child side)


def keras_run(workload, epochs, samples):
    os.environ["KERAS_BACKEND"] = "jax"
    import keras
    import numpy as np
    keras.utils.set_random_seed(1)
    if workload == "autoencoder":
        t = np.arange(1, 10, dtype=np.float32) / 10
        series = np.stack([t, t ** 3], axis=1)
        x = np.stack([series[i + 2:i + 5] for i in range(5)])  # the tutorial's temporalize, lookback 3
        model = keras.Sequential([
            keras.Input((3, 2)), keras.layers.LSTM(128, activation="relu", return_sequences=True),
            keras.layers.LSTM(64, activation="relu"), keras.layers.RepeatVector(3),
            keras.layers.LSTM(64, activation="relu", return_sequences=True),
            keras.layers.LSTM(128, activation="relu", return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(2))])
        model.compile(optimizer="adam", loss="mse")
        start = time.perf_counter()
        h = model.fit(x, x, epochs=epochs, batch_size=5, verbose=0)
        return dict(fit_seconds=time.perf_counter() - start, final_loss=float(h.history["loss"][-1]))
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (samples, T, FEATURES)).astype(np.float32)
    y = rng.uniform(-1, 1, (samples, 1)).astype(np.float32)
    cell = keras.layers.GRU if workload == "stacked-gru" else keras.layers.LSTM
    model = keras.Sequential([keras.Input((T, FEATURES)), cell(UNITS, return_sequences=True),
                              cell(UNITS), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x[:BATCH], y[:BATCH], epochs=1, batch_size=BATCH, verbose=0)  # warm-up (JIT compile)
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=BATCH, verbose=0)
    train = time.perf_counter() - start
    model.predict(x[:BATCH], batch_size=BATCH, verbose=0)
    start = time.perf_counter()
    model.predict(x, batch_size=BATCH, verbose=0)
    return dict(train_seconds=train, predict_seconds=time.perf_counter() - start)


def torch_run(workload, epochs, samples):
    import torch
    torch.manual_seed(1)
    nn = torch.nn

    class Autoencoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2 = nn.LSTM(2, 128, batch_first=True), nn.LSTM(128, 64, batch_first=True)
            self.l3, self.l4 = nn.LSTM(64, 64, batch_first=True), nn.LSTM(64, 128, batch_first=True)
            self.out = nn.Linear(128, 2)

        def forward(self, x):
            # relu LSTMs as in the tutorial need a custom cell in PyTorch; tanh cells keep the same FLOPs.
            h, _ = self.l1(x)
            h, _ = self.l2(h)
            h = h[:, -1:, :].repeat(1, 3, 1)
            h, _ = self.l3(h)
            h, _ = self.l4(h)
            return self.out(h)

    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            cell = nn.GRU if workload == "stacked-gru" else nn.LSTM   # nn.GRU is Keras's reset_after GRU
            self.lstm = cell(FEATURES, UNITS, num_layers=2, batch_first=True)
            self.out = nn.Linear(UNITS, 1)

        def forward(self, x):
            h, _ = self.lstm(x)
            return self.out(h[:, -1, :])

    def train(model, x, y, epochs, batch):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        n = x.shape[0]
        last = None
        for _ in range(epochs):
            perm = torch.randperm(n)
            for i in range(0, n, batch):
                idx = perm[i:i + batch]
                opt.zero_grad()
                loss = ((model(x[idx]) - y[idx]) ** 2).mean()
                loss.backward()
                opt.step()
                last = float(loss)
        return last

    if workload == "autoencoder":
        t = torch.arange(1, 10, dtype=torch.float32) / 10
        series = torch.stack([t, t ** 3], dim=1)
        x = torch.stack([series[i + 2:i + 5] for i in range(5)])
        model = Autoencoder()
        start = time.perf_counter()
        final = train(model, x, x, epochs, 5)
        return dict(fit_seconds=time.perf_counter() - start, final_loss=final)
    g = torch.Generator().manual_seed(2)
    x = torch.rand((samples, T, FEATURES), generator=g) * 2 - 1
    y = torch.rand((samples, 1), generator=g) * 2 - 1
    model = Stacked()
    train(model, x[:BATCH], y[:BATCH], 1, BATCH)
    start = time.perf_counter()
    train(model, x, y, epochs, BATCH)
    train_s = time.perf_counter() - start
    with torch.no_grad():
        model(x[:BATCH])
        start = time.perf_counter()
        for i in range(0, samples, BATCH):
            model(x[i:i + BATCH])
    return dict(train_seconds=train_s, predict_seconds=time.perf_counter() - start)


# ---------------------------------------------------------------- driver (parent side)


def framework_versions(name):
    """What the reference framework is: version and build (PyPI's torch for Linux x86-64 is a CUDA build)."""
    if name == "torch":
        import torch
        return dict(version=torch.__version__, cuda=torch.version.cuda, threads=torch.get_num_threads(),
                    mkldnn=torch.backends.mkldnn.is_available(),
                    build=f"CUDA {torch.version.cuda} build, run on the CPU" if torch.version.cuda else "CPU build")
    import jax
    import keras
    return dict(version=keras.__version__, backend="jax " + jax.__version__)


def child_main(args):
    fn = {"keras": keras_run, "torch": torch_run}[args.child]
    result = fn(args.workload, args.epochs, args.samples)
    result.update(framework=args.child, workload=args.workload, epochs=args.epochs, about=framework_versions(args.child))
    print(json.dumps(result))


def cpu_jiffies():
    """(busy, total, steal) jiffies of the whole machine since boot, from /proc/stat; steal is the time the
    hypervisor gave this VM's cores to others."""
    v = list(map(int, open("/proc/stat").readline().split()[1:]))
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v), (v[7] if len(v) > 7 else 0)


def wait_until_quiet(limit_s=90.0, idle_share=0.9):
    """Waits (at most `limit_s`) until the cores have been at least `idle_share` idle for 1.5 s: the machines
    this runs on are shared, and a build on the other core slows oneDNN's and PyTorch's OpenMP teams
    several-fold. Returns the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        b0, t0, _ = cpu_jiffies()
        time.sleep(1.5)
        b1, t1, _ = cpu_jiffies()
        if (t1 - t0) and 1 - (b1 - b0) / (t1 - t0) >= idle_share:
            break
    return time.perf_counter() - start


def peak_rss_mib_of(cmd, env=None):
    """Runs one benchmark process; returns its JSON result, its own peak RSS (MiB, from wait4), wall time,
    and `other_load`: the cores' busy time not spent by this process, as a share of the machine."""
    waited = wait_until_quiet()
    busy0, total0, steal0 = cpu_jiffies()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env)
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{err[-2000:]}")
    result = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux reports KiB
    result["process_seconds"] = time.perf_counter() - start
    busy1, total1, steal1 = cpu_jiffies()
    tick = os.sysconf("SC_CLK_TCK")
    own = (usage.ru_utime + usage.ru_stime) * tick
    result["other_load"] = max(0.0, (busy1 - busy0 - own - (steal1 - steal0)) / max(1, total1 - total0))
    result["steal"] = (steal1 - steal0) / max(1, total1 - total0)
    result["waited_for_quiet_s"] = waited
    return result


def bench_python():
    explicit = os.environ.get("LSTM_BENCH_PYTHON")
    if explicit:
        return explicit
    venv = REPO / ".venv-bench"
    py = venv / "bin" / "python"
    marker = venv / ".installed"
    req = REPO / "benchmarks" / "requirements.txt"
    if not marker.exists() or marker.stat().st_mtime < req.stat().st_mtime:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(req)], check=True)
        marker.touch()
    return str(py)


def build_swift_driver():
    subprocess.run(["swift", "build", "--product", "LSTMKit"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.strip()
    exe = OUT / "lstm_bench_swift"
    subprocess.run(["swiftc", "-O", "-swift-version", "5", "-I", f"{bin_dir}/Modules",
                    "-Xcc", f"-fmodule-map-file={REPO}/Sources/CBLAS/module.modulemap", "-L", bin_dir, "-lLSTMKit",
                    "-Xlinker", "-rpath", "-Xlinker", bin_dir, str(REPO / "benchmarks" / "lstm_bench.swift"),
                    "-o", str(exe)], cwd=REPO, check=True, stderr=subprocess.DEVNULL)
    return str(exe)


def measure_peak():
    """The machine's single-precision FMA peak (GFLOP/s on one and on every core), from peak_flops.c."""
    exe = OUT / "peak_flops"
    subprocess.run(["gcc", "-O2", "-pthread", str(REPO / "benchmarks" / "peak_flops.c"), "-o", str(exe)], check=True)
    return json.loads(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout)


def machine_facts():
    """CPU model, core count and the load average when the run started (the machine may be shared)."""
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
        if "avx512f" in flags:
            model += " (AVX-512)"
    except OSError:
        pass
    return dict(cpu=model, cpus=os.cpu_count(), load_average_at_start=list(os.getloadavg()),
                platform=platform.platform(), python=platform.python_version())


def flops_per_sample(workload):
    """Forward FLOPs of the two recurrent layers per sample: 2·(d+u)·G·u per step (G = 4 LSTM, 3 GRU)."""
    gates = 3 if workload == "stacked-gru" else 4
    return T * sum(2 * (d + UNITS) * gates * UNITS for d in (FEATURES, UNITS))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["keras", "torch"])
    parser.add_argument("--workload", default="autoencoder")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--stacked-epochs", type=int, default=3,
                        help="epochs of the stacked workloads (the issue asks 10; 3 keeps the run short)")
    parser.add_argument("--autoencoder-epochs", type=int, default=300)
    parser.add_argument("--skip-frameworks", action="store_true", help="LSTMKit only")
    parser.add_argument("--no-keras", action="store_true", help="leave Keras out (it is the slowest to run)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per workload (the report gives medians)")
    parser.add_argument("--workloads", default="", help="comma-separated subset of autoencoder,stacked,stacked-gru")
    parser.add_argument("--autoencoder-repeats", type=int, default=15,
                        help="rounds of LSTMKit's autoencoder runs (at least --repeats; Keras and PyTorch run --repeats)")
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    machine = machine_facts()
    wait_until_quiet()
    peak = measure_peak()
    swift = build_swift_driver()
    py = None if args.skip_frameworks else bench_python()
    frameworks = [] if py is None else (["torch"] if args.no_keras else ["keras", "torch"])
    step_loop_env = dict(os.environ, LSTMKIT_ONEDNN="0")
    runs_all, results = [], []
    for workload, epochs in [("autoencoder", args.autoencoder_epochs), ("stacked", args.stacked_epochs),
                             ("stacked-gru", args.stacked_epochs)]:
        if args.workloads and workload not in args.workloads.split(","):
            continue
        extra = ["--epochs", str(epochs), "--samples", str(args.samples)]
        runs = [("lstmkit", [swift, workload] + extra, None)]
        if workload != "autoencoder":   # the autoencoder's relu cells never reach oneDNN
            runs.append(("lstmkit-steploop", [swift, workload] + extra, step_loop_env))
        else:   # and its small products are split between the cores unless this is set
            runs.append(("lstmkit-onecore", [swift, workload] + extra, dict(os.environ, LSTMKIT_WEIGHT_ROWS="0")))
        for fw in frameworks:
            runs.append((fw, [py, __file__, "--child", fw, "--workload", workload] + extra, None))
        rounds = {fw: [] for fw, _, _ in runs}
        # The autoencoder's LSTMKit runs take a quarter second each, and this kind of VM drifts by ±20 % over
        # minutes: they get more rounds (the reference frameworks keep --repeats).
        total = max(1, args.repeats, args.autoencoder_repeats if workload == "autoencoder" else 0)
        for k in range(total):
            for fw, cmd, env in runs:
                if k >= max(1, args.repeats) and not fw.startswith("lstmkit"):
                    continue
                print(f"running {fw} {workload} (round {k + 1}/{total}) ...", flush=True)
                r = peak_rss_mib_of(cmd, env=env)
                r["framework"] = fw
                if workload != "autoencoder":
                    n, fps = args.samples, flops_per_sample(workload)
                    r["train_samples_per_s"] = n * epochs / r["train_seconds"]
                    r["predict_samples_per_s"] = n / r["predict_seconds"]
                    r["train_gflops"] = 3 * fps * r["train_samples_per_s"] / 1e9
                    r["predict_gflops"] = fps * r["predict_samples_per_s"] / 1e9
                    r["train_peak_fraction"] = r["train_gflops"] / peak["peak_all"]
                    r["predict_peak_fraction"] = r["predict_gflops"] / peak["peak_all"]
                r["round"] = k + 1
                rounds[fw].append(r)
                runs_all.append(r)
                print("  ", json.dumps(r), flush=True)
        for fw, rs in rounds.items():
            results.append(median_of(rs))
    machine["load_average_at_end"] = list(os.getloadavg())
    # The peak again after the runs: the higher of the two (a busy moment only lowers it).
    wait_until_quiet()
    again = measure_peak()
    peak = {k: max(v, again[k]) if isinstance(v, float) else v for k, v in peak.items()}
    for r in runs_all + results:
        for kind in ("train", "predict"):
            if f"{kind}_gflops" in r:
                r[f"{kind}_peak_fraction"] = r[f"{kind}_gflops"] / peak["peak_all"]
    abouts = {r["framework"]: r.get("about") for r in runs_all if r.get("about")}
    (OUT / "lstm_bench.json").write_text(json.dumps(dict(machine=machine, peak=peak, frameworks=abouts, medians=results,
                                                         runs=runs_all), indent=2) + "\n")
    (OUT / "lstm_bench.md").write_text(report(results, args, machine, peak, abouts) + "\n")
    print((OUT / "lstm_bench.md").read_text())


def median_of(rs):
    """One framework's rounds → a result holding each numeric field's median, plus `<field>_range` (min, max)."""
    out = dict(rs[0])
    for key, value in rs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "round":
            values = sorted(r[key] for r in rs)
            out[key] = statistics.median(values)
            out[key + "_range"] = (values[0], values[-1])
    out["rounds"] = len(rs)
    out.pop("round", None)
    return out


def spread(r, key, fmt):
    """`median (min–max)` when there were several rounds."""
    lo, hi = r.get(key + "_range", (r[key], r[key]))
    text = format(r[key], fmt)
    return text if r.get("rounds", 1) < 2 else f"{text} ({format(lo, fmt)}–{format(hi, fmt)})"


NAMES = {"lstmkit": "LSTMKit", "lstmkit-steploop": "LSTMKit, step loop only (LSTMKIT_ONEDNN=0)",
         "lstmkit-onecore": "LSTMKit, products on one core (LSTMKIT_WEIGHT_ROWS=0)",
         "keras": "Keras (JAX)", "torch": "PyTorch"}


def report(results, args, machine, peak, abouts):
    load = ", ".join(f"{v:.2f}" for v in machine["load_average_at_start"])
    lines = ["# LSTM benchmark (LSTMKit vs Keras 3 JAX backend vs PyTorch CPU)", "",
             f"Machine: {machine['cpu']}, {machine['cpus']} cores; load average at start {load}.",
             f"Measured FMA peak (benchmarks/peak_flops.c, the higher of a measurement before and one after the runs): {peak['peak_1']:.1f} GFLOP/s on one core, "
             f"{peak['peak_all']:.1f} GFLOP/s on {peak['threads']} (AVX-512 {peak['avx512_all']:.1f}, AVX2 {peak['avx2_all']:.1f}).",
             "GFLOP/s count 2·(d+u)·G·u FLOPs per recurrent step and sample (G = 4 for LSTM, 3 for GRU; training = 3× forward);"
             " % is of the measured peak on every core."]
    for fw, about in sorted(abouts.items()):
        lines.append(f"{NAMES.get(fw, fw)}: " + ", ".join(f"{k} {v}" for k, v in about.items()) + ".")
    loads = [r.get("other_load", 0) for r in results]
    steals = [r.get("steal", 0) for r in results]
    lines.append(f"Before each run the bench waits (up to 90 s) for the cores to be 90 % idle; other processes then "
                 f"used {100 * min(loads):.0f}–{100 * max(loads):.0f} % of the machine during the runs, and the hypervisor took "
                 f"{100 * min(steals):.0f}–{100 * max(steals):.0f} % (steal time) (medians per framework).")
    lines += ["PyTorch's autoencoder uses tanh LSTMs (relu needs a custom cell; same FLOPs).",
              f"Medians over {args.repeats} rounds (each round runs every framework once), range in parentheses; "
              f"LSTMKit's autoencoder runs get {max(args.repeats, args.autoencoder_repeats)} rounds."]
    if any(r["workload"] == "autoencoder" for r in results):
        lines += ["", f"## Autoencoder fit ({args.autoencoder_epochs} epochs, 5 samples, batch 5)", "",
                  "| framework | fit s | final loss | peak RSS MiB | core hand-off ns |", "|---|---|---|---|---|"]
        for r in results:
            if r["workload"] == "autoencoder":
                handoff = spread(r, "core_handoff_ns", ".0f") if r.get("core_handoff_ns", -1) > 0 else "—"
                lines.append(f"| {NAMES.get(r['framework'], r['framework'])} | {spread(r, 'fit_seconds', '.3f')} | "
                             f"{r['final_loss']:.3g} | {r['peak_rss_mib']:.0f} | {handoff} |")
        lines += ["", "The hand-off is LSTMKit's last measurement of an empty job on its helper threads: under 400 ns "
                  "the autoencoder's small products and Adam's update run on both cores in weight-row blocks "
                  "(`LSTMKit.splitsSmallProducts`), above it the same blocks run one after the other on one core."]
    for workload, cell in (("stacked", "LSTM"), ("stacked-gru", "GRU")):
        if not any(r["workload"] == workload for r in results):
            continue
        lines += ["", f"## Two stacked {cell}(256), T {T}, {FEATURES} features, batch {BATCH}, {args.samples} samples, "
                  f"{args.stacked_epochs} epochs", "",
                  "| framework | train samples/s | train GFLOP/s | train % of peak | predict samples/s | predict GFLOP/s | "
                  "predict % of peak | peak RSS MiB |", "|---|---|---|---|---|---|---|---|"]
        for r in results:
            if r["workload"] == workload:
                lines.append(f"| {NAMES.get(r['framework'], r['framework'])} | {spread(r, 'train_samples_per_s', '.0f')} | "
                             f"{r['train_gflops']:.1f} | {100 * r['train_peak_fraction']:.0f} % | "
                             f"{spread(r, 'predict_samples_per_s', '.0f')} | {r['predict_gflops']:.1f} | "
                             f"{100 * r['predict_peak_fraction']:.0f} % | {r['peak_rss_mib']:.0f} |")
    by = {(r["framework"], r["workload"]): r for r in results}
    ratios = []
    for fw in ("keras", "torch", "lstmkit-steploop", "lstmkit-onecore"):
        name = NAMES[fw]
        ae, own_ae = by.get((fw, "autoencoder")), by.get(("lstmkit", "autoencoder"))
        if ae and own_ae:
            ratios.append(f"| autoencoder fit, {name} time / LSTMKit time | {ae['fit_seconds'] / own_ae['fit_seconds']:.2f}x |")
        for workload in ("stacked", "stacked-gru"):
            st, own = by.get((fw, workload)), by.get(("lstmkit", workload))
            if st and own:
                ratios.append(f"| {workload} train, LSTMKit / {name} samples/s | "
                              f"{own['train_samples_per_s'] / st['train_samples_per_s']:.2f}x |")
                ratios.append(f"| {workload} predict, LSTMKit / {name} samples/s | "
                              f"{own['predict_samples_per_s'] / st['predict_samples_per_s']:.2f}x |")
    if ratios:
        lines += ["", "## Ratios (of the medians; above 1: LSTMKit faster)", "", "| measure | ratio |", "|---|---|"] + ratios
    return "\n".join(lines)


if __name__ == "__main__":
    main()
