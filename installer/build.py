"""Build Kinetoscope's Windows installer, or prove on Linux that the same recipe works.

On Windows ARM64 with a native Python 3.12 ARM64 (the product):

    python installer/build.py

freezes the app with installer/kinetoscope.spec, puts the ARM64 Visual C++ runtime DLLs beside the
executables, checks that the frozen tree holds everything, runs the frozen app's `--self-test` and
a start of the window, and compiles installer/kinetoscope.nsi into
build/installer/Kinetoscope-<version>-win-arm64-setup.exe.

On Linux (`--check-only` is implied) the same spec freezes the Linux x86-64 app, whose self-test
covers the CPU and the HTP simulator, and makensis compiles the NSIS script against that tree: it
proves the script compiles, not that the result installs anything on Windows.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BUILD = REPO / "build" / "installer"
APP_NAME = "Kinetoscope"
WINDOWS = sys.platform == "win32"
EXE = ".exe" if WINDOWS else ""
# The ARM64 Visual C++ runtime, deployed app-locally (no admin needed). Microsoft ships these in
# Visual Studio's redistributable folder: VC\Redist\MSVC\<version>\arm64\Microsoft.VC14x.CRT.
VC_RUNTIME_DLLS = ("vcruntime140.dll", "vcruntime140_1.dll", "msvcp140.dll", "msvcp140_1.dll",
                   "msvcp140_2.dll", "msvcp140_atomic_wait.dll", "msvcp140_codecvt_ids.dll", "concrt140.dll")
VC_RUNTIME_REQUIRED = ("vcruntime140.dll", "msvcp140.dll")
PACKAGE_DATA = REPO / "app" / "kinetoscope" / "data"
# What the app needs of its package data folder to run offline (relative to it).
BUNDLED_FILES = ("catalog.json", "models/i3d_kinetics-onnx-float.zip", "models/i3d_kinetics-onnx-w8a8.zip",
                 "models/motion_demo-onnx-float.zip", "models/motion_demo-onnx-w8a8.zip",
                 "labels/kinetics400_labels.txt", "samples/sample_arm_wrestling.mp4",
                 "samples/sample_rotating_clockwise.mp4")
SAMPLE_CLIP = "samples/sample_rotating_clockwise.mp4"
# Every line Kinetoscope itself prints on stdout for `classify` (text) and `--self-test`; anything
# else there came from a native library (the QNN HTP backend's "# LIBNATIVE: ..." line, for one).
CLASSIFY_LINES = re.compile(r"(Clip|Model|Device|Input|Note|Timings|Memory) {2,}\S.*|Top 5|Views|  \d\. .*%.*"
                            r"| +\d+\.\d\d– +\d+\.\d\d s  .*|")
SELF_TEST_LINES = re.compile(r"Kinetoscope \S+ self-test \(.*\)|  (PASS|FAIL|SKIP)  .*|Self-test (passed|FAILED).*")


@dataclass(frozen=True)
class Figures:
    freeze_s: float
    tree_mb: float
    version_s: float
    self_test_s: float
    installer_mb: float | None


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def fail(text: str) -> None:
    print(f"build.py: {text}", file=sys.stderr)
    sys.exit(1)


def app_version() -> str:
    namespace: dict[str, str] = {}
    exec((REPO / "app" / "kinetoscope" / "__init__.py").read_text(encoding="utf-8"), namespace)
    return namespace["__version__"]


def check_platform(check_only: bool) -> None:
    plat = sysconfig.get_platform()
    print(f"Python {sys.version.split()[0]} on {plat}")
    if check_only:
        return
    if plat != "win-arm64":
        fail(f"the installer is built with a native ARM64 Python on Windows; this one is {plat}. "
             "Use --check-only to run the checks that work elsewhere.")
    if sys.version_info[:2] != (3, 12):
        fail(f"build with Python 3.12 (installer/requirements-win-arm64.txt is locked for it), not "
             f"{sys.version.split()[0]}")


def freeze(dist: Path) -> float:
    step(f"Freezing with PyInstaller (bundled data from {PACKAGE_DATA.relative_to(REPO)})")
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "PyInstaller", str(HERE / "kinetoscope.spec"), "--noconfirm",
           "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(BUILD / "work")]
    subprocess.run(cmd, check=True, cwd=REPO)
    return time.perf_counter() - started


# The console executable's name in the Windows app folder (PyInstaller writes kinetoscope-cli.exe).
CLI_NAME = "kinetoscope.com" if WINDOWS else "kinetoscope-cli"


def add_command(app_dir: Path) -> None:
    """Rename the console executable to `kinetoscope.com`: with the app folder on PATH (the
    installer's option), typing `kinetoscope` runs it, because Windows tries .COM before .EXE in a
    folder and `Kinetoscope.exe` (the window) has the same name otherwise. A PE file runs whatever
    its extension; the PyInstaller bootloader finds its archive and `_internal` by its own path."""
    step("The `kinetoscope` command: kinetoscope.com beside Kinetoscope.exe")
    (app_dir / "kinetoscope-cli.exe").replace(app_dir / "kinetoscope.com")


def check_bundled_data() -> None:
    """Fail before the slow freeze when a bundled file is missing (run `make models` first)."""
    missing = [name for name in BUNDLED_FILES if not (PACKAGE_DATA / name).is_file()]
    if missing:
        fail(f"{PACKAGE_DATA} lacks {', '.join(missing)}: run `make models` first")


def find_vc_runtime(explicit: Path | None) -> Path | None:
    """The Microsoft.VC14x.CRT folder for arm64: given, or below %VCToolsRedistDir%."""
    if explicit:
        return explicit
    redist = os.environ.get("VCToolsRedistDir")
    if redist:
        found = sorted(Path(redist, "arm64").glob("Microsoft.VC1*.CRT"))
        if found:
            return found[-1]
    return None


def find_vc_redist(explicit: Path | None) -> Path | None:
    if explicit:
        return explicit
    redist = os.environ.get("VCToolsRedistDir")
    candidate = Path(redist, "vc_redist.arm64.exe") if redist else None
    return candidate if candidate and candidate.is_file() else None


def add_vc_runtime(app_dir: Path, crt_dir: Path | None) -> None:
    """Copy the VC++ runtime DLLs next to the executables, where Windows looks first."""
    step("Visual C++ runtime (ARM64), app-local")
    if crt_dir is None or not crt_dir.is_dir():
        fail("the ARM64 Visual C++ runtime DLLs were not found: pass --vc-runtime "
             r"<VS>\VC\Redist\MSVC\<version>\arm64\Microsoft.VC143.CRT, or run from a Developer "
             "prompt where %VCToolsRedistDir% is set")
    copied = []
    for name in VC_RUNTIME_DLLS:
        source = crt_dir / name
        if source.is_file():
            shutil.copy2(source, app_dir / name)
            copied.append(name)
    missing = [n for n in VC_RUNTIME_REQUIRED if n not in copied]
    if missing:
        fail(f"{crt_dir} lacks {', '.join(missing)}")
    print(f"copied {', '.join(copied)} from {crt_dir}")


def required_files() -> dict[str, list[str]]:
    """What the frozen tree must hold: a description and glob patterns below `_internal`; each
    pattern must match at least one file."""
    qnn = (["onnxruntime_qnn/onnxruntime_providers_qnn.dll", "onnxruntime_qnn/QnnHtp.dll",
            "onnxruntime_qnn/QnnHtpPrepare.dll", "onnxruntime_qnn/QnnSystem.dll",
            # Hexagon V73 is Snapdragon X Elite / Plus, V81 is X2 Elite; the .cat files sign the skels.
            "onnxruntime_qnn/QnnHtpV73Stub.dll", "onnxruntime_qnn/libQnnHtpV73Skel.so",
            "onnxruntime_qnn/libqnnhtpv73.cat", "onnxruntime_qnn/QnnHtpV81Stub.dll",
            "onnxruntime_qnn/libQnnHtpV81Skel.so", "onnxruntime_qnn/libqnnhtpv81.cat"]
           if WINDOWS else
           ["onnxruntime_qnn/libonnxruntime_providers_qnn.so", "onnxruntime_qnn/libQnnHtp.so",
            "onnxruntime_qnn/libQnnSystem.so", "onnxruntime_qnn.libs/*"])
    qt_platform = "qwindows.dll" if WINDOWS else "libqxcb.so"
    # Qt Multimedia's FFmpeg backend (the camera and recording) and the FFmpeg it links: PySide6's
    # own build, beside PyAV's differently named copy.
    media_plugin = "ffmpegmediaplugin.dll" if WINDOWS else "libffmpegmediaplugin.so"
    qt_ffmpeg = "PySide6/**/avcodec-*.dll" if WINDOWS else "PySide6/**/libavcodec.so.*"
    qt = [f"PySide6/**/platforms/{qt_platform}", "PySide6/**/platforms/*offscreen*",
          "PySide6/**/imageformats/*", f"PySide6/**/multimedia/{media_plugin}", qt_ffmpeg]
    if WINDOWS:
        qt.append("PySide6/**/styles/*")  # Linux Qt builds its styles in; Windows ships a plugin
    return {
        "bundled models, catalog, labels and samples": [f"kinetoscope/data/{name}" for name in BUNDLED_FILES],
        "onnxruntime": ["onnxruntime/capi/*onnxruntime*"],
        "onnxruntime-qnn": qnn,
        "Qt plugins": qt,
        "PyAV's FFmpeg": ["**/*avcodec*", "**/*avformat*"],
        "licence texts and third-party notices": ["kinetoscope/data/THIRD_PARTY_NOTICES.txt",
                                                  "kinetoscope/data/licences/Apache-2.0.txt",
                                                  "kinetoscope/data/licences/LGPL-3.0.txt",
                                                  "onnxruntime_qnn/Qualcomm_LICENSE.pdf"],
    }


def verify_tree(app_dir: Path) -> None:
    step("Checking the frozen tree")
    internal = app_dir / "_internal"
    problems = []
    for exe in (f"{APP_NAME}{EXE}", CLI_NAME):
        if not (app_dir / exe).is_file():
            problems.append(f"executable {exe}")
    if WINDOWS:
        problems += [f"VC++ runtime {n}" for n in VC_RUNTIME_REQUIRED if not (app_dir / n).is_file()]
    for what, patterns in required_files().items():
        missing = [p for p in patterns if not any(q.is_file() for q in internal.glob(p))]
        problems += [f"{what}: {p}" for p in missing]
        print(f"  {'ok  ' if not missing else 'MISSING'} {what}")
    if problems:
        fail("the frozen tree is incomplete:\n  " + "\n  ".join(problems))


def run_timed(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - started


def evict_from_page_cache(folder: Path) -> bool:
    """Drop the tree's files (only those) from the OS file cache, so the next start reads them from
    disk as a first start after installing would. Linux only; False where it cannot."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)  # dirty pages cannot be dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def smoke_test(app_dir: Path, home: Path) -> tuple[float, float]:
    """Run the frozen CLI's --version and --self-test from a cold file cache where possible, then
    start the window briefly."""
    env = dict(os.environ, KINETOSCOPE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    cli = str(app_dir / CLI_NAME)
    cold = evict_from_page_cache(app_dir)
    step(f"Frozen app: --version ({'cold file cache' if cold else 'first start after the build'})")
    proc, version_s = run_timed([cli, "--version"], env, 120)
    print(proc.stdout.strip() or proc.stderr.strip(), f"({version_s:.2f} s)")
    if proc.returncode != 0:
        fail(f"--version failed with exit code {proc.returncode}:\n{proc.stderr}")

    cold = evict_from_page_cache(app_dir)
    step(f"Frozen app: --self-test{' (cold file cache)' if cold else ''}")
    proc, self_test_s = run_timed([cli, "--self-test"], env, 900)
    print(proc.stdout.rstrip())
    if proc.returncode != 0:
        fail(f"the frozen app's self-test failed (exit code {proc.returncode}):\n{proc.stderr[-4000:]}")
    print(f"({self_test_s:.1f} s wall, including start-up)")
    # The self-test loads the QNN libraries (NPU check): their native output must not reach stdout.
    require_only_own_lines(proc.stdout, SELF_TEST_LINES, "--self-test")

    step("Frozen app: --licences prints the notices written at freeze time")
    proc, seconds = run_timed([cli, "--licences"], env, 120)
    wanted = ("Apache License, Version 2.0", "PySide6", "onnxruntime-qnn", "Qualcomm_LICENSE.pdf", "\nPython 3.")
    if proc.returncode != 0 or not proc.stdout.startswith("Kinetoscope ") or not all(w in proc.stdout for w in wanted):
        fail(f"--licences failed or lacks {[w for w in wanted if w not in proc.stdout]} "
             f"(exit code {proc.returncode}):\n{proc.stderr[-2000:]}")
    print(f"{len(proc.stdout.encode()) / 1e3:.0f} kB of notices, {proc.stdout.count(chr(10) + '=' * 100)} sections "
          f"({seconds:.1f} s)")

    step("Frozen app: classify on the CPU (stdout holds only Kinetoscope's lines)")
    cpu_only_classify(app_dir, env, home)

    step("Frozen app: the window starts (offscreen)")
    window_starts(app_dir, env, home)

    step("Frozen app: Qt Multimedia loads its backend (the camera window's device list)")
    proc, seconds = run_timed([cli, "--check-multimedia"], env, 120)
    if proc.returncode != 0:
        fail(f"the frozen app has no Qt Multimedia backend (exit code {proc.returncode}):\n"
             f"{proc.stdout}{proc.stderr[-4000:]}")
    print(proc.stdout.strip(), f"({seconds:.1f} s)")
    return version_s, self_test_s


def require_only_own_lines(stdout: str, own: re.Pattern[str], what: str) -> None:
    foreign = [line for line in stdout.splitlines() if not own.fullmatch(line)]
    if foreign:
        fail(f"{what} printed lines on stdout that are not Kinetoscope's:\n  " + "\n  ".join(foreign))


def cpu_only_classify(app_dir: Path, env: dict[str, str], home: Path) -> None:
    """`classify` on the CPU prints only its own result lines on stdout, and (on Linux, where the
    dynamic loader can list what it opens) loads no QNN library: a CPU run never needs them."""
    clip = app_dir / "_internal" / "kinetoscope" / "data" / SAMPLE_CLIP
    trace = home / "ld-debug"
    linux = sys.platform.startswith("linux")
    run_env = dict(env, LD_DEBUG="files", LD_DEBUG_OUTPUT=str(trace)) if linux else env
    proc, seconds = run_timed([str(app_dir / CLI_NAME), "classify", str(clip), "--device", "cpu"],
                              run_env, 300)
    if proc.returncode != 0:
        fail(f"classify on the CPU failed (exit code {proc.returncode}):\n{proc.stderr[-4000:]}")
    require_only_own_lines(proc.stdout, CLASSIFY_LINES, "classify --device cpu")
    print(f"{len(proc.stdout.splitlines())} lines on stdout, all Kinetoscope's ({seconds:.1f} s)")
    if linux:
        opened = {line.split("file=", 1)[1].split()[0] for f in home.glob("ld-debug.*")
                  for line in f.read_text(errors="replace").splitlines() if "file=" in line}
        qnn = sorted(name for name in opened if "qnn" in name.lower())
        if not opened or qnn:
            fail(f"a CPU-only classify loaded QNN libraries: {', '.join(qnn) or 'no loader trace'}")
        print(f"no QNN library loaded ({len(opened)} libraries opened)")


def window_starts(app_dir: Path, env: dict[str, str], home: Path, settle_s: float = 3.0) -> None:
    """Start the windowed executable; it must log its start and still be running `settle_s` later,
    i.e. Qt, its plugins and the main window all loaded. Then ask it to stop."""
    log_file = home / "logs" / "kinetoscope.log"
    proc = subprocess.Popen([str(app_dir / f"{APP_NAME}{EXE}")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if log_file.is_file() and "starting" in log_file.read_text(encoding="utf-8", errors="replace"):
                break
            time.sleep(0.2)
        time.sleep(settle_s)
        if proc.poll() is not None:
            fail(f"the window exited with code {proc.returncode}:\n{proc.stderr.read()[-4000:]}")
        if not log_file.is_file() or "starting" not in log_file.read_text(encoding="utf-8", errors="replace"):
            fail("the window did not log its start within 120 s")
        print("the window started and kept running")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def makensis_path() -> str | None:
    return shutil.which("makensis")


def compile_installer(app_dir: Path, version: str, check_only: bool, vc_redist: Path | None,
                      compress: bool) -> Path:
    step("Compiling the NSIS installer")
    makensis = makensis_path()
    if makensis is None:
        fail("makensis not found: install NSIS (Debian: apt-get install nsis; Windows: choco install nsis)")
    suffix = "win-arm64-setup" if not check_only else f"{sysconfig.get_platform()}-staged-check"
    out = BUILD / f"{APP_NAME}-{version}-{suffix}.exe"
    defines = [f"-DVERSION={version}", f"-DSOURCE_DIR={app_dir}", f"-DOUTFILE={out}"]
    if vc_redist is not None:
        defines.append(f"-DVCREDIST={vc_redist}")
    if not compress:
        defines.append("-DNO_COMPRESSION")
    # makensis takes options with '-' on every platform (Windows also accepts '/').
    subprocess.run([makensis, "-V2", "-INPUTCHARSET", "UTF8", *defines, str(HERE / "kinetoscope.nsi")],
                   check=True)
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check-only", action="store_true",
                        help="run on any platform: freeze, self-test, compile the NSIS script (implied off Windows)")
    parser.add_argument("--vc-runtime", type=Path, help="folder with the ARM64 VC++ runtime DLLs (Windows)")
    parser.add_argument("--vc-redist", type=Path, help="vc_redist.arm64.exe to embed as a fallback (Windows)")
    parser.add_argument("--no-installer", action="store_true", help="stop after the frozen app's tests")
    parser.add_argument("--compress", action=argparse.BooleanOptionalAction, default=None,
                        help="LZMA-compress the installer (default: on, except in check-only mode)")
    args = parser.parse_args(argv)
    check_only = args.check_only or not WINDOWS

    version = app_version()
    print(f"Kinetoscope {version} installer build{' (check only)' if check_only else ''}")
    check_platform(check_only)
    dist = BUILD / "dist"
    app_dir = dist / APP_NAME
    check_bundled_data()
    freeze_s = freeze(dist)
    if WINDOWS:
        add_command(app_dir)
    if WINDOWS and not check_only:
        add_vc_runtime(app_dir, find_vc_runtime(args.vc_runtime))
    verify_tree(app_dir)
    with tempfile.TemporaryDirectory(prefix="kinetoscope-home-") as home:
        version_s, self_test_s = smoke_test(app_dir, Path(home))
    tree_mb = folder_mb(app_dir)
    installer = None
    if not args.no_installer:
        vc_redist = find_vc_redist(args.vc_redist) if WINDOWS else None
        compress = args.compress if args.compress is not None else not check_only
        installer = compile_installer(app_dir, version, check_only, vc_redist, compress)
    figures = Figures(freeze_s, tree_mb, version_s, self_test_s,
                      installer.stat().st_size / 1e6 if installer else None)
    report(figures, check_only, app_dir, installer)
    return 0


def report(f: Figures, check_only: bool, app_dir: Path, installer: Path | None) -> None:
    step("Proved")
    plat = sysconfig.get_platform()
    print(f"- installer/kinetoscope.spec freezes Kinetoscope on {plat} in {f.freeze_s:.0f} s "
          f"into {app_dir} ({f.tree_mb:.0f} MB)")
    print("- the frozen tree holds the bundled model zips (I3D and the motion demo), catalog, sample clips, onnxruntime, the whole "
          "onnxruntime-qnn folder, Qt's platform/image/multimedia plugins with Qt's FFmpeg, and PyAV's FFmpeg")
    print(f"- the frozen app runs its --self-test from that tree ({f.self_test_s:.1f} s; --version "
          f"{f.version_s:.2f} s), its window starts, and Qt Multimedia loads its backend (--check-multimedia)")
    print("- its stdout holds only Kinetoscope's lines: --self-test (QNN loaded) and a CPU-only classify "
          "(which loads no QNN library)")
    if installer is not None:
        kind = ("the NSIS script compiles against this tree; the .exe is NOT the Windows installer "
                "(it holds Linux files, and is uncompressed unless --compress)") if check_only and not WINDOWS \
            else "the installer was built"
        print(f"- {kind}: {installer.name} {f.installer_mb:.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
