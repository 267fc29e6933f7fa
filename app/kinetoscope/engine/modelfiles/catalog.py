"""The models the app knows how to download: `kinetoscope/data/catalog.json`, or a mirror's copy.

The catalog names each model once, with its precisions; the AI Hub release version and the URL
pattern appear once at the top, so moving to a new release is a one-line change. A site without
internet (or a test) points `KINETOSCOPE_CATALOG` at its own file or URL of the same format, whose
`url_template` points at its mirror.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.errors import BadInput, KinetoscopeError

CATALOG_ENV = "KINETOSCOPE_CATALOG"
FORMAT = 1
MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
PRECISION = re.compile(r"^[a-z0-9]{1,16}$")


class CatalogError(KinetoscopeError):
    """The catalog file cannot be read or is not in the expected format."""


class UnknownModel(BadInput):
    """The user named a model or precision the catalog does not have."""


MEASURES = ("clip", "video")
# Why two figures for one network differ; shown wherever they are, so people compare like with like.
MEASURES_EXPLAINED = ("A clip accuracy scores one clip (one view of 16 or so frames) per test video; a video "
                      "accuracy combines several views of each video (AI Hub's and torchvision's: 5 clips; "
                      "DeepMind's I3D: the whole video), which scores higher for the same network. Compare a "
                      "clip figure only with clip figures, a video figure only with video figures.")


@dataclass(frozen=True)
class Accuracy:
    """A model's published accuracy, with where the figure comes from (never measured here)."""

    top1: float                   # percent
    source: str
    dataset: str = "Kinetics-400"
    note: str = ""                # e.g. another published figure on a different sample
    measure: str = "video"        # "clip": one clip per video; "video": several views of each video
    top5: float | None = None     # percent, where published

    def text(self) -> str:
        return f"{_percent(self.top1)} %"

    def label(self) -> str:
        """"57.5 % clip": the figure and what it measures."""
        return f"{self.text()} {self.measure}"

    def sentence(self) -> str:
        """One line for a tooltip or a footnote: figure, measure, dataset, source (and note)."""
        top5 = f", top-5 {_percent(self.top5)} %" if self.top5 is not None else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.text()} top-1{top5}, {self.measure} accuracy on {self.dataset}: {self.source}{note}."

    def to_json(self) -> dict[str, Any]:
        return {"top1": self.top1, "top5": self.top5, "measure": self.measure, "dataset": self.dataset,
                "source": self.source, "note": self.note}


def _percent(value: float) -> str:
    """As published: 75.0, 57.5, 52.75 (at least one decimal, at most two)."""
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


NO_FIGURE = "–"  # a table cell where nothing is published: never an invented number
NOT_PUBLISHED = "not published"


def accuracies_text(accuracies: tuple[Accuracy, ...]) -> str:
    """"75.0 % video, 57.5 % clip", or "not published"."""
    return ", ".join(a.label() for a in accuracies) if accuracies else NOT_PUBLISHED


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable release zip: a model in one precision."""

    model_id: str
    name: str
    precision: str
    url: str
    release: str
    npu_latency_ms: tuple[float, float] | None = None  # Snapdragon X Elite, as published by AI Hub
    approx_size_mb: float | None = None
    # Published figures, the same for every precision of a model, in the order they are shown.
    accuracies: tuple[Accuracy, ...] = ()
    params_m: float | None = None  # millions of parameters: an estimate of the zip's size where none is given
    notes: str = ""
    sha256: str | None = None  # pins the zip when the catalog knows it (AI Hub publishes none)
    # The model's input recipe as JSON (see recipe.py); checked when a bundle is opened.
    recipe: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.model_id, self.precision)

    @property
    def file_name(self) -> str:
        return f"{self.model_id}-onnx-{self.precision}.zip"

    @property
    def accuracy(self) -> Accuracy | None:
        """The first published accuracy (the one a one-figure table shows), if any."""
        return self.accuracies[0] if self.accuracies else None

    def accuracy_text(self) -> str:
        """"75.0 % video, 57.5 % clip", or "not published"."""
        return accuracies_text(self.accuracies)

    def estimated_size_mb(self) -> float | None:
        """The zip's size estimated from the parameter count: 4 bytes a weight in float, 1 quantized
        (zip compression of weights gains little); None without a count."""
        if self.params_m is None:
            return None
        return round(self.params_m * (4 if self.precision == "float" else 1), 0)

    def latency_text(self) -> str:
        if self.npu_latency_ms is None:
            return ""
        lo, hi = self.npu_latency_ms
        return f"{lo:g} ms" if lo == hi else f"{lo:g}–{hi:g} ms"


@dataclass(frozen=True)
class Catalog:
    release: str
    entries: tuple[CatalogEntry, ...]
    source: str
    # Published accuracies of the models that ship with the app (they have no entry: nothing to download).
    bundled_accuracies: dict[str, tuple[Accuracy, ...]] = field(default_factory=dict, compare=False, hash=False)

    def accuracies(self, model_id: str) -> tuple[Accuracy, ...]:
        """A model's published accuracies, from its entry or the bundled section; () when none."""
        entry = next((e for e in self.entries if e.model_id == model_id), None)
        return entry.accuracies if entry else self.bundled_accuracies.get(model_id, ())

    def find(self, model_id: str, precision: str) -> CatalogEntry:
        """The entry for a model and precision, or UnknownModel naming what exists."""
        matches = [e for e in self.entries if e.model_id == model_id]
        if not matches:
            known = ", ".join(sorted({e.model_id for e in self.entries}))
            raise UnknownModel(f"Unknown model {model_id!r}. Available: {known}.")
        for entry in matches:
            if entry.precision == precision:
                return entry
        have = ", ".join(e.precision for e in matches)
        raise UnknownModel(f"{model_id} has no {precision!r} release (available: {have}).")

    def get(self, model_id: str, precision: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.key == (model_id, precision)), None)


def default_catalog_path() -> Path:
    return bundled_data.catalog_file()


def load_catalog(source: str | Path | None = None) -> Catalog:
    """Read the catalog from `source`, else `KINETOSCOPE_CATALOG`, else the bundled file.

    A source starting with http(s):// is fetched (https only, except loopback). Raises CatalogError.
    """
    spec = str(source) if source is not None else os.environ.get(CATALOG_ENV) or str(default_catalog_path())
    if spec.startswith(("http://", "https://")):
        from kinetoscope.engine.modelfiles.download import fetch_bytes  # only a remote catalog needs the network
        from kinetoscope.engine.modelfiles.http_client import Timeouts
        text = fetch_bytes(spec, timeouts=Timeouts(connect=10, read=10)).decode("utf-8", "replace")
    else:
        try:
            text = Path(spec).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"Cannot read the model catalog {spec}.", detail=str(exc)) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"The model catalog {spec} is not valid JSON.", detail=str(exc)) from exc
    return parse_catalog(data, source=spec)


def parse_catalog(data: Any, *, source: str = "<memory>") -> Catalog:
    """Validate and flatten the JSON form (see kinetoscope/data/catalog.json). Raises CatalogError."""
    try:
        if not isinstance(data, dict) or int(data.get("format", FORMAT)) != FORMAT:
            raise ValueError("not a format-1 catalog object")
        default_release = str(data["release"])
        template = str(data.get("url_template", ""))
        entries: list[CatalogEntry] = []
        for model in data["models"]:
            model_id = str(model["id"])
            if not MODEL_ID.match(model_id):
                raise ValueError(f"bad model id {model_id!r}")
            release = str(model.get("release") or default_release)
            accuracies = _accuracies(model.get("accuracy"))
            params = float(model["params_m"]) if model.get("params_m") else None
            recipe = model.get("recipe")
            if recipe is not None and not isinstance(recipe, dict):
                raise ValueError(f"the recipe of {model_id} is not an object")
            for precision, spec in dict(model["precisions"]).items():
                spec = spec or {}
                if not PRECISION.match(precision):
                    raise ValueError(f"bad precision {precision!r}")
                url = str(spec.get("url") or template).format(id=model_id, release=release, precision=precision)
                if not url:
                    raise ValueError(f"no URL for {model_id} {precision}")
                latency = spec.get("npu_latency_ms")
                if isinstance(latency, (int, float)):
                    latency = [latency, latency]
                entries.append(CatalogEntry(
                    model_id=model_id, name=str(model.get("name") or model_id), precision=precision, url=url,
                    release=release,
                    npu_latency_ms=(float(latency[0]), float(latency[-1])) if latency else None,
                    approx_size_mb=float(spec["approx_size_mb"]) if spec.get("approx_size_mb") else None,
                    accuracies=accuracies, params_m=params,
                    notes=" ".join(n for n in (str(model.get("notes") or ""), str(spec.get("notes") or "")) if n),
                    sha256=str(spec["sha256"]).lower() if spec.get("sha256") else None,
                    recipe=recipe,
                ))
        bundled = {str(model_id): _accuracies(dict(spec).get("accuracy"))
                   for model_id, spec in dict(data.get("bundled") or {}).items()}
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CatalogError(f"The model catalog {source} is not in the expected format.", detail=repr(exc)) from exc
    return Catalog(release=default_release, entries=tuple(entries), source=source, bundled_accuracies=bundled)


def _accuracies(data: Any) -> tuple[Accuracy, ...]:
    """One accuracy object or a list of them -> Accuracy tuple (see `_accuracy`)."""
    if data is None:
        return ()
    return tuple(_accuracy(item) for item in (data if isinstance(data, list) else [data]))


def _accuracy(data: Any) -> Accuracy:
    """{"top1": 75.0, "source": "...", "measure"?, "top5"?, "dataset"?, "note"?} -> Accuracy; a figure
    needs its source and says whether it scores one clip or a whole video."""
    if not isinstance(data, dict) or not str(data.get("source") or "").strip():
        raise ValueError("an accuracy needs a top1 figure and its source")
    top1 = float(data["top1"])
    top5 = float(data["top5"]) if data.get("top5") is not None else None
    for figure in (top1, top5):
        if figure is not None and not 0 < figure <= 100:
            raise ValueError(f"accuracy {figure} is not a percentage")
    measure = str(data.get("measure") or "video")
    if measure not in MEASURES:
        raise ValueError(f"an accuracy measures a clip or a video, not {measure!r}")
    return Accuracy(top1=top1, source=str(data["source"]), dataset=str(data.get("dataset") or "Kinetics-400"),
                    note=str(data.get("note") or ""), measure=measure, top5=top5)


def known_recipe(model_id: str) -> dict[str, Any] | None:
    """The input recipe the bundled catalog gives for a known AI Hub model id, if any."""
    try:
        catalog = load_catalog(default_catalog_path())
    except CatalogError:
        return None
    return next((e.recipe for e in catalog.entries if e.model_id == model_id and e.recipe), None)
