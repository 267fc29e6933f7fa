"""Train MotionNet on clips rendered on the fly, in one seeded run that fits 30 minutes on 2 cores.

One worker process renders batches of 32 clips (batch k from seed [TRAIN_SEED, k]) while the main
process trains on one thread. Rendering a batch costs about as much as two training steps, so
each rendered batch is used twice, each time with every clip under a random symmetry of the task
(mirrored left-right or up-down, played backwards; labels mapped, see data.SYMMETRIES): the two
uses are different clips with the same statistics, and both cores stay busy.

AdamW (weight decay 5e-4), one-cycle LR peaking at 3e-3, label smoothing 0.05. Writes
work/motion_demo.pt (at each validation and at the end), work/train.log and work/train.json.

    python train.py                 # the default run
    python train.py --steps 200     # a quick look
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import data
from config import CHECKPOINT, TRAIN_FAMILIES, TRAIN_SEED, VALID_SEED, WORK
from net import MotionNet

BATCH = 32
STEPS = 2000
USES_PER_BATCH = 2
PEAK_LR = 3e-3
WARMUP_FRACTION = 0.15
WEIGHT_DECAY = 5e-4
LABEL_SMOOTHING = 0.05
LOG_EVERY = 50
VALID_EVERY = 300
VALID_SIZE = 540

LOG_FILE = WORK / "train.log"
CHANNELS_LAST = torch.channels_last_3d  # ~2x faster 3D convolutions on the CPU than the default layout


def log(message: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {message}"
    print(line, flush=True)
    with open(LOG_FILE, "a") as f:
        f.write(line + "\n")


@torch.no_grad()
def accuracy(net: MotionNet, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    pred = torch.cat([net(x[i:i + 32].contiguous(memory_format=CHANNELS_LAST)).argmax(1) for i in range(0, len(x), 32)])
    net.train()
    return float((pred == y).float().mean())


class Batches(torch.utils.data.IterableDataset):
    """Training batches for `steps` steps: rendered batch k (seed [TRAIN_SEED, k]) is yielded
    USES_PER_BATCH times, each under its own random symmetries (seed [TRAIN_SEED, k, use])."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def __iter__(self):
        torch.set_num_threads(1)
        step = 0
        k = 0
        while step < self.steps:
            k += 1
            x, y = data.batch(np.random.default_rng([TRAIN_SEED, k]), BATCH, TRAIN_FAMILIES)
            for use in range(USES_PER_BATCH):
                if step == self.steps:
                    break
                step += 1
                xt, yt = data.transformed(x, y, np.random.default_rng([TRAIN_SEED, k, use]))
                yield xt.contiguous(memory_format=CHANNELS_LAST), yt


def save(net: MotionNet, out: Path) -> None:
    """Write the weights next to `out`, then rename: a stopped run never leaves half a checkpoint."""
    partial = out.with_name(out.name + ".part")
    torch.save(net.state_dict(), partial)
    os.replace(partial, out)


def train(steps: int = STEPS, threads: int = 1, lr: float = PEAK_LR, out: Path = CHECKPOINT) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    LOG_FILE.write_text("")
    start = time.perf_counter()
    torch.set_num_threads(threads)
    torch.manual_seed(TRAIN_SEED)
    net = MotionNet().to(memory_format=CHANNELS_LAST)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=WARMUP_FRACTION)
    # The worker starts rendering while this process renders the validation set.
    loader = iter(torch.utils.data.DataLoader(Batches(steps), batch_size=None, num_workers=1, prefetch_factor=4))
    valid_x, valid_y = data.fixed_set(VALID_SEED, VALID_SIZE, TRAIN_FAMILIES, augment=True)
    log(f"training {sum(p.numel() for p in net.parameters())} parameters for {steps} steps of {BATCH} "
        f"(each rendered batch used {USES_PER_BATCH}x), one-cycle peak lr {lr:.1e}, {threads} torch thread(s)")
    running_loss, running_acc = 0.0, 0.0
    history = []
    for step, (x, y) in enumerate(loader, start=1):
        logits = net(x)
        loss = F.cross_entropy(logits, y, label_smoothing=LABEL_SMOOTHING)
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
            acc = accuracy(net, valid_x, valid_y)
            history.append({"step": step, "validation_acc": round(acc, 4)})
            log(f"step {step} validation acc {acc:.3f}")
            save(net, out)
    seconds = time.perf_counter() - start
    result = {
        "steps": steps, "batch": BATCH, "uses_per_rendered_batch": USES_PER_BATCH, "peak_lr": lr,
        "threads": threads, "seconds": round(seconds, 1), "seconds_per_step": round(seconds / steps, 3),
        "validation_size": VALID_SIZE, "validation": history,
        "checkpoint_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),  # equal across reruns here
    }
    (WORK / "train.json").write_text(json.dumps(result, indent=2))
    log(f"done in {seconds / 60:.1f} min: final validation acc {history[-1]['validation_acc']:.3f}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the training process")
    parser.add_argument("--lr", type=float, default=PEAK_LR, help="peak learning rate")
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args()
    train(args.steps, args.threads, args.lr, args.out)


if __name__ == "__main__":
    main()
