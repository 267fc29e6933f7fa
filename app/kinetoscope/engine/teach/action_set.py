"""Action sets: a named set of the user's own actions, each with example clips or parts of clips.

One JSON file per set in `<data>/teach/sets/<name>.json`, format 1 (see the README's "Teach it
your own actions" for every field):

    {"format": 1, "name": "drills", "base_model": {"id": "i3d_kinetics", "precision": "float"},
     "actions": [{"name": "jab", "examples": [{"clip": "/abs/jab1.mp4", "sha256": "…",
                                              "start_s": 1.0, "end_s": 3.5}]}],
     "updated_at": "2026-12-07T04:30:00Z"}

`start_s`/`end_s` are null for the whole clip. Saves are atomic (a temporary file renamed over
the old one), so a kill leaves the previous set whole.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kinetoscope.engine import paths
from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.files import atomic_text_file

SET_FORMAT = 1
# A set's name becomes a model id (a folder name): lower-case letters, digits and underscores.
SET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MAX_ACTION_NAME = 60


@dataclass(frozen=True)
class Example:
    """One example of an action: a clip (by path and content hash) and optionally a part of it."""

    clip: Path
    sha256: str
    start_s: float | None = None
    end_s: float | None = None

    def span_text(self) -> str:
        if self.start_s is None and self.end_s is None:
            return "whole clip"
        start = f"{self.start_s:g}" if self.start_s is not None else "start"
        end = f"{self.end_s:g} s" if self.end_s is not None else "end"
        return f"{start}–{end}"

    def to_json(self) -> dict[str, Any]:
        return {"clip": str(self.clip), "sha256": self.sha256, "start_s": self.start_s, "end_s": self.end_s}


@dataclass(frozen=True)
class Action:
    name: str
    examples: tuple[Example, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "examples": [e.to_json() for e in self.examples]}


@dataclass(frozen=True)
class BaseModel:
    """The model whose features a set is taught on: an installed or bundled id and precision."""

    model_id: str
    precision: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.model_id, "precision": self.precision}

    def describe(self) -> str:
        return f"{self.model_id} ({self.precision})"


@dataclass(frozen=True)
class ActionSet:
    name: str
    base_model: BaseModel
    actions: tuple[Action, ...] = ()
    updated_at: str = field(default="", compare=False)

    @property
    def example_count(self) -> int:
        return sum(len(a.examples) for a in self.actions)

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    def with_example(self, action: str, example: Example) -> ActionSet:
        """A copy with `example` added to `action` (created when new). Raises BadInput for a repeat."""
        current = self.action(action)
        if current is None:
            return replace(self, actions=(*self.actions, Action(action, (example,))))
        if any(e.sha256 == example.sha256 and (e.start_s, e.end_s) == (example.start_s, example.end_s)
               for e in current.examples):
            raise BadInput(f"That part of {example.clip.name} is already an example of {action!r} in {self.name}.")
        updated = replace(current, examples=(*current.examples, example))
        return replace(self, actions=tuple(updated if a.name == action else a for a in self.actions))

    def without(self, action: str, example_index: int | None = None) -> ActionSet:
        """A copy without `action`, or without its example number `example_index` (from 1)."""
        current = self.action(action)
        if current is None:
            raise BadInput(f"{self.name} has no action {action!r}.")
        if example_index is None:
            return replace(self, actions=tuple(a for a in self.actions if a.name != action))
        if not 1 <= example_index <= len(current.examples):
            raise BadInput(f"{action!r} in {self.name} has no example {example_index} "
                           f"(it has {len(current.examples)}).")
        kept = current.examples[:example_index - 1] + current.examples[example_index:]
        if not kept:
            return replace(self, actions=tuple(a for a in self.actions if a.name != action))
        updated = replace(current, examples=kept)
        return replace(self, actions=tuple(updated if a.name == action else a for a in self.actions))

    def to_json(self) -> dict[str, Any]:
        return {"format": SET_FORMAT, "name": self.name, "base_model": self.base_model.to_json(),
                "actions": [a.to_json() for a in self.actions], "updated_at": self.updated_at}


def sets_dir() -> Path:
    return paths.data_dir() / "teach" / "sets"


def set_path(name: str) -> Path:
    return sets_dir() / f"{name}.json"


def check_set_name(name: str) -> str:
    """`name` if it can name a set (it becomes a model id), else BadInput."""
    if not SET_NAME.match(name):
        raise BadInput(f"{name!r} cannot name a set: use lower-case letters, digits and underscores, "
                       "starting with a letter (at most 48).")
    return name


def check_action_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_ACTION_NAME:
        raise BadInput(f"An action's name must be 1 to {MAX_ACTION_NAME} characters, not {name!r}.")
    return cleaned


def list_sets() -> list[str]:
    folder = sets_dir()
    return sorted(p.stem for p in folder.glob("*.json") if SET_NAME.match(p.stem)) if folder.is_dir() else []


def load_set(name: str) -> ActionSet:
    """The saved set `name`. Raises BadInput when there is none or it cannot be read."""
    path = set_path(check_set_name(name))
    if not path.is_file():
        known = ", ".join(list_sets()) or "none yet"
        raise BadInput(f"There is no action set {name!r} (sets: {known}).")
    try:
        return set_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"The action set file {path} cannot be read.", detail=repr(exc)) from exc


def set_from_json(data: dict[str, Any]) -> ActionSet:
    fmt = data.get("format")
    if fmt != SET_FORMAT:
        raise ValueError(f"set format {fmt!r}, this Kinetoscope reads {SET_FORMAT}")
    base = data["base_model"]
    actions = tuple(
        Action(str(a["name"]), tuple(
            Example(Path(e["clip"]), str(e["sha256"]), _seconds(e.get("start_s")), _seconds(e.get("end_s")))
            for e in a["examples"]))
        for a in data["actions"])
    return ActionSet(check_set_name(str(data["name"])), BaseModel(str(base["id"]), str(base["precision"])),
                     actions, str(data.get("updated_at") or ""))


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


def save_set(action_set: ActionSet) -> ActionSet:
    """Write the set atomically; returns it with its new `updated_at`."""
    stamped = replace(action_set, updated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    path = set_path(stamped.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_text_file(path) as out:
        out.write(json.dumps(stamped.to_json(), indent=1, ensure_ascii=False) + "\n")
    return stamped


def delete_set(name: str) -> None:
    path = set_path(check_set_name(name))
    if not path.is_file():
        raise BadInput(f"There is no action set {name!r}.")
    path.unlink()
