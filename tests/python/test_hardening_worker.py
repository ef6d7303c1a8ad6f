"""Issue 10, the worker side: a corrupt or planted cell cache, processes a cell starts, interrupting a busy
loop, a worker killed while idle, and output a thread prints after its cell ended — each tried as a hurried
or hostile user would, through a real jupyter_client (fixtures from conftest.py)."""
import os
import pathlib
import random
import signal
import stat
import subprocess
import threading
import time

import pytest
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, execute_and_collect

pytestmark = pytest.mark.timeout(600)


def start_kernel(**env):
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(env=dict(os.environ, **env))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc


def stop_kernel(km, kc):
    kc.stop_channels()
    if km.has_kernel:
        km.shutdown_kernel(now=False)


def kernel_pid(km) -> int:
    return km.provisioner.process.pid


def run(kc, code, **options):
    return execute_and_collect(kc, code, timeout=180, stop_on_error=False, **options)


def children(pid: int) -> list:
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def worker_pid(km) -> int:
    for pid in children(kernel_pid(km)):
        try:
            argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in argv:
            return pid
    raise AssertionError("the kernel has no worker process")


def processes_with(marker: str) -> list:
    """Live (not zombie) processes whose command line holds `marker`."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def wait_until_gone(marker: str, seconds: float = 15) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = processes_with(marker)
        if not left:
            return []
        time.sleep(0.2)
    return processes_with(marker)


# MARK: - Item 6: the disk cell cache


def cache_entry_holding(cache: pathlib.Path, name: str) -> pathlib.Path:
    [entry] = [p for p in cache.iterdir() if (p / name).exists()]
    return entry


def test_a_truncated_cached_library_is_rebuilt_and_the_state_is_kept(jupyter_env, tmp_path):
    cache = tmp_path / "cache"
    km, kc = start_kernel(SWIFT_LSTM_CELL_CACHE=str(cache))
    try:
        assert run(kc, "var keep = 7").error is None
        assert run(kc, 'print("from the cell", keep * 6)').stream() == "from the cell 42\n"
    finally:
        stop_kernel(km, kc)
    library = cache_entry_holding(cache, "libCell2.so") / "libCell2.so"
    data = library.read_bytes()
    library.write_bytes(data[: len(data) // 3])

    km, kc = start_kernel(SWIFT_LSTM_CELL_CACHE=str(cache))
    try:
        assert run(kc, "var keep = 7").error is None
        again = run(kc, 'print("from the cell", keep * 6)')
        assert again.error is None, again.error
        assert again.stream() == "from the cell 42\n"
        # No worker restart happened: the first cell's variable is still there.
        assert run(kc, "print(keep)").stream() == "7\n"
        # The damaged entry was replaced by a good one.
        assert len((cache_entry_holding(cache, "libCell2.so") / "libCell2.so").read_bytes()) == len(data)
    finally:
        stop_kernel(km, kc)


def test_a_planted_library_in_the_cache_is_not_loaded(jupyter_env, tmp_path, kernel_binary):
    cache = tmp_path / "cache"
    km, kc = start_kernel(SWIFT_LSTM_CELL_CACHE=str(cache))
    try:
        assert run(kc, "var keep = 7").error is None
        assert run(kc, 'print("honest", keep)').stream() == "honest 7\n"
    finally:
        stop_kernel(km, kc)
    # A library whose constructor leaves a trace, put where cell 2's library was.
    trace = tmp_path / "constructor-ran"
    source = tmp_path / "planted.c"
    source.write_text('#include <stdio.h>\n__attribute__((constructor)) static void planted(void) {\n'
                      f'  FILE *f = fopen("{trace}", "w"); if (f) fclose(f);\n}}\n'
                      "int cell2_main(int argc, char **argv) { return 0; }\n")
    compiler = next((c for c in ["cc", "gcc", "clang"] if subprocess.run(["which", c], capture_output=True).returncode == 0),
                    None)
    if compiler is None:
        pytest.skip("no C compiler to build the planted library")
    target = cache_entry_holding(cache, "libCell2.so") / "libCell2.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(target), str(source)], check=True)

    km, kc = start_kernel(SWIFT_LSTM_CELL_CACHE=str(cache))
    try:
        assert run(kc, "var keep = 7").error is None
        again = run(kc, 'print("honest", keep)')
        assert again.error is None, again.error
        assert again.stream() == "honest 7\n"
        assert not trace.exists(), "the planted library's constructor ran"
    finally:
        stop_kernel(km, kc)


def modes_under(root: pathlib.Path) -> dict:
    modes = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        modes[str(path)] = stat.S_IMODE(info.st_mode)
    return modes


def test_cache_and_session_files_are_private_whatever_the_umask(jupyter_env, tmp_path):
    cache = tmp_path / "cache"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    old = os.umask(0)
    try:
        km, kc = start_kernel(SWIFT_LSTM_CELL_CACHE=str(cache), TMPDIR=str(tmpdir), SWIFT_LSTM_KEEP_CELLS="1")
    finally:
        os.umask(old)
    try:
        assert run(kc, 'let secret = "do not share"').error is None
        assert run(kc, "print(secret.count)").stream() == "12\n"
        [session] = [p for p in tmpdir.iterdir() if p.name.startswith("swift-lstm-cells-")]
        for root in [cache, session]:
            modes = modes_under(root)
            assert modes, root
            wrong = {path: oct(mode) for path, mode in modes.items()
                     if mode != (0o700 if pathlib.Path(path).is_dir() else 0o600)}
            assert not wrong, wrong
    finally:
        stop_kernel(km, kc)
        subprocess.run(["rm", "-rf", str(tmpdir)])


# MARK: - Item 7: processes a cell starts

# A cell blocked on a lock it holds (a plain mutex locked twice): not the cell's own code, so an interrupt
# can only restart the worker.
DEADLOCK = "import Glibc\nvar mutex = pthread_mutex_t()\npthread_mutex_init(&mutex, nil)\n" \
           "pthread_mutex_lock(&mutex)\npthread_mutex_lock(&mutex)"


def start_sleepers(kc) -> tuple:
    """Runs a cell that starts `sleep` through Foundation.Process, as a grandchild through `sh -c '… &'`,
    through `system("… &")` and through `posix_spawn`; returns the unique durations that mark them. (The cell does not wait for the shell: Foundation
    notices a child's exit through a socket the background grandchild inherits.)"""
    first, second, third, fourth = (f"{random.randint(5000, 9000)}.{random.randint(10**8, 10**9)}" for _ in range(4))
    code = f"""
import Foundation
import Glibc
_ = system("sleep {third} &")
var spawned = pid_t()
let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("{fourth}"), nil]
_ = posix_spawn(&spawned, "/bin/sleep", nil, nil, argv, environ)
let direct = Process()
direct.executableURL = URL(fileURLWithPath: "/bin/sleep")
direct.arguments = ["{first}"]
try direct.run()
let shell = Process()
shell.executableURL = URL(fileURLWithPath: "/bin/sh")
shell.arguments = ["-c", "sleep {second} > /dev/null 2>&1 &"]
try shell.run()
"""
    result = run(kc, code)
    assert result.error is None, result.error
    markers = (first, second, third, fourth)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(processes_with(m) for m in markers):
        time.sleep(0.1)
    assert all(processes_with(m) for m in markers), "the cell's processes started"
    return markers


@pytest.mark.parametrize("how", ["reset", "worker_crash", "interrupt_fallback", "shutdown", "kernel_sigkill"])
def test_processes_a_cell_started_end_with_its_worker(jupyter_env, tmp_path, how):
    km, kc = start_kernel(SWIFT_LSTM_CELL_CACHE=str(tmp_path / "cache"))
    markers = ()
    try:
        markers = start_sleepers(kc)
        if how == "reset":
            assert run(kc, "%reset").error is None
        elif how == "worker_crash":
            crashed = run(kc, "import Glibc\nkill(getpid(), SIGKILL)")
            assert crashed.error["ename"] == "WorkerDied", crashed.error
        elif how == "interrupt_fallback":
            timer = threading.Timer(1.5, km.interrupt_kernel)
            timer.start()
            try:
                # Blocked on a lock: not the cell's own code, so the worker is restarted.
                stuck = run(kc, DEADLOCK)
            finally:
                timer.cancel()
            assert stuck.error["ename"] == "Interrupted" and "restarted" in stuck.error["evalue"], stuck.error
        elif how == "shutdown":
            stop_kernel(km, kc)
        elif how == "kernel_sigkill":
            kc.stop_channels()
            os.kill(kernel_pid(km), signal.SIGKILL)
        for marker in markers:
            assert wait_until_gone(marker) == [], f"a process the cell started outlived its worker ({how})"
        if how in ("reset", "worker_crash", "interrupt_fallback"):
            assert run(kc, 'print("still here")').stream() == "still here\n"
    finally:
        for marker in markers:
            for pid in processes_with(marker):
                os.kill(pid, signal.SIGKILL)
        if how == "kernel_sigkill":
            km.shutdown_kernel(now=True)
        else:
            stop_kernel(km, kc)


# MARK: - Item 9: interrupting a busy loop


@pytest.mark.parametrize("loop", ["while true {}", "var spins = 0\nwhile true { spins &+= 1 }",
                                  "func spin(_ n: Int) -> Int { var s = 0; for i in 0..<n { s &+= i }; return s }\n"
                                  "while true { _ = spin(1000) }"])
def test_interrupting_a_busy_loop_stops_only_the_cell_and_keeps_state(kernel_manager, kernel_client, loop):
    assert run(kernel_client, "var survivor = 41").error is None
    worker = worker_pid(kernel_manager)
    timer = threading.Timer(1.5, kernel_manager.interrupt_kernel)
    timer.start()
    try:
        result = run(kernel_client, loop)
    finally:
        timer.cancel()
    assert result.error["ename"] == "Interrupted", result.error
    assert "restarted" not in result.error["evalue"] and "kept" in result.error["evalue"], result.error
    assert worker_pid(kernel_manager) == worker, "the worker was not replaced"
    assert run(kernel_client, "print(survivor + 1)").stream() == "42\n"


def test_an_interrupted_sleep_does_not_go_on_to_the_next_statement(kernel_manager, kernel_client):
    """The interrupt must stop the cell, not cut its sleep short and let it carry on: a thread asleep in a
    system call is not signalled, so the restart fallback ends it."""
    timer = threading.Timer(1.0, kernel_manager.interrupt_kernel)
    timer.start()
    try:
        result = run(kernel_client, 'import Glibc\nsleep(6)\nprint("went on after the interrupt")')
    finally:
        timer.cancel()
    assert result.error["ename"] == "Interrupted", result.error
    assert "went on after the interrupt" not in result.stream()


# MARK: - Item 10: a worker killed while idle


def test_a_worker_killed_between_cells_does_not_kill_the_kernel(kernel_manager, kernel_client):
    assert run(kernel_client, "var before = 1").error is None
    worker = worker_pid(kernel_manager)
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{worker}") and \
            pathlib.Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.05)
    result = run(kernel_client, 'print("after")')
    assert kernel_manager.is_alive(), "the kernel died"
    assert result.error is not None and result.error["ename"] == "WorkerDied", result.error
    assert "lost" in " ".join(result.error["traceback"])
    assert run(kernel_client, 'print("next")').stream() == "next\n"
    assert kernel_manager.is_alive()


# MARK: - Item 8: output after the cell ended


def test_output_a_thread_prints_after_its_cell_ended_is_published_at_once_under_that_cell(kernel_client):
    cell = kernel_client.execute('import Foundation\nThread { sleep(1); print("late line") }.start()\nprint("on time")',
                                 stop_on_error=False)
    late = None
    deadline = time.monotonic() + 30
    while late is None and time.monotonic() < deadline:
        try:
            msg = kernel_client.get_iopub_msg(timeout=1)
        except Exception:
            continue
        if msg["msg_type"] == "stream" and "late line" in msg["content"]["text"]:
            late = msg
    assert late is not None, "the late line was not published while no other cell ran"
    assert late["parent_header"]["msg_id"] == cell


def test_the_worker_loads_lstmkit_with_the_blas_switch_done_and_no_variable_left(jupyter_env, tmp_path):
    """The worker dlopens libLSTMKit.so before it starts any thread; the OpenBLAS kernel-set check runs
    then (a library constructor), not at a cell's first product. With OpenBLAS's choice treated as a
    fallback (LSTMKIT_TEST_OPENBLAS_FALLBACK, so the replacement happens on this CPU too) a cell sees the
    replaced set and no OPENBLAS_CORETYPE, and its first product leaves the environment array in place;
    a user's own OPENBLAS_CORETYPE wins and stays."""
    flags = next((line for line in open("/proc/cpuinfo") if line.startswith("flags")), "").split()
    if "avx2" not in flags or "fma" not in flags:
        pytest.skip("CPU without AVX2/FMA")
    best = "SkylakeX" if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= set(flags) else "Haswell"
    code = """import Foundation
import LSTMKit
let before = environ
let core = LSTMKit.blasCore
let y = try Dense(units: 3, kernelInitializer: .identity()).callAsFunction(try Tensor.ones([2, 3]))
print(core)
print(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "<unset>")
print(environ == before ? "untouched" : "changed", y.scalars)
"""
    cache = str(tmp_path / "cell-cache")
    for env, expected in [
        ({"LSTMKIT_TEST_OPENBLAS_FALLBACK": "1"}, [lambda s: s.startswith(f"{best} (OpenBLAS chose ") and s.endswith(" for this CPU)"),
                                                   lambda s: s == "<unset>", lambda s: s.startswith("untouched [1.0, 1.0, 1.0")]),
        ({"LSTMKIT_TEST_OPENBLAS_FALLBACK": "1", "OPENBLAS_CORETYPE": "Haswell"},
         [lambda s: s == "Haswell (OPENBLAS_CORETYPE)", lambda s: s == "Haswell", lambda s: s.startswith("untouched")]),
    ]:
        km, kc = start_kernel(SWIFT_LSTM_CELL_CACHE=cache, **env)
        try:
            result = run(kc, code)
            assert result.error is None, result.error
            lines = result.stream().splitlines()
            assert len(lines) == 3, lines
            for check, line in zip(expected, lines):
                assert check(line), (env, lines)
        finally:
            stop_kernel(km, kc)
