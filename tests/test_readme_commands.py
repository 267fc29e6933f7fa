"""README.md's command blocks, run as a reader would type them, so a renamed flag, a missing make
target or a changed default fails here instead of in a reader's terminal.

The convention, in README.md: every fenced block of shell commands (no language, `sh`, `console`)
has an HTML comment on the line before it:

    <!-- readme-test: run; expect "arm wrestling" -->      run it; the output must hold each phrase
    <!-- readme-test: run; setup gym-example; expect "…" -->  prepare files first (SETUPS below)
    <!-- readme-test: skip: Windows only (the installed app) -->

Blocks that are not commands say so with their language (`text` for a synopsis or output, `json`,
`python`). In a block with `$ ` prompts the prompted lines are the commands and the rest is the
output they print; otherwise every line is a command (`# …` comments dropped). Each command runs
with bash from the checkout, with the checkout's .venv/bin first on PATH (where `kinetoscope` is),
HOME and KINETOSCOPE_HOME in a temporary folder and the offscreen Qt platform; each must exit 0,
and `kinetoscope gui` passes when the window is still running after a few seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from http_fixtures import LoopbackServer, release_zip, write_catalog, zip_url_path
from http_fixtures import http_server  # noqa: F401 (a fixture the model-download block uses)
from locations import REPO, SAMPLES
from model_factory import tiny_classifier

README = REPO / "README.md"
SHELL = {"", "sh", "shell", "bash", "console"}
DIRECTIVE = re.compile(r"^\s*<!-- readme-test: (?P<body>.*?) -->\s*$")
# At most this many shell blocks may be skipped: keep the list short (each says why).
MAX_SKIPPED = 6
GUI_SETTLE_S = 6.0


@dataclass(frozen=True)
class Block:
    line: int                       # of the opening fence, 1-based
    info: str
    body: str
    directive: str | None
    expects: tuple[str, ...] = ()
    setup: str = ""
    timeout: float = 600
    skip: str = ""
    commands: tuple[str, ...] = field(default=())


def parse_directive(text: str) -> dict[str, object]:
    """`skip: why`, or `run` then `; expect "phrase"` (any number), `; setup NAME`, `; timeout S`."""
    if text.startswith("skip:"):
        return {"skip": text.removeprefix("skip:").strip()}
    if not text.startswith("run"):
        raise ValueError(f"a readme-test directive starts with 'run' or 'skip:': {text!r}")
    found: dict[str, object] = {}
    expects: list[str] = []
    rest = text.removeprefix("run").strip()
    for match in re.finditer(r';\s*(?P<key>\w+)\s+(?:"(?P<quoted>[^"]*)"|(?P<word>[^;\s]+))', rest):
        key, value = match["key"], match["quoted"] if match["quoted"] is not None else match["word"]
        if key == "expect":
            expects.append(value)
        elif key == "setup":
            found["setup"] = value
        elif key == "timeout":
            found["timeout"] = float(value)
        else:
            raise ValueError(f"unknown readme-test key {key!r} in {text!r}")
    if re.sub(r';\s*\w+\s+(?:"[^"]*"|[^;\s]+)', "", rest).strip():
        raise ValueError(f"cannot read the readme-test directive {text!r}")
    found["expects"] = tuple(expects)
    return found


def commands_of(body: str) -> tuple[str, ...]:
    lines = body.splitlines()
    if any(line.startswith("$ ") for line in lines):
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    commands = []
    for line in lines:
        line = re.sub(r"\s+#\s.*$", "", line).strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return tuple(commands)


def readme_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(?P<indent>\s*)```(?P<info>[^`]*)$", lines[i])
        if not fence:
            i += 1
            continue
        indent, start = fence["indent"], i
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        previous = lines[start - 1] if start > 0 else ""
        match = DIRECTIVE.match(previous)
        directive = match["body"] if match else None
        options = parse_directive(directive) if directive else {}
        blocks.append(Block(start + 1, fence["info"].strip(), "\n".join(body), directive,
                            commands=commands_of("\n".join(body)), **options))  # type: ignore[arg-type]
        i += 1
    return blocks


BLOCKS = [b for b in readme_blocks(README.read_text(encoding="utf-8")) if b.info in SHELL]
RUN = [b for b in BLOCKS if b.directive is not None and not b.skip]


# -- What some blocks need first ---------------------------------------------------------------
def gym_example(work: Path, env: dict[str, str], request: pytest.FixtureRequest) -> None:
    """"Using your own model": the folder torch.onnx.export writes (a stand-in 5-class graph with the
    same input and output, as the README says), the README's own metadata.json, and clip.mp4."""
    from model_factory import write_bundle_folder

    text = README.read_text(encoding="utf-8")
    metadata = text.split("`my_gym_actions/metadata.json`:", 1)[1].split("```json\n", 1)[1].split("\n```", 1)[0]
    folder = write_bundle_folder(work / "built", tiny_classifier(5), model_id="my_gym_actions", precision="float")
    target = work / "my_gym_actions"
    target.mkdir()
    graph = next(folder.rglob("*.onnx"))
    shutil.copy(graph, target / "my_gym_actions.onnx")
    (target / "metadata.json").write_text(metadata, encoding="utf-8")
    shutil.copy(SAMPLES / "sample_arm_wrestling.mp4", work / "clip.mp4")


def ai_hub_mirror(work: Path, env: dict[str, str], request: pytest.FixtureRequest) -> None:
    """AI Hub's servers are not reachable from CI: a loopback mirror serves release zips in AI Hub's
    layout, named by a catalog in KINETOSCOPE_CATALOG (the README's own way to use a mirror)."""
    server: LoopbackServer = request.getfixturevalue("http_server")
    for precision in ("float", "w8a8"):
        server.serve(zip_url_path("resnet_2plus1d", precision),
                     release_zip(work, "resnet_2plus1d", precision).read_bytes())
    env["KINETOSCOPE_CATALOG"] = str(write_catalog(work / "catalog.json", server, {"resnet_2plus1d": ("float", "w8a8")}))


SETUPS: dict[str, Callable[[Path, dict[str, str], pytest.FixtureRequest], None]] = {
    "gym-example": gym_example, "ai-hub-mirror": ai_hub_mirror}


def environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "KINETOSCOPE_", "VIRTUAL_ENV"))}
    home = tmp / "user"
    home.mkdir()
    env.update(HOME=str(home), KINETOSCOPE_HOME=str(tmp / "data"), QT_QPA_PLATFORM="offscreen",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    return env


def run_command(command: str, cwd: Path, env: dict[str, str], timeout: float) -> tuple[int, str]:
    if re.search(r"\bkinetoscope(-cli)? gui\b", command):
        proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            code = proc.wait(GUI_SETTLE_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
            return 0, f"(the window was still running after {GUI_SETTLE_S:.0f} s)"
        return code, proc.stdout.read() if proc.stdout else ""
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("block", RUN, ids=[f"README-line-{b.line}" for b in RUN])
def test_readme_block_runs(block: Block, tmp_path: Path, request: pytest.FixtureRequest):
    env = environment(tmp_path)
    cwd = REPO
    if block.setup:
        cwd = tmp_path / "work"
        cwd.mkdir()
        SETUPS[block.setup](cwd, env, request)
    output = []
    started = time.monotonic()
    for command in block.commands:
        code, out = run_command(command, cwd, env, block.timeout)
        output.append(f"$ {command}\n{out}")
        assert code == 0, f"README.md line {block.line}: `{command}` exited {code}:\n{out[-3000:]}"
    text = "\n".join(output)
    for phrase in block.expects:
        assert phrase in text, f"README.md line {block.line}: no {phrase!r} in the output:\n{text[-3000:]}"
    print(f"README.md line {block.line}: {len(block.commands)} commands in {time.monotonic() - started:.1f} s")


def test_every_shell_block_says_whether_it_runs_and_few_are_skipped():
    undecided = [b.line for b in BLOCKS if b.directive is None]
    assert not undecided, (f"README.md shell blocks without a <!-- readme-test: … --> line before them (lines "
                           f"{undecided}); say `run; expect \"…\"` or `skip: why`, or give a synopsis the `text` language")
    skipped = [(b.line, b.skip) for b in BLOCKS if b.skip]
    assert len(skipped) <= MAX_SKIPPED, skipped
    assert all(reason for _, reason in skipped)
    # A block skipped because a test runs the same command: that test must name its options.
    for block in BLOCKS:
        named = re.match(r"run by (tests/\S+\.py)", block.skip)
        if named:
            source = (REPO / named[1]).read_text(encoding="utf-8")
            options = {w for c in block.commands for w in c.split() if w.startswith("--")}
            assert options and all(o in source for o in options), (block.line, named[1], options)
    assert all(b.expects for b in RUN), [b.line for b in RUN if not b.expects]
    assert all(b.setup in SETUPS for b in RUN if b.setup)
    assert len(RUN) >= 5


def test_links_stay_inside_the_repository_and_exist():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    relative = [t for t in targets if not re.match(r"^[a-z]+://", t)]
    assert relative, "no links found: the pattern is wrong"
    for target in relative:
        path = (README.parent / target).resolve()
        assert path.is_relative_to(REPO), f"README.md links outside the repository: {target}"
        assert path.exists(), f"README.md links to a missing file: {target}"
    assert "../shared" not in text, "README.md names a path outside the repository"
