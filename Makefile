# Two entry points that work on a fresh machine with only Python >= 3.11:
#   make run   - set up .venv and run Kinetoscope on the bundled demo model and sample clip
#   make test  - set up .venv and run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := app/kinetoscope/data/samples/sample_rotating_clockwise.mp4

.PHONY: run test setup system-deps bench clean

# Shared libraries Qt (incl. Qt Multimedia) loads at run time that a bare Debian/Ubuntu machine may
# lack. Installed only when missing, and only where apt-get can be used (CI runs as root).
QT_DEBS := libpulse0 libegl1 libgl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 \
           libx11-xcb1 libxrender1 libxext6 libxrandr2 libdbus-1-3

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kinetoscope needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) system-deps

system-deps:
	@missing=$$(for p in $(QT_DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -z "$$missing" ] || ! command -v apt-get >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing system libraries Qt needs: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "note: Qt may need these Debian packages: sudo apt-get install $$missing"; \
	fi

run: $(STAMP) system-deps
	$(PY) -m kinetoscope gui $(SAMPLE)

test: $(STAMP) system-deps
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/pipeline_bench.py

clean:
	rm -rf $(VENV) build *.egg-info app/*.egg-info

include installer/installer.mk
