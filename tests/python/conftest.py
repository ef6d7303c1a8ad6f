"""Shared fixtures for the Python tests that drive the real kernel binary through jupyter_client.

* `kernel_binary`: the built `swift-lstm-kernel` ($SWIFT_LSTM_KERNEL, else `swift build --show-bin-path`).
* `jupyter_env`: a temporary Jupyter tree with the `swift-lstm` kernelspec installed by
  `swift-lstm-kernel install --prefix <tmp>`; JUPYTER_PATH, JUPYTER_DATA_DIR, JUPYTER_RUNTIME_DIR and
  JUPYTER_CONFIG_DIR point into it for the whole session, so tests never touch the user's kernels or history.
* `kernel_manager` / `kernel_client`: a started kernel and a ready blocking client (one per test).
* `run_cell`: executes code on `kernel_client` and collects the request's iopub messages until idle.
"""
import dataclasses
import os
import pathlib
import subprocess

import pytest
from jupyter_client.manager import KernelManager

KERNEL_NAME = "swift-lstm"
REPO = pathlib.Path(__file__).resolve().parents[2]


def find_kernel_binary() -> pathlib.Path:
    """The kernel binary the tests run; fails with a hint when it has not been built."""
    explicit = os.environ.get("SWIFT_LSTM_KERNEL")
    if explicit:
        path = pathlib.Path(explicit)
    else:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True,
                                 capture_output=True, text=True).stdout.strip()
        path = pathlib.Path(bin_dir) / "swift-lstm-kernel"
    if not path.is_file():
        pytest.fail(f"kernel binary not found at {path}: run `swift build --product swift-lstm-kernel` "
                    "or set SWIFT_LSTM_KERNEL")
    return path.resolve()


@pytest.fixture(scope="session")
def kernel_binary() -> pathlib.Path:
    return find_kernel_binary()


@dataclasses.dataclass
class JupyterEnv:
    """Where the session's temporary Jupyter tree lives."""
    root: pathlib.Path
    prefix: pathlib.Path      # the kernelspec is in prefix/share/jupyter/kernels/swift-lstm
    data_dir: pathlib.Path    # JUPYTER_DATA_DIR (the kernel's history file lives under it)
    env: dict                 # the variables set for the session

    @property
    def kernelspec_dir(self) -> pathlib.Path:
        return self.prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME


@pytest.fixture(scope="session")
def jupyter_env(kernel_binary, tmp_path_factory):
    root = tmp_path_factory.mktemp("jupyter")
    prefix = root / "prefix"
    subprocess.run([str(kernel_binary), "install", "--prefix", str(prefix)], check=True, capture_output=True)
    env = {
        "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        # jupyter_core's classic Linux paths (what the kernel's own path rules follow).
        "JUPYTER_PLATFORM_DIRS": "0",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield JupyterEnv(root=root, prefix=prefix, data_dir=root / "data", env=env)


def start_kernel_manager() -> KernelManager:
    """Starts the swift-lstm kernel through the installed kernelspec (call inside `jupyter_env`)."""
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel()
    return km


def stop_kernel_manager(km: KernelManager) -> None:
    if km.has_kernel:
        km.shutdown_kernel(now=False)


@pytest.fixture
def kernel_manager(jupyter_env):
    km = start_kernel_manager()
    yield km
    stop_kernel_manager(km)


@pytest.fixture
def kernel_client(kernel_manager):
    kc = kernel_manager.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    yield kc
    kc.stop_channels()


@dataclasses.dataclass
class CellRun:
    """What one execute_request produced."""
    reply: dict               # the execute_reply message
    messages: list            # iopub messages with this request as parent, busy … idle inclusive

    @property
    def outputs(self) -> list:
        """iopub messages a notebook would store as outputs (no status, no execute_input)."""
        return [m for m in self.messages if m["msg_type"] not in ("status", "execute_input")]

    def stream(self, name: str = "stdout") -> str:
        return "".join(m["content"]["text"] for m in self.outputs
                       if m["msg_type"] == "stream" and m["content"]["name"] == name)

    @property
    def error(self):
        """The `error` output's content, or None."""
        errors = [m["content"] for m in self.outputs if m["msg_type"] == "error"]
        return errors[0] if errors else None


def execute_and_collect(kc, code: str, timeout: float = 120, **options) -> CellRun:
    """Sends an execute_request and returns its reply and every iopub message it caused, up to `idle`."""
    msg_id = kc.execute(code, **options)
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return CellRun(reply=reply, messages=messages)


@pytest.fixture
def run_cell(kernel_client):
    """`run_cell(code, timeout=120, **execute_options) -> CellRun` on this test's kernel."""
    return lambda code, timeout=120, **options: execute_and_collect(kernel_client, code, timeout, **options)
