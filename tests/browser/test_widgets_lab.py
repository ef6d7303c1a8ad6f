"""Swift widgets in JupyterLab's own widget manager (jupyterlab_widgets), in a real browser: a notebook whose
cell shows an IntSlider, a Checkbox and a Label that Swift `onChange` handlers rewrite with an LSTM layer's
output shape; the test types a value into the slider's readout and ticks the checkbox, as a reader would, and
checks the label re-renders. Screenshots before and after go to build/browser/.

Run with `make test-browser` (fixtures and helpers from test_jupyterlab.py).
"""
import json
import time
import urllib.request

import pytest

from test_jupyterlab import (SCREENSHOTS, KERNEL_DISPLAY_NAME, browser, kernel_idle, lab, open_notebook, run_all, wait,  # noqa: F401
                             all_cells_ran, dismiss_toasts)

pytestmark = pytest.mark.timeout(600)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

NOTEBOOK = "widgets-in-lab.ipynb"
CELL = """let units = IntSlider(4, in: 1...64, description: "units")
let sequences = Checkbox(false, description: "returnSequences")
let shape = Label("")
func describe(_ u: Int, _ r: Bool) -> String { r ? "(None, 10, \\(u))" : "(None, \\(u))" }
units.onChange { u in shape.value = "output shape " + describe(u, sequences.value) }
sequences.onChange { r in shape.value = "output shape " + describe(units.value, r) }
shape.value = "output shape " + describe(units.value, sequences.value)
display(VBox([units, sequences, shape]))"""


def upload_notebook(lab):
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "widgets", "metadata": {},
                           "outputs": [], "source": CELL}],
                "metadata": {"kernelspec": {"display_name": KERNEL_DISPLAY_NAME, "language": "swift",
                                            "name": "swift-lstm"}},
                "nbformat": 4, "nbformat_minor": 5}
    body = json.dumps({"type": "notebook", "format": "json", "content": notebook}).encode()
    request = urllib.request.Request(f"{lab['base']}/api/contents/{NOTEBOOK}?token={lab['token']}", data=body,
                                     method="PUT", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30)


def label_text(driver):
    labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".widget-label")
              if e.text.startswith("output shape")]
    return labels[0] if labels else None


def test_a_slider_and_a_checkbox_drive_a_swift_handler_in_jupyterlab(lab, browser):
    upload_notebook(lab)
    open_notebook(browser, lab, NOTEBOOK)
    run_all(browser)
    try:
        wait(browser, 90, lambda d: all_cells_ran(d) and kernel_idle(d), "the cell did not finish")
    except Exception:
        print("browser console:", *browser.get_log("browser"), sep="\n")
        raise
    try:
        wait(browser, 60, lambda d: label_text(d) == "output shape (None, 4)",
             "the widgets did not render (is jupyterlab_widgets installed?)")
    except Exception:
        print("browser console:", *browser.get_log("browser"), sep="\n")
        raise
    dismiss_toasts(browser)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "widgets-before.png"))

    # Type a value into the slider's readout, as a reader can, then tick the checkbox.
    readout = browser.find_element(By.CSS_SELECTOR, ".widget-slider .widget-readout")
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("20", Keys.ENTER)
    wait(browser, 60, lambda d: label_text(d) == "output shape (None, 20)",
         f"the label did not follow the slider: {label_text(browser)!r}")
    browser.find_element(By.CSS_SELECTOR, ".widget-checkbox input[type=checkbox]").click()
    wait(browser, 60, lambda d: label_text(d) == "output shape (None, 10, 20)",
         f"the label did not follow the checkbox: {label_text(browser)!r}")
    browser.save_screenshot(str(SCREENSHOTS / "widgets-after.png"))
    errors = browser.find_elements(By.CSS_SELECTOR, '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert not errors, "\n".join(e.text for e in errors)


EXPLORER = "03-return-sequences-and-state.ipynb"


def explorer_shapes(driver):
    """The `output shapes: …` line the shape explorer printed into its Output widget, or None (also while
    the output is being replaced)."""
    try:
        for element in driver.find_elements(By.CSS_SELECTOR, ".widget-output .jp-OutputArea-output"):
            for line in element.text.splitlines():
                if line.startswith("output shapes:"):
                    return line
    except StaleElementReferenceException:
        pass
    return None


def explorer_ran(driver):
    """Every code cell of the notebook in the current tab shows an execution count (another tab's hidden
    cells have no visible text, so `all_cells_ran` cannot be used while two notebooks are open)."""
    shown = [p.text.strip() for p in driver.find_elements(
        By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt")]
    return bool(shown) and all(p.startswith("[") and p.strip("[]: ").isdigit() for p in shown)


def explorer_summary(driver):
    tables = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".widget-output .jp-RenderedHTMLCommon")
              if "Param #" in e.text]
    return tables[0] if tables else ""


def control(driver, kind, description):
    """The slider or checkbox widget whose description is `description`."""
    for element in driver.find_elements(By.CSS_SELECTOR, f".widget-{kind}"):
        if element.text.splitlines() and element.text.splitlines()[0].strip() == description:
            return element
    raise AssertionError(f"no {kind} described {description!r}")


def test_the_shape_explorer_of_notebook_03_follows_its_controls(lab, browser):
    open_notebook(browser, lab, EXPLORER)
    run_all(browser)
    try:
        wait(browser, 300, lambda d: explorer_ran(d) and kernel_idle(d), "the notebook did not finish")
        wait(browser, 60, lambda d: explorer_shapes(d) == "output shapes: (1, 4)",
             "the shape explorer did not render its first setting")
    except Exception:
        print("browser console:", *browser.get_log("browser"), sep="\n")
        raise
    # In JupyterLab, whose widget manager the kernel has seen, fit reports to a progress bar widget.
    bars = browser.find_elements(By.CSS_SELECTOR, ".widget-hprogress")
    assert bars, "no FloatProgress from fit"
    dismiss_toasts(browser)
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", bars[0])
    time.sleep(0.5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "fit-progress-widgets.png"))
    explorer = browser.find_elements(By.CSS_SELECTOR, ".widget-output")[-1]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", explorer)
    time.sleep(0.5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "explorer-before.png"))
    assert "(None, 4)" in explorer_summary(browser)

    readout = control(browser, "slider", "units").find_element(By.CSS_SELECTOR, ".widget-readout")
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("8", Keys.ENTER)
    wait(browser, 60, lambda d: explorer_shapes(d) == "output shapes: (1, 8)",
         f"the shapes did not follow the units slider: {explorer_shapes(browser)!r}")
    control(browser, "checkbox", "returnState").find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    wait(browser, 60, lambda d: explorer_shapes(d) == "output shapes: (1, 8) (1, 8) (1, 8)",
         f"the shapes did not follow the returnState box: {explorer_shapes(browser)!r}")
    summary = explorer_summary(browser)
    assert "[(None, 8), (None, 8)," in summary and "Total params: 320" in summary, summary
    # The data-flow trace (an SVG figure) was redrawn for the new setting.
    traces = [e for e in browser.find_elements(By.CSS_SELECTOR, ".widget-output .jp-OutputArea-output")
              if e.find_elements(By.CSS_SELECTOR, "svg, img")]
    assert traces, "no traceShapes figure in the explorer"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", explorer)
    time.sleep(0.5)
    browser.save_screenshot(str(SCREENSHOTS / "explorer-after.png"))
    errors = browser.find_elements(By.CSS_SELECTOR, '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert not errors, "\n".join(e.text for e in errors)
