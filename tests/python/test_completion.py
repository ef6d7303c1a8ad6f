"""is_complete, complete and inspect through jupyter_client against the real kernel: what a console asks
when Enter is pressed, and what JupyterLab shows on Tab and Shift+Tab after earlier cells ran.

One kernel serves the whole module (completion state is read-only; the cells only add names), so the
language server starts once. Cursor positions are Python string indices, i.e. Unicode code points,
which is what protocol 5.2+ counts.
"""
import pathlib
import re

import pytest

from conftest import execute_and_collect, start_kernel_manager, stop_kernel_manager

REPLY_TIMEOUT = 60  # generous: the first completion starts sourcekit-lsp on a loaded 2-core machine

EARLIER_CELL = """\
/// A point in the plane, declared by an earlier cell.
struct Point { var x: Int; var y: Int }
var learningRate = 0.01
let origin = Point(x: 1, y: 2)
/// Doubles a number.
func twice(_ value: Int) -> Int { 2 * value }
"""


MODELS_CELL = """\
let model = try Sequential([LSTM(units: 4, inputShape: [3, 1]), Dense(units: 1)])
model.compile(loss: .mse)
let auto = try Sequential([LSTM(units: 4, inputShape: [3, 1]), RepeatVector(3),
                           LSTM(units: 4, returnSequences: true), TimeDistributed(Dense(units: 1))])
/// Scales every value of a series by `factor`.
func scaled(_ series: [Float], by factor: Float) -> [Float] { series.map { $0 * factor } }
/// Scales every window of a batch by `factor`.
func scaled(_ windows: [[Float]], by factor: Float) -> [[Float]] { windows.map { scaled($0, by: factor) } }
"""


@pytest.fixture(scope="module")
def cell_cache(tmp_path_factory):
    """A build cache of this module's own: doc comments must not depend on what earlier runs cached."""
    cache = tmp_path_factory.mktemp("cell-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWIFT_LSTM_CELL_CACHE", str(cache))
        yield cache


def start_client():
    km = start_kernel_manager()
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return km, client


@pytest.fixture(scope="module")
def kc(jupyter_env, cell_cache):
    km, client = start_client()
    for cell in (EARLIER_CELL, MODELS_CELL):
        run = execute_and_collect(client, cell)
        assert run.reply["content"]["status"] == "ok", run.error
    yield client
    client.stop_channels()
    stop_kernel_manager(km)


def complete(kc, code, cursor_pos=None):
    cursor_pos = len(code) if cursor_pos is None else cursor_pos
    reply = kc.complete(code, cursor_pos, reply=True, timeout=REPLY_TIMEOUT)
    assert reply["content"]["status"] == "ok"
    return reply["content"]


def inspect(kc, code, cursor_pos=None):
    cursor_pos = len(code) if cursor_pos is None else cursor_pos
    reply = kc.inspect(code, cursor_pos, reply=True, timeout=REPLY_TIMEOUT)
    assert reply["content"]["status"] == "ok"
    return reply["content"]


def is_complete(kc, code):
    msg_id = kc.is_complete(code)
    reply = kc.get_shell_msg(timeout=REPLY_TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=REPLY_TIMEOUT)
    return reply["content"]


@pytest.mark.parametrize("code, status, indent", [
    ("print(1)", "complete", None),
    ("struct A { var x: Int }\nA(x: 1)", "complete", None),
    ("for i in 0..<3 {", "incomplete", "    "),
    ("func f() {\n    if true {", "incomplete", "        "),
    ("let xs = [1,\n 2,", "incomplete", "    "),
    ('let s = """\nstill typing', "incomplete", ""),
    ("%%time\nfor i in 0..<3 {", "incomplete", "    "),
    ("}", "invalid", None),
    ("let = 5", "invalid", None),
    ('let s = "no end', "invalid", None),
])
def test_is_complete(kc, code, status, indent):
    reply = is_complete(kc, code)
    assert reply["status"] == status, reply
    if indent is not None:
        assert reply["indent"] == indent


def test_members_of_a_struct_declared_in_an_earlier_cell(kc):
    reply = complete(kc, "origin.")
    assert {"x", "y"} <= set(reply["matches"]), reply["matches"]
    assert reply["cursor_start"] == reply["cursor_end"] == len("origin.")


def test_completion_works_below_a_cell_magic(kc):
    code = "%%time\nlet sum = origin."
    reply = complete(kc, code)
    assert {"x", "y"} <= set(reply["matches"]), reply["matches"]
    assert reply["cursor_start"] == len(code)


def test_an_earlier_global_completes_by_prefix_and_replaces_the_prefix(kc):
    code = "let rate = learningRate * 2\nprint(lear"
    reply = complete(kc, code)
    assert reply["matches"][0] == "learningRate", reply["matches"]
    assert (reply["cursor_start"], reply["cursor_end"]) == (len(code) - 4, len(code))


def test_lstmkit_api_is_in_scope(kc):
    assert "relu" in complete(kc, "let a = Activation.re")["matches"]
    assert "Dense" in complete(kc, "let layer = Dens")["matches"]


def test_cursor_offsets_count_code_points(kc):
    # The die is one code point but two UTF-16 units: offsets must not drift after it.
    code = "let 🎲 = [1, 2]\nlet n = 🎲.co"
    reply = complete(kc, code)
    assert "count" in reply["matches"], reply["matches"]
    assert all(m.startswith("co") for m in reply["matches"]), reply["matches"]
    assert (reply["cursor_start"], reply["cursor_end"]) == (len(code) - 2, len(code))


def test_matches_carry_types_for_jupyterlab(kc):
    reply = complete(kc, "origin.")
    types = reply["metadata"]["_jupyter_types_experimental"]
    assert [t["text"] for t in types] == reply["matches"]
    x = next(t for t in types if t["text"] == "x")
    assert x["type"] == "property" and "Int" in x["signature"]


def test_unknown_prefix_completes_to_nothing(kc):
    reply = complete(kc, "qqqzzzxx")
    assert reply["matches"] == []


def test_inspect_shows_the_doc_comment_of_an_earlier_cells_declaration(kc):
    reply = inspect(kc, "let p = Point(x: 3, y: 4)", cursor_pos=10)
    assert reply["found"] is True
    assert "struct Point" in reply["data"]["text/plain"]
    assert "A point in the plane, declared by an earlier cell." in reply["data"]["text/plain"]
    assert "```swift" in reply["data"]["text/markdown"]


def test_inspect_inside_a_call_documents_the_function(kc):
    reply = inspect(kc, "let d = twice(")
    assert reply["found"] is True
    assert "func twice(_ value: Int) -> Int" in reply["data"]["text/plain"]
    assert "Doubles a number." in reply["data"]["text/plain"]


def test_inspect_an_lstmkit_type(kc):
    reply = inspect(kc, "Dense")
    assert reply["found"] is True
    assert "class Dense" in reply["data"]["text/plain"]


def test_inspect_nothing_found(kc):
    assert inspect(kc, "1 + ")["found"] is False


def test_execution_goes_on_after_completion_and_sees_earlier_state(kc):
    complete(kc, "origin.")
    inspect(kc, "origin")
    run = execute_and_collect(kc, "print(twice(origin.y), learningRate)")
    assert run.reply["content"]["status"] == "ok", run.error
    assert run.stream() == "4 0.01\n"


# Inspect (Shift+Tab) on methods, overloaded functions and the user's own functions: the cursor at the
# end, inside the name, or inside the call's parentheses. `|` marks the cursor (it is removed).
FIT = ("func fit(_ x: Tensor, _ y: Tensor, epochs: Int = 1", "Trains the model (Keras's `fit`)")
PREDICT = ("func predict(_ x: Tensor, batchSize: Int = 32", "The model's (first) output for `x`")
COMPILE = ("func compile(optimizer: Optimizer = Adam(), loss: Loss", "Configures training")
PAD = ("func padSequences(_ sequences: [[Float]], maxlen: Int? = nil", "Pads (or truncates) variable-length")
TEMPORALIZE = ("func temporalize(_ x: Tensor, _ y: [Float], lookback: Int)", "overlapping windows")
SCALED = ("func scaled(_ series: [Float], by", "-> [Float]", "Scales every value of a series")


@pytest.mark.parametrize("code, expected", [
    ("model.fit(|", FIT),
    ("model.fit|", FIT),
    ("model.f|it", FIT),
    ("let h = try model.fit(x, x, epochs: 3, |verbose: 0)", FIT),
    ("let h = try model.fit(x, x, epo|", FIT),
    ("auto.predict(|", PREDICT),
    ("let y = try auto.pre|dict(x)", PREDICT),
    ("auto.compile|", COMPILE),
    ("auto.compile(optimizer: Adam(), loss: .mse|)", COMPILE),
    ("padSequences(|", PAD),
    ("let p = try padSequences([[1, 2], [3]], maxlen: 3, |", PAD),
    ("temporalize(|", TEMPORALIZE),
    ("let w = try tempo|ralize(x, lookback: 3)", TEMPORALIZE),
    ("print(try temporalize(x, lookback: |", TEMPORALIZE),
    ("scaled(|", SCALED + ("Scales every value of a series",)),
    ("let s = scal|ed([1, 2], by: 2)", SCALED + ("Scales every value of a series",)),
    ("model.summaryTable|", ("func summaryTable() -> ModelSummary", "")),
    ("let t = try Tensor(|", ("struct Tensor", "An n-dimensional array")),
    ("LSTM|", ("class LSTM", "Long short-term memory layer")),
])
def test_inspect_methods_and_overloaded_functions(kc, code, expected):
    cursor = code.index("|")
    reply = inspect(kc, code.replace("|", ""), cursor_pos=cursor)
    assert reply["found"] is True, code
    text = reply["data"]["text/plain"]
    for part in expected:
        assert part in text, text
    assert "```swift" in reply["data"]["text/markdown"]


def test_inspect_an_overloaded_name_lists_every_overload(kc):
    text = inspect(kc, "padSequences(")["data"]["text/plain"]
    assert "padSequences(_ sequences: [[Float]]" in text and "padSequences(_ sequences: [[[Float]]]" in text, text
    text = inspect(kc, "scaled")["data"]["text/plain"]
    assert "Scales every value of a series" in text and "Scales every window of a batch" in text, text


def test_inspect_keeps_doc_comments_of_a_cell_restored_from_the_build_cache(kc):
    km, client = start_client()   # same cache as `kc`: EARLIER_CELL is a cache hit now
    try:
        run = execute_and_collect(client, EARLIER_CELL)
        assert run.reply["content"]["status"] == "ok", run.error
        inspect(client, "Point")   # starts this kernel's language server
        reply = inspect(client, "let d = twice(")
        assert reply["found"] is True
        assert "Doubles a number." in reply["data"]["text/plain"]
    finally:
        client.stop_channels()
        stop_kernel_manager(km)


def public_symbols():
    """What inspect must document, read from the sources: every top-level public type and free function
    of LSTMKit and NotebookDisplay (as `Name` and `name(`), and every public method of `Model` and
    `Sequential` (as `model.name(`)."""
    symbols = set()
    sources = pathlib.Path(__file__).resolve().parents[2] / "Sources"
    for path in sorted([*sources.glob("LSTMKit/**/*.swift"), *sources.glob("NotebookDisplay/**/*.swift")]):
        owner = None
        for line in path.read_text().splitlines():
            declaration = re.match(r"(?:public |open )?(?:final )?(?:extension|class|struct|enum|protocol) (\w+)", line)
            if declaration:
                owner = declaration.group(1)
            if match := re.match(r"public (?:final )?(?:class|struct|enum|protocol|typealias) (\w+)", line):
                symbols.add(match.group(1))
            elif match := re.match(r"public func (\w+)", line):
                symbols.add(match.group(1) + "(")
            elif (match := re.match(r"    (?:@discardableResult )?public func (\w+)", line)) and owner in ("Model", "Sequential"):
                symbols.add("model." + match.group(1) + "(")
    return sorted(symbols)


def test_inspect_documents_every_public_symbol(kc):
    symbols = public_symbols()
    assert len(symbols) > 100 and "model.fit(" in symbols and "padSequences(" in symbols, symbols
    missing = []
    for code in symbols:
        reply = inspect(kc, code)
        text = reply.get("data", {}).get("text/plain", "")
        # A declaration, an empty line, then its doc comment.
        if not reply["found"] or "\n\n" not in text:
            missing.append((code, text[:80]))
    assert missing == [], missing

