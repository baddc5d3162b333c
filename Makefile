# Two commands are the whole set-up (see README.md):
#   make lab        JupyterLab on the notebooks (creates .venv from the pip files first if needed)
#   make test       every test: unit tests + nbval over the notebooks with a short GAN_EPOCHS (GAN2D_STEPS for 00)
#   make test-fast  the unit tests only (pytest -m "not slow"), no notebooks
# Both print the 15 slowest tests (pytest --durations); markers (pyproject.toml): slow, browser, pdf, reproduction.
SHELL := /bin/bash
PYTHON ?= python3
# The newest CPython TensorFlow ships wheels for (tensorflow 2.21: cp310-cp313). Keep it in
# step with environment.yml; raise it when a TensorFlow release adds wheels for a newer Python.
PYTHON_NEWEST ?= 3.13
VENV ?= .venv
PY := $(VENV)/bin/python
# .venv-complete: written right after `python -m venv` succeeded; .installed: after pip and the
# import check succeeded. A .venv missing either (an interrupted set-up) is removed and rebuilt.
VENV_OK := $(VENV)/.venv-complete
STAMP := $(VENV)/.installed
TEST_EPOCHS ?= 2
TEST_STEPS_2D ?= 200
TEST_RUN := .test-run
# Both test targets name their 15 slowest tests, so a slow one is seen when it is added.
PYTEST_COMMON := -p no:cacheprovider --durations=15
PIP_NOISE := is ignored: it is neither a file nor a directory
# Imported after pip, before .installed is written: what `make lab`, `make test`, `make handout` need.
INSTALL_CHECK ?= gan_helpers, tools.handout, jupyterlab, nbval, pytest, playwright

# A relative MNIST_NPZ is taken from where make runs; the kernels run in notebooks/.
ifneq ($(strip $(MNIST_NPZ)),)
export MNIST_NPZ := $(abspath $(MNIST_NPZ))
endif
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: lab lab-config test test-fast install clean bench ablation ablation-epochs check-python

install: $(STAMP)

# Can $(PYTHON) build the virtual environment? One line saying what to install if not.
# (Python 2-compatible syntax, so an old `python3` still gets the message.)
define CHECK_PYTHON_PY
import sys
v = sys.version_info[:2]
newest = tuple(int(x) for x in "$(PYTHON_NEWEST)".split("."))
if v < (3, 11):
    sys.exit("make: $(PYTHON) is Python %d.%d; this project needs Python 3.11 or newer: install it, or name one with make PYTHON=python3.12 ..." % v)
if v > newest:
    sys.exit("make: $(PYTHON) is Python %d.%d, but TensorFlow ships wheels only up to Python $(PYTHON_NEWEST): install python$(PYTHON_NEWEST) and run make PYTHON=python$(PYTHON_NEWEST) ..." % v)
try:
    import venv, ensurepip
    ensurepip.version()
except Exception:
    sys.exit("make: $(PYTHON) cannot create a virtual environment: install python3-venv (Debian/Ubuntu: sudo apt-get install python3-venv)")
endef
export CHECK_PYTHON_PY

CHECK_PYTHON = { command -v $(PYTHON) >/dev/null \
		|| { echo "make: $(PYTHON) not found: install Python 3.11 or newer (Debian/Ubuntu: sudo apt-get install python3 python3-venv), or name one with make PYTHON=..."; exit 1; }; \
	$(PYTHON) -c "$$CHECK_PYTHON_PY" || exit 1; }

check-python:
	@$(CHECK_PYTHON)
	@echo "$(PYTHON) is fine for $(VENV)"

# Set-up in one recipe, so an interrupted run is never mistaken for a finished one:
# - a .venv made by an older Makefile that installed fine (.installed, no .venv-complete) is kept;
# - a .venv without .venv-complete (venv interrupted) or without .installed (first install
#   interrupted or failed), or whose python no longer runs, is removed and made again;
# - pip's exit status fails make (pipefail; grep only hides one noisy line).
$(STAMP): pyproject.toml requirements.txt
	@if [ -f $(STAMP) ] && [ ! -f $(VENV_OK) ] && [ -x $(PY) ]; then touch $(VENV_OK); fi
	@if [ ! -f $(VENV_OK) ] || [ ! -f $(STAMP) ] || ! $(PY) -c "" 2>/dev/null; then \
		if [ -e $(VENV) ]; then \
			if [ ! -f $(VENV)/pyvenv.cfg ] && [ -n "$$(find $(VENV) -type f -print -quit)" ]; then \
				echo "make: $(VENV) exists but is not a virtual environment: move it away, or use make VENV=..."; exit 1; \
			fi; \
			echo "make: $(VENV) is incomplete (an interrupted or failed set-up): removing it and starting again"; \
			rm -rf $(VENV); \
		fi; \
		$(CHECK_PYTHON); \
		echo "$(PYTHON) -m venv $(VENV)"; \
		$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "make: $(PYTHON) -m venv $(VENV) failed (see above)"; exit 1; }; \
		touch $(VENV_OK); \
	fi
	@echo "$(PY) -m pip install -r requirements.txt   (the first time: a few minutes, about 2.4 GB)"
	@set -o pipefail; $(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 \
		| { grep -v "$(PIP_NOISE)" || true; }
	@$(PY) -c "import $(INSTALL_CHECK)" \
		|| { echo "make: the install is incomplete (see the output above)"; exit 1; }
	@touch $@

# make lab starts quietly (issue 28, item 2). Everything it configures lives in $(VENV) or on the
# command line below, never in the user's ~/.jupyter or ~/.local, so `rm -rf $(VENV)` takes it away.
# - The news pop-up ("Would you like to get notified about official Jupyter news?") and the update
#   check: JupyterLab's documented switch (docs: user/announcements) disables the plugin that asks,
#   `jupyter labextension disable @jupyterlab/apputils-extension:announcements`, here at the
#   sys_prefix level, which writes LAB_PAGE_CONFIG (written again when the venv is made again).
# - "Notebook ... is not trusted": `jupyter trust` signs the notebooks at each start (a git pull may
#   have changed them); the signatures and their key are in $(VENV)/share/jupyter (LAB_NOTARY,
#   given to the server too, which signs a notebook the learner saves).
# - "Kernel is running over TCP without encryption": the server gives each kernel CurveZMQ keys
#   (jupyter_client's KernelManager.transport_encryption=auto; ipykernel's kernel.json declares
#   "supported_encryption": ["curve"]).
# - "The websocket_ping_timeout (90000) cannot be longer than the websocket_ping_interval (30000)":
#   jupyter_server's kernel websocket asks tornado for a 90 s pong timeout, which tornado refuses and
#   replaces by the 30 s interval; asking for 30 s (tornado_settings ws_ping_timeout, in ms) changes
#   nothing but the warning (jupyter-server/jupyter_server#1612).
# - "No web browser found": --no-browser when Python's webbrowser module, which the server asks,
#   finds none. The server's banner gives the address either way.
# - The informational lines: --Application.log_level=WARN (the server, JupyterLab and the other server
#   extensions) keeps warnings, errors and the server's banner with the address; our first line says
#   how to stop. LAB_ARGS=--Application.log_level=INFO brings them back.
# The two set-up steps print nothing unless they fail; then one line says what failed and JupyterLab
# starts anyway (a notebook that cannot be read, say after a git merge, must not keep the others shut).
LAB_NEWS_PLUGIN := @jupyterlab/apputils-extension:announcements
LAB_PAGE_CONFIG := $(VENV)/etc/jupyter/labconfig/page_config.json
LAB_NOTARY_DIR := $(abspath $(VENV))/share/jupyter
LAB_NOTARY := --NotebookNotary.db_file=$(LAB_NOTARY_DIR)/nbsignatures.db \
	--NotebookNotary.secret_file=$(LAB_NOTARY_DIR)/notebook_secret
LAB_SERVER := --ServerApp.ip=127.0.0.1 --LabApp.default_url=/lab/tree/notebooks/00_gan_in_2d.ipynb \
	--KernelManager.transport_encryption=auto '--ServerApp.tornado_settings={"ws_ping_timeout": 30000}' \
	--Application.log_level=WARN $(LAB_NOTARY)

lab: lab-config
	@echo "make lab: JupyterLab opens notebooks/00_gan_in_2d.ipynb at the address below; to stop it, press Ctrl+C twice (or Ctrl+C, then y)"
	@browser=$$($(PY) -c "import webbrowser; webbrowser.get()" 2>/dev/null || echo --no-browser); \
	exec $(VENV)/bin/jupyter lab $(LAB_SERVER) $$browser $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# The JupyterLab set-up of make lab without starting it (the news plugin off, the notebooks trusted).
lab-config: $(LAB_PAGE_CONFIG)
	@mkdir -p $(LAB_NOTARY_DIR)
	@said=$$($(VENV)/bin/jupyter trust $(LAB_NOTARY) notebooks/*.ipynb 2>&1) || echo "make lab: jupyter trust \
	stopped at a notebook it cannot read ($$(echo "$$said" | tail -n 1)); JupyterLab starts anyway, and \
	git checkout notebooks/NAME.ipynb restores a damaged notebook"

$(LAB_PAGE_CONFIG): $(STAMP)
	@echo "make lab: turning off JupyterLab's news pop-up in $(VENV) (jupyter labextension disable --level=sys_prefix $(LAB_NEWS_PLUGIN))"
	@said=$$($(VENV)/bin/jupyter labextension disable --level=sys_prefix $(LAB_NEWS_PLUGIN) 2>&1) || echo "make lab: \
	could not turn the news pop-up off ($$(echo "$$said" | tail -n 1)); JupyterLab starts anyway"

# nbval runs on a copy of the notebooks, and GAN_PROJECT_ROOT points the notebooks and the tests
# at that copy, so a short test run writes its checkpoints/ and samples/ into $(TEST_RUN)/ and
# never overwrites the committed samples/ or a learner's checkpoints/.
# It says what it is doing (issue 28, item 5): one line first on the two phases, then pytest's
# --verbose names each test, and each notebook cell, as it starts, so a test that takes minutes (the
# benchmarks, the reproductions, a training cell) is never a silent stretch with only a file name.
test: $(STAMP)
	@rm -rf $(TEST_RUN) && mkdir -p $(TEST_RUN) && cp -r notebooks $(TEST_RUN)/
	@echo "make test: first the tests in tests/, then the four notebooks re-run from $(TEST_RUN)/notebooks/ (GAN_EPOCHS=$(TEST_EPOCHS), GAN2D_STEPS=$(TEST_STEPS_2D)), each test and cell named as it starts; the 15 slowest are listed at the end"
	GAN_PROJECT_ROOT=$(abspath $(TEST_RUN)) GAN_EPOCHS=$(TEST_EPOCHS) GAN2D_STEPS=$(TEST_STEPS_2D) $(PY) -m pytest tests $(TEST_RUN)/notebooks \
		--nbval-lax --nbval-current-env --verbose $(PYTEST_COMMON) $(PYTEST_ARGS)

# The fast tier: unit tests without the ones marked slow (those train on real MNIST, run a notebook,
# a browser, the PDF build or a reproduction), and no notebooks.
test-fast: $(STAMP)
	@rm -rf $(TEST_RUN) && mkdir -p $(TEST_RUN)
	GAN_PROJECT_ROOT=$(abspath $(TEST_RUN)) GAN_EPOCHS=$(TEST_EPOCHS) GAN2D_STEPS=$(TEST_STEPS_2D) $(PY) -m pytest -m "not slow" tests \
		$(PYTEST_COMMON) $(PYTEST_ARGS)

clean:
	rm -rf $(TEST_RUN) .pytest_cache

# The classroom handout (issues 6 and 14, tools/handout.py), from the notebooks' saved outputs,
# in two editions: handout/gan-handout-student.{html,pdf} (the exercises without their solutions)
# and handout/gan-handout-teacher.{html,pdf} (with them). HANDOUT_EDITION=student|teacher|both
# (default both) picks; HANDOUT_CODE=0 hides the code cells (gan-handout-<edition>-nocode.*).
# The PDF needs Debian's chromium and fonts-noto-cjk: make system-deps.
HANDOUT_CODE ?= 1
HANDOUT_EDITION ?= both
# Debian packages for the handout and the browser tests (Chromium prints the PDF and is driven
# by the playwright pip package, Noto CJK gives it Korean glyphs, poppler's pdftotext/pdffonts
# check it). Needs root or sudo.
SYSTEM_DEBS := chromium fonts-noto-cjk poppler-utils
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: handout handout-args system-deps

handout: handout-args $(STAMP)
	$(PY) -m tools.handout --out handout --edition $(HANDOUT_EDITION) $(if $(filter 0,$(HANDOUT_CODE)),--no-code)

# Refused before anything is installed or built: a HANDOUT_CODE other than 0 or 1 (a "no" or
# "false" would quietly give the code), an unknown HANDOUT_EDITION.
handout-args:
	@case "$(HANDOUT_CODE)" in 0|1) ;; *) echo "make handout: HANDOUT_CODE must be 0 (code hidden) or 1 (code shown), not '$(HANDOUT_CODE)'"; exit 1;; esac
	@case "$(HANDOUT_EDITION)" in student|teacher|both) ;; *) echo "make handout: HANDOUT_EDITION must be student, teacher or both, not '$(HANDOUT_EDITION)'"; exit 1;; esac

system-deps:
	@if [ "$$(dpkg -s $(SYSTEM_DEBS) 2>/dev/null | grep -c '^Status: install ok installed')" = "$(words $(SYSTEM_DEBS))" ]; then \
		echo "system-deps: already installed: $(SYSTEM_DEBS)"; \
	elif ! command -v apt-get >/dev/null; then \
		echo "system-deps: needs Debian/Ubuntu (apt-get); elsewhere install Chromium, Noto Sans CJK KR and poppler by hand"; exit 1; \
	else \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(SYSTEM_DEBS); \
	fi

# Training speed (issue 7, benchmarks/): the notebooks next to the note's TF1 loop as one table,
# also written to build/bench-results.md. Takes long (see CONTRIBUTING.md); BENCH_ARGS=--quick is a smoke run.
BENCH_ARGS ?=

bench: $(STAMP)
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

# Saved results (gan_helpers/results.py): five tools in tools/ write results/<name>/ with a provenance
# record (fingerprint of the code that made it, settings, CPU, TensorFlow); the notebooks read them and
# print one verdict line. A trial run (shorter, or other settings) is refused there: give --out elsewhere.

# Notebook 3's ablation table: one 100-epoch run per missing row, with the notebook's own code
# (tools/ablation.py); results in results/ablation/. ABLATION_ARGS=--list shows the rows.
# A GAN_EPOCHS (environment or make command line) is refused before anything is installed.
ablation: ablation-epochs $(STAMP)
	$(PY) tools/ablation.py $(ABLATION_ARGS)

ablation-epochs:
	@if [ -n "$${GAN_EPOCHS//[[:space:]]/}" ]; then \
		echo "make ablation and make cgan-noise always train the full 100 epochs; unset GAN_EPOCHS"; exit 1; \
	fi

# Notebook 2's noise comparison (tools/cgan_noise.py): four 100-epoch runs of its conditional GAN
# (gan_helpers.cgan), saved in results/cgan-noise/ for the notebook to read; CGAN_NOISE_ARGS for trials.
CGAN_NOISE_ARGS ?=

cgan-noise: ablation-epochs $(STAMP)
	$(PY) tools/cgan_noise.py $(CGAN_NOISE_ARGS)

# Notebook 00's measured comparison (tools/coverage_2d.py): mode coverage on the ring and the
# grid for each loss/setting and three seeds, saved in results/coverage-2d/coverage.json for the notebook.
COVERAGE_2D_ARGS ?=
.PHONY: coverage-2d
coverage-2d: $(STAMP)
	$(PY) tools/coverage_2d.py $(COVERAGE_2D_ARGS)

.PHONY: cgan-noise

# Notebook 1's experiment with the minimax loss (tools/minimax.py): both generator losses x seeds 42, 7, 1,
# 20 epochs each, built as the notebook's train_briefly (gan_helpers.brief_gan), every epoch's D(x), D(G(z)),
# diversity and |grad G| and the end score/FD saved in results/minimax/results.json; MINIMAX_ARGS for trials.
# A GAN_EPOCHS is refused by the tool before it trains.
MINIMAX_ARGS ?=
.PHONY: minimax
minimax: $(STAMP)
	$(PY) tools/minimax.py $(MINIMAX_ARGS)

# The note's own TF1 code (tools/tf1_gan.py, tf1_cgan.py as transcribed), trained for 14,100 and
# 55,000 steps per configuration (gan, cgan-note-normal, cgan-uniform; seed 42), its samples scored
# with the project's classifier: results/note-tf1/*.png and results.json (tools/note_tf1.py,
# 21 min on 2 CPU(s), AMD EPYC, 2026-11-25), then the conditional runs at 14,100 steps with seeds 0 1 2 7
# (--more-seeds, results/note-tf1/more-seeds/, 15.6 min there). NOTE_TF1_ARGS="--configs gan --steps 200 --out /tmp/trial" for a short trial.
NOTE_TF1_ARGS ?=
.PHONY: note-tf1
note-tf1: $(STAMP)
	$(PY) tools/note_tf1.py $(NOTE_TF1_ARGS)
	@if [ -z "$(NOTE_TF1_ARGS)" ]; then $(PY) tools/note_tf1.py --more-seeds; fi

# Re-execute the notebooks top to bottom from scratch and save them with their outputs (after a
# change to code they show): the checkpoints they write are deleted first, so each saved notebook
# holds a full training run. Each notebook's last cell prints its time (2026-12-02, 2 CPU(s), Intel Xeon:
# 59 s, 4 min 08 s, 3 min 04 s, 8 min 54 s; CONTRIBUTING.md); NOTEBOOKS=01_gan.ipynb runs one.
# TensorFlow's C-level log lines stay out of the saved outputs (capture_fd_output=False).
# This is the run of record (GAN_RUN_OF_RECORD=1, the default GAN_* settings, the offline MNIST): the only
# run that writes the committed samples/ (gan_helpers.results.not_of_record); any other data is refused
# before anything is deleted or trained.
NOTEBOOKS ?= 00_gan_in_2d.ipynb 01_gan.ipynb 02_conditional_gan.ipynb 03_going_further.ipynb
CHECKPOINTS_OF_00_gan_in_2d.ipynb :=
CHECKPOINTS_OF_01_gan.ipynb := gan
CHECKPOINTS_OF_02_conditional_gan.ipynb := cgan
CHECKPOINTS_OF_03_going_further.ipynb := gan-better cgan-better
.PHONY: notebooks
.PHONY: notebooks-check
notebooks-check: $(STAMP)
	@env -u GAN_EPOCHS -u GAN_SEED -u GAN_PROJECT_ROOT -u GAN2D_STEPS GAN_RUN_OF_RECORD=1 $(PY) -c \
		'import sys; from gan_helpers import results; sys.exit(results.run_of_record_refusal(sys.argv[1:]))' $(NOTEBOOKS)

notebooks: notebooks-check $(STAMP)
	rm -rf $(foreach nb,$(NOTEBOOKS),$(addprefix checkpoints/,$(CHECKPOINTS_OF_$(nb))))
	cd notebooks && env -u GAN_EPOCHS -u GAN_SEED -u GAN_PROJECT_ROOT -u GAN2D_STEPS GAN_RUN_OF_RECORD=1 ../$(VENV)/bin/jupyter nbconvert \
		--to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 \
		--ExecutePreprocessor.store_widget_state=False \
		--ExecutePreprocessor.extra_arguments='["--IPKernelApp.capture_fd_output=False"]' $(NOTEBOOKS)
