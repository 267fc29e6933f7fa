"""Install, inspect and uninstall Kinetoscope's NSIS installer under Wine on Linux.

This proves the installer *script's* logic (silent install, files, shortcut, registry, uninstaller,
the user's data) on Debian's wine64; Windows ARM64 itself is proven only by the `windows-arm64`
workflow. wine64 runs 64-bit x86 installers only, so the script is compiled with -DWINE_TEST
(`Target amd64-unicode`, no ARM64 guard; everything else is the shipping script) over a small
stand-in of the app folder with the Windows file names: Wine cannot run the Linux frozen app, and
its executables lack the `.exe` names the uninstaller removes.

In a fresh WINEPREFIX (a temporary folder, WINEDEBUG=-all):
 1. the guard: the same script built for x64 with the guard kept refuses and installs nothing;
 2. `setup.exe /S`: the app folder in %LOCALAPPDATA%\\Programs\\Kinetoscope, the Start-menu shortcut,
    the Apps & features entry and the "Open with" registrations (read back with `wine64 reg query`);
 3. a user data folder %LOCALAPPDATA%\\Kinetoscope with a model and a settings file;
 4. the registry's UninstallString with /S: the app, shortcut and registry entries are gone, the
    data folder stays;
 5. install again, uninstall with /S /REMOVEDATA: the data folder is gone too.
Around every install and uninstall, the user's PATH (HKCU\\Environment, set beforehand to two entries
of the user's own): the install appends exactly the app folder, a new `cmd /c kinetoscope --version`
then runs the app folder's kinetoscope.com (a stand-in that records its command line; Kinetoscope.exe
beside it is a text file, so picking it would fail), and the uninstall gives back the exact value.

The NSIS uninstaller copies itself to %TEMP% and returns at once (so it can delete itself); every
step waits for the prefix's Wine processes to end (`wineserver -w`) before checking anything.
Prints one summary line; exits 1 with what failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
APP_NAME = "Kinetoscope"
PROG_ID = "Kinetoscope.VideoClip"
EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm")
UNINSTALL_KEY = rf"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\{APP_NAME}"
CLASSES_KEY = r"HKEY_CURRENT_USER\Software\Classes"
UNINSTALLER = f"Uninstall {APP_NAME}.exe"
# The stand-in app folder: the Windows names the installer and uninstaller handle, and the real
# bundled data under _internal (a few MB), so nested folders and binary files are copied too.
# No kinetoscope-cli.exe: the Windows build renames it kinetoscope.com.
STAND_IN_FILES = ("Kinetoscope.exe", "kinetoscope.com", "vcruntime140.dll", "vcruntime140_1.dll",
                  "msvcp140.dll", "msvcp140_1.dll", "concrt140.dll", "_internal/python312.dll",
                  "_internal/onnxruntime_qnn/QnnHtp.dll", "_internal/onnxruntime_qnn/libQnnHtpV73Skel.so")
PACKAGE_DATA = REPO / "app" / "kinetoscope" / "data"
# The user's own PATH entries before the install; REG_EXPAND_SZ, with a variable, as Windows keeps it.
# A trailing ";", as many have: the install must not leave an empty element (Wine's cmd stops its
# PATH search at one), and the uninstall must put the ";" back.
USER_PATH = r"C:\Tools;%USERPROFILE%\bin;"
COMMAND_MARKER = "kinetoscope-command.txt"
# A real (tiny) program for kinetoscope.com, so `kinetoscope` can be run: it writes its command line
# to %TEMP%. NSIS can build it (no other Windows compiler here); a silent NSIS program exits at once.
COMMAND_STAND_IN = f"""Target amd64-unicode
SilentInstall silent
RequestExecutionLevel user
Name "kinetoscope command stand-in"
Section
  FileOpen $0 "$TEMP\\{COMMAND_MARKER}" w
  FileWrite $0 "$CMDLINE"
  FileClose $0
SectionEnd
"""
# Abort in .onInit: NSIS's exit code for "installation aborted by script".
NSIS_ABORTED = 2


class CheckFailed(Exception):
    """A check of the installed or uninstalled state did not hold."""


RegKeys = dict[str, dict[str, str]]  # key path -> value name -> data ("(Default)" for the default value)


@dataclass(frozen=True)
class Wine:
    """wine64 in one throw-away prefix."""

    wine: str
    wineserver: str
    prefix: Path
    env: dict[str, str]

    @classmethod
    def fresh(cls, root: Path) -> Wine:
        wine = shutil.which("wine64") or "/usr/lib/wine/wine64"
        wineserver = shutil.which("wineserver") or "/usr/lib/wine/wineserver"
        if not (os.access(wine, os.X_OK) and os.access(wineserver, os.X_OK)):
            raise CheckFailed("wine64 is not installed (Debian: apt-get install wine64)")
        home = root / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        # No Mono/Gecko download prompts, and no menu entries written into the real desktop.
        env.update(WINEPREFIX=str(root / "prefix"), WINEDEBUG="-all", HOME=str(home),
                   XDG_DATA_HOME=str(home / "share"), XDG_CONFIG_HOME=str(home / "config"),
                   WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d")
        return cls(wine, wineserver, root / "prefix", env)

    def start_server(self) -> None:
        """A wineserver that exits as soon as the prefix's last program has (the default lingers 3 s,
        which `wineserver -w` would wait out every time); exit code 2: one is running already."""
        # Not piped: the server stays in the background and would hold a pipe open.
        subprocess.run([self.wineserver, "-p0"], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run a program and wait until every process of the prefix has ended: the NSIS uninstaller
        returns at once and goes on in a copy of itself."""
        self.start_server()
        proc = subprocess.run([self.wine, *args], env=self.env, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
        subprocess.run([self.wineserver, "-w"], env=self.env, check=True, timeout=timeout)
        return proc

    def shutdown(self) -> None:
        subprocess.run([self.wineserver, "-k"], env=self.env, capture_output=True, timeout=60)

    def registry(self) -> RegKeys:
        """Every key below HKCU\\Software with its values, as `reg query /s` prints them."""
        self.start_server()
        proc = subprocess.run([self.wine, "reg", "query", r"HKCU\Software", "/s"], env=self.env,
                              capture_output=True, text=True, errors="replace", timeout=120)
        if proc.returncode != 0:
            raise CheckFailed(f"reg query failed: {proc.stdout}{proc.stderr}")
        return parse_reg_query(proc.stdout)

    def user_path(self) -> str | None:
        """The user's Path (HKCU\\Environment) as stored, variables unexpanded; None when absent."""
        self.start_server()
        proc = subprocess.run([self.wine, "reg", "query", r"HKCU\Environment", "/v", "Path"], env=self.env,
                              capture_output=True, text=True, errors="replace", timeout=120)
        values = parse_reg_query(proc.stdout).get(r"HKEY_CURRENT_USER\Environment", {})
        return values.get("Path")

    def set_user_path(self, value: str) -> None:
        self.start_server()
        subprocess.run([self.wine, "reg", "add", r"HKCU\Environment", "/v", "Path", "/t", "REG_EXPAND_SZ",
                        "/d", value, "/f"], env=self.env, capture_output=True, check=True, timeout=120)
        subprocess.run([self.wineserver, "-w"], env=self.env, check=True, timeout=120)

    def user_dir(self) -> Path:
        users = [p for p in (self.prefix / "drive_c" / "users").iterdir() if p.name != "Public" and p.is_dir()]
        if len(users) != 1:
            raise CheckFailed(f"expected one user profile in the prefix, found {[p.name for p in users]}")
        return users[0]


def parse_reg_query(text: str) -> RegKeys:
    """`reg query KEY /s` output: a line per key, then its values as `    name    TYPE    data`."""
    keys: RegKeys = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if line.startswith("HKEY_"):
            current = keys.setdefault(line.strip(), {})
        elif line.startswith("    ") and current is not None:
            name, _, rest = line.strip().partition("    ")
            _, _, data = rest.partition("    ")
            current[name] = data
    return keys


@dataclass(frozen=True)
class Layout:
    """Where the installer puts things for the prefix's user (Unix paths and Windows paths)."""

    install_dir: Path
    install_dir_win: str
    shortcut: Path
    desktop_shortcut: Path
    user_data: Path

    @classmethod
    def of(cls, wine: Wine) -> Layout:
        user = wine.user_dir()
        local = user / "AppData" / "Local"
        return cls(local / "Programs" / APP_NAME, rf"C:\users\{user.name}\AppData\Local\Programs\{APP_NAME}",
                   user / "AppData" / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / f"{APP_NAME}.lnk",
                   user / "Desktop" / f"{APP_NAME}.lnk", local / APP_NAME)


def make_stand_in(folder: Path) -> list[str]:
    """The stand-in app folder; returns its files, relative, with '/'."""
    for name in STAND_IN_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"stand-in for {name}\n".encode())
    compile_command_stand_in(folder / "kinetoscope.com")
    shutil.copytree(PACKAGE_DATA, folder / "_internal" / "kinetoscope" / "data",
                    ignore=shutil.ignore_patterns("*.part", "*.lock", "__pycache__"))
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def compile_command_stand_in(out: Path) -> None:
    makensis = shutil.which("makensis")
    if makensis is None:
        raise CheckFailed("makensis is not installed (Debian: apt-get install nsis)")
    script = out.with_name("command-stand-in.nsi")
    script.write_text(COMMAND_STAND_IN + f'OutFile "{out}"\n', encoding="utf-8")
    proc = subprocess.run([makensis, "-V2", str(script)], capture_output=True, text=True, timeout=120)
    script.unlink()
    if proc.returncode != 0:
        raise CheckFailed(f"makensis failed on the command stand-in:\n{proc.stdout}{proc.stderr}")


def compile_variant(source_dir: Path, out: Path, version: str, define: str) -> None:
    makensis = shutil.which("makensis")
    if makensis is None:
        raise CheckFailed("makensis is not installed (Debian: apt-get install nsis)")
    proc = subprocess.run([makensis, "-V2", "-INPUTCHARSET", "UTF8", f"-D{define}", "-DNO_COMPRESSION",
                           f"-DVERSION={version}", f"-DSOURCE_DIR={source_dir}", f"-DOUTFILE={out}",
                           str(HERE / "kinetoscope.nsi")], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise CheckFailed(f"makensis -D{define} failed:\n{proc.stdout}{proc.stderr}")


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)


def check_installed(wine: Wine, at: Layout, source: Path, files: list[str], version: str) -> tuple[int, str]:
    """The installed state; returns how many registry keys were checked, and the UninstallString."""
    for name in files:
        installed = at.install_dir / name
        expect(installed.is_file() and installed.read_bytes() == (source / name).read_bytes(),
               f"{name} is missing or differs in {at.install_dir}")
    expect((at.install_dir / UNINSTALLER).is_file(), f"{UNINSTALLER} was not written")
    expect(at.shortcut.is_file(), f"no Start-menu shortcut at {at.shortcut}")
    lnk = at.shortcut.read_bytes()
    target = f"{at.install_dir_win}\\{APP_NAME}.exe"
    expect(target.encode("utf-16-le") in lnk or target.encode() in lnk, f"the shortcut does not point at {target}")
    expect(not at.desktop_shortcut.exists(), "a desktop shortcut was made though that option is off by default")

    registry = wine.registry()
    values = registry.get(UNINSTALL_KEY, {})
    exe = f'"{at.install_dir_win}\\{UNINSTALLER}"'
    wanted = {"DisplayName": APP_NAME, "DisplayVersion": version, "Publisher": APP_NAME,
              "InstallLocation": at.install_dir_win, "UninstallString": exe, "QuietUninstallString": f"{exe} /S",
              "DisplayIcon": f"{at.install_dir_win}\\{APP_NAME}.exe,0", "NoModify": "0x1", "NoRepair": "0x1"}
    for name, data in wanted.items():
        expect(values.get(name) == data, f"{UNINSTALL_KEY} {name} is {values.get(name)!r}, not {data!r}")
    expect(int(values.get("EstimatedSize", "0"), 16) > 0, f"{UNINSTALL_KEY} has no EstimatedSize")

    root = CLASSES_KEY
    command = f'"{at.install_dir_win}\\{APP_NAME}.exe" gui "%1"'
    app_key = f"{root}\\Applications\\{APP_NAME}.exe"
    wanted_keys = {
        f"{root}\\{PROG_ID}": ("(Default)", "Video clip"),
        f"{root}\\{PROG_ID}\\shell\\open\\command": ("(Default)", command),
        f"{app_key}\\shell\\open\\command": ("(Default)", command),
        **{f"{root}\\{ext}\\OpenWithProgids": (PROG_ID, "") for ext in EXTENSIONS},
    }
    for key, (name, data) in wanted_keys.items():
        got = registry.get(key, {}).get(name)
        expect(got == data, f"{key} {name} is {got!r}, not {data!r}")
    supported = set(registry.get(f"{app_key}\\SupportedTypes", {}))
    expect(supported == set(EXTENSIONS), f"SupportedTypes lists {sorted(supported)}")
    return 2 + len(wanted_keys), values["UninstallString"]  # with the Uninstall and SupportedTypes keys


def check_removed(wine: Wine, at: Layout, registry_before: RegKeys) -> None:
    """Nothing of the app is left: its folder, shortcut, and every registry key and value."""
    if at.install_dir.exists():
        raise CheckFailed(f"{at.install_dir} is still there: {sorted(p.name for p in at.install_dir.iterdir())}")
    expect(not at.shortcut.exists(), "the Start-menu shortcut is still there")
    registry = wine.registry()
    left = [key for key, values in registry.items()
            if APP_NAME in key or any(APP_NAME in f"{n} {d}" for n, d in values.items())]
    expect(not left, f"registry entries left: {left}")
    # Classes and Classes\\Applications are parents shared with other apps (Windows always has them;
    # a fresh Wine prefix does not): they may stay, empty. Every other key the install added (the
    # extensions' keys too) must be gone.
    shared = {CLASSES_KEY, f"{CLASSES_KEY}\\Applications"}
    new = [key for key in registry.keys() - registry_before.keys()
           if key.startswith(CLASSES_KEY) and not (key in shared and not registry[key])]
    expect(not new, f"registry keys left: {sorted(new)}")


def check_path_after_install(wine: Wine, at: Layout, before: str) -> str:
    """The app folder was appended to the user's PATH, once, and `kinetoscope` runs kinetoscope.com."""
    after = wine.user_path()
    appended = f"{before}{at.install_dir_win}" if before.endswith(";") else f"{before};{at.install_dir_win}"
    expect(after == appended,
           f"after the install the user's PATH is {after!r}, not {before!r} plus the app folder")
    for old in wine.user_dir().rglob(COMMAND_MARKER):  # in %TEMP%, wherever the prefix keeps it
        old.unlink()
    # A new process reads the user's PATH from the registry, as a new terminal on Windows does.
    proc = wine.run("cmd", "/c", "kinetoscope --version")
    marker = next(wine.user_dir().rglob(COMMAND_MARKER), None)
    ran = marker.read_text(encoding="utf-8", errors="replace") if marker else ""
    expect(proc.returncode == 0 and ran.startswith("kinetoscope") and ran.endswith("--version"),
           f"`kinetoscope --version` in a new cmd did not run the app folder's kinetoscope.com "
           f"(exit {proc.returncode}, recorded {ran!r}): {proc.stdout[-500:]}{proc.stderr[-500:]}")
    if marker:
        marker.unlink()
    return after


def check_path_restored(wine: Wine, before: str) -> None:
    after = wine.user_path()
    expect(after == before, f"after the uninstall the user's PATH is {after!r}, not {before!r} as before the install")


def write_user_data(folder: Path) -> list[Path]:
    files = [folder / "models" / "r2plus1d_18-onnx-w8a8" / "model.onnx", folder / "settings.json"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("user data that an uninstall must keep\n", encoding="utf-8")
    return files


def uninstall(wine: Wine, command: str, *options: str) -> None:
    """Run the registry's UninstallString (a quoted path), as Apps & features would, silently."""
    proc = wine.run(command.strip('"'), "/S", *options)
    expect(proc.returncode == 0, f"the uninstaller exited with {proc.returncode}: {proc.stderr[-2000:]}")


def install(wine: Wine, setup: Path) -> None:
    proc = wine.run(str(setup), "/S")
    expect(proc.returncode == 0, f"{setup.name} /S exited with {proc.returncode}: {proc.stderr[-2000:]}")


def run_checks(work: Path, version: str) -> str:
    started = time.perf_counter()
    source = work / APP_NAME
    files = make_stand_in(source)
    setup = work / f"{APP_NAME}-{version}-wine-test.exe"
    guarded = work / f"{APP_NAME}-{version}-wine-guard.exe"
    compile_variant(source, setup, version, "WINE_TEST")
    compile_variant(source, guarded, version, "WINE_TEST_GUARD")

    wine = Wine.fresh(work)
    try:
        # The first program creates the prefix.
        proc = wine.run(str(guarded), "/S")
        expect(proc.returncode == NSIS_ABORTED, f"the ARM64 guard let an x64 install run (exit {proc.returncode})")
        at = Layout.of(wine)
        expect(wine.user_path() is None, "the ARM64 guard refused but the user's PATH was set")
        wine.set_user_path(USER_PATH)
        path_before = wine.user_path()
        expect(path_before == USER_PATH, f"could not set the user's PATH ({path_before!r})")
        registry_before = wine.registry()
        expect(not at.install_dir.exists() and UNINSTALL_KEY not in registry_before,
               "the ARM64 guard refused but something was installed")

        install(wine, setup)
        keys, uninstall_string = check_installed(wine, at, source, files, version)
        path_installed = check_path_after_install(wine, at, path_before)
        data = write_user_data(at.user_data)
        uninstall(wine, uninstall_string)
        check_removed(wine, at, registry_before)
        check_path_restored(wine, path_before)
        path_uninstalled = wine.user_path()
        expect(all(p.is_file() for p in data), f"a plain uninstall removed the user's data in {at.user_data}")

        install(wine, setup)
        _, uninstall_string = check_installed(wine, at, source, files, version)
        check_path_after_install(wine, at, path_before)
        uninstall(wine, uninstall_string, "/REMOVEDATA")
        check_removed(wine, at, registry_before)
        check_path_restored(wine, path_before)
        expect(not at.user_data.exists(), f"/REMOVEDATA left {at.user_data}")
    finally:
        wine.shutdown()
    return (f"wine: installed {len(files) + 1} files, Start-menu shortcut, {keys} registry keys (x64 refused "
            f"by the ARM64 guard); uninstalled all, data kept; with /REMOVEDATA data removed "
            f"({time.perf_counter() - started:.0f} s)\n"
            f"wine: user PATH before install:  {path_before}\n"
            f"wine: user PATH after install:   {path_installed}  (`kinetoscope --version` ran kinetoscope.com)\n"
            f"wine: user PATH after uninstall: {path_uninstalled}  (twice: plain and /REMOVEDATA)")


def app_version() -> str:
    namespace: dict[str, str] = {}
    exec((REPO / "app" / "kinetoscope" / "__init__.py").read_text(encoding="utf-8"), namespace)
    return namespace["__version__"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it, for a look afterwards")
    args = parser.parse_args(argv)
    try:
        if args.keep:
            args.keep.mkdir(parents=True)
            print(run_checks(args.keep.resolve(), app_version()))
        else:
            with tempfile.TemporaryDirectory(prefix="kinetoscope-wine-") as work:
                print(run_checks(Path(work), app_version()))
    except (CheckFailed, subprocess.SubprocessError) as exc:
        print(f"wine_check.py: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
