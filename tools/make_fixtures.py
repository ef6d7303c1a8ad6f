"""Writes LSTMKit's parity fixtures by running real Keras 3 (JAX backend) and, if installed, PyTorch.

Usage (from the repository root):  .venv-tools/bin/python tools/make_fixtures.py
See tools/README.md for the environment. Output: Tests/LSTMKitTests/Fixtures/*.json.
"""
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import fixtures_layers  # noqa: E402
from fixture_common import write  # noqa: E402


def meta():
    return dict(generator="tools/make_fixtures.py", keras=keras.__version__, backend=keras.backend.backend())


def main():
    only = set(sys.argv[1:])

    def wanted(name):
        return not only or name in only

    if wanted("layers"):
        write("layers.json", dict(meta=meta(), cases=fixtures_layers.make(np.random.default_rng(1234))))
    if wanted("losses"):
        import fixtures_losses
        write("losses.json", dict(meta=meta(), **fixtures_losses.make(np.random.default_rng(99))))
    if wanted("training"):
        import fixtures_training
        write("training.json", dict(meta=meta(), **fixtures_training.make(np.random.default_rng(7))))
    if wanted("summary"):
        import fixtures_summary
        write("summary.json", dict(meta=meta(), cases=fixtures_summary.make()))
    # Groups added with the extras branch; each writes a NEW file (the ones above are left as generated).
    if wanted("bidirectional"):
        import fixtures_bidirectional
        write("bidirectional_none.json", dict(meta=meta(), cases=fixtures_bidirectional.make(np.random.default_rng(21))))
    if wanted("regularizers"):
        import fixtures_regularizers
        write("regularizers.json", dict(meta=meta(), **fixtures_regularizers.make(np.random.default_rng(31))))
    if wanted("constraints"):
        import fixtures_constraints
        write("constraints.json", dict(meta=meta(), **fixtures_constraints.make(np.random.default_rng(41))))
    if wanted("multi_output"):
        import fixtures_multi_output
        write("multi_output.json", dict(meta=meta(), **fixtures_multi_output.make(np.random.default_rng(51))))
    if wanted("torch"):
        try:
            import torch
        except ImportError:
            print("torch not installed: skipping torch.json")
        else:
            import fixtures_torch
            write("torch.json", dict(meta=dict(generator="tools/make_fixtures.py", torch=torch.__version__),
                                     cases=fixtures_torch.make(np.random.default_rng(5))))
    if wanted("safetensors"):
        write_safetensors()


def write_safetensors():
    """A weights file written by the Python `safetensors` package, for LSTMKit's reader test."""
    from safetensors.numpy import save_file
    from fixture_common import FIXTURE_DIR
    rng = np.random.default_rng(3)
    tensors = {"lstm/kernel": rng.uniform(-1, 1, (2, 8)).astype(np.float32),
               "lstm/bias": np.arange(8, dtype=np.float32),
               "dense/kernel": rng.uniform(-1, 1, (2, 1)).astype(np.float32),
               "scalar": np.array(3.5, dtype=np.float32)}
    path = os.path.join(FIXTURE_DIR, "python_written.safetensors")
    save_file(tensors, path, metadata={"format": "lstmkit-fixture"})
    os.chmod(path, 0o644)  # the package creates it owner-only
    write("python_written.json", {name: dict(shape=list(a.shape), data=[float(v) for v in a.reshape(-1)])
                                  for name, a in tensors.items()})


if __name__ == "__main__":
    main()
