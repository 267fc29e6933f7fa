"""Teaching end to end: add examples to a set, train it into a model, export and import it.

The CLI's `kinetoscope teach …` and the Teach window both call these. Every check that can fail
runs before anything is written, so bad input leaves the set as it was; the set file and the
installed model are each replaced atomically, so a kill leaves the previous ones whole.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import BadInput, ModelError
from kinetoscope.engine.files import sha256_file
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.modelfiles.bundle import ModelBundle, open_bundle
from kinetoscope.engine.modelfiles.model_install import InstallSource, Manifest, install_zip, installed_dir, remove_model
from kinetoscope.engine.modelfiles.model_store import DEFAULT_MODEL_ID, resolve_model
from kinetoscope.engine.teach.action_set import (ActionSet, BaseModel, Example, check_action_name, check_set_name,
                                                 delete_set, load_set, save_set, set_from_json, set_path)
from kinetoscope.engine.teach.example_features import extract_features, feature_blocks
from kinetoscope.engine.teach.feature_cache import FeatureCache
from kinetoscope.engine.teach.probe import DEFAULT_METHOD, ProbeReport, train_probe
from kinetoscope.engine.teach.taught_model import merged_graph, metadata, write_model_zip

ProgressFn = Callable[[int, int, str], None]  # (done, total, what)


@dataclass(frozen=True)
class TrainResult:
    report: ProbeReport
    manifest: Manifest
    feature_seconds: float      # extracting (or reading cached) features
    cache_hits: int
    cache_misses: int
    save_seconds: float
    features_device: str = "cpu"   # where the features were computed ("npu": on the HTP)

    def to_json(self) -> dict[str, object]:
        return {**self.report.to_json(), "model": {"id": self.manifest.model_id, "precision": self.manifest.precision,
                                                   "path": str(installed_dir(self.manifest.model_id,
                                                                             self.manifest.precision))},
                "features_device": self.features_device,
                "feature_seconds": round(self.feature_seconds, 3), "cache": {"hits": self.cache_hits,
                                                                            "misses": self.cache_misses},
                "save_seconds": round(self.save_seconds, 3)}


def open_base(base: BaseModel) -> ModelBundle:
    """The model a set is taught on; ModelError when it is gone or gives no features."""
    bundle = open_bundle(resolve_model(base.model_id, base.precision))
    if bundle.features is None:
        raise ModelError(f"{base.describe()} gives no features output, so it cannot be taught on "
                         "(see the README's own-model chapter).")
    return bundle


def existing_or_new(name: str, model: str | None, precision: str | None) -> ActionSet:
    """The saved set `name`, or a new empty one on `model` (default: I3D, float)."""
    check_set_name(name)
    if set_path(name).is_file():
        found = load_set(name)
        wanted = BaseModel(model or found.base_model.model_id, precision or found.base_model.precision)
        if wanted != found.base_model:
            raise BadInput(f"{name} is taught on {found.base_model.describe()}, not {wanted.describe()}; "
                           "make a new set for another model.")
        return found
    return ActionSet(name, BaseModel(model or DEFAULT_MODEL_ID, precision or "float"))


def add_example(name: str, action: str, clip: str | Path, start_s: float | None = None, end_s: float | None = None,
                *, model: str | None = None, precision: str | None = None, device: str = "cpu",
                session: ModelSession | None = None, cache: FeatureCache | None = None,
                cancel: CancelToken | None = None) -> ActionSet:
    """Add one example (extracting and caching its features first) and save the set.

    Creates the set on first use. An unreadable clip, a span outside it or shorter than the
    model's window raise BadInput before the set is touched.
    """
    action = check_action_name(action)
    current = existing_or_new(name, model, precision)
    path = Path(clip).expanduser()
    if not path.is_file():
        raise BadInput(f"There is no clip at {clip}.")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise BadInput(f"The example's end ({end_s:g} s) must come after its start ({start_s:g} s).")
    example = Example(path.resolve(), sha256_file(path), start_s, end_s)
    updated = current.with_example(action, example)
    if session is None or session.bundle.features is None:
        session = ModelSession(open_base(current.base_model), device)
    extract_features(session, example, cache=cache or FeatureCache(), cancel=cancel)
    return save_set(updated)


def check_trainable(action_set: ActionSet) -> None:
    if not action_set.actions:
        raise BadInput(f"{action_set.name} has no examples yet; add some with `kinetoscope teach add`.")
    if len(action_set.actions) < 2:
        raise BadInput(f"{action_set.name} has one action only ({action_set.actions[0].name!r}); "
                       "teach at least two, so there is something to tell apart.")


def set_features(action_set: ActionSet, session: ModelSession, cache: FeatureCache, *,
                 on_progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> tuple[list[np.ndarray], list[int]]:
    """Every example's features [views, D] and its action's index, in set order."""
    pairs = [(a, e) for a, action in enumerate(action_set.actions) for e in action.examples]
    features, classes = [], []
    for done, (a, example) in enumerate(pairs):
        if on_progress is not None:
            on_progress(done, len(pairs), f"{action_set.actions[a].name}: {example.clip.name}")
        try:
            features.append(extract_features(session, example, cache=cache, cancel=cancel))
        except BadInput as exc:
            raise BadInput(f"Example {example.clip.name} ({example.span_text()}) of {action_set.actions[a].name!r}: "
                           f"{exc.message}", detail=exc.detail) from exc
        classes.append(a)
    if on_progress is not None:
        on_progress(len(pairs), len(pairs), "features ready")
    return features, classes


def train_set(name: str, *, device: str = "cpu", method: str = DEFAULT_METHOD, session: ModelSession | None = None,
              cache: FeatureCache | None = None, on_progress: ProgressFn | None = None,
              cancel: CancelToken | None = None) -> TrainResult:
    """Train the set into the model `name` in the models folder (replacing the previous one atomically)."""
    action_set = load_set(name)
    check_trainable(action_set)
    cache = cache or FeatureCache()
    hits, misses = cache.hits, cache.misses
    base = session.bundle if session is not None else open_base(action_set.base_model)
    if (base.model_id, base.precision) != (action_set.base_model.model_id, action_set.base_model.precision):
        raise BadInput(f"{name} is taught on {action_set.base_model.describe()}, not "
                       f"{base.model_id} ({base.precision}).")
    session = session or ModelSession(base, device)
    started = time.perf_counter()
    features, classes = set_features(action_set, session, cache, on_progress=on_progress, cancel=cancel)
    feature_s = time.perf_counter() - started
    labels = tuple(a.name for a in action_set.actions)
    blocks = feature_blocks(base)
    head, report = train_probe(features, classes, labels, method, blocks)
    if cancel is not None:
        cancel.raise_if_cancelled()
    started = time.perf_counter()
    taught = {"set": action_set.to_json(), "base_model": action_set.base_model.to_json(),
              "method": method, "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "features_device": session.device, "motion": len(blocks) > 1, "report": report.to_json()}
    graph = merged_graph(base, head, with_motion=len(blocks) > 1)
    # A w8a8 base's CPU graph runs the same integers faster on the CPU; the taught model keeps one too.
    cpu_graph = merged_graph(base, head, with_motion=len(blocks) > 1, cpu=True) if base.cpu_graph else None
    with tempfile.TemporaryDirectory(prefix="kinetoscope-teach-") as tmp:
        target = Path(tmp) / f"{name}-onnx-{base.precision}.zip"
        write_model_zip(target, name, graph, metadata(name, base, labels, taught), cpu_graph)
        manifest = install_zip(target, expect=(name, base.precision),
                               source=InstallSource(path=f"taught from the action set {name}"), cancel=cancel)
    return TrainResult(report, manifest, feature_s, cache.hits - hits, cache.misses - misses,
                       time.perf_counter() - started, session.device)


def taught_info(model_id: str, precision: str) -> dict[str, object] | None:
    """The "taught" record of an installed taught model, or None for any other model."""
    folder = installed_dir(model_id, precision)
    found = sorted(folder.rglob("metadata.json")) if folder.is_dir() else []
    try:
        meta = json.loads(found[0].read_text(encoding="utf-8")) if found else {}
    except (OSError, ValueError):
        return None
    taught = (meta.get("kinetoscope") or {}).get("taught")
    return taught if isinstance(taught, dict) else None


def trained_precisions(name: str) -> list[str]:
    root = installed_dir(name, "float").parent
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and taught_info(name, p.name) is not None)


def export_model(name: str, target: Path, precision: str | None = None) -> Path:
    """Zip the trained model `name` to `target` (a file, or a folder to put `<name>-onnx-<p>.zip` in)."""
    have = trained_precisions(check_set_name(name))
    if not have:
        raise BadInput(f"{name} has not been trained yet; run `kinetoscope teach train {name}` first.")
    chosen = precision or have[0]
    if chosen not in have:
        raise BadInput(f"{name} is trained in {', '.join(have)}, not {chosen}.")
    folder = installed_dir(name, chosen)
    target = Path(target).expanduser()
    if target.is_dir():
        target = target / f"{name}-onnx-{chosen}.zip"
    if not target.parent.is_dir():
        raise BadInput(f"There is no folder {target.parent} to export into.")
    bundle = open_bundle(folder)
    meta = json.loads(sorted(folder.rglob("metadata.json"))[0].read_text(encoding="utf-8"))
    tmp = target.with_name(f".{target.name}.part")
    try:
        write_model_zip(tmp, name, bundle.onnx_path.read_bytes(), meta,
                        bundle.cpu_graph.read_bytes() if bundle.cpu_graph is not None else None)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def import_model_zip(path: Path) -> Manifest:
    """Install an exported taught model; also restores its action set here when none of that name exists."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInput(f"There is no file at {path} to import.")
    manifest = install_zip(path)
    taught = taught_info(manifest.model_id, manifest.precision)
    if taught is None:
        remove_model(manifest.model_id, manifest.precision)
        raise BadInput(f"{path.name} is a model but not a taught one; install it with `kinetoscope models import`.")
    if not set_path(manifest.model_id).is_file() and isinstance(taught.get("set"), dict):
        try:
            save_set(set_from_json(taught["set"]))
        except (KeyError, TypeError, ValueError):
            pass  # the model works without its set; only retraining needs the examples
    return manifest


def remove(name: str, action: str | None = None, example: int | None = None) -> ActionSet | None:
    """Remove an example, an action, or (neither given) the whole set and its trained models."""
    if action is None:
        check_set_name(name)
        known = set_path(name).is_file()
        precisions = trained_precisions(name)
        if not known and not precisions:
            raise BadInput(f"There is no action set {name!r}.")
        for precision in precisions:
            remove_model(name, precision)
        if known:
            delete_set(name)
        return None
    return save_set(load_set(name).without(check_action_name(action), example))
