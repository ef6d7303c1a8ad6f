"""The notebooks as files: what a reader and a reviewer expect before anything runs (no kernel needed)."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_four_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "01-lstm-autoencoder.ipynb",
        "02-timedistributed.ipynb",
        "03-return-sequences-and-state.ipynb",
        "04-sequence-encoder.ipynb",
    ]


def test_notebooks_match_their_generator():
    """notebooks/*.ipynb are written by tools/build_notebooks.py; an edit by hand would be lost."""
    result = subprocess.run([sys.executable, str(REPO / "tools" / "build_notebooks.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def test_saved_without_outputs(notebook):
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]


def test_uses_the_swift_lstm_kernel(notebook):
    assert notebook.metadata.kernelspec.name == "swift-lstm"
    assert notebook.metadata.language_info.name == "swift"


def test_one_parameters_cell_with_the_epoch_count(notebook):
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].cell_type == "code"
    assert re.search(r"^let epochs = \d+$", tagged[0].source, re.M), tagged[0].source


def test_seeded_before_any_model_is_built(notebook):
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    seeded = [i for i, src in enumerate(code) if "LSTMKit.setRandomSeed(" in src]
    built = [i for i, src in enumerate(code) if re.search(r"\b(Sequential|Model)\(", src)]
    assert seeded, "no LSTMKit.setRandomSeed call"
    assert seeded[0] < built[0]


def test_every_explanation_is_in_english_then_chinese(notebook):
    """Headings carry both languages on one line; the body is English paragraphs, then Chinese ones."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        body = "\n".join(line for line in cell.source.splitlines() if not line.startswith("#"))
        paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
        assert len(paragraphs) >= 2, f"expected an English and a Chinese paragraph: {cell.source[:80]!r}"
        languages = ["zh" if CJK.search(p) else "en" for p in paragraphs]
        assert languages == sorted(languages), f"expected English first, then Chinese: {cell.source[:80]!r}"
        assert languages[0] == "en" and languages[-1] == "zh", f"missing a language: {cell.source[:80]!r}"
        for heading in (line for line in cell.source.splitlines() if line.startswith("## ")):
            assert re.search(r"[A-Za-z]{3}", heading.split("·")[0]) and CJK.search(heading.split("·")[-1]), heading
        titles = [line for line in cell.source.splitlines() if line.startswith("# ")]
        if titles:  # the notebook title: an English line, then a Chinese line
            assert len(titles) == 2 and not CJK.search(titles[0]) and CJK.search(titles[1]), titles
