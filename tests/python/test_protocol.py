"""The kernel's protocol behaviour through jupyter_client, against the real binary."""
import hashlib
import hmac
import json
import queue
import time
import uuid

import pytest
import zmq
from jupyter_client.session import Session

from conftest import execute_and_collect

pytestmark = pytest.mark.timeout(120)


def iopub_for(kc, msg_id, timeout=10):
    """iopub messages whose parent is `msg_id`, up to and including its `idle`."""
    found = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            found.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return found
    raise AssertionError(f"no idle for {msg_id}; got {[m['msg_type'] for m in found]}")


def test_kernel_info_reports_swift_language_info(kernel_client):
    reply = kernel_client.kernel_info(reply=True, timeout=10)
    content = reply["content"]
    assert content["status"] == "ok"
    assert content["implementation"] == "swift-lstm-kernel"
    assert tuple(map(int, content["protocol_version"].split("."))) >= (5, 3)
    info = content["language_info"]
    assert info["name"] == "swift"
    assert info["mimetype"] == "text/x-swift"
    assert info["file_extension"] == ".swift"
    assert info["codemirror_mode"] == "swift"
    assert info["pygments_lexer"] == "swift"
    assert info["version"]
    assert isinstance(content["help_links"], list)
    assert reply["header"]["version"] >= "5.3"
    states = [m["content"]["execution_state"] for m in iopub_for(kernel_client, reply["parent_header"]["msg_id"])]
    assert states == ["busy", "idle"]


def test_header_date_has_microseconds_and_utc(kernel_client):
    reply = kernel_client.kernel_info(reply=True, timeout=10)
    # jupyter_client parses `date`; the raw header string must carry microseconds and a zone.
    date = reply["header"]["date"]
    assert date.tzinfo is not None and date.utcoffset().total_seconds() == 0
    uuid.UUID(reply["header"]["msg_id"])


def test_kernel_info_on_control_channel(kernel_client):
    msg = kernel_client.session.msg("kernel_info_request")
    kernel_client.control_channel.send(msg)
    reply = kernel_client.control_channel.get_msg(timeout=10)
    assert reply["msg_type"] == "kernel_info_reply"
    assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    assert reply["content"]["language_info"]["name"] == "swift"
    states = [m["content"]["execution_state"] for m in iopub_for(kernel_client, msg["header"]["msg_id"])]
    assert states == ["busy", "idle"]


def test_heartbeat_echoes(kernel_client):
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.REQ)
    sock.linger = 0
    info = kernel_client.get_connection_info()
    sock.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
    try:
        for payload in (b"ping", b"\x00\x01binary", b"x" * 10000):
            sock.send(payload)
            assert sock.poll(5000), "no heartbeat echo within 5 s"
            assert sock.recv() == payload
    finally:
        sock.close()
    assert kernel_client.is_alive()


def drain(get, timeout):
    """Every message `get` returns until it has nothing for `timeout` seconds."""
    messages = []
    while True:
        try:
            messages.append(get(timeout=timeout))
        except queue.Empty:
            return messages


def sign(key: bytes, parts):
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.hexdigest().encode()


def test_forged_signature_is_ignored_and_kernel_still_answers(kernel_client, kernel_manager):
    forged = Session(key=b"not-the-kernel-key", username="mallory")
    msg = forged.msg("execute_request", content={"code": "forged_cell_marker", "silent": False,
                                                 "store_history": True, "user_expressions": {},
                                                 "allow_stdin": False, "stop_on_error": True})
    forged.send(kernel_client.shell_channel.socket, msg)
    # No reply and no iopub traffic may answer the forged request.
    forged_id = msg["header"]["msg_id"]
    assert all(m["parent_header"].get("msg_id") != forged_id for m in drain(kernel_client.get_shell_msg, 1.5))
    # The kernel still serves genuine requests, and the forged code never reached the history.
    assert kernel_client.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"
    history = kernel_client.history(hist_access_type="tail", n=100, reply=True, timeout=10)["content"]["history"]
    assert all("forged_cell_marker" not in entry[2] for entry in history)
    assert all(m["parent_header"].get("msg_id") != forged_id for m in drain(kernel_client.get_iopub_msg, 0.5))
    assert kernel_manager.is_alive()


def test_malformed_frames_and_bad_json_are_dropped(kernel_client, kernel_manager):
    socket = kernel_client.shell_channel.socket
    key = kernel_client.session.key
    socket.send_multipart([b"no delimiter at all"])
    socket.send_multipart([b"<IDS|MSG>", b"too", b"few"])
    bad_parts = [b"{not json", b"{}", b"{}", b"{}"]
    socket.send_multipart([b"<IDS|MSG>", sign(key, bad_parts)] + bad_parts)
    header = json.dumps({"msg_id": "x", "msg_type": "kernel_info_request", "session": "s", "username": "u",
                         "date": "2026-01-01T00:00:00.000000Z", "version": "5.3"}).encode()
    not_object = [header, b"{}", b"{}", b"[1, 2]"]
    socket.send_multipart([b"<IDS|MSG>", sign(key, not_object)] + not_object)
    assert kernel_client.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"
    assert kernel_manager.is_alive()


def test_interrupt_request_gets_a_reply_on_control(kernel_client):
    msg = kernel_client.session.msg("interrupt_request", content={})
    kernel_client.control_channel.send(msg)
    reply = kernel_client.control_channel.get_msg(timeout=10)
    assert reply["msg_type"] == "interrupt_reply"
    assert reply["content"]["status"] == "ok"
    assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]


def test_interrupt_through_kernel_manager_and_sigint_keep_kernel_alive(kernel_client, kernel_manager):
    kernel_manager.interrupt_kernel()  # interrupt_mode "message": an interrupt_request on control
    kernel_manager.signal_kernel(2)    # SIGINT must interrupt, never kill
    time.sleep(0.5)
    assert kernel_manager.is_alive()
    assert kernel_client.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"


def test_burst_of_500_kernel_info_requests_loses_nothing(kernel_client):
    sent = [kernel_client.kernel_info() for _ in range(500)]
    replies = set()
    while len(replies) < len(sent):
        reply = kernel_client.get_shell_msg(timeout=30)
        assert reply["msg_type"] == "kernel_info_reply"
        replies.add(reply["parent_header"]["msg_id"])
    assert replies == set(sent)
    idle = set()
    while len(idle) < len(sent):
        msg = kernel_client.get_iopub_msg(timeout=30)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle.add(msg["parent_header"]["msg_id"])
    assert idle == set(sent)


def test_execute_publishes_input_and_error_before_reply(kernel_client):
    run = execute_and_collect(kernel_client, "let x = 1", timeout=120)
    types = [m["msg_type"] for m in run.messages]
    assert types[0] == "status" and types[-1] == "status"
    assert "execute_input" in types
    assert run.reply["content"]["execution_count"] == run.messages[1]["content"]["execution_count"]
    if run.reply["content"]["status"] == "error":
        assert [m["msg_type"] for m in run.outputs] == ["error"]


def test_silent_execute_publishes_nothing_and_keeps_the_count(kernel_client):
    first = execute_and_collect(kernel_client, "let a = 1")
    silent = execute_and_collect(kernel_client, "let b = 2", silent=True)
    assert [m["msg_type"] for m in silent.messages] == ["status", "status"]
    assert silent.reply["content"]["execution_count"] == first.reply["content"]["execution_count"]
    after = execute_and_collect(kernel_client, "let c = 3")
    assert after.reply["content"]["execution_count"] == first.reply["content"]["execution_count"] + 1


def test_history_tail_range_and_search(kernel_client):
    for code in ("let first = 1", "let second = 2", "let first = 1"):
        execute_and_collect(kernel_client, code)
    tail = kernel_client.history(hist_access_type="tail", n=2, reply=True, timeout=10)["content"]["history"]
    assert [entry[2] for entry in tail] == ["let second = 2", "let first = 1"]
    session = tail[-1][0]
    ranged = kernel_client.history(hist_access_type="range", session=0, start=1, stop=3, raw=True, output=False,
                                   reply=True, timeout=10)["content"]["history"]
    assert [(e[0], e[1], e[2]) for e in ranged] == [(session, 1, "let first = 1"), (session, 2, "let second = 2")]
    found = kernel_client.history(hist_access_type="search", pattern="let first*", unique=True,
                                  reply=True, timeout=10)["content"]["history"]
    assert [e[2] for e in found] == ["let first = 1"] and found[0][1] == 3
    with_output = kernel_client.history(hist_access_type="tail", n=1, output=True, reply=True,
                                        timeout=10)["content"]["history"]
    assert with_output[0][2][0] == "let first = 1"


def test_comms_are_refused_and_comm_info_is_empty(kernel_client):
    reply = kernel_client.comm_info(reply=True, timeout=10)
    assert reply["content"] == {"status": "ok", "comms": {}}
    msg = kernel_client.session.msg("comm_open", content={"comm_id": "c1", "target_name": "jupyter.widget", "data": {}})
    kernel_client.shell_channel.send(msg)
    closes = [m for m in iopub_for(kernel_client, msg["header"]["msg_id"]) if m["msg_type"] == "comm_close"]
    assert [c["content"]["comm_id"] for c in closes] == ["c1"]


def test_unknown_request_gets_an_error_reply(kernel_client):
    msg = kernel_client.session.msg("frobnicate_request", content={})
    kernel_client.shell_channel.send(msg)
    reply = kernel_client.get_shell_msg(timeout=10)
    assert reply["msg_type"] == "frobnicate_reply"
    assert reply["content"]["status"] == "error"
    assert kernel_client.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"


def test_is_complete_complete_and_inspect_reply(kernel_client):
    msg_id = kernel_client.is_complete("let x = 1")
    reply = kernel_client.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["msg_type"] == "is_complete_reply"
    assert reply["content"]["status"] in ("complete", "incomplete", "invalid", "unknown")
    complete = kernel_client.complete("let x = 1", reply=True, timeout=30)["content"]
    assert complete["status"] == "ok" and isinstance(complete["matches"], list)
    inspect = kernel_client.inspect("let x = 1", reply=True, timeout=30)["content"]
    assert inspect["status"] == "ok" and isinstance(inspect["found"], bool)


def test_control_is_served_while_shell_is_busy(kernel_client):
    """kernel_info and interrupt on control are answered while a cell still runs on shell (needs the cell
    engine: the cell sleeps for a few seconds)."""
    exec_id = kernel_client.execute("import Foundation\nThread.sleep(forTimeInterval: 4)")
    # Wait until the cell is really running (its execute_input is published just before it starts).
    while True:
        msg = kernel_client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == exec_id and msg["msg_type"] == "execute_input":
            break
    started = time.monotonic()
    info = kernel_client.session.msg("kernel_info_request")
    kernel_client.control_channel.send(info)
    assert kernel_client.control_channel.get_msg(timeout=10)["msg_type"] == "kernel_info_reply"
    assert not kernel_client.shell_channel.msg_ready(), "the cell finished before control answered"
    interrupt = kernel_client.session.msg("interrupt_request", content={})
    kernel_client.control_channel.send(interrupt)
    assert kernel_client.control_channel.get_msg(timeout=10)["msg_type"] == "interrupt_reply"
    answered_after = time.monotonic() - started
    reply = kernel_client.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == exec_id
    assert answered_after < 2, f"control answered only after {answered_after:.1f} s: it waited for the shell"


def test_stop_on_error_aborts_the_execute_queued_behind_a_failing_cell(kernel_client):
    """As ipykernel: a failing cell aborts the execute_requests already waiting (a "Run All" queue)."""
    failing = kernel_client.execute("this_name_does_not_exist_anywhere")
    queued = kernel_client.execute("let queuedBehindFailure = 1")
    replies = {}
    while len(replies) < 2:
        reply = kernel_client.get_shell_msg(timeout=120)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
    assert replies == {failing: "error", queued: "aborted"}
    later = execute_and_collect(kernel_client, "let runsAfterTheAbort = 2")
    assert later.reply["content"]["status"] != "aborted"


def test_input_request_on_stdin_carries_the_answer_back_to_the_cell(kernel_client):
    """With allow_stdin, the kernel asks on stdin (to this client) and the cell gets the input_reply."""
    msg_id = kernel_client.execute('let name = readLine() ?? "none"\nprint("hi \\(name)")', allow_stdin=True)
    ask = kernel_client.get_stdin_msg(timeout=60)
    assert ask["msg_type"] == "input_request"
    assert ask["parent_header"]["msg_id"] == msg_id
    assert ask["content"]["password"] is False
    kernel_client.input("Ada")
    messages = iopub_for(kernel_client, msg_id, timeout=60)
    assert "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream") == "hi Ada\n"
