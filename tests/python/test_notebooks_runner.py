"""tools/notebooks/run_notebooks.py as `make notebooks` uses it: a failing cell fails the run, loudly and precisely."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "tools" / "notebooks" / "run_notebooks.py"
pytestmark = pytest.mark.timeout(300)


def swift_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "swift-lstm", "display_name": "Swift (LSTMKit)", "language": "swift"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)
    return path


def run_runner(args, env):
    return subprocess.run([sys.executable, str(RUNNER), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=280)


@pytest.fixture
def env_without_kernels(jupyter_env, tmp_path):
    """The session's Jupyter dirs, but with no kernelspec on JUPYTER_PATH: only --kernel-dir can supply it."""
    env = dict(os.environ, JUPYTER_PATH=str(tmp_path / "empty"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    return env


def test_a_failing_cell_fails_the_run_and_names_cell_and_error(jupyter_env, tmp_path, env_without_kernels):
    bad = swift_notebook(tmp_path / "bad.ipynb", "let a = 1", 'let b: Int = "not a number"', "print(a)")
    good = swift_notebook(tmp_path / "good.ipynb", 'print("fine")')
    out = tmp_path / "out"
    result = run_runner(["--kernel-dir", jupyter_env.kernelspec_dir, "--out", out, bad, good], env_without_kernels)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "bad.ipynb: cell 2 (In [2]) failed: CompileError" in result.stderr, result.stderr
    assert '  | let b: Int = "not a number"' in result.stderr
    assert "FAILED: " in result.stderr and str(bad) in result.stderr
    assert "1/2 notebooks ran cleanly" in result.stdout
    # The failing notebook is saved up to its error; the next notebook still ran.
    executed_bad = nbformat.read(out / "bad.ipynb", as_version=4)
    assert [o.output_type for o in executed_bad.cells[1].outputs] == ["error"]
    assert executed_bad.cells[2].execution_count is None
    executed_good = nbformat.read(out / "good.ipynb", as_version=4)
    assert executed_good.cells[0].outputs[0].text == "fine\n"
    assert (out / "good.html").stat().st_size > 1000
    timings = json.loads((out / "timings.json").read_text())
    assert timings[str(good)]["ok"] is True and timings[str(bad)]["ok"] is False


def test_kernel_dir_accepts_a_jupyter_data_folder(jupyter_env, tmp_path, env_without_kernels):
    nb = swift_notebook(tmp_path / "one.ipynb", "1 + 2")
    data_dir = jupyter_env.prefix / "share" / "jupyter"
    result = run_runner(["--kernel-dir", data_dir, "--no-html", "--out", tmp_path / "out", nb], env_without_kernels)
    assert result.returncode == 0, result.stdout + result.stderr
    executed = nbformat.read(tmp_path / "out" / "one.ipynb", as_version=4)
    assert executed.cells[0].outputs[0].data["text/plain"] == "3"
    assert not (tmp_path / "out" / "one.html").exists()


def test_executed_notebooks_are_trusted_so_their_svgs_render(jupyter_env, tmp_path, env_without_kernels):
    from nbformat.sign import NotebookNotary

    nb = swift_notebook(tmp_path / "plot.ipynb", "var plot = Plot(title: \"t\")\nplot.addLine([1, 2, 3])\nplot")
    result = run_runner(["--kernel-dir", jupyter_env.kernelspec_dir, "--no-html", "--out", tmp_path / "out", nb],
                        env_without_kernels)
    assert result.returncode == 0, result.stdout + result.stderr
    executed = nbformat.read(tmp_path / "out" / "plot.ipynb", as_version=4)
    assert "image/svg+xml" in executed.cells[0].outputs[0].data
    # JupyterLab asks the notary of the user's data folder (where `jupyter trust` records signatures).
    notary = NotebookNotary(data_dir=env_without_kernels["JUPYTER_DATA_DIR"])
    assert notary.check_signature(executed)
    (tmp_path / "other-user").mkdir()
    assert not NotebookNotary(data_dir=str(tmp_path / "other-user")).check_signature(executed)


def test_a_missing_kernelspec_says_how_to_install_it(tmp_path, env_without_kernels):
    nb = swift_notebook(tmp_path / "one.ipynb", "1 + 2")
    env = dict(env_without_kernels, HOME=str(tmp_path), JUPYTER_PREFER_ENV_PATH="0")
    result = run_runner(["--kernel", "swift-lstm-not-installed", "--out", tmp_path / "out", nb], env)
    assert result.returncode != 0
    assert "kernelspec 'swift-lstm-not-installed' not found" in result.stderr
    assert "make install-kernel" in result.stderr
