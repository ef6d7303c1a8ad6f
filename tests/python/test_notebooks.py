"""Executes the four notebooks with the swift-lstm kernel and checks what a reader checks.

Execution goes through tools/notebooks/run_notebooks.py (the code `make notebooks` runs), with the session's
temporary kernelspec from conftest's `jupyter_env`. Executed copies land in build/test-notebooks/ so a
failure can be opened and read.
"""

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Loaded from its file: putting tools/ on sys.path would shadow the installed papermill_swift package.
_spec = importlib.util.spec_from_file_location("run_notebooks", REPO / "tools" / "notebooks" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_notebooks)

OUT = REPO / "build" / "test-notebooks"
pytestmark = pytest.mark.timeout(900)

_runs = {}


@pytest.fixture
def executed(jupyter_env, tmp_path, monkeypatch):
    """`executed("02")` → the NotebookRun of that notebook, executed once per session."""
    # The notebook kernels keep their input history in a data dir of their own, so the hundred cells
    # run here never show up in the history other tests read.
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))

    def run(prefix):
        if prefix not in _runs:
            path = next((REPO / "notebooks").glob(f"{prefix}-*.ipynb"))
            _runs[prefix] = run_notebooks.execute_notebook(path, OUT, html=True)
            print(f"{path.name}: {_runs[prefix].seconds:.1f} s")
        result = _runs[prefix]
        assert result.ok, "\n\n".join(f.describe(result.source.name) for f in result.failures)
        return result

    return run


def texts(cell):
    """Everything a reader sees as text under a cell: streams and the text/plain of displays."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)  # a print may arrive in several chunks: join them as they were written
        elif out.output_type in ("execute_result", "display_data"):
            parts.append("\n" + out.data.get("text/plain", "") + "\n")
    return "".join(parts)


def cell_with(nb, snippet):
    """The one code cell whose source contains `snippet`."""
    found = [c for c in nb.cells if c.cell_type == "code" and snippet in c.source]
    assert len(found) == 1, f"expected one cell containing {snippet!r}, found {len(found)}"
    return found[0]


def mime(nb, kind):
    """Every output payload of MIME type `kind` in the notebook."""
    return [out.data[kind] for c in nb.cells if c.cell_type == "code" for out in c.get("outputs", [])
            if out.output_type in ("execute_result", "display_data") and kind in out.data]


def number_after(text, label):
    match = re.search(re.escape(label) + r"\s*(-?[0-9.]+(?:e[-+]?\d+)?)", text)
    assert match, f"{label!r} not found in:\n{text}"
    return float(match.group(1))


def total_params(text):
    return [int(n.replace(",", "")) for n in re.findall(r"Total params: ([\d,]+)", text)]


def curves(nb, snippet, name):
    """The numbers `readCurves` printed for one fit in notebook 03."""
    text = texts(cell_with(nb, snippet))
    first = re.search(rf"{name}: lowest val_loss ([\d.]+) at epoch (\d+) of (\d+); final val_loss ([\d.]+)", text)
    second = re.search(rf"{name}: final loss ([\d.]+); val_loss / loss at the end: ([\d.]+); loss fell (-?[\d.]+)% "
                       rf"over the last \d+ epochs and (-?[\d.]+)% after", text)
    assert first and second, text
    return {"best_val": float(first.group(1)), "best_epoch": int(first.group(2)), "epochs": int(first.group(3)),
            "final_val": float(first.group(4)), "final_loss": float(second.group(1)),
            "val_over_loss": float(second.group(2)), "loss_fell_tail": float(second.group(3)),
            "loss_fell_after_best": float(second.group(4))}


def assert_progress_bar(cell, epochs):
    """The fit's live progress line was saved in its final state."""
    assert live_progress(cell).startswith(f"Epoch {epochs}/{epochs} done"), live_progress(cell)


def assert_clean_and_drawn(result, min_svgs):
    nb = result.notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "a code cell did not run"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    stderr = [o.text for c in code for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"unexpected stderr: {stderr}"
    stdout = "".join(o.text for c in code for o in c.outputs if o.output_type == "stream")
    assert '{"data":' not in stdout, "display records arrived as stdout text: the display pipe is not connected"
    svgs = mime(nb, "image/svg+xml")
    assert len(svgs) >= min_svgs, f"expected at least {min_svgs} SVG outputs, got {len(svgs)}"
    assert all(s.lstrip().startswith("<svg") or s.lstrip().startswith("<?xml") for s in svgs)
    assert result.html and result.html.stat().st_size > 10_000


VIEW = "application/vnd.jupyter.widget-view+json"


def widget_outputs(nb):
    """The outputs saved in the notebook's Output widgets (nbclient records the widget state)."""
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return [o for s in states.values() if s["model_name"] == "OutputModel" for o in s["state"].get("outputs", [])]


def live_progress(cell):
    """The final state of the progress line a `fit(verbose: 1)` leaves under its cell. The line is stream
    text rewritten with carriage returns (so the console and JupyterLab both show it advancing); a saved
    notebook keeps its states, and the last one is what a reader sees."""
    text = "".join(out.text for out in cell.get("outputs", [])
                   if out.output_type == "stream" and out.name == "stdout")
    states = [part.strip() for line in text.split("\n") for part in line.split("\r")
              if part.strip().startswith(("Epoch ", "Stopped after epoch"))]
    assert states, f"no progress line in the cell's output: {text[:300]!r}"
    return states[-1]


def test_01_autoencoder(executed):
    result = executed("01")
    nb = result.notebook
    # the cell-state picture, loss, reconstruction, data flow, two unrolled LSTMs, both reconstructions
    assert_clean_and_drawn(result, min_svgs=7)
    assert "windows: [5, 3, 2]" in texts(cell_with(nb, "temporalize(series"))
    picture = texts(cell_with(nb, "UnrolledRNNDiagram(units: 128"))
    assert "LSTM(128, return_sequences=True), 3 steps" in picture
    summary = texts(cell_with(nb, "let autoencoder = try Sequential"))
    assert total_params(summary) == [248578]
    assert total_params(texts(cell_with(nb, "let regular = try Sequential"))) == [248578]
    assert "(None, 64)" in summary
    assert "(None, 64)" not in texts(cell_with(nb, "let regular = try Sequential"))
    # the per-layer counts the text explains, by formula and as counted
    counts = texts(cell_with(nb, "func lstmParameters"))
    for n in (67072, 49408, 33024, 98816, 258):
        assert f"formula: {n}  counted: {n}" in counts, counts
    assert "total by formula: 248578  counted: 248578" in counts

    training = cell_with(nb, "autoencoder.fit(")
    assert live_progress(training).startswith("Epoch 300/300")  # verbose: 1 shows the live bar
    loss = number_after(texts(training), "loss after 300 epochs:")
    start = number_after(texts(training), "loss after 1 epoch:")
    assert loss < 0.002 and start > 0.1

    # No RepeatVector before TimeDistributed(Dense): (3×128)·(128×2) + bias is the model's output.
    by_hand = texts(cell_with(nb, "let lastDecoderLSTM"))
    assert "last decoder LSTM output: [3, 128]  Dense kernel: [128, 2]  bias: [2]" in by_hand
    assert "(3×128)·(128×2) + bias: [3, 2]" in by_hand
    assert "same as the autoencoder's output: true" in by_hand

    trace = texts(cell_with(nb, "traceShapes(autoencoder"))
    assert "3x2 → 3x128 → 64 → 3x64 → 3x64 → 3x128 → 3x2" in trace
    encoded = [line for line in trace.splitlines() if "encoded vector" in line]
    assert len(encoded) == 1 and encoded[0].startswith("lstm_1 "), trace
    unrolled = texts(cell_with(nb, "unrolledDiagram()"))
    assert "h of every one of the 3 steps" in unrolled and "only the last step's h" in unrolled
    assert "DisplayHandle" not in unrolled

    # The regular network, trained the same way: the text says the two final losses are within a factor
    # of 5 of each other and both hundreds of times below their start.
    compared = texts(cell_with(nb, "let regularHistory = try regular.fit("))
    auto_loss = number_after(compared, "autoencoder:")
    regular_loss = number_after(compared, "regular:")
    assert auto_loss == pytest.approx(loss, rel=1e-5)
    ratio = number_after(compared, "larger / smaller:")
    assert ratio == pytest.approx(max(auto_loss, regular_loss) / min(auto_loss, regular_loss), rel=1e-4)
    assert ratio <= 5, compared
    starts = re.search(r"both started near: ([0-9.e-]+) and ([0-9.e-]+)", compared)
    assert starts and float(starts[1]) / auto_loss > 100 and float(starts[2]) / regular_loss > 100, compared
    assert "regular x³" in compared and "autoencoder x³" in compared and "input x³" in compared

    encodings = texts(cell_with(nb, "let encoder = try Model(inputs: autoencoder.inputs"))
    assert "encodings: [5, 64]" in encodings
    assert "shares the autoencoder's trained weights: true" in encodings

    # The encoding-size slider: a widget view; without a frontend its first setting (4) shows as text, and
    # the Output widget's saved state holds the same line. The text says 1 or 2 give about 0.04 and 7 on
    # below 0.003, so 4 lies between.
    sized = cell_with(nb, 'description: "encoding size"')
    assert any(VIEW in o.get("data", {}) for o in sized.outputs)
    shown = texts(sized)
    assert "encoding size 4: reconstruction loss" in shown, shown
    assert 0.003 < float(re.search(r"→ ([0-9.e-]+) after 300 epochs", shown).group(1)) < 0.04, shown
    assert any("encoding size 4" in o.get("text", "") for o in widget_outputs(nb))

    # Rare events: the altered window's reconstruction error is more than ten times any normal window's.
    anomaly = texts(cell_with(nb, "var alteredRows"))
    normal = [float(x) for x in re.findall(r"(?m)^window \d\s+reconstruction error: ([0-9.e-]+)", anomaly)]
    altered = number_after(anomaly, "altered window 0 reconstruction error:")
    assert len(normal) == 5 and altered > 10 * max(normal), anomaly
    assert number_after(anomaly, "altered / largest normal:") == pytest.approx(altered / max(normal), rel=1e-4)


def test_02_timedistributed(executed):
    result = executed("02")
    nb = result.notebook
    assert_clean_and_drawn(result, min_svgs=2)  # loss history and the model diagram
    settings = texts(cell_with(nb, "let halfEpochs"))
    assert "epochs: one-to-one 1000, many-to-one 500, many-to-many 1000" in settings
    assert "Adam's default learning rate: 0.001" in settings

    # The Keras documentation example: (32, 10, 16) → TimeDistributed(Dense(8)) → (None, 10, 8).
    docs = texts(cell_with(nb, "let docExample"))
    assert "input: [32, 10, 16] → output: [32, 10, 8]" in docs
    assert "(None, 10, 8)" in docs and total_params(docs) == [136]
    assert "parameters: 136 = 16·8 + 8 = 136" in docs

    assert total_params(texts(cell_with(nb, "let oneToOne = try Sequential"))) == [146]
    assert total_params(texts(cell_with(nb, "let manyToOne = try Sequential"))) == [170]
    assert total_params(texts(cell_with(nb, "let manyToMany = try Sequential"))) == [146]
    assert "input [5, 1, 1] target [5, 1]" in texts(cell_with(nb, "let oneToOne = try Sequential"))
    one_to_one = cell_with(nb, "oneToOne.fit(")
    assert live_progress(one_to_one).startswith("Epoch 1000/1000")  # verbose: 1 shows the live bar
    assert "many-to-one epochs: 500" in texts(cell_with(nb, "manyToOne.fit("))
    for snippet, label in [("oneToOne.fit(", "one-to-one final loss:"),
                           ("manyToOne.fit(", "many-to-one final loss:"),
                           ("manyToMany.fit(", "many-to-many final loss:")]:
        assert number_after(texts(cell_with(nb, snippet)), label) < 0.002, label  # from about 0.2

    # "Twice the epochs": the second 500 epochs still lower the loss, which ends above many-to-one's.
    many = texts(cell_with(nb, "manyToMany.fit("))
    half = number_after(many, "many-to-many loss after 500 epochs:")
    final = number_after(many, "many-to-many final loss:")
    assert final < half, many
    assert number_after(many, "many-to-one final loss (500 epochs):") < final, many
    assert "History: 1000 epochs" in many

    # The loss is the mean over the time steps: evaluate() equals the mean, the sum is 5 times larger.
    averaged = texts(cell_with(nb, "let stepErrors"))
    mean = number_after(averaged, "mean over the 5 steps:")
    assert number_after(averaged, "evaluate() reports:") == pytest.approx(mean, rel=1e-4)
    assert number_after(averaged, "sum over the 5 steps:") == pytest.approx(5 * mean, rel=1e-4)

    html = "\n".join(mime(nb, "text/html"))
    assert "Param #" in html and "146" in html
    comparison = texts(cell_with(nb, "let plainDense"))
    assert "parameters: 146 vs 146" in comparison
    assert "output shapes: [1, 5, 1] vs [1, 5, 1]" in comparison
    assert "same predictions: true" in comparison
    assert "LSTM output: [1, 5, 5]  as rows: [5, 5]  kernel: [5, 1]  →  [5, 1]" in comparison
    assert "by hand equals TimeDistributed(Dense): true" in comparison


def test_03_return_sequences_and_state(executed):
    result = executed("03")
    nb = result.notebook
    assert_clean_and_drawn(result, min_svgs=4)  # under-fit, good fit, over-fit and several runs
    assert "output [1, 1]" in texts(cell_with(nb, "let lastOnly"))
    assert "output [1, 3, 1]" in texts(cell_with(nb, "let everyStep"))
    assert "output == h: true" in texts(cell_with(nb, "let stateLSTM"))
    both = texts(cell_with(nb, "let bothLSTM"))
    assert "sequence [1, 3, 1]  h [1, 1]  c [1, 1]" in both
    assert "last step of the sequence == h: true" in both
    stacked = texts(cell_with(nb, "let stacked"))
    assert "without returnSequences:" in stacked and "(None, 8)" in stacked  # the error names the 2-D input
    # The shape explorer: a widget view whose text form (what nbclient and the console show) and saved
    # Output widget state hold the first setting's summary (units 4, 3 steps, 1 feature), trace and shapes.
    explorer = cell_with(nb, "func exploreShapes")
    assert any(VIEW in o.get("data", {}) for o in explorer.outputs)
    shown = texts(explorer)
    assert "(None, 4)" in shown and "3x1 → 4" in shown and "output shapes: (1, 4)\n" in shown, shown
    saved = widget_outputs(nb)
    assert [o["output_type"] for o in saved] == ["display_data", "display_data", "stream"], saved
    assert "(None, 4)" in saved[0]["data"]["text/plain"] and "image/svg+xml" in saved[1]["data"]
    assert saved[2]["text"] == "output shapes: (1, 4)\n"
    assert "decoder output: [1, 2, 1]" in texts(cell_with(nb, "let encoderDecoder"))
    assert "one series: [1, 10, 1]  two parallel series: [1, 10, 2]" in texts(cell_with(nb, "let oneSeries"))
    floor = number_after(texts(cell_with(nb, "let noiseFloor")), "noise floor (lowest possible val_loss):")
    assert 0.005 < floor < 0.02, floor  # the targets' noise has standard deviation 0.1

    under = curves(nb, "let underFit", "under-fit")
    assert under["best_epoch"] == under["epochs"] == 20, under  # val_loss still falling at the last epoch
    assert under["loss_fell_tail"] > 5, under  # training loss still falling: more epochs would help
    assert under["final_val"] > 2 * floor and under["final_loss"] > 2 * floor, under  # "several times the noise floor"
    assert_progress_bar(cell_with(nb, "let goodFit"), epochs=300)

    good = curves(nb, "let goodFit", "good fit")
    assert 1 / 1.5 < good["val_over_loss"] < 1.5, good  # the factor the text states
    assert good["final_val"] < 1.2 * floor, good  # close to the noise floor
    assert abs(good["loss_fell_tail"]) < 5, good  # flattened out

    over = curves(nb, "let overFit", "over-fit")
    assert over["epochs"] == 800 and over["best_epoch"] <= 60, over  # lowest val_loss within a few dozen epochs
    assert over["best_val"] < 1.3 * floor, over  # close to the noise floor at its lowest
    assert over["final_val"] > 1.3 * over["best_val"], over  # then climbs and ends well above its lowest
    assert over["loss_fell_after_best"] > 50 and over["final_loss"] < 0.5 * floor, over  # training loss keeps falling

    stopping = texts(cell_with(nb, "let stopper"))
    assert f"lowest val_loss at epoch {over['best_epoch']}\n" in stopping, stopping
    stopped_after = int(re.search(r"stopped after epoch (\d+) of 800", stopping).group(1))
    assert stopped_after == over["best_epoch"] + 50, stopping  # patience 50
    restored = number_after(stopping, "val_loss of the restored weights:")
    assert abs(restored - over["best_val"]) < 2e-4, stopping

    spread = texts(cell_with(nb, "var runHistories"))
    early = float(re.search(r"val_loss at epoch 20: from .* \(([\d.]+)×\)", spread).group(1))
    late = float(re.search(r"val_loss at epoch 300: from .* \(([\d.]+)×\)", spread).group(1))
    assert early > 1.5 and late < 1.05, spread  # early the runs disagree a lot, at the end within a few percent

    final = texts(cell_with(nb, "let finalModel"))
    assert number_after(final, "final model loss:") < 1.5 * floor  # noisy targets: about the noise floor
    assert 'saved: ["model.json", "model.safetensors"]' in final
    assert "loaded model predicts the same: true" in final


def test_04_sequence_encoder(executed):
    result = executed("04")
    nb = result.notebook
    assert_clean_and_drawn(result, min_svgs=4)  # model diagram, loss curves, scatter, held-out reconstruction
    assert "15 sequences, lengths [4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8]" in texts(cell_with(nb, "var sequences"))
    assert "padded: [15, 8, 1]" in texts(cell_with(nb, "padSequences(sequences"))
    training = texts(cell_with(nb, "autoencoder.fit("))
    loss, val_loss = number_after(training, "loss:"), number_after(training, "val_loss:")
    assert loss < 0.01  # from about 0.2
    ratio = number_after(training, "val_loss / loss:")
    assert ratio == pytest.approx(val_loss / loss, abs=0.06)
    assert ratio > 3, training  # the text: val_loss is several times the training loss
    scatter = [s for s in mime(nb, "image/svg+xml") if "hump8" in s]
    assert scatter, "the scatter plot does not label the points"
    drawn = texts(cell_with(nb, "let encodings = try encoder.predict(data"))
    assert "encodings: [15, 2]" in drawn
    assert number_after(drawn, "nearest other encoding of the same kind:") >= 14, drawn  # "every, or nearly every"
    assert "decoder(encoder(x)) == autoencoder(x): true" in texts(cell_with(nb, "let viaParts"))

    held_out = texts(cell_with(nb, "let heldOut"))
    for kind in ("up", "down", "hump"):  # each unseen sequence lies next to its own kind in the encoding space
        assert re.search(rf"{kind}8: error [\d.]+, nearest other encoding {kind}\d", held_out), held_out
    errors = re.search(r"mean error: training sequences ([\d.]+), held-out sequences ([\d.]+) \(([\d.]+)×\)", held_out)
    assert errors, held_out
    assert float(errors.group(2)) > 1.5 * float(errors.group(1)), held_out  # "worse" (1.7–13.5× over seeds 1–6)
    assert number_after(held_out, "held-out hump: largest error") > 0.1, held_out
    assert any("Held-out hump" in s for s in mime(nb, "image/svg+xml"))

    # The StackOverflow answer's models.
    assert "one-hot data: [500, 10, 5]" in texts(cell_with(nb, "let oneHotData"))
    encoder = texts(cell_with(nb, "let soEncoder"))
    assert total_params(encoder) == [2080] and "(None, 20)" in encoder
    assert "4 × 20 × (5 + 20 + 1) = 2080  countParams: 2080" in encoder
    assert "3 samples encode to [3, 20]" in encoder  # None is the batch size
    decoders = texts(cell_with(nb, "let soDecoder"))
    assert total_params(decoders) == [160, 10600]
    assert "(None, 10, 2)" in decoders and "(None, 10, 5)" in decoders and "(None, 50)" in decoders
    joined = cell_with(nb, "let soAutoencoder")
    assert "autoencoder parameters: 2240" in texts(joined)
    assert_progress_bar(joined, epochs=30)
    accuracy = re.search(r"right symbol at (\d+) of (\d+) real steps", texts(joined))
    assert accuracy and int(accuracy.group(1)) > 0.8 * int(accuracy.group(2)), texts(joined)
    assert "inputs: [500, 9, 5]  targets: [500, 9, 5]" in texts(cell_with(nb, "let nextElement"))

    scaling = texts(cell_with(nb, "var scaler"))
    real_mean = number_after(scaling, "fitted on the real steps: mean [")
    padded_mean = number_after(scaling, "fitted on the padded tensor: mean [")
    assert 265 < real_mean < 295 and padded_mean < real_mean - 50, scaling  # the zeros pull the mean down
    assert -3 < number_after(scaling, "scaled values from") < 0 < number_after(scaling, " to ") < 3, scaling
    assert "-10." in scaling and "encodings: [3, 2]" in scaling


def test_05_forecasting_a_real_series(executed):
    result = executed("05")
    assert result.seconds < 60, result.seconds  # the limit includes SwiftCSV's first build
    nb = result.notebook
    assert_clean_and_drawn(result, min_svgs=3)
    read = texts(cell_with(nb, "%install"))
    assert "Installed SwiftCSV (SwiftCSV)" in read
    assert "309 years, 1700–2008; the first five: [5.0, 11.0, 16.0, 23.0, 36.0]" in read
    shapes = texts(cell_with(nb, "func windows"))
    assert "train [198, 11, 1], validation [40, 11, 1], test [60, 11, 1]" in shapes
    assert "test years: 1949–2008" in shapes
    scores = texts(cell_with(nb, "naive: MAE"))
    lstm, naive = number_after(scores, "LSTM:  MAE"), number_after(scores, "naive: MAE")
    assert lstm < naive, scores
    assert "The LSTM beats the naive forecast." in scores
