"""Static checks of the installer's Wine test variant, its silent data switch and the frozen CLI's
stdout; `make installer-check` runs the real thing (installer/wine_check.py, build.py's smoke test)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess

import pytest

from locations import REPO
from test_installer_files import INSTALLER, load, nsis

# A real `kinetoscope-cli classify` text report, and the line the QNN HTP backend printed among it.
CLASSIFY_STDOUT = """\
Clip     /x/sample_rotating_clockwise.mp4  (5.0 s)
Model    Motion demo  (motion_demo, float)
Device   Ran on CPU

Top 5
  1. rotating clockwise                99.9 %  ███████████████████████▌
  2. shrinking                          0.0 %  \n\
Views
    0.00–  1.07 s  rotating clockwise                99.9 %      11.7 ms
    3.93–  5.00 s  rotating clockwise                99.8 %      34.6 ms

Timings  load 26 ms · decode 199 ms · preprocess 9 ms · inference 118 ms · total 384 ms
Memory   peak RSS 135 MB
"""
SELF_TEST_STDOUT = """\
Kinetoscope 0.1.0 self-test (frozen app; Linux x86_64, Python 3.11.7)
  PASS  bundled files                  motion_demo (float, w8a8), sample_rotating_clockwise.mp4
  PASS  NPU (HTP simulator) · w8a8     rotating clockwise 100.0 % (1 view; Ran on NPU (HTP simulator))  [5.8 s]
Self-test passed: 5 checks in 7.3 s.
"""
LIBNATIVE = (" # LIBNATIVE: No alternate configuration present in libnative_tls.conf or from LIBNATIVE_CONFIG "
             "environment variable - using default thread-local behavior.")


def _without_comments(text: str) -> str:
    return "\n".join(line.split(";", 1)[0] for line in text.splitlines())


def test_wine_variant_differs_only_in_target_and_guard():
    code = _without_comments(nsis())
    assert re.findall(r"^[ \t]*!if\w* .*WINE_TEST.*$", code, re.MULTILINE) == [
        "!ifdef WINE_TEST | WINE_TEST_GUARD", "!ifndef WINE_TEST"]
    target = code.split("!ifdef WINE_TEST | WINE_TEST_GUARD", 1)[1].split("!endif", 1)[0]
    assert target.split() == ["Target", "amd64-unicode", "!else", "Unicode", "true"]
    on_init = code.split("Function .onInit", 1)[1].split("FunctionEnd", 1)[0]
    guard = on_init.split("!ifndef WINE_TEST", 1)[1].split("!endif", 1)[0]
    assert "${IfNot} ${IsNativeARM64}" in guard and "Abort" in guard
    assert "SetRegView 64" in on_init.split("!endif", 1)[1]  # the rest of .onInit always runs


def test_silent_uninstall_keeps_data_unless_removedata():
    text = nsis()
    un_init = text.split("Function un.onInit", 1)[1].split("FunctionEnd", 1)[0]
    assert '${un.GetOptions} $R0 "/REMOVEDATA" $R1' in un_init
    assert "!insertmacro SelectSection ${SecUnData}" in un_init
    # un.onInit refers to the section, so it must come after it.
    assert text.index('Section /o "un.Also remove my models') < text.index("Function un.onInit")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "/REMOVEDATA" in readme and "/REMOVEDATA" in (INSTALLER / "README-install.md").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis is not installed")
@pytest.mark.parametrize("define", ["WINE_TEST", "WINE_TEST_GUARD"])
def test_wine_variants_compile(tmp_path, define):
    wine_check = load("wine_check")
    files = wine_check.make_stand_in(tmp_path / "Kinetoscope")
    assert {"Kinetoscope.exe", "kinetoscope.com", "vcruntime140.dll",
            "_internal/kinetoscope/data/catalog.json"} <= set(files)
    assert (tmp_path / "Kinetoscope" / "kinetoscope.com").read_bytes()[:2] == b"MZ"  # runnable: `kinetoscope`
    out = tmp_path / "wine-test.exe"
    wine_check.compile_variant(tmp_path / "Kinetoscope", out, "0.1.0", define)
    assert out.read_bytes()[:2] == b"MZ" and out.stat().st_size > 30_000


def test_reg_query_output_is_parsed():
    parse = load("wine_check").parse_reg_query
    text = ("\r\nHKEY_CURRENT_USER\\Software\\Classes\\.mp4\\OpenWithProgids\r\n"
            "    Kinetoscope.VideoClip    REG_SZ    \r\n\r\n"
            "HKEY_CURRENT_USER\\Software\\Classes\\Kinetoscope.VideoClip\\shell\\open\\command\r\n"
            '    (Default)    REG_SZ    "C:\\users\\me\\Kinetoscope.exe" gui "%1"\r\n'
            "HKEY_CURRENT_USER\\Software\\X\r\n    EstimatedSize    REG_DWORD    0x95\r\n")
    keys = parse(text)
    assert keys["HKEY_CURRENT_USER\\Software\\Classes\\.mp4\\OpenWithProgids"] == {"Kinetoscope.VideoClip": ""}
    assert keys["HKEY_CURRENT_USER\\Software\\Classes\\Kinetoscope.VideoClip\\shell\\open\\command"] == {
        "(Default)": '"C:\\users\\me\\Kinetoscope.exe" gui "%1"'}
    assert keys["HKEY_CURRENT_USER\\Software\\X"] == {"EstimatedSize": "0x95"}


def test_installer_check_installs_wine_and_runs_the_wine_check():
    mk = (INSTALLER / "installer.mk").read_text(encoding="utf-8")
    assert "wine64" in mk and "installer/wine_check.py" in mk


def test_frozen_cli_runs_unbuffered():
    tree = ast.parse((INSTALLER / "kinetoscope.spec").read_text(encoding="utf-8"))
    options = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "UNBUFFERED"]
    assert ast.literal_eval(options[0].value) == [("u", None, "OPTION")]
    cli = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and any(
        k.arg == "name" and getattr(k.value, "value", None) == "kinetoscope-cli" for k in n.keywords)]
    assert [a.id for a in cli[0].args if isinstance(a, ast.Name)][-1] == "UNBUFFERED"


def test_stdout_line_patterns_accept_our_lines_and_reject_native_chatter():
    build = load("build")
    for stdout, pattern in ((CLASSIFY_STDOUT, build.CLASSIFY_LINES), (SELF_TEST_STDOUT, build.SELF_TEST_LINES)):
        assert all(pattern.fullmatch(line) for line in stdout.splitlines()), stdout
        assert not pattern.fullmatch(LIBNATIVE)
    with pytest.raises(SystemExit):
        build.require_only_own_lines(CLASSIFY_STDOUT + LIBNATIVE + "\n", build.CLASSIFY_LINES, "classify")


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis is not installed")
def test_shipping_script_still_targets_x86(tmp_path):
    """Without WINE_TEST the installer is the x86 one Windows on ARM64 runs emulated."""
    app = tmp_path / "Kinetoscope"
    load("wine_check").make_stand_in(app)
    out = tmp_path / "shipping.exe"
    subprocess.run(["makensis", "-V2", "-INPUTCHARSET", "UTF8", "-DVERSION=0.1.0", f"-DSOURCE_DIR={app}",
                    f"-DOUTFILE={out}", "-DNO_COMPRESSION", str(INSTALLER / "kinetoscope.nsi")],
                   check=True, capture_output=True, timeout=120)
    data = out.read_bytes()
    pe = int.from_bytes(data[0x3C:0x40], "little")
    assert data[pe:pe + 4] == b"PE\0\0" and data[pe + 4:pe + 6] == (0x014C).to_bytes(2, "little")  # i386
