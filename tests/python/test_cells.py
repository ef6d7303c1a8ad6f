"""Swift cells through a real jupyter_client: state across cells, redefinition, results, and every kind
of failure keeping the kernel (and, where safe, the state) alive.

Fixtures (`run_cell`, `kernel_client`) come from conftest.py. Requests are sent with stop_on_error=False
where a failing cell is followed by more cells, so each cell is judged on its own.
"""
import pytest

from conftest import execute_and_collect

ONE_OF_EACH = """
let greeting = "hi"
var counter = 1
func twice(_ x: Int) -> Int { x * 2 }
struct Point { var x: Int; var y: Int }
final class Box { var value = 7 }
enum Colour { case red, green }
protocol Named { var name: String { get } }
typealias Pair = (Int, Int)
actor Tally { var n = 0; func bump() -> Int { n += 1; return n } }
extension Int { var tripled: Int { self * 3 } }
infix operator <+> : AdditionPrecedence
func <+> (a: Int, b: Int) -> Int { a * 10 + b }
"""

@pytest.fixture(autouse=True)
def private_build_cache(tmp_path, monkeypatch):
    """Each test's kernel gets an empty on-disk build cache, so "compiled" versus "cached" is decided by
    this test alone (the kernel inherits the variable when the kernel_manager fixture starts it)."""
    monkeypatch.setenv("SWIFT_LSTM_CELL_CACHE", str(tmp_path / "cell-cache"))


USE_EACH = """
struct Dog: Named { var name: String }
let pair: Pair = (twice(counter), 4.tripled)
print(greeting, counter, pair, Point(x: 1, y: 2).y, Box().value, Colour.green, Dog(name: "rex").name, 1 <+> 2)
"""


def run(run_cell, code, **options):
    options.setdefault("stop_on_error", False)
    return run_cell(code, **options)


def test_every_declaration_kind_is_usable_in_later_cells(run_cell):
    first = run(run_cell, ONE_OF_EACH)
    assert first.reply["content"]["status"] == "ok", first.error
    second = run(run_cell, USE_EACH)
    assert second.reply["content"]["status"] == "ok", second.error
    assert second.stream() == "hi 1 (2, 12) 2 7 green rex 12\n"


def test_var_mutation_and_actor_state_persist(run_cell):
    assert run(run_cell, "var total = 0\nactor Tally { var n = 0 }\nlet tally = Tally()").error is None
    assert run(run_cell, "total += 5").error is None
    assert run(run_cell, "total += 5\nprint(type(of: tally))").stream() == "Tally\n"
    result = run(run_cell, "total")
    assert result.outputs[-1]["msg_type"] == "execute_result"
    assert result.outputs[-1]["content"]["data"]["text/plain"] == "10"


def test_top_level_await_is_refused_with_a_clear_error(run_cell):
    failed = run(run_cell, "func f() async -> Int { 1 }\nprint(await f())")
    assert failed.error["ename"] == "UnsupportedCode"
    assert "await" in failed.error["evalue"]
    assert run(run_cell, "print(\"still fine\")").stream() == "still fine\n"


def test_a_cell_with_only_extensions_still_extends_later_cells(run_cell):
    # A conformance added to an earlier cell's type needs `public` witnesses: through @testable imports the
    # compiler treats that type as public (documented in docs/HOW_IT_WORKS.md).
    assert run(run_cell, "struct Temperature { var celsius: Double }").error is None
    assert run(run_cell, "extension String { var shout: String { uppercased() + \"!\" } }\n"
                         "extension Temperature: CustomStringConvertible { public var description: String { \"\\(celsius) °C\" } }"
               ).error is None
    result = run(run_cell, 'print(Temperature(celsius: 21.5))\n"hi".shout')
    assert result.stream() == "21.5 °C\n"
    assert result.outputs[-1]["content"]["data"]["text/plain"] == '"HI!"'


def test_redefinition_replaces_the_name_for_later_cells(run_cell):
    assert run(run_cell, "let x = 1\nfunc f() -> Int { 1 }").error is None
    assert run(run_cell, "let x = \"now a string\"\nfunc f() -> String { \"two\" }").error is None
    assert run(run_cell, "print(x.count, f())").stream() == "12 two\n"


def test_last_expression_is_the_execute_result_and_void_is_not(run_cell):
    shown = run(run_cell, "let a = [1, 2, 3]\na.map { $0 * 2 }")
    results = [m for m in shown.outputs if m["msg_type"] == "execute_result"]
    assert [r["content"]["data"]["text/plain"] for r in results] == ["[2, 4, 6]"]
    assert results[0]["content"]["execution_count"] == shown.reply["content"]["execution_count"]
    silent = run(run_cell, "print(\"side effect\")")
    assert [m["msg_type"] for m in silent.outputs] == ["stream"]
    assignment = run(run_cell, "var b = 1\nb += 1")
    assert assignment.outputs == []


def test_compile_error_reports_cell_line_and_caret_and_changes_no_state(run_cell):
    assert run(run_cell, "var n = 1").error is None
    failed = run(run_cell, "n = 5\nlet k = 2\nlet bad: Int = \"text\"")
    assert failed.reply["content"]["status"] == "error"
    assert [m["msg_type"] for m in failed.outputs] == ["error"]
    error = failed.error
    assert error["ename"] == "CompileError"
    assert "line 3" in error["evalue"]
    assert any(line.startswith("let bad: Int = \"text\"") for line in error["traceback"])
    caret = error["traceback"][error["traceback"].index('let bad: Int = "text"') + 1]
    assert caret.strip() == "^"
    # The cell never ran: n is unchanged and k does not exist.
    assert run(run_cell, "print(n)").stream() == "1\n"
    assert run(run_cell, "print(k)").error["ename"] == "CompileError"


def test_caret_points_at_the_user_code_in_a_last_expression(run_cell):
    error = run(run_cell, "let q = 1\nq.nothing()").error
    assert error["traceback"][1:] == ["q.nothing()", "  ^"]


def test_top_level_throw_is_one_error_with_type_and_description(run_cell):
    """Guards the `swift_errorInMain` interposition (CellHost/CellRunner.swift): the compiler warns that the
    name is reserved, so a toolchain change could silently break it — then this test fails."""
    assert run(run_cell, "var before = 3").error is None
    failed = run(run_cell, "struct Oops: Error, CustomStringConvertible { var description: String { \"it broke\" } }\n"
                           "print(\"start\")\nthrow Oops()")
    assert failed.reply["content"]["status"] == "error"
    assert [m["msg_type"] for m in failed.outputs if m["msg_type"] != "stream"] == ["error"]
    assert failed.stream() == "start\n" and failed.stream("stderr") == ""
    assert failed.error["ename"] == "Oops"
    assert failed.error["evalue"] == "it broke"
    # The worker survived (the swift_errorInMain interposition) and kept earlier state.
    assert run(run_cell, "print(before)").stream() == "3\n"


def test_thrown_errors_name_their_type_once(run_cell):
    """An LSTMKitError reads `LSTMKitError.shapeMismatch: <message>` once, not `LSTMKit.LSTMKitError:
    LSTMKitError.shapeMismatch: …`; a plain struct error's description is not prefixed with its own name."""
    failed = run(run_cell, "let m = try Sequential([Dense(units: 1, inputShape: [3])])\n"
                           "_ = try m(Tensor.ones([2, 4]))")
    message = "Dense 'dense' expects input of shape (None, 3), got (2, 4)"
    assert failed.error["ename"] == "LSTMKitError.shapeMismatch"
    assert failed.error["evalue"] == message
    assert failed.error["traceback"][0] == f"LSTMKitError.shapeMismatch: {message}"
    assert "LSTMKit.LSTMKitError" not in "\n".join(failed.error["traceback"])

    plain = run(run_cell, "struct Bad: Error { let code: Int }\nthrow Bad(code: 3)")
    assert (plain.error["ename"], plain.error["evalue"]) == ("Bad", "Bad(code: 3)")
    assert plain.error["traceback"][0] == "Bad(code: 3)"


@pytest.mark.parametrize("code, message, line", [
    ("let xs = [1]\nprint(xs[5])", "Index out of range", 2),
    ("let z: Int? = nil\nprint(z!)", "Unexpectedly found nil while unwrapping an Optional value", 2),
    ("var big = Int.max\nbig += 1", "arithmetic overflow", 2),
    ("print(\"about to fail\")\nfatalError(\"boom\")", "boom", 2),
])
def test_traps_are_one_error_with_message_and_line_and_keep_state(run_cell, code, message, line):
    assert run(run_cell, "var kept = 42").error is None
    failed = run(run_cell, code)
    assert failed.reply["content"]["status"] == "error"
    errors = [m for m in failed.outputs if m["msg_type"] == "error"]
    assert len(errors) == 1
    # No stderr stream carries the runtime's report: it is inside the error.
    assert failed.stream("stderr") == ""
    error = failed.error
    assert error["ename"] == "FatalError"
    assert message in error["evalue"]
    assert f"line {line}" in error["evalue"]
    assert run(run_cell, "print(kept)").stream() == "42\n"


def test_a_trap_inside_an_earlier_cells_function_names_that_cell(run_cell):
    defined = run(run_cell, "func pick(_ i: Int) -> Int {\n    let xs = [1, 2]\n    return xs[i]\n}")
    assert defined.error is None
    failed = run(run_cell, "print(pick(0))\nprint(pick(9))")
    count = defined.reply["content"]["execution_count"]
    assert failed.error["ename"] == "FatalError"
    assert failed.error["evalue"] == f"Index out of range (In[{count}], line 3)"


def test_worker_crash_is_reported_and_the_next_cell_runs_on_a_new_worker(run_cell):
    assert run(run_cell, "var lost = 1").error is None
    crashed = run(run_cell, "import Glibc\nraise(SIGSEGV)")
    assert crashed.error["ename"] == "WorkerDied"
    assert "SIGSEGV" in crashed.error["evalue"]
    assert any("state from earlier cells" in line for line in crashed.error["traceback"])
    assert run(run_cell, "print(\"alive\")").stream() == "alive\n"
    # State was lost, as the error said.
    assert run(run_cell, "print(lost)").error["ename"] == "CompileError"


def test_exit_in_a_cell_restarts_the_worker(run_cell):
    exited = run(run_cell, "import Glibc\nexit(3)")
    assert exited.error["ename"] == "WorkerDied"
    assert "status 3" in exited.error["evalue"]
    assert run(run_cell, "1 + 1").outputs[-1]["content"]["data"]["text/plain"] == "2"


def test_rerunning_an_unchanged_cell_reuses_its_build(run_cell):
    assert run(run_cell, "var runs = 0").error is None
    first = run(run_cell, "%%time\nruns += 1\nprint(runs)")
    second = run(run_cell, "%%time\nruns += 1\nprint(runs)")
    assert first.stream().startswith("1\n") and "compile and link" in first.stream()
    assert second.stream().startswith("2\n") and "build cached" in second.stream()


def test_a_restarted_kernel_replaying_the_same_cells_loads_them_from_the_disk_cache(kernel_manager, kernel_client):
    cells = ["var replayed = 41", "%%time\nreplayed += 1\nprint(replayed)"]
    first = [execute_and_collect(kernel_client, code, stop_on_error=False) for code in cells]
    assert "compile and link" in first[1].stream()
    kernel_manager.restart_kernel(now=False)
    kernel_client.wait_for_ready(timeout=60)
    again = [execute_and_collect(kernel_client, code, stop_on_error=False) for code in cells]
    assert again[1].stream().startswith("42\n")
    assert "build cached" in again[1].stream()
