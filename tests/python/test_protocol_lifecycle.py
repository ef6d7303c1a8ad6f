"""Starting, stopping and installing the kernel: shutdown (with and without restart), the install
command, and the one-line error for a bad connection file."""
import json
import os
import struct
import subprocess

import pytest

from conftest import KERNEL_NAME, execute_and_collect

pytestmark = pytest.mark.timeout(120)


def test_shutdown_request_on_control_replies_then_exits_by_itself(kernel_manager, kernel_client):
    km, kc = kernel_manager, kernel_client
    process = km.provisioner.process
    msg = kc.session.msg("shutdown_request", content={"restart": False})
    kc.control_channel.send(msg)
    reply = kc.control_channel.get_msg(timeout=10)
    assert reply["msg_type"] == "shutdown_reply"
    assert reply["content"] == {"status": "ok", "restart": False}
    # No signal from us: the kernel must leave on its own, cleanly.
    assert process.wait(timeout=10) == 0


def test_shutdown_on_shell_channel_also_exits(kernel_manager, kernel_client):
    km, kc = kernel_manager, kernel_client
    process = km.provisioner.process
    # Older clients send shutdown_request on shell (jupyter_client 8 uses control).
    msg = kc.session.msg("shutdown_request", content={"restart": False})
    kc.shell_channel.send(msg)
    reply = kc.get_shell_msg(timeout=10)
    assert reply["msg_type"] == "shutdown_reply"
    assert process.wait(timeout=10) == 0


def test_kernel_manager_shutdown_is_graceful(kernel_manager, kernel_client):
    km = kernel_manager
    process = km.provisioner.process
    km.shutdown_kernel(now=False)
    # jupyter_client would SIGTERM/SIGKILL a kernel that lingers: exit status 0 proves it did not.
    assert process.returncode == 0
    assert not km.is_alive()


def test_restart_starts_a_new_process_and_history_survives(kernel_manager, kernel_client):
    km, kc = kernel_manager, kernel_client
    execute_and_collect(kc, "let beforeRestart = 1")
    old_pid = km.provisioner.process.pid
    old_session = kc.history(hist_access_type="tail", n=1, reply=True, timeout=10)["content"]["history"][-1][0]
    km.restart_kernel(now=False)
    assert km.provisioner.process.pid != old_pid
    kc.wait_for_ready(timeout=60)
    assert kc.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"
    history = kc.history(hist_access_type="search", pattern="let beforeRestart*", reply=True,
                         timeout=10)["content"]["history"]
    assert [(e[0], e[2]) for e in history][-1] == (old_session, "let beforeRestart = 1")
    execute_and_collect(kc, "let afterRestart = 2")
    newest = kc.history(hist_access_type="tail", n=1, reply=True, timeout=10)["content"]["history"][-1]
    assert newest[0] == old_session + 1 and newest[1] == 1


def test_sigterm_stops_the_kernel_cleanly(kernel_manager, kernel_client):
    """jupyter_client falls back to SIGTERM; the kernel then stops its interpreter and exits 0."""
    process = kernel_manager.provisioner.process
    process.terminate()
    assert process.wait(timeout=10) == 0


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_install_prefix_writes_a_kernelspec_jupyter_lists(kernel_binary, tmp_path, jupyter_env):
    prefix = tmp_path / "p"
    done = subprocess.run([str(kernel_binary), "install", "--prefix", str(prefix)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    spec_dir = prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"] == [str(kernel_binary), "--connection-file", "{connection_file}"]
    assert os.path.isabs(spec["argv"][0])
    assert spec["display_name"] == "Swift (LSTMKit)"
    assert spec["language"] == "swift"
    assert spec["interrupt_mode"] == "message"
    assert png_size(spec_dir / "logo-32x32.png") == (32, 32)
    assert png_size(spec_dir / "logo-64x64.png") == (64, 64)
    assert (spec_dir / "logo-svg.svg").read_text().startswith("<svg")
    env = dict(os.environ, JUPYTER_PATH=str(prefix / "share" / "jupyter"))
    listed = subprocess.run([os.path.join(os.path.dirname(os.sys.executable), "jupyter"), "kernelspec", "list",
                             "--json"], capture_output=True, text=True, env=env, check=True)
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert os.path.realpath(specs[KERNEL_NAME]["resource_dir"]) == os.path.realpath(spec_dir)
    assert specs[KERNEL_NAME]["spec"]["display_name"] == "Swift (LSTMKit)"


def test_install_user_and_sys_prefix_follow_jupyter_paths(kernel_binary, tmp_path):
    env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path / "data"), VIRTUAL_ENV=str(tmp_path / "venv"))
    subprocess.run([str(kernel_binary), "install", "--user"], env=env, check=True, capture_output=True)
    assert (tmp_path / "data" / "kernels" / KERNEL_NAME / "kernel.json").is_file()
    subprocess.run([str(kernel_binary), "install", "--sys-prefix"], env=env, check=True, capture_output=True)
    assert (tmp_path / "venv" / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json").is_file()
    both = subprocess.run([str(kernel_binary), "install", "--user", "--prefix", str(tmp_path)], env=env,
                          capture_output=True, text=True)
    assert both.returncode != 0 and "choose one" in both.stderr


GOOD = {"transport": "tcp", "ip": "127.0.0.1", "shell_port": 50001, "iopub_port": 50002, "stdin_port": 50003,
        "control_port": 50004, "hb_port": 50005, "key": "k", "signature_scheme": "hmac-sha256"}


@pytest.mark.parametrize("name, contents, expected", [
    ("absent", None, "no such file"),
    ("not-json", "{ this is not json", "not a JSON object"),
    ("array", "[1, 2]", "not a JSON object"),
    ("no-shell-port", json.dumps({k: v for k, v in GOOD.items() if k != "shell_port"}), '"shell_port"'),
    ("bad-port", json.dumps(dict(GOOD, hb_port="x")), '"hb_port"'),
    ("bad-scheme", json.dumps(dict(GOOD, signature_scheme="hmac-md5")), '"signature_scheme"'),
    ("bad-transport", json.dumps(dict(GOOD, transport="udp")), '"transport"'),
])
def test_bad_connection_file_exits_2_with_one_line(kernel_binary, tmp_path, name, contents, expected):
    path = tmp_path / f"{name}.json"
    if contents is not None:
        path.write_text(contents)
    done = subprocess.run([str(kernel_binary), "--connection-file", str(path)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0] and str(path) in lines[0]
    assert done.stdout == ""


def test_missing_connection_file_option_exits_2_with_one_line(kernel_binary):
    done = subprocess.run([str(kernel_binary)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "--connection-file" in done.stderr
