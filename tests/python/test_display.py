"""NotebookDisplay through a real kernel and jupyter_client: display_data, update_display_data with the
same display_id, clear_output, rich cell results, and the training progress text.

Fixtures (`run_cell`) come from conftest.py.
"""
import re


def outputs_of(run, *types):
    return [m for m in run.outputs if m["msg_type"] in types]


def display_id(message):
    return message["content"]["transient"]["display_id"]


def test_display_sends_display_data_with_the_rich_bundle_and_a_display_id(run_cell):
    run = run_cell('display(HTML("<b>bold</b>", fallback: "bold"))')
    assert run.error is None
    [shown] = outputs_of(run, "display_data")
    assert shown["content"]["data"] == {"text/html": "<b>bold</b>", "text/plain": "bold"}
    assert display_id(shown)
    assert outputs_of(run, "execute_result") == [], "the handle of a last-line display() is not shown"


def test_a_last_line_display_shows_only_the_display_in_every_form(run_cell):
    # Reported as showing "NotebookDisplay.DisplayHandle" as Out[n]; IPython's display() returns None.
    for code in ['try display(Tensor([1, 2]))', 'display(Markdown("**x**")) // a comment', 'display(3);',
                 'display(\n  4\n)', 'display(5, id: "five")', '%%time\ndisplay(6)',
                 'let plot = Plot(title: "t")\ndisplay(plot)']:
        run = run_cell(code)
        assert run.error is None, (code, run.error)
        assert len(outputs_of(run, "display_data")) == 1, code
        assert outputs_of(run, "execute_result") == [], code
        assert "DisplayHandle" not in str(run.outputs), code


def test_update_targets_the_same_display_id_and_clear_blanks_it(run_cell):
    run = run_cell('let handle = display("epoch 1/3")\nhandle.update("epoch 3/3")\nhandle.clear()')
    assert run.error is None
    messages = outputs_of(run, "display_data", "update_display_data")
    assert [m["msg_type"] for m in messages] == ["display_data", "update_display_data", "update_display_data"]
    assert len({display_id(m) for m in messages}) == 1
    assert messages[1]["content"]["data"]["text/plain"] == "epoch 3/3"
    assert messages[2]["content"]["data"]["text/plain"] == ""
    # A later cell can update the display made by an earlier one.
    later = run_cell('handle.update("from a later cell")')
    [update] = outputs_of(later, "update_display_data")
    assert display_id(update) == display_id(messages[0])


def test_clear_output_is_published_with_its_wait_flag(run_cell):
    run = run_cell("clearOutput(wait: true)")
    [clear] = outputs_of(run, "clear_output")
    assert clear["content"] == {"wait": True}


def test_prints_and_displays_keep_their_order(run_cell):
    for attempt in range(5):
        run = run_cell(f'print("before {attempt}")\ndisplay("middle")\nprint("after")\nclearOutput()\nprint("end")')
        kinds = [(m["msg_type"], m["content"].get("text") or m["content"].get("data", {}).get("text/plain"))
                 for m in outputs_of(run, "stream", "display_data", "clear_output")]
        assert kinds == [("stream", f"before {attempt}\n"), ("display_data", "middle"), ("stream", "after\n"),
                         ("clear_output", None), ("stream", "end\n")]


def test_tensor_and_string_results(run_cell):
    tensor = run_cell("try Tensor([[0.1, 0.2], [0.3, 0.4]])")
    [result] = outputs_of(tensor, "execute_result")
    assert result["content"]["data"]["text/plain"] == "[[0.1 0.2]\n [0.3 0.4]]"
    assert "Tensor (2, 2) Float32" in result["content"]["data"]["text/html"]
    text = run_cell('"two\\nlines"')
    [result] = outputs_of(text, "execute_result")
    assert result["content"]["data"]["text/plain"] == '"two\\nlines"'


FIT = """
LSTMKit.setRandomSeed(3)
let model = try Sequential([LSTM(units: 4, inputShape: [3, 1]), Dense(units: 1)])
model.compile(loss: .mse)
let history = try model.fit(Tensor.ones([16, 3, 1]), Tensor.ones([16, 1]), epochs: 3, batchSize: 4,
                            verbose: 1, validationSplit: 0.25)
"""


# 150 ms per epoch, so the progress line has time to advance (what is asserted is the text, not the speed).
SLOW_FIT = "import Foundation" + FIT.replace("validationSplit: 0.25)", "validationSplit: 0.25,\n"
                       "    callbacks: [LambdaCallback(onEpochEnd: { _, _ in usleep(150_000) })])")
CARRIAGE_RETURN = re.compile(r".*\r(?=[^\n])")  # what nbconvert and nbclient keep of a rewritten line


def test_fit_verbose_1_rewrites_one_progress_line_in_stream_text(run_cell):
    run = run_cell(SLOW_FIT.replace("epochs: 3", "epochs: 4"))
    assert run.error is None, run.error
    assert outputs_of(run, "display_data", "update_display_data") == [], "no display that consoles cannot update"
    text = run.stream()
    assert text.count("\n") == 1 and text.endswith("\n"), repr(text)
    states = text.rstrip("\n").split("\r")
    assert len(states) >= 2, f"the line advances while training: {text!r}"
    epochs = [int(re.match(r"Epoch (\d+)/4", state).group(1)) for state in states]
    assert epochs == sorted(epochs) and epochs[0] < 4, states
    assert re.match(r"Epoch 4/4 done \[#{20}\] 3/3 - \d+\.\ds elapsed - loss: ", states[-1]), states[-1]
    assert "val_loss: " in states[-1]
    final = CARRIAGE_RETURN.sub("", text)
    assert final.startswith("Epoch 4/4 done") and final.count("\n") == 1, repr(final)


def test_fit_verbose_2_prints_kerass_line_per_epoch(run_cell):
    run = run_cell(SLOW_FIT.replace("verbose: 1", "verbose: 2"))
    assert run.error is None, run.error
    assert outputs_of(run, "display_data", "update_display_data") == []
    text = run.stream()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"], lines
    for line in lines[1::2]:
        assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step - loss: \d\.\d{4} - val_loss: \d\.\d{4}", line), line


def test_history_and_model_results_are_pictures_and_tables(run_cell):
    assert run_cell(FIT).error is None
    [history] = outputs_of(run_cell("history"), "execute_result")
    assert history["content"]["data"]["image/svg+xml"].startswith("<svg xmlns=")
    assert history["content"]["data"]["text/plain"].startswith("History: 3 epochs")
    [summary] = outputs_of(run_cell("model"), "execute_result")
    assert "Total params" in summary["content"]["data"]["text/plain"]
    assert "<table" in summary["content"]["data"]["text/html"]
    [diagram] = outputs_of(run_cell("try plotModel(model, showShapes: true)"), "execute_result")
    assert "lstm (LSTM)" in diagram["content"]["data"]["image/svg+xml"]


def test_bad_input_is_a_clear_error_not_a_crash(run_cell):
    run = run_cell("var plot = Plot()\ntry plot.addLine(x: [1.0, 2.0], y: [1.0])")
    assert run.error is not None
    assert "expected as many x values as y values, got 2 x and 1 y" in run.error["evalue"]
    assert run_cell("1 + 1").error is None, "the kernel keeps working"


def test_seed_001_nested_models_written_literally_show_as_one_row_each(run_cell):
    """Seed 001's line as written (arrays where Keras takes lists); the result shows Keras 3's summary,
    each nested model one row, in the text and HTML forms alike."""
    run = run_cell("""
let inp = Input(shape: [3, 2])
let encoder = try Model(inputs: inp, outputs: LSTM(units: 16, activation: .relu)(inp))
let code = Input(shape: [16])
let decoder = try Model(inputs: code, outputs: TimeDistributed(Dense(units: 2))(
    LSTM(units: 16, activation: .relu, returnSequences: true)(RepeatVector(3)(code))))
let model = try Model(encoder.inputs, decoder(encoder(encoder.inputs)))
model""")
    assert run.error is None, run.error
    [result] = outputs_of(run, "execute_result")
    text, html = result["content"]["data"]["text/plain"], result["content"]["data"]["text/html"]
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == \
        ["input_layer (InputLayer)", "functional (Functional)", "functional_1 (Functional)"], text
    assert "(None, 16)" in rows[1] and "1,216" in rows[1] and "2,146" in rows[2]
    assert "functional_1 (Functional)" in html and "(LSTM)" not in html
