"""Where the files that ship with Kinetoscope are: bundled model zips, the catalog, labels, samples.

They live inside the package (`kinetoscope/data/`), so a wheel, an editable install and the frozen
app find them the same way, through `importlib.resources`. The engine needs real file paths
(FFmpeg and onnxruntime open files by name), which every one of those installs provides.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CATALOG_FILE = "catalog.json"
KINETICS_LABELS_FILE = "kinetics400_labels.txt"


def data_root() -> Path:
    """The package's data folder. Raises RuntimeError if the package is not installed as files."""
    root = resources.files("kinetoscope").joinpath("data")
    if not isinstance(root, Path) or not root.is_dir():
        raise RuntimeError(f"Kinetoscope's bundled data is missing or not on disk ({root}); reinstall Kinetoscope.")
    return root


def models_dir() -> Path:
    """The model release zips that ship with the app."""
    return data_root() / "models"


def catalog_file() -> Path:
    """The catalog of models the model manager can download."""
    return data_root() / CATALOG_FILE


def kinetics_labels_file() -> Path:
    """The 400 Kinetics-400 class names, in the models' output order."""
    return data_root() / "labels" / KINETICS_LABELS_FILE


def samples_dir() -> Path:
    """Sample clips that ship with the app."""
    return data_root() / "samples"
