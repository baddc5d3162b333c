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

.PHONY: lab test install clean

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
