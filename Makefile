# Two commands are the whole set-up (see README.md):
#   make lab    JupyterLab on the notebooks (creates .venv from the pip files first if needed)
#   make test   every test: unit tests + nbval over the notebooks with a short GAN_EPOCHS
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_EPOCHS ?= 2
TEST_RUN := .test-run

# A relative MNIST_NPZ is taken from where make runs; the kernels run in notebooks/.
ifneq ($(strip $(MNIST_NPZ)),)
export MNIST_NPZ := $(abspath $(MNIST_NPZ))
endif
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: lab test install clean bench ablation

install: $(STAMP)

$(STAMP): pyproject.toml requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 \
		| grep -v "is ignored: it is neither a file nor a directory" || true
	@$(PY) -c "import gan_helpers, jupyterlab, nbval" || { echo "install failed: see the pip output above"; exit 1; }
	@touch $@

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 \
		--LabApp.default_url=/lab/tree/notebooks/01_gan.ipynb \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# nbval runs on a copy of the notebooks, so a short test run never overwrites the
# committed samples/ or a learner's checkpoints/.
test: $(STAMP)
	@rm -rf $(TEST_RUN) && mkdir -p $(TEST_RUN) && cp -r notebooks $(TEST_RUN)/
	GAN_EPOCHS=$(TEST_EPOCHS) $(PY) -m pytest tests $(TEST_RUN)/notebooks \
		--nbval-lax --nbval-current-env -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(TEST_RUN) .pytest_cache

# The classroom handout (issue 6, gan_helpers/handout.py): handout/gan-handout.{html,pdf}
# from the notebooks' saved outputs; HANDOUT_CODE=0 gives gan-handout-exercise.* with
# the code cells hidden. The PDF needs Debian's chromium and fonts-noto-cjk: make system-deps.
HANDOUT_CODE ?= 1
# Debian packages for the handout and the browser tests (Chromium prints the PDF, Noto
# CJK gives it Korean glyphs, poppler's pdftotext/pdffonts check it). Needs root or sudo.
SYSTEM_DEBS := chromium chromium-driver fonts-noto-cjk poppler-utils
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: handout system-deps

handout: $(STAMP)
	$(PY) -m gan_helpers.handout --out handout $(if $(filter 0,$(HANDOUT_CODE)),--no-code)

system-deps:
	@if [ "$$(dpkg -s $(SYSTEM_DEBS) 2>/dev/null | grep -c '^Status: install ok installed')" = "$(words $(SYSTEM_DEBS))" ]; then \
		echo "system-deps: already installed: $(SYSTEM_DEBS)"; \
	elif ! command -v apt-get >/dev/null; then \
		echo "system-deps: needs Debian/Ubuntu (apt-get); elsewhere install Chromium, Noto Sans CJK KR and poppler by hand"; exit 1; \
	else \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(SYSTEM_DEBS); \
	fi

# Training speed (issue 7, benchmarks/): the notebooks next to the note's TF1 loop as one table,
# also written to build/bench-results.md. Takes long (see README); BENCH_ARGS=--quick is a smoke run.
BENCH_ARGS ?=

bench: $(STAMP)
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

# Notebook 3's ablation table: one 100-epoch run per missing row, with the notebook's own code
# (benchmarks/ablation.py); results in benchmarks/ablation/. ABLATION_ARGS=--list shows the rows.
ablation: $(STAMP)
	$(PY) benchmarks/ablation.py $(ABLATION_ARGS)
