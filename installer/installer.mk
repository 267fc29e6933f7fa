# The installer's targets, included by the top-level Makefile (run them from there: `make installer-check`;
# the frozen app carries the bundled Kinetics-400 model, which the top-level `models` target builds).
#
#   installer-check  (CI, Linux) freeze the app with installer/kinetoscope.spec, run the frozen
#                    app's --self-test (CPU and HTP simulator), a CPU classify and start its window,
#                    compile the NSIS script against the frozen tree, install and uninstall its
#                    Wine test variant (installer/wine_check.py), and resolve the Windows ARM64 lock file.
#   installer        (Windows ARM64, Python 3.12 ARM64) the real installer; see installer/build.py.
PYTHON ?= python3
VENV   ?= .venv
PY     ?= $(VENV)/bin/python
INSTALLER_STAMP := $(VENV)/.installer-installed
# The same requirement as pyproject.toml's `installer` extra; used until that extra exists.
PYINSTALLER_REQ := pyinstaller>=6.16,<7
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Debian's wine64 puts its programs here, not on PATH.
WINE64 := $(or $(shell command -v wine64),/usr/lib/wine/wine64)

.PHONY: installer-check installer-tools installer-clean

$(INSTALLER_STAMP): pyproject.toml installer/installer.mk
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kinetoscope needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[installer]"
	$(PY) -c 'import PyInstaller' 2>/dev/null || $(PY) -m pip install --quiet "$(PYINSTALLER_REQ)"
	touch $(INSTALLER_STAMP)

installer-tools: $(INSTALLER_STAMP)
	@{ command -v makensis >/dev/null && test -x $(WINE64); } || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nsis wine64 >/dev/null; }
	@makensis -VERSION >/dev/null
	@test -x $(WINE64)

installer-check: installer-tools models
	@start=$$(date +%s); \
	echo "==> Windows ARM64 lock file (installer/requirements-win-arm64.txt)"; \
	$(PY) installer/check_lock.py && \
	nice -n 10 $(PY) installer/build.py --check-only && \
	echo "- every pin of installer/requirements-win-arm64.txt resolves to a win_arm64 or pure-Python wheel for CPython 3.12" && \
	echo && echo "==> The NSIS script's Wine test variant: install, uninstall, reinstall, uninstall with /REMOVEDATA" && \
	nice -n 10 $(PY) installer/wine_check.py && \
	echo "installer-check passed in $$(( $$(date +%s) - start )) s"

installer-clean:
	rm -rf build/installer
