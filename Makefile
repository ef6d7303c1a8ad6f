# SwiftLSTMKernel — the command contract (see docs/ and README): setup, build, install-kernel, notebooks,
# test, lab, bench. Every target does the set-up it needs, so `make notebooks` and `make test` work on a
# fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := notebooks

VENV        := .venv
PY          := $(VENV)/bin/python
JUPYTER     := $(VENV)/bin/jupyter
# One debug build serves the kernel, the notebooks and `swift test`; LSTMKit and NotebookDisplay are
# compiled with -O inside it (Package.swift), so training runs at full speed. README "Build time" has the
# measurements behind this choice.
SWIFT_BUILD := swift build
BIN_DIR      = $(shell swift build --show-bin-path)
KERNEL       = $(BIN_DIR)/swift-lstm-kernel
APT_PACKAGES := libzmq3-dev libopenblas-dev libdnnl-dev pkg-config
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-packages build install-kernel install-kernel-ssh notebooks notebooks-sync test test-swift test-tsan test-python test-browser fuzz fuzz-smoke lab lab-copies bench clean

setup: system-packages $(VENV)/.installed

system-packages:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  echo "Installing system packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

# The project's papermill translator is installed from tools/ (not editable): a change to it reinstalls.
$(VENV)/.installed: requirements.txt tools/papermill_swift/pyproject.toml $(wildcard tools/papermill_swift/papermill_swift/*.py)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

build: setup
	$(SWIFT_BUILD)

install-kernel: build
	$(KERNEL) install --user

# The swift-lstm-ssh kernelspec (gateway_provisioners' SSH provisioner): make install-kernel-ssh HOSTS=h1,h2
install-kernel-ssh: build
	@[ -n "$(HOSTS)" ] || { echo "give the hosts: make install-kernel-ssh HOSTS=host1,host2"; exit 2; }
	$(PY) tools/remote/launch_swift_lstm.py kernelspec --user --hosts $(HOSTS) --kernel-binary $(KERNEL)

notebooks: install-kernel
	$(PY) tools/notebooks/run_notebooks.py --out build/notebooks notebooks/*.ipynb

# notebooks/*.ipynb from their Markdown sources notebooks/src/*.md (jupytext); `--check` runs in make test.
notebooks-sync: setup
	$(PY) tools/notebooks/sync_notebooks.py

test: build test-swift test-tsan test-python fuzz-smoke

# The Keras/PyTorch parity and gradient suites run twice: as shipped (their small layers take LSTMKit's
# own step loop) and with LSTMKIT_ONEDNN=always (every LSTM/GRU in Keras's fused-kernel configuration
# goes through oneDNN, whatever its size).
test-swift: build
	swift test
	LSTMKIT_ONEDNN=always swift test --skip-build --filter 'Parity|Gradient|Reference|OneDNN|Training'

# LSTMKit's threading (the step pool, the split decision, training from several threads) under the thread
# sanitizer, in its own build folder; any data race it reports fails the target.
test-tsan: setup
	swift build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1 swift test --skip-build --sanitize=thread --scratch-path .build-tsan \
		--filter 'LSTMKitTests.(WeightRowsTests|KernelsTests|HostileUseTests|TrainingTests)'

test-python: build
	SWIFT_LSTM_KERNEL=$(KERNEL) $(PY) -m pytest -v tests/python

# libFuzzer over the wire decoder, the JSON reader and the history-line parser (docs/FUZZING.md): built from
# the module sources with swiftc -sanitize=fuzzer into build/fuzz. A crash fails the target and prints the
# reproducer's path. fuzz-smoke runs each target 20 s; `make fuzz FUZZ_SECONDS=3600` for longer runs.
FUZZ_SECONDS ?= 300
fuzz-smoke: setup
	fuzz/run.sh 20

fuzz: setup
	fuzz/run.sh $(FUZZ_SECONDS)

# JupyterLab in headless Chromium (selenium): runs notebooks/02-timedistributed.ipynb and 03's widget shape
# explorer, screenshots in build/browser/.
# A CJK font, so the Chinese half of each explanation renders in the screenshot.
BROWSER_PACKAGES := chromium chromium-driver fonts-wqy-microhei
test-browser: build
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BROWSER_PACKAGES); }
	SWIFT_LSTM_KERNEL=$(KERNEL) $(PY) -m pytest -v tests/browser

# JupyterLab serves working copies in build/lab, never the tracked notebooks: opening a notebook writes the
# kernel's language_info into it and autosave writes outputs. A copy is made only when it is missing, so
# edits made in Lab survive the next `make lab` (delete a copy to start afresh from notebooks/).
LAB_DIR := build/lab
lab: install-kernel lab-copies
	$(JUPYTER) lab $(LAB_DIR) $(if $(filter 0,$(shell id -u)),--allow-root)

lab-copies:
	@mkdir -p $(LAB_DIR)
	@for notebook in notebooks/*.ipynb; do \
	  [ -e "$(LAB_DIR)/$${notebook##*/}" ] || cp "$$notebook" "$(LAB_DIR)/"; \
	done

bench: build
	$(PY) benchmarks/run.py --kernel $(KERNEL) --out build/benchmarks

clean:
	rm -rf .build build
