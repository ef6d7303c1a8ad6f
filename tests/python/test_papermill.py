"""Papermill end to end with the swift-lstm kernel: `-p epochs 5` reaches the Swift code as `let epochs = 5`."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(autouse=True)
def own_history(jupyter_env, tmp_path, monkeypatch):
    """Kernels started here keep their history apart from the one other tests read."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))


def test_papermill_cli_injects_a_swift_let_and_the_notebook_uses_it(jupyter_env, tmp_path):
    out = tmp_path / "02-five-epochs.ipynb"
    papermill = Path(sys.executable).parent / "papermill"
    result = subprocess.run(
        [str(papermill), "-k", "swift-lstm", str(REPO / "notebooks" / "02-timedistributed.ipynb"), str(out),
         "-p", "epochs", "5", "--cwd", str(tmp_path)],
        capture_output=True, text=True, timeout=500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    nb = nbformat.read(out, as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    parameters_at = next(i for i, t in enumerate(tags) if "parameters" in t)
    injected = nb.cells[parameters_at + 1]
    assert "injected-parameters" in injected.metadata.tags
    assert injected.source == "// Parameters\nlet epochs = 5\n"
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]

    # The training really ran 5 epochs, not the notebook's default: the History display says so.
    history = [o.data["text/plain"] for c in nb.cells for o in c.get("outputs", [])
               if o.output_type == "execute_result" and "History:" in o.data.get("text/plain", "")]
    assert history and history[0].startswith("History: 5 epochs"), history


def test_papermill_python_api_with_several_swift_types(jupyter_env, tmp_path):
    """Every literal kind the translator writes must compile in a real cell and keep its value."""
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "swift-lstm", "display_name": "Swift (LSTMKit)", "language": "swift"}
    params = nbformat.v4.new_code_cell('let name = "default"\nlet units: [Int] = [1]')
    params.metadata.tags = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        'print(name, units.reduce(0, +), rate * 2, verbose, config["activation"] as! String, nothing == nil)')]
    source = tmp_path / "typed.ipynb"
    nbformat.write(nb, source)
    papermill.execute_notebook(
        str(source), str(tmp_path / "typed-out.ipynb"), kernel_name="swift-lstm",
        parameters={"name": 'say "hi"\n', "units": [128, 64], "rate": 0.25, "verbose": True,
                    "config": {"activation": "relu"}, "nothing": None})
    out = nbformat.read(tmp_path / "typed-out.ipynb", as_version=4)
    printed = "".join(o.text for o in out.cells[-1].outputs if o.output_type == "stream")
    assert printed == 'say "hi"\n 192 0.5 true relu true\n'


def test_swift_engine_signs_the_executed_notebook(jupyter_env, tmp_path):
    """`papermill --engine swift` output opens trusted (JupyterLab renders its SVG and HTML as produced)."""
    from nbformat.sign import NotebookNotary

    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "swift-lstm", "display_name": "Swift (LSTMKit)", "language": "swift"}
    nb.cells = [nbformat.v4.new_code_cell('var plot = Plot(title: "p")\nplot.addLine([1, 2])\ndisplay(plot)')]
    source, signed, plain = tmp_path / "in.ipynb", tmp_path / "signed.ipynb", tmp_path / "plain.ipynb"
    nbformat.write(nb, source)
    papermill = Path(sys.executable).parent / "papermill"
    env = dict(os.environ, PYTHONPATH=str(REPO / "tools" / "papermill_swift"))  # this checkout's engine
    for out, extra in [(signed, {}), (plain, {"PAPERMILL_SWIFT_SIGN": "0"})]:
        result = subprocess.run([str(papermill), "--engine", "swift", "-k", "swift-lstm", str(source), str(out)],
                                capture_output=True, text=True, timeout=500, env=dict(env, **extra))
        assert result.returncode == 0, result.stderr[-3000:]
    executed = nbformat.read(signed, as_version=4)
    assert "image/svg+xml" in executed.cells[0].outputs[0].data
    assert NotebookNotary().check_signature(executed)
    assert not NotebookNotary().check_signature(nbformat.read(plain, as_version=4))
