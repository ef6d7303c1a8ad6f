"""Hostile-client hardening of the kernel's protocol side (issue 10, items 1-4 and 8): signed requests with
absurd numbers, a damaged or huge history file, the stop_on_error race, replayed messages, a lone surrogate
escape and a megabyte is_complete. Each test failed on the kernel before the fix."""
import hashlib
import hmac
import json
import os
import pathlib
import queue
import stat
import time
import uuid

import pytest
import zmq

from conftest import execute_and_collect, start_kernel_manager, stop_kernel_manager

pytestmark = pytest.mark.timeout(300)


# ---- raw signed messages -------------------------------------------------------------------------------

class RawShell:
    """A DEALER socket on the kernel's shell port that sends hand-made, correctly signed frames, so a test
    controls every byte (jupyter_client's Session would refuse NaN or a lone surrogate)."""

    def __init__(self, kc, channel="shell"):
        info = kc.get_connection_info()
        self.key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.connect(f"{info['transport']}://{info['ip']}:{info[channel + '_port']}")
        self.session = str(uuid.uuid4())

    def frames(self, msg_type, content_bytes, msg_id=None):
        header = json.dumps({"msg_id": msg_id or str(uuid.uuid4()), "session": self.session, "username": "hostile",
                             "date": "2026-12-06T00:00:00.000000Z", "msg_type": msg_type, "version": "5.4"}).encode()
        parts = [header, b"{}", b"{}", content_bytes]
        digest = hmac.new(self.key, digestmod=hashlib.sha256)
        for part in parts:
            digest.update(part)
        return [b"<IDS|MSG>", digest.hexdigest().encode()] + parts

    def send(self, msg_type, content, msg_id=None):
        """Sends `content` (a dict serialised here, or raw bytes) and returns the frames sent."""
        body = content if isinstance(content, bytes) else json.dumps(content).encode()
        frames = self.frames(msg_type, body, msg_id)
        self.socket.send_multipart(frames)
        return frames

    def reply(self, timeout=30):
        """The next reply's (header, content), or None when nothing arrives within `timeout` seconds."""
        if not self.socket.poll(int(timeout * 1000)):
            return None
        frames = self.socket.recv_multipart()
        split = frames.index(b"<IDS|MSG>")
        return json.loads(frames[split + 2]), json.loads(frames[split + 5])

    def close(self):
        self.socket.close()


@pytest.fixture
def raw(kernel_client):
    shell = RawShell(kernel_client)
    yield shell
    shell.close()


def assert_alive(kc):
    reply = kc.kernel_info(reply=True, timeout=30)
    assert reply["content"]["status"] == "ok"


# ---- item 1: numbers no Int can hold -------------------------------------------------------------------

@pytest.mark.parametrize("msg_type, content, field", [
    ("inspect_request", b'{"code": "print", "cursor_pos": 1e300, "detail_level": 0}', "cursor_pos"),
    ("complete_request", b'{"code": "pri", "cursor_pos": -1e300}', "cursor_pos"),
    ("history_request", b'{"hist_access_type": "range", "session": 1e300, "start": 1, "stop": 1e300, "raw": true, "output": false}', "session"),
    ("inspect_request", b'{"code": "print", "cursor_pos": 2, "detail_level": -9e18}', "detail_level"),
])
def test_absurd_numbers_get_an_error_reply_naming_the_field(kernel_client, raw, msg_type, content, field):
    raw.send(msg_type, content)
    answer = raw.reply()
    assert answer is not None, "no reply: the kernel dropped the request or died"
    header, reply = answer
    assert header["msg_type"] == msg_type.replace("_request", "_reply")
    assert reply["status"] == "error"
    assert reply["evalue"].startswith(f"{field} must be"), reply
    assert_alive(kernel_client)


def test_a_huge_history_count_is_answered_like_all_of_it(kernel_client, raw):
    raw.send("history_request", b'{"hist_access_type": "tail", "n": 1e19, "raw": true, "output": false}')
    header, reply = raw.reply()
    assert reply["status"] == "ok" and isinstance(reply["history"], list)
    assert_alive(kernel_client)


# ---- item 8: lone surrogate, unreadable content, megabyte is_complete -------------------------------------

def test_a_lone_surrogate_escape_is_answered(kernel_client, raw):
    raw.send("execute_request", b'{"code": "print(\\"a\\ud800b\\")", "silent": false, "store_history": true,'
                                b' "user_expressions": {}, "allow_stdin": false, "stop_on_error": true}')
    answer = raw.reply(timeout=120)
    assert answer is not None, "a lone surrogate escape must not make the kernel drop the request"
    assert answer[1]["status"] == "ok"
    assert_alive(kernel_client)


def test_unreadable_content_gets_an_error_reply(kernel_client, raw):
    raw.send("complete_request", b'{"code": "pri", "cursor_pos": NaN}')
    answer = raw.reply()
    assert answer is not None, "a signed request with a readable header must be answered"
    header, reply = answer
    assert header["msg_type"] == "complete_reply"
    assert reply["status"] == "error" and "content" in reply["evalue"]
    assert_alive(kernel_client)


def test_a_megabyte_is_complete_does_not_hold_up_the_shell(kernel_client):
    msg_id = kernel_client.is_complete("(" * (1 << 20))
    reply = kernel_client.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "unknown"
    # An ordinary question still gets its real answer.
    kernel_client.is_complete("func f() {")
    assert kernel_client.get_shell_msg(timeout=60)["content"]["status"] == "incomplete"


# ---- item 4: replays -------------------------------------------------------------------------------------

def test_a_replayed_execute_request_runs_once(kernel_client, raw):
    code = f"let replayProbe = {uuid.uuid4().int % 100000}"          # unique in this session's history
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    frames = raw.send("execute_request", content)
    raw.socket.send_multipart(frames)                          # the very same signed frames again
    first = raw.reply(timeout=120)
    assert first is not None and first[1]["status"] == "ok"
    raw.send("kernel_info_request", {})
    header, _ = raw.reply(timeout=60)
    # The shell answers in order: a second execute_reply would have come before this kernel_info_reply.
    assert header["msg_type"] == "kernel_info_reply", "the replayed execute_request ran a second time"
    history = kernel_client.history(hist_access_type="tail", n=10, reply=True, timeout=30)["content"]["history"]
    assert [entry[2] for entry in history].count(code) == 1


def test_a_replay_with_its_signature_upper_cased_is_still_a_replay(kernel_client, raw):
    content = {"code": f"let shoutProbe = {uuid.uuid4().int % 100000}", "silent": False, "store_history": True,
               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
    frames = raw.send("execute_request", content)
    assert raw.reply(timeout=120)[1]["status"] == "ok"
    shouted = list(frames)
    shouted[1] = frames[1].upper()                        # the same HMAC, written in capitals
    raw.socket.send_multipart(shouted)
    raw.send("kernel_info_request", {})
    header, _ = raw.reply(timeout=60)
    assert header["msg_type"] == "kernel_info_reply", "the upper-cased replay ran again"


# ---- item 3: the stop_on_error race ------------------------------------------------------------------------

FAILING = 'struct Boom: Error {}\nthrow Boom()'


def test_a_request_sent_as_soon_as_the_error_reply_arrives_is_never_aborted(kernel_client):
    kc = kernel_client
    aborted = 0
    for round_number in range(100):
        fail_id = kc.execute(FAILING)                          # stop_on_error defaults to true
        reply = kc.get_shell_msg(timeout=120)
        assert reply["parent_header"]["msg_id"] == fail_id and reply["content"]["status"] == "error"
        next_id = kc.execute(f"let round{round_number % 3} = {round_number}")
        reply = kc.get_shell_msg(timeout=120)
        assert reply["parent_header"]["msg_id"] == next_id
        aborted += reply["content"]["status"] == "aborted"
    assert aborted == 0, f"{aborted} of 100 requests sent after the error reply were aborted"


def test_requests_queued_behind_a_failing_cell_are_still_aborted(kernel_client):
    kc = kernel_client
    # A compile error takes a swiftc run, so the two requests behind it are queued when it fails.
    ids = [kc.execute('let x: Int = "not a number"'), kc.execute("print(1)"), kc.execute("print(2)")]
    statuses = {}
    while len(statuses) < 3:
        reply = kc.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") in ids:
            statuses[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
    assert [statuses[i] for i in ids] == ["error", "aborted", "aborted"]
    # And the next one, sent after those replies, runs.
    assert execute_and_collect(kc, "print(3)").stream() == "3\n"


# ---- item 2: the history file ------------------------------------------------------------------------------

@pytest.fixture
def own_data_dir(jupyter_env, tmp_path, monkeypatch):
    """A fresh JUPYTER_DATA_DIR for kernels this test starts (the kernel keeps history under it)."""
    data = tmp_path / "data"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    return data


def history_file(data_dir: pathlib.Path) -> pathlib.Path:
    return data_dir / "swift-lstm-kernel" / "history.jsonl"


def ready_client(km):
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return kc


def test_a_bad_history_line_is_skipped_and_the_kernel_starts(own_data_dir):
    path = history_file(own_data_dir)
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([
        json.dumps({"session": 3, "line": 1, "input": "let kept = 1"}),
        '{"session": 1e300, "line": 1, "input": "x"}',
        '{"session": 4, "line": -1e19, "input": "x"}',
        '{"session": "4", "line": 1, "input": "x"}',
        '{"session": 4, "line": 1, "input": "x", "output": 5}',
        "not json at all",
        json.dumps({"session": 3, "line": 2, "input": "let also = 2"}),
    ]) + "\n")
    km = start_kernel_manager()
    try:
        kc = ready_client(km)
        history = kc.history(hist_access_type="tail", n=10, reply=True, timeout=30)["content"]["history"]
        assert [entry[2] for entry in history] == ["let kept = 1", "let also = 2"]
        assert execute_and_collect(kc, "print(7)").stream() == "7\n"
        newest = json.loads(path.read_text().splitlines()[-1])
        assert newest["session"] == 4, "the new run continues numbering after the newest valid session"
        kc.stop_channels()
    finally:
        stop_kernel_manager(km)


def test_a_100_mb_history_neither_slows_the_start_nor_grows_from_huge_cells(own_data_dir):
    path = history_file(own_data_dir)
    path.parent.mkdir(parents=True)
    big_input = "// " + "x" * (100 * 1024)
    with path.open("w") as f:
        for line in range(1, 1001):                                    # ~100 MB of entries
            f.write(json.dumps({"session": 1, "line": line, "input": f"{big_input}\nlet v{line} = {line}"}) + "\n")
    assert path.stat().st_size > 100 * 10**6
    started = time.monotonic()
    km = start_kernel_manager()
    try:
        kc = ready_client(km)
        ready_after = time.monotonic() - started
        print(f"kernel ready after {ready_after:.2f} s with a {path.stat().st_size / 1e6:.0f} MB history")
        history = kc.history(hist_access_type="tail", n=1, reply=True, timeout=30)["content"]["history"]
        assert history[0][1] == 1000, "the newest entries are offered"
        # A 1 MB cell runs, and its history entry is stored cut to the cap.
        cell = "// " + "y" * (1 << 20) + "\nprint(8)"
        assert execute_and_collect(kc, cell).stream() == "8\n"
        stored = json.loads(path.read_text().splitlines()[-1])
        assert stored["session"] == 2
        assert len(stored["input"].encode()) <= 100 * 1024
        kc.stop_channels()
    finally:
        stop_kernel_manager(km)


def test_history_is_private_to_its_owner(own_data_dir):
    km = start_kernel_manager()
    try:
        kc = ready_client(km)
        execute_and_collect(kc, 'let token = "secret"')
        path = history_file(own_data_dir)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        kc.stop_channels()
    finally:
        stop_kernel_manager(km)
