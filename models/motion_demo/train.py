"""Train MotionNet on clips rendered on the fly, in three phases.

Phase 1 (from scratch): AdamW, one-cycle LR peaking at 3e-3, 600 steps; batch k is rendered from
seed [TRAIN_SEED, k]. Writes work/motion_demo_phase1.pt and work/train.log.

Phase 2 (fine-tuning, `--resume`): continues from the phase-1 weights with a fresh AdamW, a short
linear warm-up to a lower peak LR and a cosine decay to 1 % of it. Its batches continue the
phase-1 numbering (batch k of phase 2 is rendered from seed [TRAIN_SEED, offset + k], offset =
phase-1 steps), so it sees new clips from the same training distribution. Writes
work/motion_demo_phase2.pt and work/train_phase2.log.

Phase 3 (`--resume ... --phase 3`): the same again from the phase-2 weights with half the peak LR
and a shorter warm-up; batch k is rendered from seed [TRAIN_SEED, 930 + k] (after phase 2's
batches). Writes work/motion_demo.pt (the final checkpoint) and work/train_phase3.log.

    python train.py                                    # phase 1
    python train.py --resume work/motion_demo_phase1.pt --steps 330 --lr 1e-3 --warmup 25
    python train.py --resume work/motion_demo_phase2.pt --phase 3 --steps 220 --lr 5e-4 --warmup 15
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import data
from config import CHECKPOINT, PHASE1_CHECKPOINT, PHASE2_CHECKPOINT, TRAIN_FAMILIES, TRAIN_SEED, VALID_SEED, WORK
from net import MotionNet

BATCH = 32
DEFAULT_STEPS = 600
LOG_EVERY = 25
VALID_EVERY = 150
VALID_SIZE = 270

# Phase 1: one-cycle from scratch.
PHASE1_LR = 3e-3
# Phase 2 defaults (fine-tuning from the phase-1 weights); 330 steps fit ~20 min at the
# measured 3.3-3.5 s a step (torch on 1 thread, 1 rendering worker, 2 cores).
PHASE2_STEPS = 330
PHASE2_LR = 1e-3
PHASE2_WARMUP = 25
PHASE2_FINAL_FRACTION = 0.01
PHASE2_SEED = TRAIN_SEED + 1  # torch's global seed in phase 2 (the batches have their own seeds)
# Phase 3 defaults (a second fine-tuning, from the phase-2 weights, same schedule shape, half the
# peak LR); its batches continue the numbering after phase 2 (seed [TRAIN_SEED, 930 + k]).
PHASE3_STEPS = 220
PHASE3_LR = 5e-4
PHASE3_WARMUP = 15
PHASE3_SEED = TRAIN_SEED + 2

LOG_FILE = WORK / "train.log"


def log(message: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {message}"
    print(line, flush=True)
    with open(LOG_FILE, "a") as f:
        f.write(line + "\n")


@torch.no_grad()
def accuracy(net: MotionNet, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    pred = torch.cat([net(x[i:i + 32]).argmax(1) for i in range(0, len(x), 32)])
    net.train()
    return float((pred == y).float().mean())


class Batches(torch.utils.data.IterableDataset):
    """Batch `step` is always rendered from seed [TRAIN_SEED, offset + step], so runs repeat exactly."""

    def __init__(self, steps: int, offset: int = 0) -> None:
        self.steps = steps
        self.offset = offset

    def __iter__(self):
        torch.set_num_threads(1)
        for step in range(1, self.steps + 1):
            yield data.batch(np.random.default_rng([TRAIN_SEED, self.offset + step]), BATCH, TRAIN_FAMILIES)


def warmup_cosine(steps: int, warmup: int, final_fraction: float):
    """LR multiplier: linear warm-up from ~0 to 1 over `warmup` steps, then cosine down to `final_fraction`."""

    def factor(i: int) -> float:  # i = number of scheduler steps taken so far
        if i < warmup:
            return (i + 1) / warmup
        t = min(1.0, (i - warmup) / max(1, steps - warmup))
        return final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * t))

    return factor


def train(steps: int, threads: int, resume: Path | None = None, lr: float | None = None,
          warmup: int = PHASE2_WARMUP, out: Path | None = None, offset: int | None = None,
          phase: int | None = None) -> dict:
    """Phase 1 when `resume` is None, else phase 2 or 3 (`phase`; fine-tuning from `resume`)."""
    global LOG_FILE
    WORK.mkdir(parents=True, exist_ok=True)
    phase = 1 if resume is None else (phase or 2)
    LOG_FILE = WORK / ("train.log" if phase == 1 else f"train_phase{phase}.log")
    out = out or {1: PHASE1_CHECKPOINT, 2: PHASE2_CHECKPOINT}.get(phase, CHECKPOINT)
    torch.set_num_threads(threads)
    torch.manual_seed({1: TRAIN_SEED, 2: PHASE2_SEED}.get(phase, PHASE3_SEED))
    net = MotionNet()
    if phase == 1:
        lr = lr or PHASE1_LR
        offset = 0 if offset is None else offset
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=5e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    else:
        net.load_state_dict(torch.load(resume, map_location="cpu", weights_only=True))
        lr = lr or (PHASE2_LR if phase == 2 else PHASE3_LR)
        if offset is None:
            offset = DEFAULT_STEPS if phase == 2 else DEFAULT_STEPS + PHASE2_STEPS
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=5e-4)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(steps, warmup, PHASE2_FINAL_FRACTION))
    valid_x, valid_y = data.fixed_set(VALID_SEED, VALID_SIZE, TRAIN_FAMILIES, augment=True)
    log(f"phase {phase}: training {sum(p.numel() for p in net.parameters())} parameters for {steps} steps "
        f"of {BATCH}, peak lr {lr:.1e}, batch seeds [{TRAIN_SEED}, {offset + 1}..{offset + steps}]"
        + (f", from {resume}, warm-up {warmup} then cosine" if resume else ""))
    if phase >= 2:
        log(f"step 0 validation acc {accuracy(net, valid_x, valid_y):.3f} (phase-{phase - 1} weights)")
    start = time.perf_counter()
    running_loss, running_acc = 0.0, 0.0
    # One worker process renders the next batches while this one trains.
    loader = torch.utils.data.DataLoader(Batches(steps, offset), batch_size=None, num_workers=1, prefetch_factor=4)
    for step, (x, y) in enumerate(loader, start=1):
        logits = net(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running_loss += float(loss.detach())
        running_acc += float((logits.argmax(1) == y).float().mean())
        if step % LOG_EVERY == 0:
            log(
                f"step {step}/{steps} loss {running_loss / LOG_EVERY:.3f} "
                f"batch acc {running_acc / LOG_EVERY:.3f} lr {sched.get_last_lr()[0]:.2e} "
                f"elapsed {time.perf_counter() - start:.0f}s"
            )
            running_loss, running_acc = 0.0, 0.0
        if step % VALID_EVERY == 0 or step == steps:
            log(f"step {step} validation acc {accuracy(net, valid_x, valid_y):.3f}")
            torch.save(net.state_dict(), out)
    seconds = time.perf_counter() - start
    result = {"phase": phase, "steps": steps, "batch": BATCH, "peak_lr": lr, "seconds": round(seconds, 1),
              "seconds_per_step": round(seconds / steps, 2), "validation_acc": accuracy(net, valid_x, valid_y),
              "threads": threads, "batch_seed_offset": offset}
    if phase >= 2:
        result.update({"resume": str(resume), "warmup": warmup, "final_lr_fraction": PHASE2_FINAL_FRACTION})
    (WORK / f"train_phase{phase}.json").write_text(json.dumps(result, indent=2))
    log(f"done in {seconds / 60:.1f} min: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=None, help=f"default {DEFAULT_STEPS} (phase 1), {PHASE2_STEPS} (phase 2)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--resume", type=Path, default=None, help="phase 2: continue from these weights")
    parser.add_argument("--lr", type=float, default=None, help=f"peak LR; default {PHASE1_LR} / {PHASE2_LR}")
    parser.add_argument("--warmup", type=int, default=None, help=f"warm-up steps; default {PHASE2_WARMUP} / {PHASE3_WARMUP}")
    parser.add_argument("--out", type=Path, default=None, help="checkpoint to write (default by phase)")
    parser.add_argument("--phase", type=int, default=2, choices=(2, 3), help="with --resume: which fine-tuning phase")
    args = parser.parse_args()
    steps = args.steps or (DEFAULT_STEPS if args.resume is None else PHASE2_STEPS if args.phase == 2 else PHASE3_STEPS)
    warmup = args.warmup if args.warmup is not None else (PHASE2_WARMUP if args.phase == 2 else PHASE3_WARMUP)
    train(steps, args.threads, resume=args.resume, lr=args.lr, warmup=warmup, out=args.out, phase=args.phase)


if __name__ == "__main__":
    main()
