"""Shared helpers for the fixture generators: deterministic values and JSON tensor encoding.

Every tensor in a fixture is written as {"shape": [...], "data": [flat row-major floats]}. Values are
float32 numbers written as the exact decimal of their float32 value, so Swift reads them back bit for bit.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

FIXTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                           "Tests", "LSTMKitTests", "Fixtures")


def tensor(array):
    """Encodes an array (any nesting) as a {shape, data} dict of float32 values."""
    a = np.asarray(array, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def values(rng, shape, scale=0.5):
    """Deterministic float32 values in [-scale, scale) for a weight or an input."""
    return rng.uniform(-scale, scale, size=shape).astype(np.float32)


def write(name, payload):
    """Writes one fixture file (compact, one case per line for readable diffs)."""
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    path = os.path.join(FIXTURE_DIR, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")
