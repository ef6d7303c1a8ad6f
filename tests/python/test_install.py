"""`%install`, `%include` and `!command` through jupyter_client against the real kernel.

Local `path:` packages the tests write themselves (small, quick to build) carry most tests; the real
swift-collections from the machine's package mirror is installed once. The kernel runs in a temporary
"notebook folder" (its working directory), where relative paths of `%install`, `%include` and `!` lines
are taken from. Install and cell caches are this module's own temporary folders.
"""
import pathlib
import textwrap
import threading

import pytest
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, execute_and_collect, stop_kernel_manager

BUILD_TIMEOUT = 900  # a first release build of a package on a loaded 2-core machine


def write_package(root: pathlib.Path, name: str, product: str, source: str) -> None:
    """A one-target SwiftPM package `name` with library product `product`."""
    (root / name / "Sources" / product).mkdir(parents=True)
    (root / name / "Package.swift").write_text(textwrap.dedent(f"""\
        // swift-tools-version:5.9
        import PackageDescription
        let package = Package(name: "{name}", products: [.library(name: "{product}", targets: ["{product}"])],
                              targets: [.target(name: "{product}")])
        """))
    (root / name / "Sources" / product / f"{product}.swift").write_text(textwrap.dedent(source))


@pytest.fixture(scope="module")
def notebook_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebook")
    write_package(root, "mylib", "MyLib", """\
        /// Says hello.
        public struct Greeter {
            public init() {}
            public var greeting: String { "hello" }
            public func greet(_ n: Int) -> String { "\\(greeting) \\(n)" }
            public func twice(_ x: Int) -> Int { 2 * x }
        }
        """)
    write_package(root, "lib2", "Lib2", "public func two() -> Int { 2 }\n")
    write_package(root, "lib3", "Lib3", "public func three() -> Int { 3 }\n")
    write_package(root, "broken", "Broken", "public func broken() -> Int {\n    return \"not an int\"\n}\n")
    write_package(root, "flagged", "Flagged", """\
        public func flaggedBuild() -> String {
            #if NOTEBOOK_FLAG
            return "built with the flag"
            #else
            return "built without the flag"
            #endif
        }
        """)
    # A package that reaches a system library through its own pkg-config declaration (zlib).
    zpkg = root / "zpkg"
    (zpkg / "Sources" / "CZlib").mkdir(parents=True)
    (zpkg / "Sources" / "ZWrap").mkdir(parents=True)
    (zpkg / "Package.swift").write_text(textwrap.dedent("""\
        // swift-tools-version:5.9
        import PackageDescription
        let package = Package(name: "zpkg", products: [.library(name: "ZWrap", targets: ["ZWrap"])],
                              targets: [.systemLibrary(name: "CZlib", pkgConfig: "zlib"),
                                        .target(name: "ZWrap", dependencies: ["CZlib"])])
        """))
    (zpkg / "Sources" / "CZlib" / "module.modulemap").write_text(
        'module CZlib [system] {\n    header "shim.h"\n    link "z"\n    export *\n}\n')
    (zpkg / "Sources" / "CZlib" / "shim.h").write_text("#include <zlib.h>\n")
    (zpkg / "Sources" / "ZWrap" / "ZWrap.swift").write_text(
        "import CZlib\n/// zlib's own version string.\npublic func zlibVersionString() -> String { String(cString: zlibVersion()) }\n")
    (root / "helpers.swift").write_text("func helper() -> Int { 7 }\nlet helperName = \"from helpers.swift\"\n")
    return root


@pytest.fixture(scope="module")
def caches(tmp_path_factory):
    installs = tmp_path_factory.mktemp("install-cache")
    cells = tmp_path_factory.mktemp("cell-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWIFT_LSTM_INSTALL_CACHE", str(installs))
        patch.setenv("SWIFT_LSTM_CELL_CACHE", str(cells))
        yield installs


def start(notebook_dir):
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(cwd=str(notebook_dir))
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return km, client


@pytest.fixture(scope="module")
def kc(jupyter_env, caches, notebook_dir):
    km, client = start(notebook_dir)
    client.test_kernel_manager = km
    yield client
    client.stop_channels()
    stop_kernel_manager(km)


def run(kc, code, timeout=BUILD_TIMEOUT):
    return execute_and_collect(kc, code, timeout)


def ok(kc, code, timeout=BUILD_TIMEOUT):
    result = run(kc, code, timeout)
    assert result.reply["content"]["status"] == "ok", result.error
    return result


def install_error(kc, code):
    result = run(kc, code)
    assert result.reply["content"]["status"] == "error"
    assert result.error["ename"] == "InstallError", result.error
    return result.error


def test_install_in_cell_3_keeps_earlier_state(kc):
    ok(kc, "var counter = 41")
    ok(kc, "counter += 1")
    result = ok(kc, '%install .package(path: "mylib") MyLib\nimport MyLib\nprint(Greeter().greet(counter))')
    out = result.stream()
    assert "hello 42" in out
    assert "Installed mylib (MyLib)" in out
    # The status line is rewritten in place while the build runs.
    assert "\r" in out
    # Later cells import and use it, and still see the earlier state.
    assert "84" in ok(kc, "print(Greeter().twice(counter))").stream()


def test_two_packages_in_one_cell_are_one_build(kc, caches):
    # The set grows by two packages; SwiftPM compiles those, not the earlier one again.
    objects = sorted(caches.glob("scratch-*/*/release/MyLib.build/*.o"))
    assert objects, "the earlier set was not built in the shared scratch folder"
    before = [o.stat().st_mtime_ns for o in objects]
    result = ok(kc, '%install .package(path: "lib2") Lib2\n%install .package(path: "lib3") Lib3\n'
                    'import Lib2\nimport Lib3\nprint("sum", two() + three())')
    out = result.stream()
    assert "sum 5" in out
    assert out.count("Installed ") == 1
    assert [o.stat().st_mtime_ns for o in objects] == before
    assert list(caches.glob("scratch-*/*/release/Lib3.build/*.o"))
    # The earlier install is part of the new set.
    assert "hello 1" in ok(kc, "print(Greeter().greet(1))").stream()


def test_swiftpm_flags_reach_the_build(kc):
    out = ok(kc, '%install-swiftpm-flags -Xswiftc -DNOTEBOOK_FLAG\n%install .package(path: "flagged") Flagged\n'
                 'import Flagged\nprint(flaggedBuild())').stream()
    assert "built with the flag" in out
    result = run(kc, "%install-swiftpm-flags -Xswiftc -DX\nprint(1)")
    assert result.error["ename"] == "InstallError" and "has none" in result.error["evalue"]


def test_who_lists_installed_packages_and_lsmagic_the_magics(kc):
    out = ok(kc, "%who").stream()
    assert "Installed packages: mylib (MyLib); lib2 (Lib2); lib3 (Lib3); flagged (Flagged)" in out
    listed = ok(kc, "%lsmagic").stream()
    for magic in ("%install SPEC", "%install-swiftpm-flags", "%include", "!COMMAND"):
        assert magic in listed


def test_a_spec_that_does_not_parse_names_the_column(kc):
    line = '%install .package(url: "https://github.com/apple/swift-collections", from: ) X'
    error = install_error(kc, line)
    assert f"column {line.index(': )') + 3}" in error["evalue"] and "does not parse" in error["evalue"]
    error = install_error(kc, '%install .package(path: "mylib")')
    assert "name the products" in error["evalue"]
    error = install_error(kc, '%install .package(url: "https://github.com/apple/swift-collections", frm: "1.0.0") X')
    assert "not a valid SwiftPM dependency" in error["evalue"]
    assert "42" in ok(kc, "print(counter)").stream()


def test_unknown_product_lists_the_products(kc):
    error = install_error(kc, '%install .package(path: "mylib") NoSuchProduct')
    assert "NoSuchProduct" in error["evalue"] and "MyLib" in error["evalue"]
    # Nothing changed: earlier installs and state work.
    assert "hello 42" in ok(kc, "print(Greeter().greet(counter))").stream()


def test_unknown_package_or_version_gives_swiftpm_message(kc):
    error = install_error(kc, '%install .package(url: "https://github.com/nobody-here/no-such-package", '
                              'from: "1.0.0") Nothing')
    assert "Failed to clone repository https://github.com/nobody-here/no-such-package" in error["evalue"]
    error = install_error(kc, '%install .package(url: "https://github.com/apple/swift-collections", '
                              'from: "99.0.0") DequeModule')
    assert "no versions of 'swift-collections' match" in error["evalue"]
    assert ok(kc, "print(two() + three())").stream() == "5\n"


def test_build_error_names_file_and_line_and_shows_the_log(kc):
    error = install_error(kc, '%install .package(path: "broken") Broken')
    assert "Broken.swift:2" in error["evalue"]
    assert "Full build log:" in error["traceback"]
    out = ok(kc, "counter += 1\nprint(counter, Greeter().twice(1))").stream()
    assert "43 2" in out


def test_completion_sees_installed_type_members(kc):
    code = "Greeter()."
    reply = kc.complete(code, len(code), reply=True, timeout=120)
    matches = reply["content"]["matches"]
    assert any(m.startswith("greeting") for m in matches), matches
    assert any(m.startswith("twice") for m in matches), matches


def test_inspect_shows_an_installed_types_doc_comment(kc):
    code = "let g = Greeter()"
    reply = kc.inspect(code, code.index("Greeter") + 3, reply=True, timeout=120)
    assert reply["content"]["found"], reply["content"]
    assert "Says hello." in reply["content"]["data"]["text/plain"]


def test_include_compiles_a_file_as_a_cell(kc):
    out = ok(kc, "%include helpers.swift\nprint(helper(), helperName)").stream()
    assert "7 from helpers.swift" in out
    result = run(kc, "%include missing.swift")
    assert result.error["ename"] == "UsageError" and "missing.swift" in result.error["evalue"]


def test_shell_lines_run_in_the_notebook_folder(kc, notebook_dir):
    out = ok(kc, "!echo hi from sh\n!pwd\nprint(\"after\")").stream()
    assert "hi from sh" in out
    assert str(notebook_dir) in out
    assert out.index("hi from sh") < out.index("after")
    result = run(kc, "!echo failing; exit 3")
    assert result.error["ename"] == "ShellError" and "status 3" in result.error["evalue"]
    assert "failing" in result.stream()


def test_an_interrupt_stops_a_shell_line(kc):
    timer = threading.Timer(2.0, kc.test_kernel_manager.interrupt_kernel)
    timer.start()
    result = run(kc, "!echo started; sleep 60; echo never")
    timer.join()
    assert result.error["ename"] == "Interrupted", result.error
    assert "started" in result.stream() and "never" not in result.stream()
    assert "43" in ok(kc, "print(counter)").stream()


def test_reset_keeps_installed_packages(kc):
    ok(kc, "%reset")
    assert "10" in ok(kc, "import MyLib\nprint(Greeter().twice(5))").stream()


def test_second_kernel_reuses_the_cached_build(jupyter_env, caches, notebook_dir):
    km, client = start(notebook_dir)
    try:
        out = ok(client, '%install .package(path: "mylib") MyLib\nimport MyLib\nprint(Greeter().greet(3))').stream()
        assert "hello 3" in out
        assert "from the cache" in out
    finally:
        client.stop_channels()
        stop_kernel_manager(km)


def test_two_kernels_installing_at_once_both_get_the_package(jupyter_env, caches, notebook_dir):
    # A set neither kernel built before: both start building together; the second waits for the first.
    code = '%install .package(path: "lib2") Lib2\n%install .package(path: "flagged") Flagged\nimport Lib2\nprint("two", two())'
    kernels = [start(notebook_dir) for _ in range(2)]
    try:
        ids = [client.execute(code) for _, client in kernels]
        for (_, client), msg_id in zip(kernels, ids):
            reply = client.get_shell_msg(timeout=BUILD_TIMEOUT)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = client.get_shell_msg(timeout=BUILD_TIMEOUT)
            assert reply["content"]["status"] == "ok", reply["content"]
        for _, client in kernels:
            assert "two 2" in ok(client, "print(\"two\", two())").stream()
    finally:
        for km, client in kernels:
            client.stop_channels()
            stop_kernel_manager(km)


def test_swift_collections_from_the_package_mirror(jupyter_env, caches, notebook_dir):
    km, client = start(notebook_dir)
    try:
        out = ok(client, '%install .package(url: "https://github.com/apple/swift-collections", from: "1.1.0") '
                         'DequeModule\nimport DequeModule\nvar d = Deque([1, 2, 3])\nd.prepend(0)\n'
                         'print(Array(d))').stream()
        assert "[0, 1, 2, 3]" in out
        assert "Installed swift-collections (DequeModule)" in out
        assert "[0, 1, 2, 3, 4]" in ok(client, "d.append(4)\nprint(Array(d))").stream()
    finally:
        client.stop_channels()
        stop_kernel_manager(km)


# Last in the file: it adds a package to the module kernel's set, which `%who` above lists exactly.
def test_a_system_library_is_reached_through_the_packages_pkg_config(kc):
    import subprocess
    version = subprocess.run(["pkg-config", "--modversion", "zlib"], capture_output=True, text=True).stdout.strip()
    if not version:
        pytest.skip("zlib's pkg-config file is not installed")
    out = ok(kc, '%install .package(path: "zpkg") ZWrap\nimport ZWrap\nprint("zlib", zlibVersionString())').stream()
    assert f"zlib {version}" in out
    # A cell can use the C module the package declares, too.
    assert f"direct {version}" in ok(kc, 'import CZlib\nprint("direct", String(cString: zlibVersion()))').stream()
