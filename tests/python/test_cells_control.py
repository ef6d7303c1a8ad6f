"""Swift cells while they run: live output, ordering against the reply, interrupt, stdin, displays and
magics — through a real jupyter_client (fixtures from conftest.py)."""
import datetime
import re
import threading
import time

import pytest

from conftest import execute_and_collect


@pytest.fixture(autouse=True)
def private_build_cache(tmp_path, monkeypatch):
    """Each test's kernel gets an empty on-disk build cache, so "compiled" versus "cached" is decided by
    this test alone (the kernel inherits the variable when the kernel_manager fixture starts it)."""
    monkeypatch.setenv("SWIFT_LSTM_CELL_CACHE", str(tmp_path / "cell-cache"))


def when(msg) -> datetime.datetime:
    date = msg["header"]["date"]
    return date if isinstance(date, datetime.datetime) else datetime.datetime.fromisoformat(date)


def test_output_streams_while_the_cell_runs(run_cell):
    result = run_cell('import Foundation\nprint("first")\nThread.sleep(forTimeInterval: 1.5)\nprint("second")',
                      stop_on_error=False)
    streams = [m for m in result.outputs if m["msg_type"] == "stream"]
    assert "".join(m["content"]["text"] for m in streams) == "first\nsecond\n"
    first = next(m for m in streams if "first" in m["content"]["text"])
    second = next(m for m in streams if "second" in m["content"]["text"])
    # Published when printed, not collected at the end of the cell.
    assert (when(second) - when(first)).total_seconds() >= 1.0


def test_quick_prints_arrive_as_few_stream_messages_with_the_exact_text(run_cell):
    # Unbuffered prints reach the kernel in pieces; the kernel joins what is at most 50 ms old.
    result = run_cell('import Foundation\nfor i in 0..<100 { print("line", i); usleep(500) }', stop_on_error=False)
    assert result.error is None, result.error
    streams = [m for m in result.outputs if m["msg_type"] == "stream"]
    assert result.stream() == "".join(f"line {i}\n" for i in range(100))
    assert len(streams) <= 10, f"{len(streams)} stream messages for 100 quick lines"


def test_all_outputs_come_before_the_reply(run_cell):
    result = run_cell('for i in 0..<200 { print("line", i) }\nFileHandleLike.flushHint\n'
                      .replace("\nFileHandleLike.flushHint", "") + "42", stop_on_error=False)
    assert result.stream().count("\n") == 200
    assert result.outputs[-1]["msg_type"] == "execute_result"
    latest_output = max(when(m) for m in result.outputs)
    assert when(result.reply) >= latest_output


def test_interrupt_of_a_cell_stuck_on_a_lock_restarts_the_worker_and_the_kernel_goes_on(kernel_manager, kernel_client):
    assert execute_and_collect(kernel_client, "var survivor = 1", stop_on_error=False).error is None
    started = time.monotonic()
    timer = threading.Timer(1.5, kernel_manager.interrupt_kernel)
    timer.start()
    try:
        # Blocked on a lock (not the cell's own code: a busy loop is stopped without a restart, see
        # test_hardening_worker.py).
        result = execute_and_collect(kernel_client, "import Glibc\nvar mutex = pthread_mutex_t()\n"
                                     "pthread_mutex_init(&mutex, nil)\npthread_mutex_lock(&mutex)\n"
                                     "pthread_mutex_lock(&mutex)", timeout=60, stop_on_error=False)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    assert result.reply["content"]["status"] == "error"
    assert [m["msg_type"] for m in result.outputs] == ["error"]
    assert result.error["ename"] == "Interrupted"
    assert "restarted" in result.error["evalue"]
    # Interrupt at 1.5 s, two seconds of grace, then a restart: well under a minute.
    assert elapsed < 20
    after = execute_and_collect(kernel_client, 'print("next cell runs")', stop_on_error=False)
    assert after.stream() == "next cell runs\n"


def test_interrupt_of_an_lstmkit_loop_stops_it_cooperatively_and_keeps_state(kernel_manager, kernel_client):
    assert execute_and_collect(kernel_client, "var kept = 5", stop_on_error=False).error is None
    timer = threading.Timer(1.5, kernel_manager.interrupt_kernel)
    timer.start()
    try:
        # LSTMKit's fit/evaluate/predict check the same flag between batches.
        result = execute_and_collect(kernel_client, 'var batches = 0\n'
                                     'while true { try Interruption.check("the test loop"); batches += 1 }',
                                     timeout=60, stop_on_error=False)
    finally:
        timer.cancel()
    assert result.error["ename"] == "Interrupted"
    assert "the test loop was interrupted" in result.error["evalue"]
    assert "restarted" not in result.error["evalue"]
    # No restart: earlier state is still there.
    assert execute_and_collect(kernel_client, "print(kept)", stop_on_error=False).stream() == "5\n"


def interrupted_fit(kernel_manager, kernel_client, verbose, after, timeout):
    """Builds a model that trains for a long time, starts its fit and interrupts it `after` seconds in;
    returns the fit cell's run."""
    setup = execute_and_collect(kernel_client, """
let model = try Sequential([LSTM(units: 16, inputShape: [20, 1]), Dense(units: 1)])
model.compile(optimizer: Adam(), loss: .mse)
let x = try Tensor(repeating: 0.5, shape: [256, 20, 1])
let y = try Tensor(repeating: 0.1, shape: [256, 1])
""", stop_on_error=False)
    assert setup.error is None, setup.error
    timer = threading.Timer(after, kernel_manager.interrupt_kernel)
    timer.start()
    try:
        return execute_and_collect(kernel_client, f"try model.fit(x, y, epochs: 100000, batchSize: 8, verbose: {verbose})",
                                   timeout=timeout, stop_on_error=False)
    finally:
        timer.cancel()


def test_interrupting_fit_keeps_the_model_usable(kernel_manager, kernel_client):
    result = interrupted_fit(kernel_manager, kernel_client, verbose=0, after=2.0, timeout=60)
    assert result.error["ename"] == "Interrupted", result.error
    assert "fit" in result.error["evalue"] and "restarted" not in result.error["evalue"]
    after = execute_and_collect(kernel_client, "let p = try model.predict(x, verbose: 0)\nprint(p.shape)",
                                stop_on_error=False)
    assert after.error is None, after.error
    assert after.stream() == "[256, 1]\n"


def test_interrupted_fit_says_the_same_numbers_as_its_progress_bar(kernel_manager, kernel_client):
    """The progress line ends on "Stopped after epoch C/E [...] S/N"; the error must count the same way
    (C finished epochs, S finished batches of the next), not name the batch that never started."""
    result = interrupted_fit(kernel_manager, kernel_client, verbose=1, after=3.0, timeout=90)
    assert result.error and result.error["ename"] == "Interrupted", [m["content"] for m in result.outputs][-2:]
    # The progress line is stdout text rewritten with carriage returns; its last state is what stays.
    shown = [part.strip() for part in re.split(r"[\r\n]", result.stream()) if part.strip().startswith(("Epoch", "Stopped"))]
    assert shown, result.stream()[-300:]
    bar = re.match(r"Stopped after epoch (\d+)/100000 \[[#-]+\] (\d+)/32", shown[-1])
    assert bar, shown[-1]
    epochs, batches = int(bar.group(1)), int(bar.group(2))
    evalue = result.error["evalue"]
    if batches == 0:
        assert evalue.startswith(f"fit was interrupted after epoch {epochs}/100000;"), (shown[-1], evalue)
    elif epochs == 0:
        assert evalue.startswith(f"fit was interrupted after {batches} of epoch 1's 32 batches;"), (shown[-1], evalue)
    else:
        assert evalue.startswith(f"fit was interrupted after epoch {epochs}/100000 and {batches} of epoch "
                                 f"{epochs + 1}'s 32 batches;"), (shown[-1], evalue)
    assert "LSTMKitError" not in evalue and "LSTMKitError" not in "\n".join(result.error["traceback"])


def test_readline_without_stdin_returns_nil_instead_of_hanging(run_cell):
    result = run_cell('let line = readLine()\nprint(line == nil ? "no input" : "got input")',
                      allow_stdin=False, stop_on_error=False)
    assert result.stream() == "no input\n"


def test_readline_with_stdin_goes_through_input_request(kernel_client):
    msg_id = kernel_client.execute('let name = readLine() ?? "nobody"\nprint("hello, \\(name)")',
                                   allow_stdin=True, stop_on_error=False)
    request = kernel_client.get_stdin_msg(timeout=60)
    assert request["msg_type"] == "input_request"
    kernel_client.input("Ada")
    reply = kernel_client.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kernel_client.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok"
    texts = []
    while True:
        msg = kernel_client.get_iopub_msg(timeout=10)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert "".join(texts) == "hello, Ada\n"


def test_display_keeps_its_place_between_prints(run_cell):
    result = run_cell('print("before")\ndisplay("shown")\nprint("after")', stop_on_error=False)
    assert result.error is None, result.error
    # Consecutive stream messages count as one output (a print may arrive in several writes).
    kinds = [m["msg_type"] for m in result.outputs]
    kinds = [k for i, k in enumerate(kinds) if i == 0 or not (k == "stream" and kinds[i - 1] == "stream")]
    assert kinds == ["stream", "display_data", "stream"]
    display = next(m for m in result.outputs if m["msg_type"] == "display_data")
    assert "shown" in display["content"]["data"]["text/plain"]


def test_magics(run_cell):
    assert run_cell("let answer = 42\nstruct Marker {}", stop_on_error=False).error is None
    who = run_cell("%who", stop_on_error=False).stream()
    assert "answer\tlet\tInt" in who and "Marker\tstruct" in who
    timed = run_cell("%%time\nvar s = 0\nfor i in 0..<1000 { s += i }\nprint(s)", stop_on_error=False).stream()
    assert timed.startswith("499500\n") and "Wall time:" in timed and "CPU times:" in timed
    timeit = run_cell("%timeit _ = answer * 2", stop_on_error=False).stream()
    assert "per loop (mean ± std. dev. of 7 runs" in timeit
    listed = run_cell("%lsmagic", stop_on_error=False).stream()
    for name in ["%%time", "%timeit", "%who", "%reset", "%lsmagic"]:
        assert name in listed
    unknown = run_cell("%frobnicate", stop_on_error=False)
    assert unknown.error["ename"] == "UsageError"
    assert "%frobnicate" in unknown.error["evalue"] and "%timeit" in unknown.error["evalue"]
    reset = run_cell("%reset", stop_on_error=False)
    assert reset.error is None
    assert run_cell("print(answer)", stop_on_error=False).error["ename"] == "CompileError"
