"""JupyterLab in a real browser: open 02-timedistributed.ipynb, run it with the Swift kernel, check what renders.

Run with `make test-browser`. Needs Debian's `chromium` and `chromium-driver` (the target installs them).
JupyterLab serves a temporary copy of notebooks/ (Lab autosaves, and the repo keeps notebooks without
outputs) on 127.0.0.1 with a token; the kernelspec is a temporary install of the built kernel binary.
The screenshot goes to build/browser/.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = "02-timedistributed.ipynb"
SCREENSHOTS = REPO / "build" / "browser"
KERNEL_DISPLAY_NAME = "Swift (LSTMKit)"

pytestmark = pytest.mark.timeout(600)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def kernel_binary():
    explicit = os.environ.get("SWIFT_LSTM_KERNEL")
    if explicit:
        path = Path(explicit)
    else:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True,
                                 capture_output=True, text=True).stdout.strip()
        path = Path(bin_dir) / "swift-lstm-kernel"
    if not path.is_file():
        pytest.fail(f"kernel binary not found at {path}: run `make build` or set SWIFT_LSTM_KERNEL")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_command(port, token, root_dir):
    """`jupyter lab` on loopback with a token, offline: no news feed, no update check, no extension manager."""
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
               "--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    return command


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a copy of notebooks/, with the kernelspec installed in a temp prefix."""
    root = tmp_path_factory.mktemp("lab")
    prefix, work = root / "prefix", root / "notebooks"
    subprocess.run([str(kernel_binary()), "install", "--prefix", str(prefix)], check=True, capture_output=True)
    shutil.copytree(REPO / "notebooks", work)
    env = dict(os.environ,
               JUPYTER_PATH=str(prefix / "share" / "jupyter"),
               JUPYTER_DATA_DIR=str(root / "data"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTER_CONFIG_DIR=str(root / "config"),
               JUPYTER_PLATFORM_DIRS="0")
    port, token = free_port(), secrets.token_hex(16)
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(lab_command(port, token, work), env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield {"base": base, "token": token, "log": root / "lab.log"}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    chromedriver = shutil.which("chromedriver")
    if chromedriver is None:
        pytest.fail("chromedriver not found: `apt-get install -y chromium chromium-driver` (make test-browser does)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,2200"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=chromedriver), options=options)
    yield driver
    driver.quit()


def wait(driver, seconds, condition, message):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.25).until(lambda d: condition(d), message)
    except TimeoutException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / "failure.png"))
        raise


def choose_kernel_if_asked(driver):
    """Lab asks for a kernel only if it cannot start the notebook's own; then pick ours by its name."""
    dialogs = driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog")
    if not dialogs:
        return
    select = dialogs[0].find_elements(By.CSS_SELECTOR, "select")
    if select:
        for option in select[0].find_elements(By.TAG_NAME, "option"):
            if option.text.strip() == KERNEL_DISPLAY_NAME:
                option.click()
    dialogs[0].find_element(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept").click()


def choose_kernel(driver):
    """Kernel ▸ Change Kernel… as a reader does: click the kernel name in the toolbar, pick ours."""
    driver.find_element(By.CSS_SELECTOR, ".jp-Toolbar-kernelName").click()
    dialog = wait(driver, 10, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Dialog"), "no kernel dialog")[0]
    options = [o for o in dialog.find_elements(By.CSS_SELECTOR, "select option")
               if o.text.strip() == KERNEL_DISPLAY_NAME]
    assert options, "the kernel dialog does not offer " + KERNEL_DISPLAY_NAME
    options[0].click()
    dialog.find_element(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept").click()
    wait(driver, 10, lambda d: not d.find_elements(By.CSS_SELECTOR, ".jp-Dialog"), "kernel dialog did not close")


def kernel_name_shown(driver):
    items = driver.find_elements(By.CSS_SELECTOR, ".jp-KernelName, .jp-Toolbar-kernelName")
    return " ".join(i.text for i in items)


def kernel_idle(driver):
    indicators = driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator")
    return bool(indicators) and indicators[0].get_attribute("data-status") == "idle"


def run_all(driver):
    """Run ▸ Run All Cells, through the menu bar as a reader would."""
    menus = [m for m in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if m.text.strip() == "Run"]
    assert menus, "no Run menu in JupyterLab's menu bar"
    menus[0].click()
    def run_all_item(d):
        return [i for i in d.find_elements(By.CSS_SELECTOR, ".lm-Menu .lm-Menu-item")
                if i.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
                and i.find_element(By.CSS_SELECTOR, ".lm-Menu-itemLabel").text.strip() == "Run All Cells"]

    wait(driver, 10, run_all_item, "no Run All Cells item in the Run menu")[0].click()


def dismiss_toasts(driver):
    """Closes Lab's notification toasts (the news opt-in) so they do not cover the screenshot."""
    for button in driver.find_elements(By.CSS_SELECTOR, ".Toastify__toast button"):
        if button.text.strip() == "No" or "close" in (button.get_attribute("aria-label") or "").lower():
            try:
                button.click()
            except Exception:  # a toast may vanish between finding and clicking it
                pass
    time.sleep(0.3)


def prompts(driver):
    return [p.text.strip() for p in driver.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")]


def all_cells_ran(driver):
    """Every code cell shows an execution count: not `[ ]` (never ran) or `[*]` (running or queued)."""
    shown = prompts(driver)
    return bool(shown) and all(p.startswith("[") and p.strip("[]: ").isdigit() for p in shown)


def open_notebook(driver, lab, name):
    """Opens notebook `name` of the Lab root and waits until it shows with our kernel chosen and idle."""
    driver.get(f"{lab['base']}/lab/tree/{name}?token={lab['token']}")
    wait(driver, 90, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), "notebook did not open")
    wait(driver, 60, lambda d: (choose_kernel_if_asked(d), KERNEL_DISPLAY_NAME in kernel_name_shown(d))[1],
         f"kernel {KERNEL_DISPLAY_NAME!r} not chosen")
    wait(driver, 60, kernel_idle, "kernel never became idle after starting")


def test_timedistributed_notebook_runs_in_jupyterlab(lab, browser):
    open_notebook(browser, lab, NOTEBOOK)
    choose_kernel(browser)
    wait(browser, 60, lambda d: KERNEL_DISPLAY_NAME in kernel_name_shown(d) and kernel_idle(d),
         "kernel not idle after choosing it")

    started = time.monotonic()
    run_all(browser)
    wait(browser, 300, lambda d: all_cells_ran(d) and kernel_idle(d), "cells did not all finish")
    seconds = time.monotonic() - started
    print(f"Run All Cells finished in {seconds:.1f} s; prompts {prompts(browser)}")

    dismiss_toasts(browser)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "02-timedistributed.png"
    browser.save_screenshot(str(shot))

    errors = browser.find_elements(By.CSS_SELECTOR, '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert not errors, "error or stderr output in the notebook:\n" + "\n---\n".join(e.text for e in errors)

    summaries = [o.text for o in browser.find_elements(By.CSS_SELECTOR, ".jp-RenderedHTMLCommon")
                 if o.find_elements(By.TAG_NAME, "table") and "Param #" in o.text]
    totals = [re.search(r"Total params: ([\d,]+)", text) for text in summaries]
    # The Keras documentation example (136), then one-to-one, many-to-one and many-to-many.
    assert [t.group(1) for t in totals if t] == ["136", "146", "170", "146"], summaries
    assert "time_distributed (TimeDistributed)" in summaries[0] and "(None, 10, 8)" in summaries[0]
    assert "lstm (LSTM)" in summaries[1] and "140" in summaries[1]

    # NotebookDisplay figures carry a text/html form, an <img> of the SVG with alt text, which Lab prefers.
    svgs = browser.find_elements(By.CSS_SELECTOR, ".jp-RenderedSVG img, .jp-RenderedSVG svg, .jp-RenderedHTMLCommon svg, "
                                                  '.jp-RenderedHTMLCommon img[src^="data:image/svg+xml"]')
    assert svgs, "no SVG rendered"
    assert all(svg.get_attribute("alt") for svg in svgs if svg.tag_name.lower() == "img"), "an image without alt text"
    loaded = browser.execute_script(
        "return arguments[0].tagName.toLowerCase() === 'svg' || arguments[0].naturalWidth > 0", svgs[0])
    assert loaded, "the SVG image did not load"

    # A second screenshot scrolled to the first SVG, so the picture itself is on record.
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", svgs[0])
    time.sleep(0.5)
    browser.save_screenshot(str(SCREENSHOTS / "02-timedistributed-svg.png"))
