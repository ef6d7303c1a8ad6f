"""The Jupyter client side of tests/python/test_remote.py, run as a subprocess of the test.

A process of its own because gateway_provisioners reads its settings (GP_RESPONSE_IP, GP_RESPONSE_PORT,
GP_REMOTE_USER) when first imported and keeps one response socket per process, and because paramiko finds
the test's SSH key and known_hosts through HOME. Each scenario prints one JSON object on its last line.

    python remote_client.py start KERNEL                     → {"seconds": …, "pid": …}
    python remote_client.py notebook KERNEL IN.ipynb OUT.ipynb → {"seconds": …}
    python remote_client.py interrupt KERNEL                 → {"ename": …, "evalue": …, "after": …, …}
    python remote_client.py orphan KERNEL SECONDS           → {"pid": …, "alive_while_polled": …}
    python remote_client.py kill KERNEL [kernel|launcher]    → {"pid": …, "hb_dead_after": …, …}
"""
import json
import os
import signal
import sys
import threading
import time

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

sys.path.insert(0, os.path.dirname(__file__))
from conftest import execute_and_collect  # noqa: E402

SETUP = """
let model = try Sequential([LSTM(units: 16, inputShape: [20, 1]), Dense(units: 1)])
model.compile(optimizer: Adam(), loss: .mse)
let x = try Tensor(repeating: 0.5, shape: [256, 20, 1])
let y = try Tensor(repeating: 0.1, shape: [256, 1])
"""


def started(kernel):
    began = time.monotonic()
    km = KernelManager(kernel_name=kernel)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc, time.monotonic() - began


def kernel_pid(km):
    """The kernel process: the provisioner's pid (remote: from the launcher's connection info)."""
    return int(getattr(km.provisioner, "pid", 0) or km.provisioner.process.pid)


def start(kernel):
    km, kc, seconds = started(kernel)
    pid = kernel_pid(km)
    ip = km.ip
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    return {"seconds": seconds, "pid": pid, "ip": ip}


def notebook(kernel, source, target):
    nb = nbformat.read(source, as_version=4)
    began = time.monotonic()
    NotebookClient(nb, kernel_name=kernel, timeout=900, resources={"metadata": {"path": os.path.dirname(source)}}
                   ).execute()
    nbformat.write(nb, target)
    return {"seconds": time.monotonic() - began}


def interrupt(kernel):
    km, kc, _ = started(kernel)
    try:
        setup = execute_and_collect(kc, SETUP, timeout=300, stop_on_error=False)
        assert setup.error is None, setup.error
        timer = threading.Timer(3.0, km.interrupt_kernel)
        timer.start()
        began = time.monotonic()
        fit = execute_and_collect(kc, "try model.fit(x, y, epochs: 100000, batchSize: 8, verbose: 0)",
                                  timeout=120, stop_on_error=False)
        timer.cancel()
        fit_seconds = time.monotonic() - began
        after = execute_and_collect(kc, "let p = try model.predict(x, verbose: 0)\nprint(p.shape)",
                                    timeout=300, stop_on_error=False)
        pid = kernel_pid(km)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    error = fit.error or {}
    return {"ename": error.get("ename"), "evalue": error.get("evalue"), "fit_seconds": fit_seconds,
            "after": after.stream(), "pid": pid, "alive_after_shutdown": km.is_alive()}


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def kill(kernel, which="kernel"):
    """SIGKILLs the remote kernel (or, with `launcher`, the launcher that started it: its parent)."""
    km, kc, _ = started(kernel)
    try:
        ran = execute_and_collect(kc, 'print("ready")', timeout=300, stop_on_error=False)
        assert ran.stream() == "ready\n", ran.messages
        pid = kernel_pid(km) if which == "kernel" else parent_of(kernel_pid(km))
        os.kill(pid, signal.SIGKILL)  # the same pid namespace: the "host" is only a network namespace
        killed = time.monotonic()
        hb_dead = alive_dead = None
        # The heartbeat channel's time_to_dead is 1 s; the provisioner's poll goes to the launcher.
        while time.monotonic() - killed < 30 and (hb_dead is None or alive_dead is None):
            if hb_dead is None and not kc.hb_channel.is_beating():
                hb_dead = time.monotonic() - killed
            if alive_dead is None and not km.is_alive():
                alive_dead = time.monotonic() - killed
            time.sleep(0.1)
        return {"pid": pid, "hb_dead_after": hb_dead, "is_alive_false_after": alive_dead,
                "time_to_dead": kc.hb_channel.time_to_dead}
    finally:
        kc.stop_channels()
        km.cleanup_resources()


def orphan(kernel, polled_seconds):
    """Polls the kernel for `polled_seconds` as a server does, then vanishes without shutting it down."""
    km, kc, _ = started(kernel)
    began = time.monotonic()
    alive = True
    while time.monotonic() - began < float(polled_seconds):
        alive = alive and km.is_alive()
        time.sleep(1)
    print(json.dumps({"pid": kernel_pid(km), "alive_while_polled": alive}), flush=True)
    os._exit(0)


def main():
    scenario, kernel, *rest = sys.argv[1:]
    result = {"start": start, "notebook": notebook, "interrupt": interrupt, "kill": kill, "orphan": orphan}[scenario](kernel, *rest)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
