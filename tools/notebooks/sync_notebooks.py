#!/usr/bin/env python3
"""Writes notebooks/*.ipynb from their Markdown sources notebooks/src/*.md, through jupytext.

    python tools/notebooks/sync_notebooks.py            # write every .ipynb from its .md (`make notebooks-sync`)
    python tools/notebooks/sync_notebooks.py --check    # exit 1 if a .ipynb and its .md disagree (a test runs this)
    python tools/notebooks/sync_notebooks.py --from-ipynb notebooks/02-timedistributed.ipynb
                                                        # the other way: an .ipynb edited in Lab back into its .md
    python tools/notebooks/sync_notebooks.py --swiftc   # type-check every notebook's Swift as one file, no kernel

The source of a notebook is a jupytext Markdown file: explanations are plain Markdown, code cells are
```swift fences (the papermill cell is ```swift tags=["parameters"]), and two consecutive Markdown cells
are separated by two blank lines. The .ipynb is written without outputs, with the kernelspec and
language_info of the swift-lstm kernel, and with cell ids derived from the notebook and each cell's
text, so editing one cell changes one cell of the .ipynb and inserting one changes no other id.

`--check` also requires the .md to be in jupytext's own form (reading it and writing it back gives the
same text), so the pairing JupyterLab does through notebooks/jupytext.toml writes the same file.

`--swiftc` joins a notebook's code cells in order, with `import LSTMKit` and `import NotebookDisplay` on
top, and compiles them against the built libLSTMKit.so (the cell engine runs each cell separately, but a
cell may use only what earlier cells declared, so a notebook that compiles as one file has no API
mistakes); `--run` also runs the program.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
SOURCE_DIR = NOTEBOOK_DIR / "src"

# jupytext knows no Swift; `custom_language_magics` makes ```swift fences code cells (jupytext.toml says
# the same for JupyterLab and the jupytext command line).
MARKDOWN_FORMAT = {"extension": ".md", "format_name": "markdown", "custom_language_magics": "swift",
                   "notebook_metadata_filter": "kernelspec,-all", "cell_metadata_filter": "tags,-all"}
KERNELSPEC = {"name": "swift-lstm", "display_name": "Swift (LSTMKit)", "language": "swift"}
LANGUAGE_INFO = {"name": "swift", "file_extension": ".swift", "mimetype": "text/x-swift",
                 "codemirror_mode": "swift", "pygments_lexer": "swift"}


def sources():
    """Every notebook source, in name order."""
    return sorted(SOURCE_DIR.glob("*.md"))


def notebook_path(source):
    return NOTEBOOK_DIR / (source.stem + ".ipynb")


def cell_id(stem, cell, taken):
    """A short id from the notebook's number and the cell's type and text, unique within the notebook."""
    digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode("utf-8")).hexdigest()
    base = f"{stem.split('-')[0]}-{digest[:8]}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def build(source):
    """The notebook node that the Markdown source `source` describes (no outputs)."""
    nb = jupytext.read(source, fmt=MARKDOWN_FORMAT)
    nb.metadata = {"kernelspec": dict(nb.metadata.get("kernelspec") or KERNELSPEC),
                   "language_info": dict(LANGUAGE_INFO)}
    nb.nbformat, nb.nbformat_minor = 4, 5
    taken = set()
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            node = nbformat.v4.new_code_cell(cell.source)
        elif cell.cell_type == "markdown":
            node = nbformat.v4.new_markdown_cell(cell.source)
        else:
            node = nbformat.v4.new_raw_cell(cell.source)
        if cell.metadata.get("tags"):
            node.metadata["tags"] = list(cell.metadata["tags"])
        node.id = cell_id(source.stem, node, taken)
        cells.append(node)
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def serialise(nb):
    """The .ipynb text: nbformat's JSON with a final newline, so editors and diffs agree."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def markdown_text(nb):
    """The .md text jupytext writes for `nb` (outputs and other metadata left out)."""
    nb = nbformat.from_dict(nb)
    nb.metadata = {"kernelspec": dict(nb.metadata.get("kernelspec") or KERNELSPEC)}
    return jupytext.writes(nb, fmt=MARKDOWN_FORMAT)


def swift_program(nb):
    """The notebook's code cells as one Swift file, each preceded by a marker comment."""
    parts = ["import LSTMKit", "import NotebookDisplay", ""]
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            parts += [f"// ---- cell {index} ----", cell.source, ""]
    return "\n".join(parts)


def installs_packages(nb):
    """Whether a code cell has a `%install` line (its packages exist only inside a kernel session)."""
    return any(line.lstrip().startswith("%install") for cell in nb.cells if cell.cell_type == "code"
               for line in cell.source.splitlines())


def compile_swift(name, nb, run=False):
    """Compiles (and optionally runs) the notebook as one program against the built LSTMKit."""
    if installs_packages(nb):
        print(f"{name}: skipped (it installs packages with %install; run it with the kernel)")
        return True
    bin_dir = Path(subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True,
                                  capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        main = Path(tmp) / "main.swift"
        main.write_text(swift_program(nb), encoding="utf-8")
        exe = Path(tmp) / "notebook"
        # LSTMKit's module imports the CBLAS module map, hence the second -I.
        cmd = ["swiftc", "-swift-version", "5", "-Onone", "-I", str(bin_dir / "Modules"),
               "-I", str(REPO / "Sources" / "CBLAS"), str(main)]
        if run:
            cmd += ["-L", str(bin_dir), "-lLSTMKit", "-Xlinker", "-rpath", "-Xlinker", str(bin_dir), "-o", str(exe)]
        else:
            cmd.append("-typecheck")  # no link: the answer does not depend on libLSTMKit.so being current
        # swiftc leaves a TemporaryDirectory.* folder in $TMPDIR on every run: keep it in our own folder.
        result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TMPDIR": tmp})
        diagnostics = [line for line in result.stderr.splitlines() if "error:" in line]
        if result.returncode != 0:
            print(f"{name}: does not compile\n" + "\n".join(diagnostics or result.stderr.splitlines()[-30:]))
            return False
        print(f"{name}: {'compiles' if run else 'type-checks'}")
        if run:
            proc = subprocess.run([str(exe)], cwd=tmp, capture_output=True, text=True, timeout=600)
            print(proc.stdout[-4000:])
            if proc.returncode != 0:
                print(f"{name}: exited with {proc.returncode}\n{proc.stderr[-4000:]}")
                return False
    return True


def check(source):
    """The disagreements between `source`, its .ipynb and jupytext's form of the .md, as messages."""
    problems = []
    rel = source.relative_to(REPO)
    nb = build(source)
    path = notebook_path(source)
    if not path.exists():
        problems.append(f"{path.relative_to(REPO)} is missing: run make notebooks-sync")
    elif path.read_text(encoding="utf-8") != serialise(nb):
        problems.append(f"{path.relative_to(REPO)} differs from {rel}: edit the .md and run make notebooks-sync "
                        f"(or, after editing the .ipynb, sync_notebooks.py --from-ipynb {path.relative_to(REPO)})")
    if source.read_text(encoding="utf-8") != markdown_text(nb):
        problems.append(f"{rel} is not in jupytext's form (e.g. blank lines between cells): "
                        f"run sync_notebooks.py --format-md")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--swiftc", action="store_true", help="compile each notebook's code with swiftc")
    parser.add_argument("--run", action="store_true", help="with --swiftc: also run the compiled program")
    parser.add_argument("--from-ipynb", nargs="+", type=Path, metavar="IPYNB",
                        help="write these notebooks' .md sources from the .ipynb (outputs dropped)")
    parser.add_argument("--format-md", action="store_true", help="rewrite each .md in jupytext's form")
    parser.add_argument("--only", help="a notebook name prefix, e.g. 02")
    args = parser.parse_args(argv)

    if args.from_ipynb:
        for path in args.from_ipynb:
            target = SOURCE_DIR / (Path(path).stem + ".md")
            target.write_text(markdown_text(nbformat.read(path, as_version=4)), encoding="utf-8")
            print(f"wrote {target.relative_to(REPO)}")
        return 0

    ok = True
    for source in sources():
        if args.only and not source.name.startswith(args.only):
            continue
        if args.swiftc:
            ok &= compile_swift(source.name, build(source), run=args.run)
        elif args.check:
            problems = check(source)
            print("\n".join(problems) if problems else f"{source.relative_to(REPO)}: in sync")
            ok &= not problems
        elif args.format_md:
            source.write_text(markdown_text(build(source)), encoding="utf-8")
        else:
            nb = build(source)
            path = notebook_path(source)
            path.write_text(serialise(nb), encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)} ({len(nb.cells)} cells)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
