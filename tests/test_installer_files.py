"""Fast, static checks of the installer's files; `make installer-check` does the slow, real proof."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from locations import REPO

INSTALLER = REPO / "installer"
WINDOWS_312 = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
               "platform_machine": "ARM64", "python_version": "3.12", "python_full_version": "3.12.10",
               "implementation_name": "cpython", "platform_python_implementation": "CPython"}


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"installer_{name}", INSTALLER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def nsis() -> str:
    return (INSTALLER / "kinetoscope.nsi").read_text(encoding="utf-8")


def test_spec_parses_and_collects_qnn_package_data_and_multimedia():
    source = (INSTALLER / "kinetoscope.spec").read_text(encoding="utf-8")
    tree = ast.parse(source)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert {"onnxruntime_qnn", "kinetoscope/data"} <= strings
    assert {"PySide6.QtMultimedia", "kinetoscope.cli.self_test", "kinetoscope.ui.app"} <= strings
    assert {"entry_gui.py", "entry_cli.py", "rthook_qnn.py"} <= strings
    for name in ("entry_gui.py", "entry_cli.py", "rthook_qnn.py"):
        ast.parse((INSTALLER / name).read_text(encoding="utf-8"))
    assert "Kinetoscope" in strings and "kinetoscope-cli" in strings


def test_runtime_hook_sets_the_adsp_path_and_dll_directory():
    source = (INSTALLER / "rthook_qnn.py").read_text(encoding="utf-8")
    assert "ADSP_LIBRARY_PATH" in source and "os.add_dll_directory" in source and "_MEIPASS" in source


def test_gui_entry_opens_the_window_by_default_and_on_dropped_files(tmp_path):
    gui_argv = load("entry_gui").gui_argv
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"")
    assert gui_argv([]) == ["gui"]
    assert gui_argv([str(clip)]) == ["gui", str(clip)]
    assert gui_argv(["gui", str(clip)]) == ["gui", str(clip)]
    assert gui_argv(["--self-test"]) == ["--self-test"]


def test_nsis_installs_per_user_and_refuses_other_than_arm64():
    text = nsis()
    assert "RequestExecutionLevel user" in text
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in text
    on_init = text.split("Function .onInit", 1)[1].split("FunctionEnd", 1)[0]
    assert "${IfNot} ${IsNativeARM64}" in on_init and "Abort" in on_init and "SetRegView 64" in on_init
    un_init = text.split("Function un.onInit", 1)[1].split("FunctionEnd", 1)[0]
    assert "SetRegView 64" in un_init
    assert "HKLM" not in text.replace('HKLM "SOFTWARE\\Microsoft\\VisualStudio', "")  # only reads the VC++ key
    assert '!error "Pass -DSOURCE_DIR' in text and 'File /r "${SOURCE_DIR}/*"' in text


def test_nsis_has_the_required_sections():
    text = nsis()
    assert re.search(r'CreateShortcut "\$SMPROGRAMS\\\$\{APP_NAME\}\.lnk"', text)
    assert re.search(r'Section /o "Desktop shortcut"', text)
    assert "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\${APP_NAME}" in text
    for value in ("DisplayName", "DisplayVersion", "UninstallString", "QuietUninstallString", "InstallLocation",
                  "EstimatedSize"):
        assert f'"${{UNINSTALL_KEY}}" "{value}"' in text
    assert text.count('gui "%1"') == 2
    for ext in (".mp4", ".mov", ".mkv", ".avi", ".webm"):
        assert f'!insertmacro OpenWith "{ext}"' in text and f'!insertmacro UnOpenWith "{ext}"' in text
    # User data stays unless the user ticks the (unticked) box.
    data_section = text.split('Section /o "un.Also remove my models', 1)[1].split("SectionEnd", 1)[0]
    assert 'RMDir /r "${USER_DATA}"' in data_section
    assert text.count("${USER_DATA}") == 1                  # nowhere else
    assert "!ifdef VCREDIST" in text and "vc_redist.arm64.exe" in text


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis is not installed")
def test_nsis_script_compiles_against_a_stand_in_tree(tmp_path):
    app = tmp_path / "Kinetoscope"
    (app / "_internal").mkdir(parents=True)
    for name in ("Kinetoscope.exe", "kinetoscope.com", "_internal/placeholder.txt"):
        (app / name).write_bytes(b"stand-in")
    out = tmp_path / "setup.exe"
    proc = subprocess.run(["makensis", "-V2", "-INPUTCHARSET", "UTF8", "-DVERSION=0.1.0", f"-DSOURCE_DIR={app}",
                           f"-DOUTFILE={out}", "-DNO_COMPRESSION", "-DVCREDIST=" + str(app / "Kinetoscope.exe"),
                           str(INSTALLER / "kinetoscope.nsi")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.stat().st_size > 30_000


def _runtime_requirements_on_windows_312() -> list[Requirement]:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    reqs = [Requirement(d) for d in deps]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(WINDOWS_312)]


def test_lock_pins_every_runtime_dependency_of_pyproject_within_its_range():
    pins = load("check_lock").read_pins()
    for req in _runtime_requirements_on_windows_312():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} is not pinned in requirements-win-arm64.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} is outside {req}"


def test_lock_meets_the_windows_arm64_floors():
    pins = load("check_lock").read_pins()
    assert Version(pins["av"]) >= Version("19")             # the first av with cp312 win_arm64 wheels
    assert Version(pins["pyside6-essentials"]) >= Version("6.9")
    assert pins["pyside6-essentials"] == pins["pyside6-addons"] == pins["shiboken6"]
    assert "pyreadline3" in pins                            # humanfriendly's win32-only dependency


def test_wheel_tags_for_win_arm64():
    ok = load("check_lock").wheel_is_for_win_arm64
    assert ok("av-19.0.2-cp312-abi3-win_arm64.whl")
    assert ok("colorama-0.4.6-py2.py3-none-any.whl")
    assert not ok("numpy-2.5.5-cp312-cp312-win_amd64.whl")
    assert not ok("foo-1.0-cp312-cp312-any.whl") and not ok("foo-1.0.tar.gz")


def test_build_script_requires_native_arm64_unless_check_only(monkeypatch):
    build = load("build")
    monkeypatch.setattr(build.sysconfig, "get_platform", lambda: "win-amd64")
    with pytest.raises(SystemExit):
        build.check_platform(check_only=False)
    build.check_platform(check_only=True)


def test_workflow_builds_on_a_native_arm64_runner():
    text = (REPO / ".github" / "workflows" / "windows-arm64.yml").read_text(encoding="utf-8")
    assert "runs-on: windows-11-arm" in text and "architecture: arm64" in text
    assert "win-arm64" in text and "installer/build.py" in text and "--self-test" in text
    assert "actions/upload-artifact" in text and "requirements-win-arm64.txt" in text



def test_check_multimedia_names_the_backend_qt_loaded():
    """The frozen CLI's hidden --check-multimedia, run here from the checkout: Qt Multimedia's
    backend plugin loads and the device lists answer (no camera on this machine: 0 is fine)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(INSTALLER / "entry_cli.py"), "--check-multimedia"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(r"Qt Multimedia backend: \S*ffmpegmediaplugin\S*; \d+ camera\(s\), \d+ microphone\(s\)\n",
                        proc.stdout), proc.stdout


def test_check_multimedia_fails_when_no_backend_loads():
    code = ("import sys, runpy\nsys.argv = ['kinetoscope-cli', '--check-multimedia']\n"
            f"entry = runpy.run_path({str(INSTALLER / 'entry_cli.py')!r})\n"
            "entry['check_multimedia'].__globals__['_loaded_media_plugins'] = lambda: []\n"
            "sys.exit(entry['check_multimedia']())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Qt Multimedia: no backend loaded (no multimedia plugin was loaded)" in proc.stderr


def test_nsis_puts_the_app_folder_on_the_users_path_and_takes_back_only_that():
    text = nsis()
    section = text.split('Section "Add the kinetoscope command to PATH" SecPath', 1)[1].split("SectionEnd", 1)[0]
    assert "Call AddToPath" in section  # no /o: on by default, and in a silent install
    add = text.split("Function AddToPath", 1)[1].split("FunctionEnd", 1)[0]
    assert 'ReadRegStr $0 HKCU "${ENVIRONMENT}" "Path"' in add and "WriteRegExpandStr HKCU" in add
    assert '"PathEntry" "$INSTDIR"' in add and "BROADCAST_ENVIRONMENT" in add
    assert '!define ENVIRONMENT "Environment"' in text and "HKLM" not in add
    assert 'SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000' in text
    uninstall = text.split('Section "un.${APP_NAME}" SecUnApp', 1)[1].split("SectionEnd", 1)[0]
    assert "Call un.RemoveFromPath" in uninstall and 'Delete "$INSTDIR\\kinetoscope.com"' in uninstall
    # The command `kinetoscope` on PATH: kinetoscope.com, made by the Windows build.
    build = (INSTALLER / "build.py").read_text(encoding="utf-8")
    assert '(app_dir / "kinetoscope-cli.exe").replace(app_dir / "kinetoscope.com")' in build
