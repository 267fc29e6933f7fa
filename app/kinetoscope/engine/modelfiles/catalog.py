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


@dataclass(frozen=True)
class Accuracy:
    """A model's published accuracy, with where the figure comes from (never measured here)."""

    top1: float                   # percent
    source: str
    dataset: str = "Kinetics-400"
    note: str = ""                # e.g. another published figure on a different sample

    def text(self) -> str:
        return f"{self.top1:.1f} %"

    def to_json(self) -> dict[str, Any]:
        return {"top1": self.top1, "dataset": self.dataset, "source": self.source, "note": self.note}


NO_FIGURE = "–"  # shown where nothing is published: never an invented number


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
    accuracy: Accuracy | None = None  # published top-1, the same for every precision of a model
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

    def accuracy_text(self) -> str:
        """"75.0 %", or "–" when no accuracy is published for this model."""
        return self.accuracy.text() if self.accuracy else NO_FIGURE

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
            accuracy = _accuracy(model.get("accuracy"))
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
                    accuracy=accuracy,
                    notes=" ".join(n for n in (str(model.get("notes") or ""), str(spec.get("notes") or "")) if n),
                    sha256=str(spec["sha256"]).lower() if spec.get("sha256") else None,
                    recipe=recipe,
                ))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CatalogError(f"The model catalog {source} is not in the expected format.", detail=repr(exc)) from exc
    return Catalog(release=default_release, entries=tuple(entries), source=source)


def _accuracy(data: Any) -> Accuracy | None:
    """{"top1": 75.0, "source": "...", "dataset"?, "note"?} -> Accuracy; a figure needs its source."""
    if data is None:
        return None
    if not isinstance(data, dict) or not str(data.get("source") or "").strip():
        raise ValueError("an accuracy needs a top1 figure and its source")
    top1 = float(data["top1"])
    if not 0 < top1 <= 100:
        raise ValueError(f"top-1 accuracy {top1} is not a percentage")
    return Accuracy(top1=top1, source=str(data["source"]), dataset=str(data.get("dataset") or "Kinetics-400"),
                    note=str(data.get("note") or ""))


def known_recipe(model_id: str) -> dict[str, Any] | None:
    """The input recipe the bundled catalog gives for a known AI Hub model id, if any."""
    try:
        catalog = load_catalog(default_catalog_path())
    except CatalogError:
        return None
    return next((e.recipe for e in catalog.entries if e.model_id == model_id and e.recipe), None)
