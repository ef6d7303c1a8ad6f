"""The `jupyter_kernel_test` conformance suite against the swift-lstm kernel, with every sample the engine
supports filled in. The kernelspec is installed into a temporary Jupyter tree first (like conftest.py's
`jupyter_env`, which unittest classes cannot use as a fixture)."""
import os
import shutil
import subprocess
import tempfile
import unittest

import jupyter_kernel_test

from conftest import KERNEL_NAME, find_kernel_binary


class SwiftLSTMKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "swift"
    file_extension = ".swift"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'import Glibc\nfputs("to stderr\\n", stderr)'

    completion_samples = [
        # Names from the standard library and the implicit imports complete through sourcekit-lsp (or the
        # name completer when the server is slow to start); `matches` is not pinned to one source.
        {"text": "pri"},
        {"text": "let values = [3, 1, 2]\nvalues.so"},
        {"text": "let zebraStripeCount = 12\nzebraStripeC", "matches": {"zebraStripeCount"}},
    ]
    complete_code_samples = ["1 + 1", "let x = 3", "func f() -> Int { 1 }", "print(\"a\")"]
    incomplete_code_samples = ["func f() {", "let xs = [1, 2,", "let s = \"\"\"\nabc"]
    invalid_code_samples = ["let x = )", "}"]

    code_generate_error = 'fatalError("this cell fails on purpose")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "let word = \"swift\"\nword.uppercased()", "result": "\"SWIFT\""},
    ]
    code_display_data = [
        {"code": 'display("a displayed value")', "mime": "text/plain"},
    ]
    code_history_pattern = "6 * *"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "print"
    code_clear_output = 'print("gone soon")\nclearOutput()'

    _jupyter_root = None
    _saved_env = None

    @classmethod
    def setUpClass(cls) -> None:
        cls._jupyter_root = tempfile.mkdtemp(prefix="swift-lstm-suite-")
        prefix = os.path.join(cls._jupyter_root, "prefix")
        subprocess.run([str(find_kernel_binary()), "install", "--prefix", prefix], check=True, capture_output=True)
        env = {
            "JUPYTER_PATH": os.path.join(prefix, "share", "jupyter"),
            "JUPYTER_DATA_DIR": os.path.join(cls._jupyter_root, "data"),
            "JUPYTER_RUNTIME_DIR": os.path.join(cls._jupyter_root, "runtime"),
            "JUPYTER_CONFIG_DIR": os.path.join(cls._jupyter_root, "config"),
            "JUPYTER_PLATFORM_DIRS": "0",
            "SWIFT_LSTM_CELL_CACHE": os.path.join(cls._jupyter_root, "cell-cache"),
        }
        cls._saved_env = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        for name, value in (cls._saved_env or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(cls._jupyter_root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
