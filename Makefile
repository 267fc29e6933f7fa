# Two entry points that work on a fresh machine with only Python >= 3.11:
#   make run   - set up .venv and run Kinetoscope on the bundled demo model and sample clip
#   make test  - set up .venv and run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := resources/samples/sample_rotating_clockwise.mp4

.PHONY: run test setup bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kinetoscope needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m kinetoscope gui $(SAMPLE)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/pipeline_bench.py

clean:
	rm -rf $(VENV) build *.egg-info app/*.egg-info
