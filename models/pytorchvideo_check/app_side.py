"""The app's half of the check: run each exported bundle through Kinetoscope's own pipeline.

    .venv/bin/python models/pytorchvideo_check/app_side.py CLIP OUT.json BUNDLE_FOLDER...

Runs in the app's environment (no torch): opens each bundle as `kinetoscope classify` does, classifies
one temporal view of CLIP on the CPU, and writes every view's probabilities, source frame indices,
crop and inference time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.modelfiles.bundle import open_bundle


def main(clip: str, out: str, *folders: str) -> None:
    results = {}
    for folder in folders:
        bundle = open_bundle(Path(folder))
        classifier = VideoClassifier.open(bundle)
        # Once to warm the session up, then the run that is reported.
        classifier.classify(clip, views=1)
        result = classifier.classify(clip, views=1)
        results[bundle.model_id] = {
            "recipe": bundle.recipe.describe(),
            "views": [{"crop": v.crop, "source_indices": list(v.source_indices), "slow_frames": list(v.slow_frames),
                       "probs": [float(p) for p in v.probs], "inference_ms": v.inference_ms} for v in result.views],
        }
        print(f"  app: {bundle.model_id}: {len(result.views)} views, "
              f"{min(v.inference_ms for v in result.views):.0f} ms a view", flush=True)
    Path(out).write_text(json.dumps(results))


if __name__ == "__main__":
    main(*sys.argv[1:])
