"""LSTMKit's weight files are readable by the Python `safetensors` package (and so by PyTorch/numpy tools).

`Tests/LSTMKitTests/Fixtures/swift_written.safetensors` is written by LSTMKit's `SafeTensors.encode`; the
Swift test `IOTests.testWriterMatchesTheFileThatPythonReads` proves the writer still produces exactly these
bytes. Here the real Python package must read the same values back.
"""
import json
import pathlib
import struct

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "LSTMKitTests" / "Fixtures"
SWIFT_FILE = FIXTURES / "swift_written.safetensors"


def test_python_safetensors_reads_lstmkit_file():
    tensors = load_file(str(SWIFT_FILE))
    assert sorted(tensors) == ["dense/kernel", "lstm/bias", "lstm/kernel", "scalar"]
    np.testing.assert_array_equal(tensors["lstm/kernel"], np.arange(16, dtype=np.float32).reshape(2, 8) * 0.125 - 1)
    np.testing.assert_array_equal(tensors["lstm/bias"], np.array([0.1, -2.5, 1e-8, 3.4e38], dtype=np.float32))
    np.testing.assert_array_equal(tensors["dense/kernel"], np.array([[0.5], [-0.25]], dtype=np.float32))
    assert tensors["scalar"].shape == () and tensors["scalar"] == np.float32(3.5)
    assert all(t.dtype == np.float32 for t in tensors.values())


def test_header_and_metadata_follow_the_format():
    raw = SWIFT_FILE.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    assert header["__metadata__"] == {"format": "lstmkit"}
    assert header["lstm/bias"] == {"dtype": "F32", "shape": [4], "data_offsets": header["lstm/bias"]["data_offsets"]}
    ends = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    assert ends[0][0] == 0 and all(a[1] == b[0] for a, b in zip(ends, ends[1:]))
    assert ends[-1][1] == len(raw) - 8 - length
    with safe_open(str(SWIFT_FILE), framework="numpy") as f:
        assert f.metadata() == {"format": "lstmkit"}
