"""Cell lists for tools/build_notebooks.py: one module per notebook, each with a CELLS list.

`explain(en, zh)` is an explanation cell (English first, then Chinese, as every explanation in the
notebooks must be); `code(src)` a code cell; `parameters(src)` the papermill `parameters` cell.
"""

import textwrap


def _clean(text):
    return textwrap.dedent(text).strip("\n")


def title(en, zh, intro_en, intro_zh):
    """The first cell: the notebook's title in both languages and what it is about."""
    return ("markdown", f"# {en}\n# {zh}\n\n{_clean(intro_en)}\n\n{_clean(intro_zh)}", ())


def explain(en, zh, heading_en=None, heading_zh=None):
    """An explanation cell: an optional bilingual heading, the English text, then the Chinese text."""
    head = f"## {heading_en} · {heading_zh}\n\n" if heading_en else ""
    return ("markdown", f"{head}{_clean(en)}\n\n{_clean(zh)}", ())


def code(src, tags=()):
    return ("code", _clean(src), tuple(tags))


def parameters(src):
    """The cell papermill overrides (`papermill -p epochs 50`): it injects a cell right after this one."""
    return code(src, tags=("parameters",))
