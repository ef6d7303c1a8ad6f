"""The notebooks as files: what a reader and a reviewer expect before anything runs (no kernel needed)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_five_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "01-lstm-autoencoder.ipynb",
        "02-timedistributed.ipynb",
        "03-return-sequences-and-state.ipynb",
        "04-sequence-encoder.ipynb",
        "05-forecasting-a-real-series.ipynb",
    ]


def test_the_real_series_ships_with_its_source():
    data = REPO / "notebooks" / "data" / "sunspots-yearly.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "year,sunspots" and lines[1].startswith("1700,") and lines[-1].startswith("2008,")
    assert len(lines) == 1 + 309
    readme = (REPO / "notebooks" / "data" / "README.md").read_text(encoding="utf-8")
    assert "public domain" in readme and "statsmodels" in readme and "tools/notebooks/extract_sunspots.py" in readme


SYNC = REPO / "tools" / "notebooks" / "sync_notebooks.py"


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_notebooks", SYNC)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_has_a_markdown_source():
    sources = sorted(p.stem for p in (REPO / "notebooks" / "src").glob("*.md"))
    assert sources == [p.stem for p in NOTEBOOKS]


def test_notebooks_match_their_markdown_sources():
    """notebooks/*.ipynb are written from notebooks/src/*.md (`make notebooks-sync`); both must agree."""
    result = subprocess.run([sys.executable, str(SYNC), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_catches_a_notebook_edited_alone(tmp_path, monkeypatch):
    """The check above can fail: a code cell changed in the .ipynb only, or a .md not in jupytext's form."""
    sync = _sync_module()
    (tmp_path / "src").mkdir()
    source = tmp_path / "src" / "02-timedistributed.md"
    source.write_text((REPO / "notebooks" / "src" / source.name).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(sync, "REPO", tmp_path)
    monkeypatch.setattr(sync, "NOTEBOOK_DIR", tmp_path)
    monkeypatch.setattr(sync, "SOURCE_DIR", tmp_path / "src")
    assert sync.main([]) == 0 and sync.main(["--check"]) == 0
    ipynb = tmp_path / "02-timedistributed.ipynb"
    nb = nbformat.read(ipynb, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code" and "let epochs" in c.source)
    code.source = re.sub(r"let epochs = \d+", "let epochs = 7", code.source)
    assert "let epochs = 7" in code.source
    nbformat.write(nb, ipynb)
    problems = sync.check(source)
    assert len(problems) == 1 and "02-timedistributed.ipynb differs" in problems[0], problems
    assert sync.main([]) == 0 and sync.check(source) == []
    source.write_text(source.read_text(encoding="utf-8").replace("```\n\n## ", "```\n\n\n\n## ", 1), encoding="utf-8")
    assert any("jupytext's form" in p for p in sync.check(source))


def test_cell_ids_follow_the_cells_not_their_positions():
    """Inserting a cell into a source leaves every other cell's id as it was, so diffs stay small."""
    sync = _sync_module()
    source = REPO / "notebooks" / "src" / "02-timedistributed.md"
    before = sync.build(source)
    text = source.read_text(encoding="utf-8")
    first_fence = text.index("```swift")
    edited = REPO / "build" / "test-sync" / "src" / source.name
    edited.parent.mkdir(parents=True, exist_ok=True)
    edited.write_text(text[:first_fence] + "```swift\nprint(1)\n```\n\n" + text[first_fence:], encoding="utf-8")
    after = sync.build(edited)
    assert len(after.cells) == len(before.cells) + 1
    assert {c.id for c in before.cells} < {c.id for c in after.cells}


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


# Every notebook follows the one-line-per-paragraph rule (docs/NOTEBOOKS.md "Editing").
ONE_LINE_PARAGRAPHS = [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("name", ONE_LINE_PARAGRAPHS)
def test_no_hard_line_breaks_inside_a_paragraph(name):
    """A line break inside a paragraph renders as a stray space, visible after Chinese punctuation."""
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for block in cell.source.split("\n\n"):
            lines = block.strip("\n").splitlines()
            if lines and all(line.startswith("#") for line in lines):
                continue  # the bilingual title: two heading lines
            for line in lines[1:]:  # every further line must start a list item
                assert re.match(r"\d+\. |[-*] ", line), f"hard line break in a paragraph of {name}: {block[:120]!r}"


@pytest.mark.parametrize("name", ONE_LINE_PARAGRAPHS)
def test_chinese_says_jin_then_chu(name):
    """'整个序列进而一个向量出' reads as 'and then'; the intended phrase is '进、…出'."""
    text = (REPO / "notebooks" / name).read_text(encoding="utf-8")
    assert "进而" not in text
