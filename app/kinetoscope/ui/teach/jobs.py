"""The Teach window's work, run on its lane's one thread: adding examples and training.

The lane keeps one session of the set's base model on its thread, so adding examples one after
another creates it once; the engine's feature cache makes retraining decode nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.teach import teaching
from kinetoscope.engine.teach.action_set import ActionSet, BaseModel
from kinetoscope.ui.tasks import TaskContext


@dataclass(frozen=True)
class NewExample:
    """A clip, or the part of it from `start_s` to `end_s`, for `action`."""

    action: str
    clip: Path
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class Step:
    """Progress: `done` of `total`, and what is being worked on."""

    done: int
    total: int
    what: str


class TeachJobs:
    """Jobs for a `Lane`; only ever called on that lane's thread."""

    def __init__(self) -> None:
        self._session: ModelSession | None = None
        self._base: BaseModel | None = None

    def _session_for(self, base: BaseModel) -> ModelSession:
        if self._session is None or self._base != base:
            self._session = ModelSession(teaching.open_base(base), "cpu")
            self._base = base
        return self._session

    def add(self, set_name: str, examples: list[NewExample], ctx: TaskContext) -> ActionSet:
        """Add the examples one by one (each extraction cached); the set is saved after each."""
        current = teaching.existing_or_new(set_name, None, None)
        session = self._session_for(current.base_model)
        for i, e in enumerate(examples):
            ctx.raise_if_cancelled()
            ctx.report(Step(i, len(examples), e.clip.name))
            current = teaching.add_example(set_name, e.action, e.clip, e.start_s, e.end_s, session=session,
                                           cancel=ctx.token)
        return current

    def train(self, set_name: str, ctx: TaskContext) -> teaching.TrainResult:
        base = teaching.existing_or_new(set_name, None, None).base_model
        return teaching.train_set(set_name, session=self._session_for(base), cancel=ctx.token,
                                  on_progress=lambda done, total, what: ctx.report(Step(done, total, what)))

    def release(self) -> None:
        self._session = None
