#!/usr/bin/env python3
"""Writes notebooks/*.ipynb from the cell lists in tools/notebook_cells/ (saved without outputs).

    python tools/build_notebooks.py            # write the notebooks
    python tools/build_notebooks.py --check    # exit 1 if a notebook differs from its source list
    python tools/build_notebooks.py --swiftc   # compile every notebook's code as one Swift program

The notebooks are written from Python lists so a review reads plain text, not JSON. Each explanation
cell carries English first, then Chinese. Cell ids are stable (derived from the notebook name and the
position), so regenerating an unchanged notebook changes nothing.

`--swiftc` type-checks the cells without a kernel: the code cells of a notebook, joined in order with
`import LSTMKit` and `import NotebookDisplay` on top, must compile against the built libLSTMKit.so
(the cell engine runs each cell separately, but a cell may use only what earlier cells declared, so a
notebook that compiles as one file has no API mistakes). `--run` also runs the program.
"""

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

NOTEBOOK_SOURCES = [
    ("01-lstm-autoencoder.ipynb", "notebook_cells.nb01_autoencoder"),
    ("02-timedistributed.ipynb", "notebook_cells.nb02_timedistributed"),
    ("03-return-sequences-and-state.ipynb", "notebook_cells.nb03_return_state"),
    ("04-sequence-encoder.ipynb", "notebook_cells.nb04_sequence_encoder"),
]

KERNELSPEC = {"name": "swift-lstm", "display_name": "Swift (LSTMKit)", "language": "swift"}
LANGUAGE_INFO = {"name": "swift", "file_extension": ".swift", "mimetype": "text/x-swift",
                 "codemirror_mode": "swift", "pygments_lexer": "swift"}


def build(name, module_name):
    """The notebook node for `name` from the module's CELLS list."""
    module = importlib.import_module(module_name)
    stem = name.split("-")[0]
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for index, cell in enumerate(module.CELLS):
        kind, source, tags = cell
        if kind == "markdown":
            node = nbformat.v4.new_markdown_cell(source)
        else:
            node = nbformat.v4.new_code_cell(source)
        node.id = f"nb{stem}-{index:02d}"
        if tags:
            node.metadata["tags"] = list(tags)
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def serialise(nb):
    """The file text: nbformat's JSON with a final newline, so editors and diffs agree."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def swift_program(nb):
    """The notebook's code cells as one Swift file, each preceded by a marker comment."""
    parts = ["import LSTMKit", "import NotebookDisplay", ""]
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            parts += [f"// ---- cell {index} ----", cell.source, ""]
    return "\n".join(parts)


def compile_swift(name, nb, run=False):
    """Compiles (and optionally runs) the notebook as one program against the built LSTMKit."""
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--swiftc", action="store_true", help="compile each notebook's code with swiftc")
    parser.add_argument("--run", action="store_true", help="with --swiftc: also run the compiled program")
    parser.add_argument("--only", help="a notebook name prefix, e.g. 02")
    args = parser.parse_args(argv)

    ok = True
    for name, module_name in NOTEBOOK_SOURCES:
        if args.only and not name.startswith(args.only):
            continue
        nb = build(name, module_name)
        path = REPO / "notebooks" / name
        text = serialise(nb)
        if args.swiftc:
            ok &= compile_swift(name, nb, run=args.run)
        elif args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is out of date: run python tools/build_notebooks.py")
                ok = False
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)} ({len(nb.cells)} cells)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
