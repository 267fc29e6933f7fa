"""Where models are found by id: the user's installed models, then the ones shipped with the app.

Installed models live in `<data>/models/<id>/<precision>/` (unpacked bundles); the bundled models
ship as release zips `<id>-onnx-<precision>.zip` in the package's data folder.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kinetoscope.engine import paths
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.errors import ModelError

# The Kinetics-400 model a user meets first (built by models/i3d_kinetics/), and the small motion
# model that tests and the live demo use.
DEFAULT_MODEL_ID = "i3d_kinetics"
DEMO_MODEL_ID = "motion_demo"
PRECISIONS = ("float", "w8a8", "w8a16")
_ZIP_NAME = re.compile(r"^(?P<id>[a-z0-9_]+)-onnx-(?P<precision>[a-z0-9]+)\.zip$")


@dataclass(frozen=True)
class ModelLocation:
    model_id: str
    precision: str
    path: Path
    bundled: bool


def available_models() -> list[ModelLocation]:
    """Every model usable now: installed ones first, then bundled ones not shadowed by them."""
    found: dict[tuple[str, str], ModelLocation] = {}
    root = paths.models_dir()
    if root.is_dir():
        for model_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for prec_dir in sorted(p for p in model_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
                found[(model_dir.name, prec_dir.name)] = ModelLocation(model_dir.name, prec_dir.name, prec_dir, False)
    bundled = bundled_data.models_dir()
    if bundled.is_dir():
        for zip_path in sorted(bundled.glob("*.zip")):
            match = _ZIP_NAME.match(zip_path.name)
            if match:
                key = (match["id"], match["precision"])
                found.setdefault(key, ModelLocation(key[0], key[1], zip_path, True))
    return list(found.values())


def model_name(location: ModelLocation) -> str:
    """The name a bundle gives its model ("I3D (Kinetics-400)"), else its id.

    Reads only metadata.json (from a zip, its central directory and that one member), so it costs
    about a millisecond: a picker can name every model as it lists them.
    """
    try:
        if location.path.is_file():
            with zipfile.ZipFile(location.path) as archive:
                member = next((n for n in archive.namelist()
                               if n.rsplit("/", 1)[-1] == "metadata.json" and n.count("/") <= 2), None)
                text = archive.read(member).decode("utf-8") if member else ""
        else:
            found = sorted(location.path.rglob("metadata.json"), key=lambda p: len(p.parts))
            text = found[0].read_text(encoding="utf-8") if found else ""
        name = json.loads(text).get("model_name") if text else None
    except (OSError, ValueError, zipfile.BadZipFile, AttributeError):
        name = None  # unreadable: the id still names it; loading the model says what is wrong
    return str(name) if isinstance(name, str) and name.strip() else location.model_id


def name_of(model_id: str, precision: str | None = None) -> str:
    """The display name of the available model `model_id` (of `precision`, when it is there), else the id."""
    found = [m for m in available_models() if m.model_id == model_id]
    found.sort(key=lambda m: m.precision != precision)
    return model_name(found[0]) if found else model_id


MISSING_DEFAULT = (f"Kinetoscope's default model, I3D (Kinetics-400, `{DEFAULT_MODEL_ID}`), is not in this "
                   "installation. In a checkout run `make models`; otherwise reinstall Kinetoscope (a wheel built "
                   "from a checkout builds the model into itself). To use another model now, name it with "
                   f"--model (`kinetoscope models list` shows them; `{DEMO_MODEL_ID}` only knows moving shapes).")


def default_model_id() -> str:
    """The model used when none is named: the Kinetics-400 model. Raises ModelError naming the fix
    where this installation lacks it: another model is used only when asked for by name."""
    if not any(m.model_id == DEFAULT_MODEL_ID for m in available_models()):
        raise ModelError(MISSING_DEFAULT, detail=f"no {DEFAULT_MODEL_ID} in {bundled_data.models_dir()} "
                                                 f"or {paths.models_dir()}")
    return DEFAULT_MODEL_ID


def resolve_model(spec: str, precision: str | None = None) -> Path:
    """Turn `--model` (an id, a zip or a folder) and `--precision` into a bundle path."""
    candidate = Path(spec).expanduser()
    if candidate.suffix.lower() in (".zip", ".onnx") or candidate.exists() or "/" in spec or "\\" in spec:
        if not candidate.exists():
            raise ModelError(f"No model file or folder at {spec}.")
        return candidate
    matches = [m for m in available_models() if m.model_id == spec]
    if not matches:
        known = sorted({m.model_id for m in available_models()})
        raise ModelError(f"Unknown model {spec!r}. Installed: {', '.join(known) or 'none'}.")
    if precision:
        chosen = [m for m in matches if m.precision == precision]
        if not chosen:
            have = ", ".join(m.precision for m in matches)
            raise ModelError(f"{spec} is not installed in {precision} precision (installed: {have}).")
        return chosen[0].path
    by_precision = {m.precision: m for m in matches}
    for preferred in PRECISIONS:
        if preferred in by_precision:
            return by_precision[preferred].path
    return matches[0].path
