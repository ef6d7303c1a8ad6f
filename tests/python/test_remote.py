"""The kernel on other "hosts" through gateway_provisioners' SSH (distributed) provisioner.

Two hosts are network namespaces (`ip netns`) joined to a bridge in the root namespace by veth pairs, each
running Debian's sshd on its own address with root login by a key made for the test. The client (a
subprocess, tests/python/remote_client.py) stays in the root namespace: it reaches the hosts only over that
network, with the `swift-lstm-ssh` kernelspec written by tools/remote/launch_swift_lstm.py. The hosts share
this machine's filesystem, so the kernel binary and the launcher are at the same paths, as on hosts with a
shared /opt or an identical image. Every namespace, bridge and process the test starts is removed in a
finally. Skipped, with the reason, where the machine cannot make namespaces or has no sshd.
"""
import json
import os
import re
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import nbformat
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "tools" / "remote" / "launch_swift_lstm.py"
CLIENT = pathlib.Path(__file__).with_name("remote_client.py")
SSHD = "/usr/sbin/sshd"
ORPHAN_TIMEOUT = 6
pytestmark = pytest.mark.timeout(1800)


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def skip_reason():
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if not shutil.which("ip"):
        return "iproute2 (`ip`) is not installed"
    if not os.path.exists(SSHD):
        return f"{SSHD} is missing (apt-get install openssh-server)"
    try:
        import gateway_provisioners  # noqa: F401
    except ImportError:
        return "gateway_provisioners is not installed (pip install -r requirements.txt)"
    probe = f"lstmprobe{os.getpid()}"
    made = sh("ip", "netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"this machine cannot create network namespaces: {made.stderr.strip()}"
    sh("ip", "netns", "del", probe, check=False)
    return None


def netns_pids(ns):
    out = sh("ip", "netns", "pids", ns, check=False).stdout.split()
    return [int(p) for p in out]


def cmdline(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Hosts:
    """Two namespaces on a bridge; sshd in each. `teardown` undoes everything `setup` did, in any state."""

    def __init__(self, root: pathlib.Path):
        tag = os.getpid() % 100000
        self.root = root
        self.bridge = f"lstmbr{tag}"
        self.names = [f"lstm{tag}h1", f"lstm{tag}h2"]
        self.subnet = f"10.{200 + tag % 50}.{(tag // 50) % 250}"
        self.gateway = f"{self.subnet}.1"
        self.addresses = [f"{self.subnet}.11", f"{self.subnet}.12"]
        self.sshd = []
        self.made_ns = []
        self.made_bridge = False

    def setup(self, kernel_binary):
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        self.made_bridge = True
        sh("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        ssh_dir = self.root / "home" / ".ssh"
        ssh_dir.mkdir(parents=True)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh_dir / "id_ed25519"))
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.root / "host_key"))
        shutil.copyfile(ssh_dir / "id_ed25519.pub", self.root / "authorized_keys")
        host_key = (self.root / "host_key.pub").read_text().split()
        (ssh_dir / "known_hosts").write_text(
            "".join(f"{a} {host_key[0]} {host_key[1]}\n" for a in self.addresses))
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation folder
        for i, (ns, address) in enumerate(zip(self.names, self.addresses)):
            sh("ip", "netns", "add", ns)
            self.made_ns.append(ns)
            veth = f"{self.bridge}v{i}"
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "link", "set", veth, "master", self.bridge, "up")
            sh("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            config = self.root / f"sshd_config_{i}"
            config.write_text(
                f"ListenAddress {address}\nPort 22\nHostKey {self.root / 'host_key'}\n"
                "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\n"
                f"KbdInteractiveAuthentication no\nAuthorizedKeysFile {self.root / 'authorized_keys'}\n"
                "StrictModes no\nUsePAM no\nPidFile none\n")
            log = open(self.root / f"sshd_{i}.log", "w")
            self.sshd.append(subprocess.Popen(["ip", "netns", "exec", ns, SSHD, "-D", "-e", "-f", str(config)],
                                              stdout=log, stderr=subprocess.STDOUT))
        for address in self.addresses:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection((address, 22), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

    def leftovers(self, ns=None):
        """Processes in `ns` other than its sshd listener (and its short-lived session children)."""
        return [(p, cmdline(p)) for p in netns_pids(ns or self.names[0]) if SSHD not in cmdline(p) and "sshd" not in cmdline(p)]

    def teardown(self):
        for ns in self.made_ns:
            for pid in netns_pids(ns):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for proc in self.sshd:
            proc.kill()
            proc.wait(timeout=10)
        for ns in self.made_ns:
            sh("ip", "netns", "del", ns, check=False)
        if self.made_bridge:
            sh("ip", "link", "del", self.bridge, check=False)


@pytest.fixture(scope="module")
def hosts(kernel_binary, jupyter_env, tmp_path_factory):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    h = Hosts(tmp_path_factory.mktemp("remote"))
    try:
        h.setup(kernel_binary)
        subprocess.run([sys.executable, str(LAUNCHER), "kernelspec", "--hosts", ",".join(h.addresses[:1]),
                        "--kernel-binary", str(kernel_binary), "--prefix", str(jupyter_env.prefix)], check=True)
        subprocess.run([sys.executable, str(LAUNCHER), "kernelspec", "--hosts", h.addresses[1],
                        "--name", "swift-lstm-ssh-orphan", "--orphan-timeout", str(ORPHAN_TIMEOUT),
                        "--kernel-binary", str(kernel_binary), "--prefix", str(jupyter_env.prefix)], check=True)
        yield h
    finally:
        h.teardown()
    assert not any(netns_pids(ns) for ns in h.made_ns if sh("ip", "netns", "pids", ns, check=False).returncode == 0)


@pytest.fixture(scope="module")
def client_env(hosts, jupyter_env, tmp_path_factory):
    with socket.socket() as s:  # a free port for the provisioner's response socket
        s.bind((hosts.gateway, 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    env.update(jupyter_env.env)
    env.update({"HOME": str(hosts.root / "home"), "GP_REMOTE_USER": "root",
                # gateway_provisioners refuses KERNEL_USERNAME root by default; the test runs as root.
                "GP_UNAUTHORIZED_USERS": "nobody", "GP_RESPONSE_IP": hosts.gateway,
                "GP_RESPONSE_PORT": str(port), "GP_RESPONSE_PORT_RETRIES": "20",
                "GP_KERNEL_LOG_DIR": str(hosts.root),  # the launcher's log on the host (default /tmp)
                "SWIFT_LSTM_CELL_CACHE": str(tmp_path_factory.mktemp("cells"))})
    return env


def client(env, *args, timeout=1200):
    done = subprocess.run([sys.executable, str(CLIENT), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"client {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def in_namespace(hosts, pid):
    return pid in netns_pids(hosts.names[0])


def test_remote_kernel_starts_on_the_host_and_leaves_nothing(hosts, client_env):
    local = client(client_env, "start", "swift-lstm")
    remote = client(client_env, "start", "swift-lstm-ssh")
    print(f"kernel start to ready: local {local['seconds']:.2f} s, remote over SSH {remote['seconds']:.2f} s")
    assert remote["ip"] == hosts.addresses[0] and local["ip"] != hosts.addresses[0]
    deadline = time.monotonic() + 30
    while hosts.leftovers(hosts.names[0]) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert hosts.leftovers(hosts.names[0]) == []


def wait_no_leftovers(hosts, seconds=30):
    deadline = time.monotonic() + seconds
    while hosts.leftovers(hosts.names[0]) and time.monotonic() < deadline:
        time.sleep(0.5)
    return hosts.leftovers(hosts.names[0])


def test_interrupting_a_remote_fit_keeps_the_model_and_shutdown_ends_every_process(hosts, client_env):
    result = client(client_env, "interrupt", "swift-lstm-ssh")
    # interrupt_mode "message": the interrupt travels as interrupt_request on the control channel.
    assert result["ename"] == "Interrupted", result
    assert "restarted" not in (result["evalue"] or ""), result
    assert result["after"] == "[256, 1]\n", result
    assert result["alive_after_shutdown"] is False
    assert wait_no_leftovers(hosts) == []


@pytest.mark.parametrize("victim", ["kernel", "launcher"])
def test_a_killed_remote_kernel_is_seen_dead_and_leaves_nothing_behind(hosts, client_env, victim):
    result = client(client_env, "kill", "swift-lstm-ssh", victim)
    print(f"remote {victim} SIGKILLed: heartbeat lost after {result['hb_dead_after']} s, "
          f"provisioner poll says dead after {result['is_alive_false_after']} s")
    # The heartbeat channel declares the kernel dead after time_to_dead without a beat; allow the
    # channel's own polling period and a loaded machine on top of it.
    assert result["hb_dead_after"] is not None and result["hb_dead_after"] < 10 * result["time_to_dead"], result
    assert result["is_alive_false_after"] is not None, result
    # The launcher exits with its kernel; a kernel whose launcher died gets SIGTERM (PR_SET_PDEATHSIG);
    # the worker reads end-of-file when its kernel is gone and ends with it.
    assert wait_no_leftovers(hosts) == []


def as_a_terminal_shows(text):
    """Stream text after its `\r` rewrites (each line keeps what follows its last `\r`), with the seconds a
    progress line reports masked: two runs of one notebook differ in timing, not in what they compute."""
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    return re.sub(r"\d+(\.\d+)?s\b", "<t>s", "\n".join(lines))


def outputs_a_reader_sees(nb):
    seen = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        streams = {}
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                # A progress line arrives as many stream messages; the reader sees their sum, rewritten.
                if seen and seen[-1][0] == out.name and streams.get(out.name) is seen[-1]:
                    seen[-1] = streams[out.name] = (out.name, seen[-1][1] + out.text)
                else:
                    seen.append((out.name, out.text))
                    streams[out.name] = seen[-1]
            elif out.output_type in ("execute_result", "display_data"):
                seen.append((out.output_type, sorted(out.data), out.data.get("text/plain")))
            elif out.output_type == "error":
                seen.append(("error", out.ename, out.evalue))
    return seen


def test_notebook_02_gives_the_same_outputs_remotely_as_locally(hosts, client_env, tmp_path):
    source = next((REPO / "notebooks").glob("02-*.ipynb"))
    local = client(client_env, "notebook", "swift-lstm", str(source), str(tmp_path / "local.ipynb"))
    remote = client(client_env, "notebook", "swift-lstm-ssh", str(source), str(tmp_path / "remote.ipynb"))
    print(f"notebook 02: local {local['seconds']:.1f} s, remote {remote['seconds']:.1f} s")
    local_nb = nbformat.read(tmp_path / "local.ipynb", as_version=4)
    remote_nb = nbformat.read(tmp_path / "remote.ipynb", as_version=4)
    def shown(nb):
        return [(kind, as_a_terminal_shows(rest[0])) if kind in ("stdout", "stderr") else (kind, *rest)
                for kind, *rest in outputs_a_reader_sees(nb)]

    seen = shown(local_nb)
    assert seen, "the local run produced no outputs"
    assert shown(remote_nb) == seen
    assert wait_no_leftovers(hosts) == []


def test_a_remote_kernel_whose_server_vanished_ends_after_the_orphan_timeout(hosts, client_env):
    """Host 2's kernelspec has --orphan-timeout: the launcher ends a kernel nobody polls any more."""
    result = client(client_env, "orphan", "swift-lstm-ssh-orphan", str(2 * ORPHAN_TIMEOUT))
    assert result["alive_while_polled"], "the kernel ended while the server was still polling it"
    host = hosts.names[1]
    assert any(str(result["pid"]) == str(p) for p, _ in hosts.leftovers(host)), "the kernel was not on host 2"
    # timeout + one 5 s accept period of the listener + SIGTERM handling, on a loaded machine
    deadline = time.monotonic() + ORPHAN_TIMEOUT + 40
    while hosts.leftovers(host) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert hosts.leftovers(host) == []
