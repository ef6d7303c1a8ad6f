#!/usr/bin/env python3
"""Runs `swift-lstm-kernel` on a remote host for gateway_provisioners (the launcher protocol), and writes
the kernelspec that makes its SSH (distributed) provisioner start it.

Two subcommands:

* `kernelspec --hosts h1,h2 [--prefix P | --user | --sys-prefix] [--name N]` writes
  `<jupyter data>/kernels/<N>/kernel.json` whose `metadata.kernel_provisioner` is gateway_provisioners'
  `distributed-provisioner`, with the hosts, and whose argv runs this script on the chosen host.
* `launch --kernel-binary B --kernel-id ID --port-range R --response-address A --public-key K` is what that
  argv runs on the remote host (over SSH, under nohup). It picks the kernel's ports, writes the connection
  file (ip 0.0.0.0) in a private folder on the kernel's host, starts the kernel, sends the connection info
  (encrypted with the server's public key) to the response address, and then serves the server's signal,
  poll and shutdown requests on its communication port until the kernel exits; it exits with the kernel.

The protocol side (ports, connection file, encryption, the request socket) is gateway_provisioners' own
`ServerListener`, loaded from the installed package, so the payload always matches the server's version.
The process side is ours: the kernel runs as a child (not a fork of the listener), it receives SIGTERM if
this launcher dies (PR_SET_PDEATHSIG), and this launcher exits as soon as the kernel does, so no listener
is left listening for a dead kernel. The kernel ends its worker (and what its cells started) itself. With
`--orphan-timeout S`, a kernel whose server has not polled for S seconds (the server is gone) is ended too.
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

KERNEL_NAME = "swift-lstm-ssh"
SHUTDOWN_GRACE = 10.0  # seconds a kernel has to exit by itself after the server asked it to shut down


def load_server_listener():
    """gateway_provisioners' ServerListener class (shipped as a launcher script inside the package)."""
    spec = importlib.util.find_spec("gateway_provisioners")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("launch_swift_lstm: gateway_provisioners is not installed in this Python (%s)" % sys.executable)
    package = pathlib.Path(list(spec.submodule_search_locations)[0])
    script = package / "kernel-launchers" / "shared" / "scripts" / "server_listener.py"
    module_spec = importlib.util.spec_from_file_location("gp_server_listener", script)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.ServerListener


def die_with_parent():
    """In the child before exec: SIGTERM when the launcher dies (the kernel then ends its worker)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def launch(args) -> int:
    ServerListener = load_server_listener()
    lower, _, upper = (args.port_range or "0..0").partition("..")
    folder = tempfile.mkdtemp(prefix=f"swift-lstm-launch-{args.kernel_id}-")  # 0700
    conn_file = os.path.join(folder, "connection.json")
    listener = ServerListener(conn_file, 0, int(lower or 0), int(upper or 0), args.response_address,
                              args.kernel_id, args.public_key, None, args.transport_encryption or None)
    comm_port = listener.build_connection_file()

    kernel = subprocess.Popen([args.kernel_binary, "--connection-file", conn_file], preexec_fn=die_with_parent)
    listener.parent_pid = kernel.pid

    def end_when_kernel_ends():
        code = kernel.wait()
        shutil.rmtree(folder, ignore_errors=True)
        print(f"launch_swift_lstm: kernel {kernel.pid} exited with {code}", flush=True)
        os._exit(0 if code is None else (code if code >= 0 else 128 - code))

    def forward(signum, _frame):
        try:
            kernel.send_signal(signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    threading.Thread(target=end_when_kernel_ends, daemon=True).start()

    def end_kernel(reason):
        print(f"launch_swift_lstm: {reason}: ending kernel {kernel.pid}", flush=True)
        forward(signal.SIGTERM, None)
        threading.Timer(SHUTDOWN_GRACE, forward, (signal.SIGKILL, None)).start()

    listener.return_connection_info(comm_port)
    last_contact = time.monotonic()
    ending = False
    while True:  # ends through end_when_kernel_ends
        request = listener.get_server_request()  # None after 5 s without a request
        if request:
            last_contact = time.monotonic()
            if request.get("signum") is not None:
                forward(int(request["signum"]), None)
            if request.get("shutdown") and not ending:
                # The server has sent shutdown_request to the kernel; make sure it does not linger.
                ending = True
                threading.Timer(SHUTDOWN_GRACE, end_kernel, ("shut down by the server",)).start()
        elif args.orphan_timeout and not ending and time.monotonic() - last_contact > args.orphan_timeout:
            ending = True
            end_kernel(f"no request from the server for {args.orphan_timeout:g} s")


def kernels_dir(args) -> pathlib.Path:
    if args.prefix:
        return pathlib.Path(args.prefix) / "share" / "jupyter" / "kernels"
    if args.sys_prefix:
        return pathlib.Path(sys.prefix) / "share" / "jupyter" / "kernels"
    from jupyter_core.paths import jupyter_data_dir
    return pathlib.Path(jupyter_data_dir()) / "kernels"


def write_kernelspec(args) -> pathlib.Path:
    hosts = [h.strip() for h in args.hosts.split(",") if h.strip()]
    if not hosts:
        sys.exit(f"kernelspec: --hosts needs at least one host name, given {args.hosts!r}")
    binary = pathlib.Path(args.kernel_binary).resolve()
    if not binary.is_file():
        sys.exit(f"kernelspec: --kernel-binary must be the built swift-lstm-kernel, given {binary} (not a file)")
    swiftc = shutil.which("swiftc")
    remote_path = args.remote_path or ":".join(
        ([str(pathlib.Path(swiftc).parent)] if swiftc else []) + ["/usr/local/bin", "/usr/bin", "/bin"])
    spec = {
        "display_name": args.display_name or f"Swift (LSTMKit) on {', '.join(hosts)}",
        "language": "swift",
        "interrupt_mode": "message",
        "env": {"PATH": remote_path},
        "metadata": {
            "debugger": False,
            "kernel_provisioner": {
                "provisioner_name": "distributed-provisioner",
                "config": {"remote_hosts": hosts, "launch_timeout": args.launch_timeout},
            },
        },
        "argv": [args.python or sys.executable, str(pathlib.Path(__file__).resolve()), "launch",
                 "--kernel-binary", str(binary), "--kernel-id", "{kernel_id}", "--port-range", "{port_range}",
                 "--response-address", "{response_address}", "--public-key", "{public_key}"]
        + (["--orphan-timeout", f"{args.orphan_timeout:g}"] if args.orphan_timeout else []),
    }
    target = kernels_dir(args) / args.name
    target.mkdir(parents=True, exist_ok=True)
    (target / "kernel.json").write_text(json.dumps(spec, indent=2) + "\n")
    for logo in ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg"):
        source = pathlib.Path(__file__).resolve().parents[2] / "kernelspec" / logo
        if source.is_file():
            shutil.copyfile(source, target / logo)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("launch", help="run the kernel for gateway_provisioners (the kernelspec's argv)")
    run.add_argument("--kernel-binary", required=True)
    run.add_argument("--kernel-id", required=True)
    run.add_argument("--port-range", default="0..0")
    run.add_argument("--response-address", required=True)
    run.add_argument("--public-key", required=True)
    run.add_argument("--transport-encryption", default="")
    run.add_argument("--orphan-timeout", type=float, default=0.0,
                     help="end the kernel after this many seconds without a poll from the server (0: never)")
    spec = sub.add_parser("kernelspec", help="write the swift-lstm-ssh kernelspec")
    spec.add_argument("--hosts", required=True, help="comma-separated host names or addresses")
    spec.add_argument("--kernel-binary", required=True, help="swift-lstm-kernel, at the same path on every host")
    spec.add_argument("--name", default=KERNEL_NAME)
    spec.add_argument("--display-name")
    spec.add_argument("--python", help="the hosts' Python with gateway_provisioners (default: this one)")
    spec.add_argument("--remote-path", help="PATH on the hosts (default: swiftc's folder + /usr/bin:/bin)")
    spec.add_argument("--launch-timeout", type=int, default=60)
    spec.add_argument("--orphan-timeout", type=float, default=0.0,
                      help="the kernel ends after this many seconds without a poll from the server; only for "
                           "servers that poll (jupyter_server's restarter does, every 3 s; nbclient does not)")
    where = spec.add_mutually_exclusive_group()
    where.add_argument("--prefix")
    where.add_argument("--sys-prefix", action="store_true")
    where.add_argument("--user", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "launch":
        return launch(args)
    print(write_kernelspec(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
