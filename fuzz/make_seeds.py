"""Writes the committed seed corpus in fuzz/corpus/ (run again after changing it: `python fuzz/make_seeds.py`).

wire/: real Jupyter request messages as jupyter_client's Session signs them (key "fuzz-key", as WireFuzz.swift),
       one file per message: a mode byte (0: the target re-signs after mutation, 1: decoded as given), then the
       frames joined by 0x1E.
json/: the same messages' header and content frames, plus numbers at the edges of Int and Double.
history/: history.jsonl lines as HistoryStore writes them, plus damaged ones.
"""
import json
import pathlib

from jupyter_client.session import Session

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"
session = Session(key=b"fuzz-key", username="fuzz", session="seed-session")

REQUESTS = {
    "execute_request": {"code": "let x = 1\nprint(x)", "silent": False, "store_history": True,
                        "user_expressions": {"y": "x + 1"}, "allow_stdin": False, "stop_on_error": True},
    "inspect_request": {"code": "model.fit", "cursor_pos": 9, "detail_level": 0},
    "complete_request": {"code": "let model = Seq", "cursor_pos": 15},
    "history_request": {"output": True, "raw": True, "hist_access_type": "tail", "n": 10},
    "history_range": {"output": False, "raw": True, "hist_access_type": "range", "session": -1, "start": 1, "stop": 5},
    "history_search": {"output": False, "raw": True, "hist_access_type": "search", "pattern": "fit*", "unique": True, "n": 5},
    "is_complete_request": {"code": "for i in 0..<3 {"},
    "kernel_info_request": {},
    "comm_info_request": {"target_name": "jupyter.widget"},
    "shutdown_request": {"restart": False},
    "interrupt_request": {},
    "inspect_huge": {"code": "x", "cursor_pos": 1e300, "detail_level": -1e300},
    "history_huge": {"hist_access_type": "tail", "n": 1e19, "output": True, "raw": True},
    "complete_negative": {"code": "abc", "cursor_pos": -1},
}


def frames(msg_type, content, parent=None):
    kind = msg_type if msg_type.endswith("_request") else msg_type.split("_")[0] + "_request"
    msg = session.msg(kind, content=content, parent=parent or {})
    return session.serialize(msg, ident=[b"client-identity"])


def main():
    for sub in ("wire", "json", "history"):
        (ROOT / sub).mkdir(parents=True, exist_ok=True)
    parent = session.msg("execute_request", content={"code": "1"})
    for name, content in REQUESTS.items():
        parts = frames(name, content, parent=parent["header"] if name == "execute_request" else None)
        joined = b"\x1e".join(parts)
        (ROOT / "wire" / f"{name}-signed").write_bytes(b"\x00" + joined)
        (ROOT / "wire" / f"{name}-raw").write_bytes(b"\x01" + joined)
        delimiter = parts.index(b"<IDS|MSG>")
        (ROOT / "json" / f"{name}-header").write_bytes(parts[delimiter + 2])
        (ROOT / "json" / f"{name}-content").write_bytes(parts[delimiter + 5])
    edges = {"int-max": 9223372036854775807, "int-over": 9223372036854775808, "neg": -1e300, "tiny": 5e-324,
             "deep": [[[[[[[[{"a": [1, 2.5, "x", None, True]}]]]]]]]], "unicode": "\u00e9\u4e2d\ud83d\ude00",
             "escaped": "tab\t quote\" backslash\\ nul\u0000"}
    (ROOT / "json" / "edge-lone-surrogate").write_text('{"code": "a\\ud800b", "cursor_pos": 1}')
    for name, value in edges.items():
        (ROOT / "json" / f"edge-{name}").write_text(json.dumps({"cursor_pos": value, "n": value, "value": value}))
    lines = [
        {"session": 1, "line": 1, "input": "let x = 1", "output": None},
        {"session": 1, "line": 2, "input": "print(x)", "output": "1\n"},
        {"session": 12, "line": 40, "input": "model.fit(x, y, epochs: 3)\n// \u4e2d\u6587"},
    ]
    good = "\n".join(json.dumps(line) for line in lines) + "\n"
    (ROOT / "history" / "good").write_text(good)
    (ROOT / "history" / "damaged").write_text(good + '{"session": 1e300, "line": 1, "input": "x"}\n'
                                              '{"session": 2, "line": -5, "input": 3}\n{"session": 2, "li')
    (ROOT / "history" / "single").write_text(json.dumps(lines[1]))


if __name__ == "__main__":
    main()
