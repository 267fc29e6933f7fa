# Two entry points that work on a fresh machine with only Python >= 3.11:
#   make run   - set up .venv and run Kinetoscope on the bundled Kinetics-400 model and sample clip
#   make test  - set up .venv and run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := app/kinetoscope/data/samples/sample_arm_wrestling.mp4
# The bundled Kinetics-400 model: built from published weights by models/i3d_kinetics/build.py (once
# per machine: the finished zips are cached in ~/.cache/kinetoscope-build), never committed.
I3D_ZIPS := app/kinetoscope/data/models/i3d_kinetics-onnx-float.zip app/kinetoscope/data/models/i3d_kinetics-onnx-w8a8.zip

.PHONY: run test setup models system-deps test-deps apt-deps bench clean

# Shared libraries Qt (incl. Qt Multimedia) loads at run time that a bare Debian/Ubuntu machine may
# lack. Installed only when missing, and only where apt-get can be used (CI runs as root).
# The xcb list is what `objdump -p` names as NEEDED by PySide6's platforms/libqxcb.so and
# xcbglintegrations/*.so (Qt >= 6.5 also needs xcb-cursor); tests/ui/test_xcb_window.py proves it.
QT_DEBS := libpulse0 libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 \
           libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxrender1 libxext6 libxrandr2 \
           libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-util1 libxcb-image0 libxcb-keysyms1 \
           libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 \
           libxcb-xfixes0 libxcb-xkb1 libxcb-glx0
# Only for `make test`: a virtual X display, so the real window is tested on the xcb platform, and a
# window manager with a driver for the real mouse and keyboard (tests/ui/test_wm_window.py).
TEST_DEBS := xvfb x11-utils openbox xdotool

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kinetoscope needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) system-deps models

models: $(I3D_ZIPS)

$(I3D_ZIPS) &: $(STAMP) $(wildcard models/i3d_kinetics/*.py) models/i3d_kinetics/kinetics400_labels.txt
	$(PY) models/i3d_kinetics/build.py --out app/kinetoscope/data/models
	touch $(I3D_ZIPS)

system-deps:
	@$(MAKE) --no-print-directory apt-deps DEBS="$(QT_DEBS)" WHY="system libraries Qt needs"

test-deps: system-deps
	@$(MAKE) --no-print-directory apt-deps DEBS="$(TEST_DEBS)" WHY="what the tests need (virtual X display)"

apt-deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done | xargs); \
	if [ -z "$$missing" ] || ! command -v apt-get >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing $(WHY): $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "note: $(WHY) may be missing; install them with: sudo apt-get install $$missing"; \
	fi

run: $(STAMP) system-deps models
	$(PY) -m kinetoscope gui $(SAMPLE)

test: $(STAMP) test-deps models
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP) models
	$(PY) bench/pipeline_bench.py
	$(PY) bench/pipeline_bench.py --model i3d_kinetics --runs 3 --long-runs 1
	$(PY) bench/scan_bench.py
	$(PY) bench/node_profile.py --model i3d_kinetics
	$(PY) bench/node_profile.py --model motion_demo --runs 30 --profiled 10
	$(PY) bench/startup_bench.py
	$(PY) bench/library_bench.py

clean:
	rm -rf $(VENV) build *.egg-info app/*.egg-info

include installer/installer.mk
