"""The papermill Swift translator (tools/papermill_swift): parameters become Swift constants.

No kernel needed. The literals are checked twice: as text (what a reader sees in the injected cell) and
by compiling and running them with swiftc, since only the compiler can say the Swift is right.
"""

import os
import shutil
import subprocess

import nbformat
import pytest
from papermill.exceptions import PapermillException
from papermill.translators import papermill_translators, translate_parameters

from papermill_swift import SwiftTranslator, swift_type


def codify(**params):
    return translate_parameters("swift-lstm", "swift", params, "Parameters")


def test_papermill_finds_the_translator_by_kernel_name_and_by_language():
    # Importing papermill_swift registers it; the next test shows papermill does so by itself.
    assert papermill_translators.find_translator("swift-lstm", "unknown") is SwiftTranslator
    assert papermill_translators.find_translator("some-other-swift-kernel", "swift") is SwiftTranslator


def test_papermill_loads_the_translator_in_a_fresh_interpreter():
    import sys

    code = ("from papermill.translators import papermill_translators as t; "
            "print(t.find_translator('swift-lstm', 'swift').__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "SwiftTranslator"


def test_epochs_becomes_a_let():
    assert codify(epochs=5) == "// Parameters\nlet epochs = 5\n"


@pytest.mark.parametrize(
    "value, literal",
    [
        (5, "5"),
        (-3, "-3"),
        (0.001, "0.001"),
        (1e-07, "1e-07"),
        (300.0, "300.0"),
        (float("inf"), "Double.infinity"),
        (float("-inf"), "-Double.infinity"),
        (float("nan"), "Double.nan"),
        (True, "true"),
        (False, "false"),
        ("relu", '"relu"'),
        ('say "hi"', r'"say \"hi\""'),
        ("a\\b", r'"a\\b"'),
        ("two\nlines\tand\rreturn", r'"two\nlines\tand\rreturn"'),
        ("bell\x07", r'"bell\u{7}"'),
        ("\\(notInterpolated)", r'"\\(notInterpolated)"'),
        ("中文", '"中文"'),
        (None, "nil"),
    ],
)
def test_scalar_literals(value, literal):
    assert SwiftTranslator.translate(value) == literal


@pytest.mark.parametrize(
    "value, declaration",
    [
        ([128, 64], "let x: [Int] = [128, 64]"),
        ([1, 2.5], "let x: [Double] = [1, 2.5]"),
        ([], "let x: [Any] = []"),
        (["a", 1], 'let x: [Any] = ["a", 1]'),
        ([1, None], "let x: [Int?] = [1, nil]"),
        ([[1, 2], [3], []], "let x: [[Int]] = [[1, 2], [3], []]"),
        ({"units": 64, "activation": "relu"}, 'let x: [String: Any] = ["units": 64, "activation": "relu"]'),
        ({"a": 0.5, "b": 2}, 'let x: [String: Double] = ["a": 0.5, "b": 2]'),
        ({}, "let x: [String: Any] = [:]"),
        ({1: "one"}, 'let x: [Int: String] = [1: "one"]'),
        (None, "let x: Any? = nil"),
        (True, "let x = true"),
    ],
)
def test_collections_and_nil_carry_the_type_swift_needs(value, declaration):
    assert codify(x=value) == f"// Parameters\n{declaration}\n"


def test_swift_type_unifies_nested_values():
    assert swift_type([[1], [2.5]]) == "[[Double]]"
    assert swift_type([{"a": 1}, {"b": None}]) == "[[String: Int?]]"
    assert swift_type([True, 1]) == "[Any]"  # a Bool is not a number in Swift


def test_keyword_names_are_backticked_and_bad_names_rejected():
    assert codify(**{"class": 1}) == "// Parameters\nlet `class` = 1\n"
    with pytest.raises(PapermillException, match="Swift identifier.*'learning-rate'"):
        codify(**{"learning-rate": 0.1})


def test_values_swift_cannot_hold_are_rejected_with_the_limit():
    with pytest.raises(PapermillException, match="does not fit"):
        codify(big=2**63)
    with pytest.raises(PapermillException, match="keys cannot be nil"):
        codify(d={None: 1})


def test_inspect_reads_a_swift_parameters_cell():
    cell = nbformat.v4.new_code_cell(
        'let epochs = 300 // training epochs\n'
        'let learningRate: Float = 0.001\n'
        'let name = "a // not a comment"\n'
        'var units = [128,\n'
        '             64]  // layer widths\n'
        'let verbose = false\n'
    )
    params = {p.name: p for p in SwiftTranslator.inspect(cell)}
    assert list(params) == ["epochs", "learningRate", "name", "units", "verbose"]
    assert params["epochs"].inferred_type_name == "Int" and params["epochs"].default == "300"
    assert params["epochs"].help == "training epochs"
    assert params["learningRate"].inferred_type_name == "Float"
    assert params["name"].default == '"a // not a comment"' and params["name"].help == ""
    assert params["units"].default == "[128, 64]" and params["units"].help == "layer widths"
    assert params["verbose"].inferred_type_name == "Bool"


@pytest.mark.skipif(shutil.which("swiftc") is None, reason="needs the Swift toolchain")
def test_swiftc_compiles_the_injected_cell_and_reads_back_every_value(tmp_path):
    params = {
        "epochs": 5,
        "learningRate": 0.001,
        "tiny": 1e-07,
        "label": 'quote " backslash \\ newline \n tab \t bell \x07 中文 \\(x)',
        "verbose": True,
        "units": [128, 64],
        "mixed": [1, 2.5],
        "empty": [],
        "optional": [1, None],
        "nested": [[1, 2], [], [3]],
        "config": {"units": 64, "activation": "relu"},
        "noDict": {},
        "nothing": None,
        "infinite": float("-inf"),
        "class": 7,
    }
    probe = "\n".join([
        'print(epochs + 1)',
        'print(learningRate * 2)',
        'print(tiny)',
        'print(label.utf8.count, label.contains("\\""), label.hasSuffix("\\\\(x)"))',
        'print(verbose)',
        'print(units.reduce(0, +))',
        'print(mixed.reduce(0, +))',
        'print(empty.count)',
        'print(optional.compactMap { $0 }.count)',
        'print(nested.map(\\.count))',
        'print(config["units"] as! Int, config["activation"] as! String)',
        'print(noDict.isEmpty)',
        'print(nothing == nil)',
        'print(infinite)',
        'print(`class`)',
    ])
    source = tmp_path / "main.swift"
    source.write_text(codify(**params) + probe + "\n", encoding="utf-8")
    # swiftc leaves a TemporaryDirectory.* folder in $TMPDIR on every run: keep it inside tmp_path.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    subprocess.run(["swiftc", str(source), "-o", str(tmp_path / "probe")], check=True, capture_output=True, env=env)
    out = subprocess.run([str(tmp_path / "probe")], check=True, capture_output=True, text=True).stdout
    expected_label_bytes = len(params["label"].encode("utf-8"))
    assert out.splitlines() == [
        "6", "0.002", "1e-07", f"{expected_label_bytes} true true", "true", "192", "3.5", "0", "1",
        "[2, 0, 1]", "64 relu", "true", "true", "-inf", "7",
    ]
