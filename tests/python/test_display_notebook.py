"""A notebook executed headless by nbclient keeps what the display helpers showed: the SVG pictures and the
final state of the live progress display; nbconvert renders it to HTML without errors."""
import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

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
    progress = [o for o in outputs[2] if o.output_type == "display_data"]
    assert len(progress) == 1, "updates replace the one progress output in the saved notebook"
    assert progress[0].data["text/plain"].startswith("Epoch 4/4 done"), progress[0].data["text/plain"]
    [history] = outputs[3]
    assert history.data["image/svg+xml"].startswith("<svg")
    [trace] = outputs[4]
    assert "encoded vector" in trace.data["text/plain"]
    assert "3x2 → 3x8 → 4 → 3x4 → 3x8 → 3x2" in trace.data["text/plain"]

    path = tmp_path / "display.ipynb"
    nbformat.write(nb, path)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    # nbconvert embeds image/svg+xml outputs as data-URI images; the trace's HTML carries its figure inline.
    assert html.count("data:image/svg+xml") + html.count("<svg") >= 3, "diagram, loss plot and trace figure"
    assert "Epoch 4/4 done" in html
