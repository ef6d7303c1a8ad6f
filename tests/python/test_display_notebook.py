"""A notebook executed headless by nbclient keeps what the display helpers showed: the SVG pictures and the
final state of the training progress line; nbconvert renders it to HTML without errors."""
import re
import subprocess
import sys

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

CELLS = [
    "LSTMKit.setRandomSeed(5)\n"
    "let model = try Sequential([LSTM(units: 8, activation: .relu, returnSequences: true, inputShape: [3, 2]),\n"
    "                            LSTM(units: 4, activation: .relu), RepeatVector(3),\n"
    "                            LSTM(units: 8, activation: .relu, returnSequences: true), TimeDistributed(Dense(units: 2))])\n"
    "model.compile(loss: .mse)",
    "try plotModel(model, showShapes: true)",
    "let x = try Tensor.ones([8, 3, 2])\n"
    "let history = try model.fit(x, x, epochs: 4, batchSize: 4, verbose: 1, validationSplit: 0.25)",
    "history",
    "display(try traceShapes(model, x[0]))",
]


def test_executed_notebook_keeps_svgs_and_final_progress_and_converts_to_html(jupyter_env, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {"name": "swift-lstm", "display_name": "Swift (LSTMKit)", "language": "swift"}
    NotebookClient(nb, timeout=300, kernel_name="swift-lstm").execute()
    outputs = [cell.outputs for cell in nb.cells]
    assert not any(o.output_type == "error" for cell in outputs for o in cell), outputs

    [diagram] = outputs[1]
    assert diagram.output_type == "execute_result" and "image/svg+xml" in diagram.data
    assert not any(o.output_type == "display_data" for o in outputs[2])
    # The progress line as nbconvert and nbclient keep a line rewritten with `\r`: its final state only.
    progress = CoalesceStreamsPreprocessor().preprocess_cell(nb.cells[2], {}, 2)[0].outputs
    assert len(progress) == 1 and progress[0].output_type == "stream", progress
    assert progress[0].text.startswith("Epoch 4/4 done [####################]"), progress[0].text
    assert progress[0].text.count("\n") == 1, progress[0].text
    [history] = outputs[3]
    assert history.data["image/svg+xml"].startswith("<svg")
    [trace] = outputs[4]
    assert "encoded vector" in trace.data["text/plain"]
    assert "3x2 → 3x8 → 4 → 3x4 → 3x8 → 3x2" in trace.data["text/plain"]

    # Untrusted (papermill, jupyter execute), JupyterLab renders sanitised HTML and no image/svg+xml; its
    # sanitiser drops <svg> but keeps its text. The figures' HTML is an <img> with alt text, and the
    # text/plain fallbacks read line by line.
    for figure in (diagram, history, trace):
        assert "<svg" not in figure.data["text/html"], figure.data["text/html"][:200]
        assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="[^"]{10,}"', figure.data["text/html"])
    assert 'alt="Model sequential: input_layer → lstm → lstm_1 → repeat_vector → lstm_2 → time_distributed"' \
        in diagram.data["text/html"]
    assert diagram.data["text/plain"].splitlines()[1].strip().startswith("input_layer (InputLayer)")
    assert len(trace.data["text/plain"].splitlines()) == 8, "a title line, a header and one line per layer"
    assert history.data["text/plain"].splitlines()[1].startswith("  loss: ")

    path = tmp_path / "display.ipynb"
    nbformat.write(nb, path)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    assert html.count("data:image/svg+xml") >= 3, "diagram, loss plot and trace figure"
    assert "Epoch 4/4 done" in html
    # What a user runs: nbconvert 7 warns "Alternative text is missing on N image(s)" on stderr and fills
    # in a placeholder for every <img> without alt.
    converted = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", str(path)],
                               capture_output=True, text=True, timeout=300)
    assert converted.returncode == 0, converted.stderr
    assert "Alternative text" not in converted.stderr, converted.stderr
    assert "No description has been provided" not in (tmp_path / "display.html").read_text()
