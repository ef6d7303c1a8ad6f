"""What a kernel session leaves in $TMPDIR: nothing once it has shut down, even after many cell builds
(swiftc leaves a `TemporaryDirectory.*` folder in $TMPDIR on every run), and a killed kernel's folder
is removed by the next kernel."""
import os
import signal

import pytest
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, execute_and_collect

pytestmark = pytest.mark.timeout(300)


def start_kernel(tmpdir):
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(env=dict(os.environ, TMPDIR=str(tmpdir), SWIFT_LSTM_CELL_CACHE="off"))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def test_cell_builds_leave_nothing_in_tmpdir_and_shutdown_removes_the_session(jupyter_env, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    km, kc = start_kernel(tmpdir)
    try:
        for code in ["var total = 1", "total += 1\nprint(total)", 'let broken: Int = "text"']:
            execute_and_collect(kc, code, stop_on_error=False)
        leftovers = sorted(p.name for p in tmpdir.iterdir())
        assert not [n for n in leftovers if n.startswith("TemporaryDirectory.")], leftovers
        assert [n for n in leftovers if n.startswith("swift-lstm-cells-")], "the session folder is in TMPDIR"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    assert sorted(p.name for p in tmpdir.iterdir()) == []


def test_a_killed_kernels_session_folder_is_removed_by_the_next_kernel(jupyter_env, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    km, kc = start_kernel(tmpdir)
    execute_and_collect(kc, "let x = 1", stop_on_error=False)
    kc.stop_channels()
    [killed] = [p for p in tmpdir.iterdir() if p.name.startswith("swift-lstm-cells-")]
    km.signal_kernel(signal.SIGKILL)
    km.shutdown_kernel(now=True)
    assert killed.exists()

    km, kc = start_kernel(tmpdir)
    try:
        assert not killed.exists(), "removed when the next kernel starts"
        assert len([p for p in tmpdir.iterdir() if p.name.startswith("swift-lstm-cells-")]) == 1
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
