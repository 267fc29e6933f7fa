"""Model bundles: AI Hub ONNX release zips and folders, and what the app needs to know of them.

Liberal in what it accepts (see ai-hub-bundles.md): the zip's top folder, metadata.json and the
file names are all optional, as long as the bundle holds exactly one ONNX graph with a video input.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kinetoscope.engine import paths
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.files import atomic_text_file, sha256_file
from kinetoscope.engine.modelfiles.archive import extract_zip_atomically
from kinetoscope.engine.modelfiles.catalog import known_recipe
from kinetoscope.engine.errors import KinetoscopeError, ModelError
from kinetoscope.engine.modelfiles.onnx_graph import GraphSummary, TensorInfo, read_graph_summary
from kinetoscope.engine.recipe import RECIPE_FORMAT, RECIPE_KEY, GraphInput, InputRecipe, resolve_recipe

QUANTIZED_DTYPES = {"uint8": np.uint8, "int8": np.int8, "uint16": np.uint16, "int16": np.int16}
KINETICS_CLASSES = 400


@dataclass(frozen=True)
class IoQuantization:
    """Affine quantization of a graph input or output: real = (q - zero_point) * scale."""

    scale: float
    zero_point: int
    dtype: str

    def quantize(self, x: np.ndarray) -> np.ndarray:
        info = np.iinfo(QUANTIZED_DTYPES[self.dtype])
        q = np.rint(x / self.scale) + self.zero_point
        return np.clip(q, info.min, info.max).astype(self.dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return ((q.astype(np.float32) - self.zero_point) * self.scale).astype(np.float32)


@dataclass(frozen=True)
class ModelBundle:
    """A loadable video classifier: its graph, labels and I/O contract."""

    model_id: str
    name: str
    precision: str
    source: Path          # what the user gave: a zip or a folder
    root: Path           # the unpacked folder
    onnx_path: Path
    labels: tuple[str, ...]
    input: TensorInfo
    output: TensorInfo
    input_quant: IoQuantization | None
    output_quant: IoQuantization | None
    recipe: InputRecipe
    # Set when the bundle names no classes and Kinetoscope shows "class N" instead.
    labels_note: str = ""
    # The same model laid out for onnxruntime's CPU kernels, when the bundle has one
    # ("kinetoscope": {"cpu_graph": FILE} in metadata.json); the NPU always gets `onnx_path`.
    cpu_graph: Path | None = None

    @property
    def cpu_onnx_path(self) -> Path:
        """The graph a CPU session opens."""
        return self.cpu_graph or self.onnx_path
    # The optional second output of pooled features [1, D] (float32) that a taught model reads.
    features: TensorInfo | None = None
    # A taught model's label for "none of the taught actions" (its last class), else "".
    rejection_label: str = ""

    @property
    def frames(self) -> int:
        return self.recipe.frames

    @property
    def softmax_applied(self) -> bool:
        return self.recipe.output == "probabilities"

    @property
    def num_classes(self) -> int:
        return len(self.labels)


def open_bundle(path: str | Path) -> ModelBundle:
    """Open a release zip (unpacked once into the cache, hashed once while it stays unchanged) or a
    folder. Raises ModelError."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"No model at {path}.")
    if path.is_dir():
        return _load_folder(path, source=path)
    if path.suffix.lower() == ".onnx":
        return _load_folder(path.parent, source=path, onnx_hint=path)
    bundles = paths.cache_dir() / "bundles"
    known = _known_digest(bundles, path)
    digest = known or sha256_file(path)
    unpacked = bundles / digest[:24]
    if not (unpacked / ".complete").exists():
        extract_zip_atomically(path, unpacked)
        (unpacked / ".complete").write_text(str(path))
    if known is None:
        _remember_digest(bundles, path, digest)
    return _load_folder(unpacked, source=path)


def _stat_key(path: Path) -> tuple[str, str]:
    """(file name in the digest memo, the zip's identity: its size and modification time)."""
    resolved = path.resolve()
    st = resolved.stat()
    name = hashlib.sha256(str(resolved).encode()).hexdigest()[:24]
    return name, f"{st.st_size} {st.st_mtime_ns}"


def _known_digest(bundles: Path, path: Path) -> str | None:
    """The zip's SHA-256 as recorded when it was last opened, if it has not changed since.

    Hashing the 47 MB I3D zip costs a few hundred ms of every start; a zip whose size and
    modification time are the same is taken to be the same zip, as make takes it.
    """
    try:
        name, identity = _stat_key(path)
        recorded = (bundles / "digests" / name).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if len(recorded) >= 2 and recorded[0] == identity and len(recorded[1]) == 64:
        return recorded[1]
    return None


def _remember_digest(bundles: Path, path: Path, digest: str) -> None:
    try:
        name, identity = _stat_key(path)
        (bundles / "digests").mkdir(parents=True, exist_ok=True)
        with atomic_text_file(bundles / "digests" / name) as fh:
            fh.write(f"{identity}\n{digest}\n")
    except (OSError, KinetoscopeError):
        pass  # only a memo: the next start hashes again


def _find_metadata(root: Path) -> Path | None:
    found = sorted(p for p in root.rglob("metadata.json") if len(p.relative_to(root).parts) <= 3)
    return found[0] if len(found) == 1 else None


def _graph_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.onnx") if not p.name.endswith("_ctx.onnx"))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"The bundle's {path.name} cannot be read.", detail=str(exc)) from exc
    if not isinstance(data, dict):
        raise ModelError(f"The bundle's {path.name} is not a metadata object.")
    return data


def _is_video_input(info: TensorInfo) -> bool:
    return GraphInput.from_shape(info.shape) is not None


def _load_folder(root: Path, *, source: Path, onnx_hint: Path | None = None) -> ModelBundle:
    meta_path = _find_metadata(root)
    meta = _read_json(meta_path) if meta_path else {}
    meta_dir = meta_path.parent if meta_path else root
    model_files = meta.get("model_files") if isinstance(meta.get("model_files"), dict) else {}

    ours = _kinetoscope_key(meta, source)
    cpu_graph = _cpu_graph(meta_dir, ours, source)
    onnx_path, summary = _pick_graph(root, meta_dir, model_files, onnx_hint, source, cpu_graph)
    spec = model_files.get(onnx_path.relative_to(meta_dir).as_posix(), {}) if model_files else {}
    if not spec and model_files:
        spec = next(iter(model_files.values()), {})
    video_inputs = [i for i in summary.inputs if _is_video_input(i)]
    # A multi-input graph (SlowFast) is read through its input with the most frames: the view.
    video_in = max(video_inputs, key=lambda i: GraphInput.from_shape(i.shape).frames or 0)  # type: ignore[union-attr]
    out, features = _class_and_features(summary, ours.get("features"), source)
    in_spec = _spec_for(spec, "inputs", video_in.name)
    out_spec = _spec_for(spec, "outputs", out.name)
    if cpu_graph is not None:
        _check_same_io(cpu_graph, summary, source)
    model_id = str(meta.get("model_id") or _guess_id(source, onnx_path))
    graph_input = GraphInput.from_shape(video_in.shape)
    assert graph_input is not None
    recipe = resolve_recipe(graph_input, declared=ours.get("recipe"), catalog=known_recipe(model_id),
                            output_is_probabilities=_softmax_applied(out_spec, out, summary), model=source.name,
                            video_inputs={i.name: GraphInput.from_shape(i.shape) for i in video_inputs}  # type: ignore[misc]
                            if len(video_inputs) > 1 else None)
    input_quant = _quant(in_spec, video_in, summary, consumer=True)
    for other in video_inputs:
        if other is not video_in and (other.dtype != video_in.dtype or _quant(
                _spec_for(spec, "inputs", other.name), other, summary, consumer=True) != input_quant):
            raise ModelError(f"{source.name}: its video inputs {video_in.name!r} and {other.name!r} take other "
                             "types or quantization; Kinetoscope feeds them from one tensor.")
    labels, labels_note = _labels(root, meta_dir, out_spec, out, source, ours.get("labels"))
    precision = str(meta.get("precision") or _guess_precision(source, summary))
    return ModelBundle(
        model_id=model_id,
        name=str(meta.get("model_name") or model_id),
        precision=precision,
        source=source,
        root=root,
        onnx_path=onnx_path,
        labels=labels,
        input=video_in,
        output=out,
        input_quant=input_quant,
        output_quant=_quant(out_spec, out, summary, consumer=False),
        recipe=recipe,
        labels_note=labels_note,
        cpu_graph=cpu_graph,
        features=features,
        rejection_label=_rejection_label(ours.get("rejection_label"), labels, source),
    )


def _class_and_features(summary: GraphSummary, features_name: Any,
                        source: Path) -> tuple[TensorInfo, TensorInfo | None]:
    """The class output [1, classes] and, when metadata.json names one, the features output [1, D]."""
    outputs = list(summary.outputs)
    features = None
    if features_name is not None:
        features = next((o for o in outputs if o.name == features_name), None)
        if features is None:
            raise ModelError(f"{source.name}: its metadata.json names a features output {features_name!r} "
                             "that the graph does not have.")
        if len(features.shape) != 2 or features.dtype != "float32":
            raise ModelError(f"{source.name}: its features output must be float32 of shape [1, D].")
        outputs.remove(features)
    if len(outputs) != 1 or len(outputs[0].shape) != 2:
        raise ModelError(f"{source.name} is not a classifier: expected one output of shape [1, classes]"
                         + (" besides its features." if features else "."))
    return outputs[0], features


def _rejection_label(value: Any, labels: tuple[str, ...], source: Path) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not labels or labels[-1] != value:
        raise ModelError(f"{source.name}: \"{RECIPE_KEY}\".rejection_label in metadata.json must be its last class name.")
    return value


def _kinetoscope_key(meta: dict[str, Any], source: Path) -> dict[str, Any]:
    """metadata.json's "kinetoscope" object (recipe, labels), checked; {} when absent."""
    ours = meta.get(RECIPE_KEY)
    if ours is None:
        return {}
    if not isinstance(ours, dict):
        raise ModelError(f"{source.name}: \"{RECIPE_KEY}\" in metadata.json must be an object.")
    unknown = set(ours) - {"format", "recipe", "labels", "cpu_graph", "features", "rejection_label", "taught"}
    if unknown:
        raise ModelError(f"{source.name}: unknown key {sorted(unknown)[0]!r} under \"{RECIPE_KEY}\" in metadata.json "
                         "(known: format, recipe, labels, cpu_graph, features, rejection_label, taught).")
    fmt = ours.get("format", RECIPE_FORMAT)
    if fmt != RECIPE_FORMAT or isinstance(fmt, bool):
        newer = isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > RECIPE_FORMAT
        raise ModelError(f"{source.name}: \"{RECIPE_KEY}\" format {fmt!r} " + (
            f"is newer than this Kinetoscope understands ({RECIPE_FORMAT}); update Kinetoscope." if newer
            else f"is not valid; the format is {RECIPE_FORMAT}."))
    if "features" in ours and not (isinstance(ours["features"], str) and ours["features"]):
        raise ModelError(f"{source.name}: \"{RECIPE_KEY}\".features in metadata.json must name an output.")
    if "recipe" in ours and not isinstance(ours["recipe"], dict):
        raise ModelError(f"{source.name}: \"{RECIPE_KEY}\".recipe in metadata.json must be an object.")
    labels = ours.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) and x.strip() for x in labels)):
        raise ModelError(f"{source.name}: \"{RECIPE_KEY}\".labels in metadata.json must be a list of class names.")
    return ours


def _cpu_graph(meta_dir: Path, ours: dict[str, Any], source: Path) -> Path | None:
    """The file "cpu_graph" names, checked to be a file inside the bundle; None when not named."""
    named = ours.get("cpu_graph")
    if named is None:
        return None
    path = meta_dir / str(named)
    if not isinstance(named, str) or not named.endswith(".onnx") or ".." in Path(named).parts or not path.is_file():
        raise ModelError(f"{source.name}: \"{RECIPE_KEY}\".cpu_graph in metadata.json must name an .onnx file "
                         f"of the bundle, not {named!r}.")
    return path


def _check_same_io(cpu_graph: Path, main: GraphSummary, source: Path) -> None:
    """The CPU graph stands in for the main one: it must take and give the same tensors."""
    summary = read_graph_summary(cpu_graph)
    if (summary.inputs, summary.outputs) != (main.inputs, main.outputs):
        raise ModelError(f"{source.name}: its CPU graph {cpu_graph.name} has other inputs or outputs than its "
                         "model; the bundle is inconsistent.")


def _pick_graph(root: Path, meta_dir: Path, model_files: dict[str, Any], hint: Path | None,
                source: Path, cpu_graph: Path | None = None) -> tuple[Path, GraphSummary]:
    if hint is not None:
        candidates = [hint]
    else:
        listed = [meta_dir / rel for rel in model_files if str(rel).endswith(".onnx")]
        candidates = [p for p in listed if p.is_file()] or [p for p in _graph_files(root) if p != cpu_graph]
    if not candidates:
        raise ModelError(f"{source.name} holds no ONNX model (.onnx file).")
    videos = []
    for candidate in candidates:
        summary = read_graph_summary(candidate)
        if any(_is_video_input(i) for i in summary.inputs):
            videos.append((candidate, summary))
    if not videos:
        shapes = ", ".join(str(list(i.shape)) for i in read_graph_summary(candidates[0]).inputs)
        raise ModelError(f"{source.name} is not a video classifier: it has no input of shape "
                         f"[1, 3, frames, height, width] (found {shapes or 'no inputs'}).")
    if len(videos) > 1:
        raise ModelError(f"{source.name} holds {len(videos)} video models; Kinetoscope expects one.")
    return videos[0]


def _spec_for(spec: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    group = spec.get(kind) if isinstance(spec, dict) else None
    if not isinstance(group, dict) or not group:
        return {}
    found = group.get(name)
    if found is None and len(group) == 1:
        found = next(iter(group.values()))
    return found if isinstance(found, dict) else {}


def _labels(root: Path, meta_dir: Path, out_spec: dict[str, Any], out: TensorInfo, source: Path,
            declared: list[str] | None) -> tuple[tuple[str, ...], str]:
    """The class names, in output order, and a note when they had to be made up."""
    classes = out.shape[1]
    if declared is not None:
        return _checked(tuple(x.strip() for x in declared), classes, f"{RECIPE_KEY}.labels in metadata.json", source), ""
    named = out_spec.get("labels_file")
    if isinstance(named, str) and named:
        for candidate in (meta_dir / named, *sorted(root.rglob(Path(named).name))):
            if candidate.is_file():
                return _checked(_read_labels(candidate, source), classes, candidate.name, source), ""
        raise ModelError(f"{source.name}: the labels file {named} that its metadata.json names is missing.")
    for candidate in sorted(p for p in root.rglob("*.txt") if "label" in p.name.lower()):
        labels = _read_labels(candidate, source)
        if classes in (None, len(labels)):
            return labels, ""
    if classes == KINETICS_CLASSES:
        return _read_labels(bundled_data.kinetics_labels_file(), source), ""
    if classes is None:
        raise ModelError(f"{source.name} has no labels file and its number of classes is not fixed in the graph.")
    return (tuple(f"class {i}" for i in range(classes)),
            f"{source.name} names none of its {classes} classes; they are shown as 'class 0' … 'class {classes - 1}'.")


def _read_labels(path: Path, source: Path) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{source.name}: its labels file {path.name} cannot be read.", detail=str(exc)) from exc
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _checked(labels: tuple[str, ...], classes: int | None, where: str, source: Path) -> tuple[str, ...]:
    if classes is not None and len(labels) != classes:
        raise ModelError(f"{source.name}: {where} has {len(labels)} class names but the model has {classes} outputs.")
    return labels


def _quant(spec: dict[str, Any], tensor: TensorInfo, summary: GraphSummary,
           *, consumer: bool) -> IoQuantization | None:
    dtype = str(spec.get("dtype") or tensor.dtype)
    if tensor.dtype not in QUANTIZED_DTYPES:
        return None
    params = spec.get("quantization_parameters")
    if isinstance(params, dict) and "scale" in params:
        return IoQuantization(float(params["scale"]), int(params.get("zero_point", 0)), tensor.dtype)
    for node in summary.nodes:
        if consumer and node.op_type == "DequantizeLinear" and node.inputs[:1] == (tensor.name,):
            return _node_quant(node.inputs, summary, tensor.dtype)
        if not consumer and node.op_type == "QuantizeLinear" and tensor.name in node.outputs:
            return _node_quant(node.inputs, summary, tensor.dtype)
    raise ModelError(f"The model's {tensor.name!r} is {dtype} but its scale and zero point are unknown.")


def _node_quant(inputs: tuple[str, ...], summary: GraphSummary, dtype: str) -> IoQuantization:
    try:
        scale = summary.scalars[inputs[1]]
    except (IndexError, KeyError) as exc:
        raise ModelError("The model's quantization scale is not a constant.") from exc
    zero = summary.scalars.get(inputs[2], 0.0) if len(inputs) > 2 and inputs[2] else 0.0
    return IoQuantization(float(scale), int(zero), dtype)


def _softmax_applied(out_spec: dict[str, Any], out: TensorInfo, summary: GraphSummary) -> bool:
    if "softmax_applied" in out_spec:
        return bool(out_spec["softmax_applied"])
    producers = {o: n for n in summary.nodes for o in n.outputs}
    name = out.name
    for _ in range(4):  # walk back through quantize/dequantize/reshape wrappers
        node = producers.get(name)
        if node is None:
            return False
        if node.op_type == "Softmax":
            return True
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear", "Reshape", "Flatten", "Identity"):
            return False
        name = node.inputs[0]
    return False


def _guess_precision(source: Path, summary: GraphSummary) -> str:
    match = re.search(r"(w8a8|w8a16|w4a16|float)", source.name.lower())
    if match:
        return match.group(1)
    quantized = any(n.op_type in ("QuantizeLinear", "DequantizeLinear", "QLinearConv") for n in summary.nodes)
    return "w8a8" if quantized else "float"


def _guess_id(source: Path, onnx_path: Path) -> str:
    stem = source.stem if source.is_file() else source.name
    stem = re.sub(r"-onnx(-.*)?$", "", stem)
    return stem or onnx_path.stem
