"""Widgets from Swift through a real kernel and jupyter_client, acting as the frontend's widget manager:
comm_open with the ipywidgets (protocol 2) state, comm_info by target, a frontend `update` running the
Swift handler, `echo_update`, comm_close both ways, a throwing handler, malformed comm messages, and
`interact` filling its Output widget.

Fixtures (`kernel_client`, `run_cell`) come from conftest.py.
"""
import time
import uuid

import pytest

VIEW = "application/vnd.jupyter.widget-view+json"


def comm_opens(run, model=None):
    opens = [dict(m["content"], metadata=m["metadata"]) for m in run.outputs if m["msg_type"] == "comm_open"]
    return [o for o in opens if model is None or o["data"]["state"]["_model_name"] == model]


def send_comm(kc, msg_type, comm_id, data, timeout=60):
    """Sends a frontend comm message; returns every iopub message from its busy to its idle (the handler's
    output has the cell that created the widget as parent, so it is collected by position)."""
    msg = kc.session.msg(msg_type, content={"comm_id": comm_id, "data": data})
    kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    found, started = [], False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        mine = m["parent_header"].get("msg_id") == msg_id
        if mine and m["msg_type"] == "status" and m["content"]["execution_state"] == "busy":
            started = True
            continue
        if not started:
            continue
        if mine and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return msg_id, found
        found.append(m)
    raise AssertionError(f"no idle for {msg_type} {msg_id}; got {[m['msg_type'] for m in found]}")


def update(kc, comm_id, state):
    return send_comm(kc, "comm_msg", comm_id, {"method": "update", "state": state, "buffer_paths": []})


def stderr_of(messages):
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")


@pytest.fixture
def slider(run_cell):
    """A displayed IntSlider `units` whose changes are recorded in `seen`; returns (comm id, cell run)."""
    run = run_cell('var seen: [Int] = []\nlet units = IntSlider(4, in: 1...64, description: "units")\n'
                   'units.onChange { seen.append($0) }\ndisplay(units)')
    assert run.error is None, run.error
    [opened] = comm_opens(run, "IntSliderModel")
    return opened["comm_id"], run


def test_a_slider_opens_an_ipywidgets_comm_and_is_displayed_as_a_widget_view(slider, kernel_client):
    comm_id, run = slider
    [opened] = comm_opens(run, "IntSliderModel")
    state = opened["data"]["state"]
    assert opened["target_name"] == "jupyter.widget"
    assert opened["metadata"]["version"].startswith("2."), "the protocol version is in the message's metadata"
    assert (state["_model_module"], state["_model_module_version"]) == ("@jupyter-widgets/controls", "2.0.0")
    assert (state["value"], state["min"], state["max"], state["description"]) == (4, 1, 64, "units")
    # Every model the slider refers to (layout, style) was opened before it.
    opened_ids = {o["comm_id"] for o in comm_opens(run)}
    for key in ("layout", "style"):
        assert state[key].startswith("IPY_MODEL_") and state[key][len("IPY_MODEL_"):] in opened_ids
    [shown] = [m for m in run.outputs if m["msg_type"] == "display_data"]
    assert shown["content"]["data"][VIEW]["model_id"] == comm_id
    assert "units" in shown["content"]["data"]["text/plain"]
    assert all(m["parent_header"]["msg_id"] == run.reply["parent_header"]["msg_id"] for m in run.outputs)


def test_comm_info_lists_the_open_widgets_by_target_name(slider, kernel_client):
    comm_id, run = slider
    comms = kernel_client.comm_info(target_name="jupyter.widget", reply=True, timeout=10)["content"]["comms"]
    assert comms[comm_id] == {"target_name": "jupyter.widget"}
    assert set(comms) == {o["comm_id"] for o in comm_opens(run)}
    other = kernel_client.comm_info(target_name="jupyter.widget.control", reply=True, timeout=10)["content"]
    assert other == {"status": "ok", "comms": {}}


def test_a_frontend_update_runs_the_swift_handler_and_is_echoed(slider, kernel_client, run_cell):
    comm_id, _ = slider
    msg_id, messages = update(kernel_client, comm_id, {"value": 10})
    echoes = [m for m in messages if m["msg_type"] == "comm_msg"]
    assert [e["content"]["data"]["method"] for e in echoes] == ["echo_update"]
    assert echoes[0]["content"]["data"]["state"] == {"value": 10}
    assert echoes[0]["parent_header"]["msg_id"] == msg_id
    update(kernel_client, comm_id, {"value": 12})
    later = run_cell("print(seen, units.value)")
    assert later.stream() == "[10, 12] 12\n"


def test_a_value_set_from_swift_updates_the_frontend(slider, run_cell):
    comm_id, _ = slider
    run = run_cell("units.value = 33")
    [sent] = [m["content"] for m in run.outputs if m["msg_type"] == "comm_msg"]
    assert sent["comm_id"] == comm_id
    assert sent["data"] == {"method": "update", "state": {"value": 33}, "buffer_paths": []}


def test_a_throwing_handler_shows_its_error_in_the_creating_cell_and_keeps_state(slider, kernel_client, run_cell):
    comm_id, created = slider
    run = run_cell('struct TooMany: Error {}\nunits.onChange { if $0 > 50 { throw TooMany() } }')
    assert run.error is None, run.error
    _, messages = update(kernel_client, comm_id, {"value": 60})
    [error] = [m for m in messages if m["msg_type"] == "error"]
    assert error["content"]["ename"] == "TooMany"
    assert error["parent_header"]["msg_id"] == created.reply["parent_header"]["msg_id"]
    later = run_cell("print(seen, units.value)")
    assert later.error is None
    assert later.stream() == "[60] 60\n"
    # The widget keeps working.
    update(kernel_client, comm_id, {"value": 5})
    assert run_cell("print(seen)").stream() == "[60, 5]\n"


def test_malformed_comm_messages_are_logged_and_change_nothing(slider, kernel_client, run_cell):
    comm_id, _ = slider
    _, messages = update(kernel_client, comm_id, {"value": "lots"})
    assert "expected a number" in stderr_of(messages)
    assert not [m for m in messages if m["msg_type"] in ("comm_msg", "error")]
    _, messages = update(kernel_client, comm_id, {"value": 2.5})
    assert "expected an integer" in stderr_of(messages)
    _, messages = update(kernel_client, comm_id, {"no_such_field": 1, "value": 7})
    assert "no_such_field" in stderr_of(messages)
    _, messages = send_comm(kernel_client, "comm_msg", comm_id, {"method": "frobnicate"})
    assert "frobnicate" in stderr_of(messages)
    for data in ("not an object", ["a"], None):
        _, messages = send_comm(kernel_client, "comm_msg", comm_id, data)
        assert not [m for m in messages if m["msg_type"] in ("comm_msg", "error")], data
    # An unknown comm id: ignored, the kernel still answers.
    _, messages = update(kernel_client, uuid.uuid4().hex, {"value": 9})
    assert messages == []
    assert run_cell("print(seen, units.value)").stream() == "[] 4\n"


def test_comm_close_from_the_frontend_forgets_the_widget(slider, kernel_client, run_cell):
    comm_id, _ = slider
    send_comm(kernel_client, "comm_close", comm_id, {})
    comms = kernel_client.comm_info(reply=True, timeout=10)["content"]["comms"]
    assert comm_id not in comms
    _, messages = update(kernel_client, comm_id, {"value": 9})
    assert messages == []
    assert run_cell("print(seen, units.value)").stream() == "[] 4\n"


def test_closing_a_widget_from_swift_sends_comm_close(slider, kernel_client, run_cell):
    comm_id, _ = slider
    run = run_cell("units.close()")
    assert [m["content"]["comm_id"] for m in run.outputs if m["msg_type"] == "comm_close"] == [comm_id]
    assert comm_id not in kernel_client.comm_info(reply=True, timeout=10)["content"]["comms"]


def test_interact_reruns_the_closure_and_replaces_its_output(kernel_client, run_cell):
    run = run_cell('let n = IntSlider(2, in: 1...5, description: "n")\n'
                   'let shapes = Checkbox(false, description: "sequences")\n'
                   'interact(n, shapes) { n, s in display("shape (\\(s ? "32, \\(n)" : "32")), \\(n)") }')
    assert run.error is None, run.error
    [slider_open] = comm_opens(run, "IntSliderModel")
    [output_open] = comm_opens(run, "OutputModel")
    output_id = output_open["comm_id"]

    def shown(messages):
        updates = [m["content"]["data"]["state"]["outputs"] for m in messages
                   if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == output_id
                   and "outputs" in m["content"]["data"]["state"]]
        return [o["data"]["text/plain"] for o in updates[-1]]

    assert shown(run.outputs) == ["shape (32), 2"]
    _, messages = update(kernel_client, slider_open["comm_id"], {"value": 4})
    assert shown(messages) == ["shape (32), 4"]
    [box] = comm_opens(run, "VBoxModel")
    assert len(box["data"]["state"]["children"]) == 3


def test_an_error_in_an_interact_closure_is_shown_in_its_output(kernel_client, run_cell):
    run = run_cell('struct Odd: Error {}\nlet k = IntSlider(2, in: 1...5)\n'
                   'interact(k) { k in if k % 2 == 1 { throw Odd() }; display("even \\(k)") }')
    assert run.error is None, run.error
    [slider_open] = comm_opens(run, "IntSliderModel")
    [output_open] = comm_opens(run, "OutputModel")
    _, messages = update(kernel_client, slider_open["comm_id"], {"value": 3})
    states = [m["content"]["data"]["state"]["outputs"] for m in messages
              if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == output_open["comm_id"]]
    assert states[-1][0]["output_type"] == "error" and states[-1][0]["ename"] == "Odd"
    assert not [m for m in messages if m["msg_type"] == "error"]
    assert run_cell("print(k.value)").stream() == "3\n"


def test_a_button_click_and_a_dropdown_choice_reach_swift(kernel_client, run_cell):
    run = run_cell('var clicks = 0\nlet go = Button(description: "go").onClick { clicks += 1 }\n'
                   'let act = try Dropdown(["tanh", "relu"], description: "activation")\nvar chosen = ""\n'
                   'act.onChange { chosen = $0 }\ndisplay(HBox([go, act]))')
    assert run.error is None, run.error
    [button] = comm_opens(run, "ButtonModel")
    [dropdown] = comm_opens(run, "DropdownModel")
    assert dropdown["data"]["state"]["_options_labels"] == ["tanh", "relu"]
    send_comm(kernel_client, "comm_msg", button["comm_id"], {"method": "custom", "content": {"event": "click"}})
    update(kernel_client, dropdown["comm_id"], {"index": 1})
    _, messages = update(kernel_client, dropdown["comm_id"], {"index": 7})
    assert "index" in stderr_of(messages)
    assert run_cell("print(clicks, chosen, act.value)").stream() == "1 relu relu\n"


def test_interact_over_an_lstm_shows_the_summary_for_each_setting(kernel_client, run_cell):
    # The example of docs/NOTEBOOK_DISPLAY.md: the output shape follows units and returnSequences.
    run = run_cell('let units = IntSlider(4, in: 1...64, description: "units")\n'
                   'let sequences = Checkbox(false, description: "returnSequences")\n'
                   'interact(units, sequences) { u, r in\n'
                   '    let model = try Sequential([LSTM(units: u, returnSequences: r, inputShape: [10, 3])])\n'
                   '    display(model.summaryTable())\n'
                   '}')
    assert run.error is None, run.error
    [slider_open] = comm_opens(run, "IntSliderModel")
    [box_open] = comm_opens(run, "CheckboxModel")
    [output_open] = comm_opens(run, "OutputModel")

    def summary(messages):
        states = [m["content"]["data"]["state"]["outputs"] for m in messages
                  if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == output_open["comm_id"]]
        [shown] = states[-1]
        return shown["data"]["text/plain"]

    assert "(None, 4)" in summary(run.outputs)
    _, messages = update(kernel_client, slider_open["comm_id"], {"value": 8})
    assert "(None, 8)" in summary(messages)
    _, messages = update(kernel_client, box_open["comm_id"], {"value": True})
    assert "(None, 10, 8)" in summary(messages)


def test_an_update_while_a_cell_runs_is_handled_without_waiting_for_the_cell(slider, kernel_client):
    comm_id, _ = slider
    # The cell waits (up to 20 s) for the slider to change; the update must reach it while it runs.
    cell_id = kernel_client.execute('import Foundation\nvar waited = 0\n'
                                    'while units.value == 4 && waited < 2000 { usleep(10_000); waited += 1 }\n'
                                    'print("during the cell:", units.value, seen)')
    time.sleep(0.5)
    msg = kernel_client.session.msg("comm_msg", content={"comm_id": comm_id, "data": {
        "method": "update", "state": {"value": 20}, "buffer_paths": []}})
    kernel_client.shell_channel.send(msg)
    statuses, text = [], ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        m = kernel_client.get_iopub_msg(timeout=120)
        parent = m["parent_header"].get("msg_id")
        if m["msg_type"] == "status" and parent == msg["header"]["msg_id"]:
            statuses.append(m["content"]["execution_state"])
        if m["msg_type"] == "stream" and parent == cell_id:
            text += m["content"]["text"]
        if m["msg_type"] == "status" and parent == cell_id and m["content"]["execution_state"] == "idle":
            break
    assert text == "during the cell: 20 [20]\n"
    assert statuses == ["busy", "idle"], "the comm message got its own busy/idle"


def test_an_executed_notebook_keeps_the_widget_state_in_its_metadata(jupyter_env):
    # nbclient records the comm state as ipywidgets does, so the HTML export shows the widgets' last state.
    import nbclient
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell('let units = IntSlider(4, in: 1...64, description: "units")\n'
                                              'units.value = 9\ndisplay(units)'))
    nb.metadata["kernelspec"] = {"name": "swift-lstm", "display_name": "Swift (LSTMKit)", "language": "swift"}
    nbclient.NotebookClient(nb, timeout=300, kernel_name="swift-lstm").execute()
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    sliders = [s["state"] for s in states.values() if s["model_name"] == "IntSliderModel"]
    assert [(s["value"], s["description"]) for s in sliders] == [(9, "units")]
    [output] = nb.cells[0].outputs
    assert output["data"][VIEW]["model_id"] in states


def run_while_a_cell_waits(kc, comm_id, state, wait_for="units.value == 4"):
    """Runs a cell that waits (up to 20 s) until `wait_for` is false, sends a frontend `update` while it
    runs, and returns (cell msg id, every iopub message until the cell's idle)."""
    cell_id = kc.execute('import Foundation\nvar waited = 0\n'
                         f'while {wait_for} && waited < 2000 {{ usleep(10_000); waited += 1 }}\n'
                         'usleep(300_000)\nprint("cell done")')
    time.sleep(0.5)
    msg = kc.session.msg("comm_msg", content={"comm_id": comm_id, "data": {
        "method": "update", "state": state, "buffer_paths": []}})
    kc.shell_channel.send(msg)
    found = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=120)
        found.append(m)
        if (m["msg_type"] == "status" and m["parent_header"].get("msg_id") == cell_id
                and m["content"]["execution_state"] == "idle"):
            return cell_id, found
    raise AssertionError("the cell did not end")


def test_a_trap_in_a_handler_while_a_cell_runs_is_reported_in_the_creating_cell(slider, kernel_client, run_cell):
    comm_id, created = slider
    run = run_cell('let few = [1, 2]\nunits.onChange { v in if v > 50 { print("picked", few[v]) } }')
    assert run.error is None, run.error
    cell_id, messages = run_while_a_cell_waits(kernel_client, comm_id, {"value": 60})
    origin = created.reply["parent_header"]["msg_id"]
    errors = [m for m in messages if m["msg_type"] == "error"]
    assert [e["parent_header"]["msg_id"] for e in errors] == [origin], "one error, in the cell that made the slider"
    assert errors[0]["content"]["ename"] == "FatalError"
    assert "Index out of range" in errors[0]["content"]["evalue"]
    cell_text = "".join(m["content"]["text"] for m in messages
                        if m["msg_type"] == "stream" and m["parent_header"].get("msg_id") == cell_id)
    assert cell_text == "cell done\n", "the running cell ends normally and shows nothing of the handler"
    # The worker survived with its state: the slider, its value and what the first handler recorded.
    later = run_cell("print(seen, units.value)")
    assert later.error is None, later.error
    assert later.stream() == "[60] 60\n"
    _, more = update(kernel_client, comm_id, {"value": 7})
    assert not [m for m in more if m["msg_type"] == "error"]
    assert run_cell("print(seen)").stream() == "[60, 7]\n"


def test_a_trap_in_an_idle_handler_keeps_the_state(slider, kernel_client, run_cell):
    comm_id, created = slider
    run_cell('var hits = 0\nunits.onChange { v in hits += 1; if v > 50 { fatalError("too many units: \\(v)") } }')
    _, messages = update(kernel_client, comm_id, {"value": 60})
    [error] = [m for m in messages if m["msg_type"] == "error"]
    assert error["parent_header"]["msg_id"] == created.reply["parent_header"]["msg_id"]
    assert "too many units: 60" in error["content"]["evalue"]
    assert run_cell("print(seen, hits, units.value)").stream() == "[60] 1 60\n"


def output_states(messages, output_id):
    return [m["content"]["data"]["state"]["outputs"] for m in messages
            if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == output_id
            and "outputs" in m["content"]["data"]["state"]]


def test_print_inside_interact_goes_to_its_output_widget(kernel_client, run_cell):
    run = run_cell('let k = IntSlider(2, in: 1...5, description: "k")\n'
                   'interact(k) { k in print("k is", k); display("square \\(k * k)"); print("done", k) }')
    assert run.error is None, run.error
    assert run.stream() == "", "nothing printed in the cell itself"
    [slider_open] = comm_opens(run, "IntSliderModel")
    [output_open] = comm_opens(run, "OutputModel")
    last = output_states(run.outputs, output_open["comm_id"])[-1]
    assert [(o["output_type"], o.get("text") or o["data"]["text/plain"]) for o in last] == [
        ("stream", "k is 2\n"), ("display_data", "square 4"), ("stream", "done 2\n")]
    _, messages = update(kernel_client, slider_open["comm_id"], {"value": 3})
    assert not [m for m in messages if m["msg_type"] == "stream"]
    last = output_states(messages, output_open["comm_id"])[-1]
    assert [o.get("text") or o["data"]["text/plain"] for o in last] == ["k is 3\n", "square 9", "done 3\n"]
    # Prints after the interact call are the cell's again.
    assert run_cell('print("plain")').stream() == "plain\n"


def test_a_trap_inside_interact_is_shown_in_its_output_widget(kernel_client, run_cell):
    run = run_cell('let k = IntSlider(1, in: 0...5, description: "k")\nlet table = [10, 20, 30]\n'
                   'interact(k) { k in print("looking up", k); print("found", table[k]) }')
    assert run.error is None, run.error
    [slider_open] = comm_opens(run, "IntSliderModel")
    [output_open] = comm_opens(run, "OutputModel")
    _, messages = update(kernel_client, slider_open["comm_id"], {"value": 4})
    assert not [m for m in messages if m["msg_type"] in ("error", "stream")], messages
    last = output_states(messages, output_open["comm_id"])[-1]
    assert last[0] == {"output_type": "stream", "name": "stdout", "text": "looking up 4\n"}
    assert last[-1]["output_type"] == "error" and "Index out of range" in last[-1]["evalue"]
    # The session and the widget survive; output goes where it went before.
    _, messages = update(kernel_client, slider_open["comm_id"], {"value": 2})
    assert output_states(messages, output_open["comm_id"])[-1] == [
        {"output_type": "stream", "name": "stdout", "text": "looking up 2\nfound 30\n"}]
    assert run_cell('print("after", k.value, table.count)').stream() == "after 2 3\n"


def test_a_live_handler_prints_in_the_creating_cell_and_traps_in_its_output_widget(kernel_client, run_cell):
    run = run_cell('let units = IntSlider(4, in: 1...64, description: "units")\nlet few = [1, 2]\n'
                   'interact(units) { u in print("units", u); if u > 50 { print(few[u]) } }')
    assert run.error is None, run.error
    [slider_open] = comm_opens(run, "IntSliderModel")
    [output_open] = comm_opens(run, "OutputModel")
    cell_id, messages = run_while_a_cell_waits(kernel_client, slider_open["comm_id"], {"value": 60})
    assert not [m for m in messages if m["msg_type"] == "error"]
    cell_text = "".join(m["content"]["text"] for m in messages
                        if m["msg_type"] == "stream" and m["parent_header"].get("msg_id") == cell_id)
    assert cell_text == "cell done\n"
    last = output_states(messages, output_open["comm_id"])[-1]
    assert last[0]["text"] == "units 60\n" and last[-1]["output_type"] == "error"
    assert run_cell("print(units.value)").stream() == "60\n"


def test_a_live_handler_print_goes_to_the_creating_cell(slider, kernel_client, run_cell):
    comm_id, created = slider
    run_cell('units.onChange { v in print("now", v) }')
    cell_id, messages = run_while_a_cell_waits(kernel_client, comm_id, {"value": 9})
    origin = created.reply["parent_header"]["msg_id"]
    by_parent = {}
    for m in messages:
        if m["msg_type"] == "stream":
            by_parent.setdefault(m["parent_header"].get("msg_id"), []).append(m["content"]["text"])
    assert "".join(by_parent.get(origin, [])) == "now 9\n"
    assert "".join(by_parent.get(cell_id, [])) == "cell done\n"


def test_a_trap_in_the_first_run_of_interact_fails_the_cell_and_output_comes_back(kernel_client, run_cell):
    assert run_cell('let k = IntSlider(3, in: 0...5)').error is None
    run = run_cell('interact(k) { k in print("before"); print([1][k]) }')
    assert run.error is not None and run.error["ename"] == "FatalError"
    assert "Index out of range" in run.error["evalue"]
    after = run_cell('print("stdout is back"); print(k.value)')
    assert after.error is None and after.stream() == "stdout is back\n3\n"


def test_interact_with_labelled_ranges_booleans_and_options(kernel_client, run_cell):
    run = run_cell('interact(("units", 1...64), ("timesteps", 1...20), ("returnSequences", true),\n'
                   '         ("activation", ["tanh", "relu"])) { u, t, r, a in\n'
                   '    print("units \\(u) timesteps \\(t) sequences \\(r) \\(a)")\n'
                   '}')
    assert run.error is None, run.error
    sliders = {o["data"]["state"]["description"]: o for o in comm_opens(run, "IntSliderModel")}
    assert {d: (s["data"]["state"]["min"], s["data"]["state"]["max"], s["data"]["state"]["value"])
            for d, s in sliders.items()} == {"units": (1, 64, 32), "timesteps": (1, 20, 10)}
    [box] = comm_opens(run, "CheckboxModel")
    assert (box["data"]["state"]["description"], box["data"]["state"]["value"]) == ("returnSequences", True)
    [menu] = comm_opens(run, "DropdownModel")
    assert menu["data"]["state"]["_options_labels"] == ["tanh", "relu"]
    [output_open] = comm_opens(run, "OutputModel")
    assert output_states(run.outputs, output_open["comm_id"])[-1][0]["text"] == "units 32 timesteps 10 sequences true tanh\n"
    update(kernel_client, sliders["timesteps"]["comm_id"], {"value": 3})
    _, messages = update(kernel_client, box["comm_id"], {"value": False})
    assert output_states(messages, output_open["comm_id"])[-1][0]["text"] == "units 32 timesteps 3 sequences false tanh\n"
    float_run = run_cell('interact(("rate", 0.0...1.0)) { r in print(r) }')
    [fs] = comm_opens(float_run, "FloatSliderModel")
    assert (fs["data"]["state"]["value"], fs["data"]["state"]["step"]) == (0.5, 0.01)


FIT = ('let x = try Tensor(shape: [16, 4, 1], scalars: (0..<64).map { Float($0 % 7) / 7 })\n'
       'let y = try Tensor(shape: [16, 1], scalars: (0..<16).map { Float($0 % 3) / 3 })\n'
       'let model = try Sequential([LSTM(units: 4, inputShape: [4, 1]), Dense(units: 1)])\n'
       'model.compile(optimizer: Adam(), loss: .mse)\n'
       'let history = try model.fit(x, y, epochs: 3, batchSize: 8, verbose: 1, validationSplit: 0.25)\n')


def widget_progress(run):
    """(final FloatProgress state, the last loss plot's SVG) from a fit's messages, or None without widgets."""
    bars = comm_opens(run, "FloatProgressModel")
    if not bars:
        return None
    [bar] = bars
    state = dict(bar["data"]["state"])
    for m in run.outputs:
        if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == bar["comm_id"]:
            state.update(m["content"]["data"].get("state", {}))
    [plot] = comm_opens(run, "OutputModel")
    outputs = [m["content"]["data"]["state"]["outputs"] for m in run.outputs if m["msg_type"] == "comm_msg"
               and m["content"]["comm_id"] == plot["comm_id"] and m["content"]["data"]["state"].get("outputs")]
    return state, outputs[-1][-1]["data"]["image/svg+xml"]


def test_fit_reports_to_a_stream_line_where_no_widget_manager_is_known(kernel_client, run_cell):
    run = run_cell(FIT)
    assert run.error is None, run.error
    assert widget_progress(run) is None
    assert "Epoch 3/3 done" in run.stream()


@pytest.mark.parametrize("announce", ["comm_info", "control_comm"])
def test_fit_reports_to_a_progress_bar_and_a_loss_plot_once_the_frontend_has_widgets(kernel_client, run_cell, announce):
    # What JupyterLab's widget manager does when it connects to a kernel: ask for the `jupyter.widget`
    # comms, or (ipywidgets 8) open a `jupyter.widget.control` comm, which this kernel closes at once.
    if announce == "comm_info":
        kernel_client.comm_info(target_name="jupyter.widget", reply=True, timeout=10)
    else:
        msg = kernel_client.session.msg("comm_open", content={
            "comm_id": uuid.uuid4().hex, "target_name": "jupyter.widget.control", "data": {}})
        kernel_client.shell_channel.send(msg)
        while True:
            m = kernel_client.get_iopub_msg(timeout=30)
            if m["parent_header"].get("msg_id") == msg["header"]["msg_id"] and m["msg_type"] == "comm_close":
                break
    run = run_cell(FIT)
    assert run.error is None, run.error
    assert run.stream() == "", "no stream progress line"
    state, svg = widget_progress(run)
    assert (state["value"], state["bar_style"]) == (1.0, "success")
    assert "loss" in svg and "val_loss" in svg
    [label] = comm_opens(run, "LabelModel")
    texts = [m["content"]["data"]["state"]["value"] for m in run.outputs if m["msg_type"] == "comm_msg"
             and m["content"]["comm_id"] == label["comm_id"] and "value" in m["content"]["data"]["state"]]
    assert texts[-1].startswith("Epoch 3/3 done 2/2 - ") and "val_loss" in texts[-1] and "elapsed" in texts[-1]
    [shown] = [m for m in run.outputs if m["msg_type"] == "display_data"]
    assert VIEW in shown["content"]["data"]


def test_fit_reports_to_widgets_when_asked_explicitly(kernel_client, run_cell):
    run = run_cell("useLiveTrainingProgress(.widgets)\n" + FIT)
    assert run.error is None, run.error
    state, _ = widget_progress(run)
    assert state["value"] == 1.0


def test_a_handler_that_throws_while_a_cell_runs_reports_in_the_creating_cell(slider, kernel_client, run_cell):
    comm_id, created = slider
    assert run_cell('struct TooMany: Error {}\nunits.onChange { if $0 > 50 { throw TooMany() } }').error is None
    cell_id, messages = run_while_a_cell_waits(kernel_client, comm_id, {"value": 60})
    [error] = [m for m in messages if m["msg_type"] == "error"]
    assert error["content"]["ename"] == "TooMany"
    assert error["parent_header"]["msg_id"] == created.reply["parent_header"]["msg_id"]
    assert run_cell("print(seen, units.value)").stream() == "[60] 60\n"


def test_a_slow_handler_started_during_a_cell_finishes_before_the_next_cell_runs(slider, kernel_client, run_cell):
    comm_id, _ = slider
    run_cell('import Foundation\nunits.onChange { v in usleep(1_500_000); print("slow handler done", v) }')
    # The waiting cell ends 0.3 s after the slider moved, while the handler still sleeps.
    run_while_a_cell_waits(kernel_client, comm_id, {"value": 30})
    after = run_cell('print("next cell")')
    assert after.stream() == "next cell\n", "the next cell's output is its own"
    assert run_cell("print(seen)").stream() == "[30]\n"


def test_a_handler_that_never_returns_is_ended_by_interrupting_the_next_cell(slider, kernel_manager, kernel_client,
                                                                            run_cell):
    comm_id, _ = slider
    run_cell('import Foundation\nunits.onChange { _ in while true { usleep(1000) } }')
    run_while_a_cell_waits(kernel_client, comm_id, {"value": 30})
    msg_id = kernel_client.execute('print("next cell")')
    time.sleep(1.5)
    kernel_manager.interrupt_kernel()
    reply = kernel_client.get_shell_msg(timeout=60)
    while reply["parent_header"]["msg_id"] != msg_id:  # the waiting cell's reply comes first
        reply = kernel_client.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "Interrupted"
    after = run_cell('print("a new worker")')
    assert after.error is None and after.stream() == "a new worker\n"
