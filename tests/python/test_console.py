"""`jupyter console --kernel swift-lstm` end to end, in a pseudo-terminal as a person would use it: the
prompt_toolkit interface (not the simple test prompt), a cell that prints, a cell with a compile error,
Tab completion of an earlier cell's name, a fit whose progress advances on the one line, and Ctrl-D.

The console draws with ANSI escapes; the assertions look at what a reader sees in the text, with the
escapes removed.
"""
import os
import pathlib
import re
import sys

import pexpect
import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIMEOUT = 240  # the first cell compiles with swiftc and the first Tab starts sourcekit-lsp, on a loaded machine

def fit_cell(name, verbose, epochs):
    """One line (Enter runs it): a small model trained, 150 ms an epoch, so progress has time to show."""
    return (f"let {name} = try Sequential([LSTM(units: 3, inputShape: [3, 1]), Dense(units: 1)]); "
            f"{name}.compile(loss: .mse); "
            f"let {name}History = try {name}.fit(Tensor.ones([8, 3, 1]), Tensor.ones([8, 1]), epochs: {epochs}, "
            f"batchSize: 8, verbose: {verbose}, validationSplit: 0.25, "
            "callbacks: [LambdaCallback(onEpochEnd: { _, _ in usleep(150_000) })])")


def visible(text):
    return ANSI.sub("", text)


class Console:
    """`jupyter console` in a pseudo-terminal, tracking the prompt number: prompt_toolkit redraws the
    current prompt while a line is typed, so only the next number marks the end of a cell's output."""

    def __init__(self, env):
        jupyter = pathlib.Path(sys.executable).with_name("jupyter")
        self.child = pexpect.spawn(str(jupyter), ["console", "--kernel", "swift-lstm"], env=env,
                                   encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 200))
        self.count = 1
        self.child.expect(self.prompt(1))
        self.banner = self.child.before

    @staticmethod
    def prompt(number):
        colour = r"(?:\x1b\[[0-9;]*m)*"
        return rf"In \[{colour}{number}{colour}\]: "

    def run(self, code):
        """Types `code` and Enter; returns what was shown until the next prompt."""
        self.child.send(code + "\r")
        return self.wait_for_next_prompt()

    def wait_for_next_prompt(self):
        self.count += 1
        self.child.expect(self.prompt(self.count))
        return self.child.before


@pytest.fixture
def console(jupyter_env):
    env = dict(os.environ, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    env.pop("JUPYTER_CONSOLE_TEST", None)  # that variable selects the simple prompt, without completion
    session = Console(env)
    yield session
    if session.child.isalive():
        session.child.terminate(force=True)


@pytest.mark.timeout(900)
def test_console_runs_cells_shows_errors_completes_and_exits(console, jupyter_env):
    assert "Swift (LSTMKit)" in visible(console.banner), "the kernel's banner"

    console.run("let learningRate = 0.5")
    printed = visible(console.run('print("hello from Swift", 6 * 7)'))
    assert "hello from Swift 42" in printed

    error = visible(console.run('let n: Int = "x"'))
    assert "error: cannot convert value of type 'String' to specified type 'Int'" in error, error
    assert 'let n: Int = "x"' in error.split("error:", 1)[1], "the traceback quotes the line"

    # Tab asks the kernel for completions; the one match is inserted.
    child = console.child
    child.send("learningR")
    child.send("\t")
    child.expect("ate")
    child.send("\r")
    shown = visible(console.wait_for_next_prompt())
    assert re.search(r"Out\[\d+\]: 0\.5", shown), shown

    child.sendcontrol("d")
    child.expect(r"exit \(\[y\]/n\)\?")
    child.send("y\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    runtime = pathlib.Path(jupyter_env.env["JUPYTER_RUNTIME_DIR"])
    assert not list(runtime.glob("kernel-*.json")), "the console shut its kernel down"


def progress_states(shown):
    """The states of the progress line: the text between carriage returns, escapes removed."""
    return [state.strip() for state in visible(shown).replace("\r\n", "\n").split("\r") if state.strip()]


@pytest.mark.timeout(900)
def test_fit_progress_advances_in_the_console(console):
    console.run("import Foundation")
    # verbose 1: one line that the console rewrites as training goes (not a display it cannot update).
    shown = console.run(fit_cell("model", 1, epochs=6))
    lines = [line for line in visible(shown).replace("\r\n", "\n").split("\n")
             if line.lstrip("\r").startswith("Epoch ")]
    assert len(lines) == 1, lines
    states = progress_states(lines[0])
    assert len(states) >= 2 and "done" not in states[0], f"a state shows while training: {states}"
    assert re.match(r"Epoch 6/6 done \[#{20}\] 1/1 - \d+\.\ds elapsed - loss: ", states[-1]), states
    assert "val_loss: " in states[-1]
    assert len({state.split()[1] for state in states}) >= 2, f"the line advances: {states}"

    # verbose 2: Keras's line per epoch, nothing rewritten.
    shown = visible(console.run(fit_cell("model2", 2, epochs=3)))
    epoch_lines = re.findall(r"Epoch \d+/3\r?\n1/1 - \d+s - \d+(?:us|ms|s)/step - loss: \S+ - val_loss: \S+", shown)
    assert len(epoch_lines) == 3, shown
    assert "[#" not in shown
