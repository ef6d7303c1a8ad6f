"""`make lab` serves working copies: what JupyterLab writes into an open notebook (the kernel's
language_info when it connects, outputs on autosave) must land in build/lab, never in the tracked
notebooks/. The test runs the copy step of `make lab`, starts the same `jupyter lab` command on the folder
the target serves (no browser, a free port), opens a notebook through the server's contents API and saves
it back changed as Lab would, then checks `git status` of notebooks/.
"""
import json
import os
import pathlib
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = "02-timedistributed.ipynb"


def make(*args, timeout=120):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def git_status(path="notebooks/"):
    result = subprocess.run(["git", "status", "--porcelain", "--", path], cwd=REPO, capture_output=True,
                            text=True, check=True)
    return result.stdout


def served_directory(lab_dir):
    """The folder `make lab` starts JupyterLab on (read from its recipe, not assumed)."""
    dry = make("-n", "lab", f"LAB_DIR={lab_dir}")
    assert dry.returncode == 0, dry.stderr
    commands = [shlex.split(line) for line in dry.stdout.splitlines() if " lab " in f" {line} "]
    [command] = [words for words in commands if words and words[0].endswith("jupyter") and words[1] == "lab"]
    [folder] = [word for word in command[2:] if not word.startswith("-")]
    return (REPO / folder).resolve()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    def __init__(self, root):
        self.port = free_port()
        self.token = secrets.token_hex(16)
        jupyter = pathlib.Path(sys.executable).with_name("jupyter")
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root.parent / "runtime"))
        self.process = subprocess.Popen(
            [str(jupyter), "lab", str(root), "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", "--ServerApp.port_retries=0"]
            + (["--allow-root"] if os.geteuid() == 0 else []),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def wait_until_up(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stderr.read().decode(errors="replace")
            try:
                return self.request("GET", "/api/status")
            except OSError:
                time.sleep(0.5)
        pytest.fail("jupyter lab did not answer within the timeout")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.mark.timeout(300)
def test_saving_a_notebook_opened_by_make_lab_leaves_the_tracked_notebooks_clean(tmp_path):
    assert git_status() == "", "notebooks/ must start clean for this test to mean anything"
    lab_dir = tmp_path / "lab"
    copied = make("lab-copies", f"LAB_DIR={lab_dir}")
    assert copied.returncode == 0, copied.stderr
    root = served_directory(lab_dir)
    assert (root / NOTEBOOK).is_file()

    server = LabServer(root)
    try:
        server.wait_until_up()
        model = server.request("GET", f"/api/contents/{NOTEBOOK}?content=1")
        notebook = model["content"]
        # What Lab does to an open notebook: the kernel's language_info, then outputs on autosave.
        notebook["metadata"]["language_info"] = {"name": "swift", "version": "6.3.1"}
        cell = next(c for c in notebook["cells"] if c["cell_type"] == "code")
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "saved by the test\n"}]
        cell["execution_count"] = 1
        server.request("PUT", f"/api/contents/{NOTEBOOK}", {"type": "notebook", "format": "json",
                                                            "content": notebook})
    finally:
        server.stop()

    assert git_status() == "", "make lab must not change the tracked notebooks"
    saved = json.loads((root / NOTEBOOK).read_text())
    assert saved["metadata"]["language_info"]["version"] == "6.3.1", "the edit went to the working copy"

    # A second `make lab` keeps the working copy (the user's edits) instead of copying over it.
    again = make("lab-copies", f"LAB_DIR={lab_dir}")
    assert again.returncode == 0, again.stderr
    assert json.loads((lab_dir / NOTEBOOK).read_text())["metadata"]["language_info"]["version"] == "6.3.1"
