"""Fidelity: PyTorchVideo's zoo families through Kinetoscope against PyTorchVideo's own test transforms.

    /work/check-venv27/bin/python models/pytorchvideo_check/check.py [--families NAME,...] [--json OUT]

Runs in a check environment with torch, torchvision and pytorchvideo (never the app's: see
requirements-check.txt). For each family in `families.py`:

1. PyTorchVideo's builder makes the model with random weights (seed 0); the final projection is
   rescaled so the logits on the clip spread by about 3 (untrained heads give near-uniform
   probabilities, where top-5 says nothing). Exported to ONNX with named inputs ("video", or "slow"
   and "fast") and a metadata.json whose "kinetoscope" recipe is the family's preset.
2. The app's pipeline (`app_side.py`, run by the app's own interpreter) classifies one temporal
   view of the clip, every spatial crop: probabilities, source frames, CPU time per view.
3. PyTorchVideo's own transforms run in torch on the same clip: the view's window of
   frames x rate frames, `UniformTemporalSubsample`, `Div255`, `Normalize`, `ShortSideScale`,
   `uniform_crop` per spatial crop, and for SlowFast `uniform_temporal_subsample_repeated` (its
   PackPathway). Also the same transforms on exactly the app's frames, which separates the temporal
   sampling from the rest.

Printed per family: same top-5 (indices, in order) and max |Δp| over all classes and crops, for
both references. torchvision no longer has `transforms.functional_tensor`, which pytorchvideo's
transforms import: this script registers torchvision's private `_functional_tensor` under that
name in its own process (nothing is installed or changed on disk).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import av  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision.transforms._functional_tensor as _functional_tensor  # noqa: E402

sys.modules.setdefault("torchvision.transforms.functional_tensor", _functional_tensor)

from pytorchvideo.transforms import Div255, Normalize, ShortSideScale, UniformTemporalSubsample  # noqa: E402
from pytorchvideo.transforms.functional import uniform_crop, uniform_temporal_subsample_repeated  # noqa: E402

from families import FAMILIES, Family, model_id  # noqa: E402

REPO = HERE.parent.parent
CLIP = Path("/work/shared/media/clip_340x256_30fps.mp4")
APP_PYTHON = REPO / ".venv" / "bin" / "python"
SEED = 0


def build(family: Family) -> torch.nn.Module:
    """The family's model from PyTorchVideo's builders, random weights, eval mode."""
    import torch.nn as nn
    from pytorchvideo.models import hub
    from pytorchvideo.models.csn import create_csn
    from pytorchvideo.models.slowfast import create_slowfast

    torch.manual_seed(SEED)
    if family.builder == "slowfast_4x16_r50":
        # PySlowFast's SLOWFAST_4x16_R50: alpha 8, fusion kernel 5; heads pool 4 and 32 frames.
        model = create_slowfast(model_depth=50, slowfast_fusion_conv_kernel_size=(5, 1, 1),
                                slowfast_fusion_conv_stride=(8, 1, 1), head_pool_kernel_sizes=((4, 7, 7), (32, 7, 7)))
    elif family.builder == "csn_r50":
        model = create_csn(model_depth=50, stem_pool=nn.MaxPool3d, head_pool_kernel_size=(4, 7, 7))
    else:
        model = getattr(hub, family.builder)(pretrained=False)
    return model.eval()


class Named(torch.nn.Module):
    """The model with one named tensor per input (SlowFast's forward takes a list)."""

    def __init__(self, model: torch.nn.Module, pathways: int) -> None:
        super().__init__()
        self.model, self.pathways = model, pathways

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model(list(inputs) if self.pathways > 1 else inputs[0])


def projection(model: torch.nn.Module) -> torch.nn.Linear:
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]


def decode(path: Path) -> torch.Tensor:
    """Every frame of the clip, float32 [C, T, H, W] in 0..255, as pytorchvideo's decoders give it."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return torch.from_numpy(np.stack(frames)).permute(3, 0, 1, 2).float()


def ptv_inputs(video: torch.Tensor, indices: list[int], family: Family, crop_index: int,
               subsample: bool) -> list[torch.Tensor]:
    """PyTorchVideo's test transforms: the clip's frames at `indices` (all of a window when
    `subsample`, then UniformTemporalSubsample), Div255, Normalize, ShortSideScale, uniform_crop."""
    x = video[:, indices]
    if subsample:
        x = UniformTemporalSubsample(family.frames)(x)
    x = Normalize(family.recipe()["values"]["mean"], family.recipe()["values"]["std"])(Div255()(x))
    x = ShortSideScale(family.short_side)(x)
    x = uniform_crop(x, family.crop, crop_index if family.spatial_crops == 3 else 1)
    if family.slow_frames:
        return [p.unsqueeze(0) for p in uniform_temporal_subsample_repeated(
            x, (family.frames // family.slow_frames, 1), temporal_dim=1)]
    return [x.unsqueeze(0)]


def probabilities(output: torch.Tensor, family: Family) -> np.ndarray:
    out = output[0].double()
    return (out if family.output == "probabilities" else torch.softmax(out, 0)).numpy()


def export(model: torch.nn.Module, example: list[torch.Tensor], family: Family, root: Path) -> Path:
    """An ONNX bundle folder: graph with named inputs, metadata.json with the family's recipe."""
    folder = root / f"{model_id(family)}-onnx-float"
    folder.mkdir(parents=True)
    output = "class_probs" if family.output == "probabilities" else "logits"
    # Eval mode on the wrapper too: the exporter restores the wrapper's mode onto the model afterwards.
    torch.onnx.export(Named(model, len(example)).eval(), tuple(example), str(folder / f"{model_id(family)}.onnx"),
                      input_names=list(family.inputs), output_names=[output], opset_version=17, dynamo=False)
    meta = {"model_id": model_id(family), "model_name": f"{family.name} (PyTorchVideo, random weights)",
            "precision": "float", "kinetoscope": {"format": 1, "recipe": family.recipe()}}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2))
    return folder


def compare(app: np.ndarray, ref: np.ndarray) -> tuple[bool, float]:
    same = list(np.argsort(-app)[:5]) == list(np.argsort(-ref)[:5])
    return same, float(np.abs(app - ref).max())


def check(family: Family, video: torch.Tensor, root: Path) -> dict:
    started = time.perf_counter()
    model = build(family)
    window = list(range(family.frames * family.every))  # view 0 starts at the clip's first frame
    # Untrained heads say nearly the same for every class: spread the logits (about 3) first.
    with torch.no_grad():
        centre = ptv_inputs(video, window, family, 1, True)
        proj = projection(model)
        captured: list[torch.Tensor] = []
        hook = proj.register_forward_hook(lambda _m, _i, out: captured.append(out.detach()))
        # A copy of the list: PyTorchVideo's multi-pathway blocks replace its items as they run.
        model(list(centre) if family.slow_frames else centre[0])
        hook.remove()
        spread = float(captured[0].std())
        proj.weight.mul_(3.0 / max(spread, 1e-12))
        if proj.bias is not None:
            proj.bias.zero_()
    folder = export(model, centre, family, root)
    print(f"{family.name}: built and exported in {time.perf_counter() - started:.0f} s", flush=True)
    return {"family": family, "folder": folder, "model": model, "window": window}


def reference(entry: dict, app_views: list[dict], video: torch.Tensor) -> dict:
    family, model = entry["family"], entry["model"]
    rows = {"protocol": [], "same_frames": []}
    with torch.no_grad():
        for i, view in enumerate(app_views):
            app = np.asarray(view["probs"])
            for name, indices, subsample in (("protocol", entry["window"], True),
                                             ("same_frames", view["source_indices"], False)):
                x = ptv_inputs(video, indices, family, i, subsample)
                ref = probabilities(model(x if family.slow_frames else x[0]), family)
                rows[name].append(compare(app, ref))
    ms = sorted(v["inference_ms"] for v in app_views)[len(app_views) // 2]
    out = {"family": family.name, "model_id": model_id(family), "ms_per_view": ms, "smaller": family.smaller,
           "crops": [v["crop"] for v in app_views], "top_p": max(max(v["probs"]) for v in app_views)}
    for name, got in rows.items():
        out[name] = {"same_top5": f"{sum(s for s, _ in got)}/{len(got)}", "max_abs_dp": max(d for _, d in got)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", help="comma-separated names from families.py (default: all)")
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--app-python", type=Path, default=APP_PYTHON, help="the app's interpreter")
    parser.add_argument("--keep", type=Path, help="keep the exported bundles in this folder")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    names = args.families.split(",") if args.families else list(FAMILIES)
    torch.set_num_threads(2)
    video = decode(args.clip)
    print(f"torch {torch.__version__}; clip {args.clip.name}: {video.shape[1]} frames {video.shape[3]}x{video.shape[2]}")
    with tempfile.TemporaryDirectory(prefix="ptv-check-") as tmp:
        root = args.keep or Path(tmp)
        figures = []
        for name in names:
            entry = check(FAMILIES[name], video, root)
            out = root / f"{model_id(entry['family'])}-app.json"
            subprocess.run([str(args.app_python), str(HERE / "app_side.py"), str(args.clip), str(out),
                            str(entry["folder"])], check=True)
            app = json.loads(out.read_text())[model_id(entry["family"])]
            row = reference(entry, app["views"], video)
            figures.append(row)
            print(f"  recipe: {app['recipe']}")
            print(f"  vs PyTorchVideo's protocol: same top-5 {row['protocol']['same_top5']}, "
                  f"max |Δp| {row['protocol']['max_abs_dp']:.2e}; on the app's frames: same top-5 "
                  f"{row['same_frames']['same_top5']}, max |Δp| {row['same_frames']['max_abs_dp']:.2e} "
                  f"(top p {row['top_p']:.3f}); CPU {row['ms_per_view']:.0f} ms a view", flush=True)
            del entry
    print("\n| family | same top-5 (protocol) | max |Δp| (protocol) | same top-5 (app's frames) | max |Δp| (app's frames) | CPU ms/view |")
    for r in figures:
        print(f"| {r['family']} | {r['protocol']['same_top5']} | {r['protocol']['max_abs_dp']:.1e} | "
              f"{r['same_frames']['same_top5']} | {r['same_frames']['max_abs_dp']:.1e} | {r['ms_per_view']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
