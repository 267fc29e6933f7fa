"""Prove that every pin in requirements-win-arm64.txt resolves to a wheel for CPython 3.12 on
Windows ARM64 (a win_arm64 wheel, or a pure-Python one), from any machine.

pip resolves the pins with `--platform win_arm64 --python-version 3.12 --only-binary=:all:` as a
dry run and reports the wheel it would install for each; PyPI serves the wheels' metadata
separately, so nothing large is downloaded. `--download DIR` downloads the wheels instead.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

LOCK = Path(__file__).resolve().parent / "requirements-win-arm64.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")
TARGET = ["--platform", "win_arm64", "--python-version", "3.12", "--implementation", "cp", "--abi", "cp312",
          "--only-binary=:all:", "--no-deps"]


def read_pins(lock: Path = LOCK) -> dict[str, str]:
    """{normalised name: version} for every `name==version` line; anything else is an error."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(lock.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        if not match:
            raise ValueError(f"{lock.name}:{number}: not an exact pin: {raw!r}")
        pins[normalise(match[1])] = match[2]
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_is_for_win_arm64(filename: str) -> bool:
    """True for a wheel that installs on CPython 3.12 / win_arm64."""
    if not filename.endswith(".whl"):
        return False
    python_tag, abi_tag, platform_tag = filename[:-4].split("-")[-3:]
    platforms = platform_tag.split(".")
    if "win_arm64" in platforms:
        return True
    return "any" in platforms and abi_tag == "none"


def resolve(lock: Path) -> dict[str, str]:
    """{name: wheel file name} as pip would install them for the target."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                        *TARGET, "--target", str(Path(tmp) / "target"), "--report", str(report),
                        "-r", str(lock)], check=True)
        data = json.loads(report.read_text(encoding="utf-8"))
    return {normalise(item["metadata"]["name"]): item["download_info"]["url"].rsplit("/", 1)[-1]
            for item in data["install"]}


def download(lock: Path, folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", *TARGET, "-d", str(folder),
                    "-r", str(lock)], check=True)
    wheels: dict[str, str] = {}
    for wheel in folder.glob("*.whl"):
        wheels[normalise(wheel.name.split("-")[0])] = wheel.name
    return wheels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--download", type=Path, metavar="DIR", help="download the wheels into DIR")
    args = parser.parse_args(argv)
    pins = read_pins(args.lock)
    wheels = download(args.lock, args.download) if args.download else resolve(args.lock)
    problems = [f"{name}=={version}: no wheel resolved" for name, version in pins.items() if name not in wheels]
    for name, wheel in sorted(wheels.items()):
        ok = wheel_is_for_win_arm64(wheel)
        print(f"  {'ok ' if ok else 'BAD'} {wheel}")
        if not ok:
            problems.append(f"{wheel} does not install on CPython 3.12 / win_arm64")
    if problems:
        print("\n".join(["lock file check failed:", *problems]), file=sys.stderr)
        return 1
    print(f"All {len(pins)} pins in {args.lock.name} resolve to win_arm64 or pure-Python wheels for CPython 3.12.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
