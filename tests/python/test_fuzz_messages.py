"""~2,000 mutated, correctly signed messages of every request type against the real kernel (issue 10).

Each message starts from a valid request and gets one or more mutations: a field of the wrong kind, a
number no 64-bit integer holds, a missing field, deep nesting, invalid UTF-8, a megabyte string, an unknown
message type, a broken header. After each one a `kernel_info_request` probe follows on the same socket;
the shell answers in order, so by the time the probe's reply arrives the mutated message has either been
answered or dropped. The test asserts that every message with a readable header was answered, that every
dropped one left a line in the kernel's log, and that the kernel still runs cells afterwards.
"""
import hashlib
import hmac
import json
import random
import uuid

import pytest
import zmq

from conftest import execute_and_collect, stop_kernel_manager

pytestmark = pytest.mark.timeout(600)

TEMPLATES = {
    "kernel_info_request": {},
    "execute_request": {"code": "1 + 1", "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": False},
    "is_complete_request": {"code": "func f() {"},
    "complete_request": {"code": "let abc = 1\nab", "cursor_pos": 13},
    "inspect_request": {"code": "print", "cursor_pos": 3, "detail_level": 0},
    "history_request": {"output": False, "raw": True, "hist_access_type": "tail", "n": 5, "session": 0,
                        "start": 1, "stop": 3, "pattern": "*", "unique": False},
    "comm_info_request": {"target_name": "jupyter.widget"},
    "interrupt_request": {},
}
# Cells whose builds are cached after the first run, so ~200 executes stay fast.
CELLS = ["1 + 1", "print(\"fuzz\")", "let fuzzValue = 3", "fuzzValue * 2", "struct E: Error {}; throw E()"]

ODD_VALUES = [None, True, False, 0, -1, 1.5, 1e300, -1e300, 1e19, -1e19, 2**63, -(2**63) - 1, 2**64,
              "", "x", "\u0000", "😀", [], {}, [1, [2, [3]]], {"a": {"b": {}}}]


def deep(depth):
    """A placeholder for an array nested `depth` levels (Python's json recurses too deep to write it)."""
    return f"__DEEP{depth}__"


def expand_deep(body: bytes) -> bytes:
    """Replaces each placeholder from `deep` with the nested array's JSON text."""
    for depth in (64, 400, 600, 5000):
        body = body.replace(f'"__DEEP{depth}__"'.encode(), b"[" * depth + b"]" * depth)
    return body


class Fuzzer:
    def __init__(self, seed):
        self.random = random.Random(seed)

    def mutate_content(self, content):
        """(content bytes, description): one to three mutations of a template."""
        content = json.loads(json.dumps(content))
        notes = []
        for _ in range(self.random.randint(1, 3)):
            kind = self.random.choice(["odd", "odd", "remove", "extra", "deep", "huge", "cell"])
            keys = list(content)
            if kind == "odd" and keys:
                key = self.random.choice(keys)
                content[key] = self.random.choice(ODD_VALUES)
                notes.append(f"{key}={content[key]!r}"[:60])
            elif kind == "remove" and keys:
                key = self.random.choice(keys)
                del content[key]
                notes.append(f"-{key}")
            elif kind == "extra":
                content[self.random.choice(["x", "cursor_pos", "n", "code", "restart"])] = self.random.choice(ODD_VALUES)
                notes.append("extra")
            elif kind == "deep":
                depth = self.random.choice([64, 400, 600, 5000])
                content[self.random.choice(keys or ["deep"])] = deep(depth)
                notes.append(f"deep{depth}")
            elif kind == "huge":
                content[self.random.choice(keys or ["huge"])] = "h" * (1 << 20)
                notes.append("huge")
            elif kind == "cell" and "code" in content:
                content["code"] = self.random.choice(CELLS)
        body = expand_deep(json.dumps(content, allow_nan=True).encode())
        if self.random.random() < 0.1:
            # Invalid UTF-8 inside the JSON text.
            cut = self.random.randrange(len(body) + 1)
            body = body[:cut] + self.random.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]) + body[cut:]
            notes.append("bad-utf8")
        return body, ",".join(notes)

    def header(self, msg_type):
        """(header bytes, readable): usually a good header; sometimes one the kernel cannot read."""
        header = {"msg_id": str(uuid.uuid4()), "session": "fuzz", "username": "fuzz",
                  "date": "2026-12-06T00:00:00.000000Z", "msg_type": msg_type, "version": "5.4"}
        roll = self.random.random()
        if roll < 0.05:
            return json.dumps({**header, "msg_id": self.random.choice([None, 5, [], {}])}).encode(), False
        if roll < 0.08:
            return b"[]", False
        if roll < 0.10:
            return b"\xff\xfe not json", False
        if roll < 0.15:
            header["msg_type"] = self.random.choice(["bogus_request", "", "execute_reply", "x" * 1000 + "_request"])
        if roll > 0.9:
            header["version"] = self.random.choice(["", "99.0", "5"])
            header["extra"] = self.random.choice(ODD_VALUES)
        return json.dumps(header).encode(), True


def signed(key, parts):
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        digest.update(part)
    return [b"<IDS|MSG>", digest.hexdigest().encode()] + parts


def replies_until(socket, probe_id, timeout=120):
    """msg_ids of the replies' parents received before the probe's reply."""
    parents = []
    while True:
        assert socket.poll(timeout * 1000), "the kernel stopped answering"
        frames = socket.recv_multipart()
        split = frames.index(b"<IDS|MSG>")
        parent = json.loads(frames[split + 3]).get("msg_id")
        if parent == probe_id:
            return parents
        parents.append(parent)


def test_two_thousand_mutated_signed_messages(jupyter_env, tmp_path):
    log_path = tmp_path / "kernel.log"
    with log_path.open("w") as log:
        km = start_kernel_manager_with_log(log)
        try:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            assert execute_and_collect(kc, "let fuzzValue = 3").error is None
            info = km.get_connection_info()
            key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
            context = zmq.Context.instance()
            sockets = {}
            for channel in ("shell", "control"):
                sockets[channel] = context.socket(zmq.DEALER)
                sockets[channel].linger = 0
                sockets[channel].connect(f"{info['transport']}://{info['ip']}:{info[channel + '_port']}")
            fuzzer = Fuzzer(seed=20261206)
            unanswered_readable = []
            dropped = 0
            kinds = list(TEMPLATES)
            for number in range(2000):
                msg_type = kinds[number % len(kinds)]
                channel = "control" if msg_type == "interrupt_request" or number % 17 == 0 else "shell"
                header, readable = fuzzer.header(msg_type)
                body, notes = fuzzer.mutate_content(TEMPLATES[msg_type])
                socket = sockets[channel]
                socket.send_multipart(signed(key, [header, b"{}", b"{}", body]))
                probe = {"msg_id": str(uuid.uuid4()), "session": "fuzz", "username": "fuzz",
                         "date": "2026-12-06T00:00:00.000000Z", "msg_type": "kernel_info_request", "version": "5.4"}
                socket.send_multipart(signed(key, [json.dumps(probe).encode(), b"{}", b"{}", b"{}"]))
                parents = replies_until(socket, probe["msg_id"])
                if not readable:
                    dropped += 1
                    continue
                sent_type = json.loads(header)["msg_type"]
                if sent_type.endswith("_request") and json.loads(header)["msg_id"] not in parents:
                    unanswered_readable.append((number, sent_type, notes))
            assert unanswered_readable == [], f"requests with a readable header left unanswered: {unanswered_readable[:10]}"
            # The kernel is alive and its cells still work, state included.
            run = execute_and_collect(kc, "print(fuzzValue + 1)", timeout=120)
            assert run.error is None and run.stream() == "4\n", run.messages
            kc.stop_channels()
            for socket in sockets.values():
                socket.close()
        finally:
            stop_kernel_manager(km)
    logged_drops = log_path.read_text(errors="replace").count("dropped a message")
    assert logged_drops >= dropped, f"{dropped} messages were dropped but only {logged_drops} log lines say so"
    print(f"2000 messages: {dropped} dropped and logged, the rest answered")


def start_kernel_manager_with_log(log):
    """`start_kernel_manager`, with the kernel's stderr (its log) going to `log`."""
    from jupyter_client.manager import KernelManager
    km = KernelManager(kernel_name="swift-lstm")
    km.start_kernel(stderr=log)
    return km
