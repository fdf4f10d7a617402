"""What a checkpoint costs: seconds per save and file size, against the time of a step.

    python benchmarks/checkpointing.py [--repeats 5]

For the default networks of three image shapes (the digits default run's 16x16x1,
MNIST's 28x28x1, 64x64x3), a DCGAN at batch 64 is trained for a few steps, then
:class:`keras_gans.callbacks.GANCheckpoint` writes checkpoints inside an epoch
(the ``.keras`` file and the metric totals beside it, atomically); the median
seconds per save, the file size, and the median seconds per training step are
reported, with the share of training time that ``--checkpoint-every auto``
(one save per 10 minutes) and ``--checkpoint-every 100`` cost. Results go to
``benchmarks/results/checkpointing.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_gans import DCGAN  # noqa: E402
from keras_gans.callbacks import GANCheckpoint, Position  # noqa: E402

SHAPES = [(16, 16, 1), (28, 28, 1), (64, 64, 3)]
BATCH = 64


class _StepTimer(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def measure(shape: tuple[int, int, int], repeats: int) -> dict:
    model = DCGAN(image_shape=shape, seed=0, ema_decay=0.999)
    model.compile(*model.default_optimizers())
    x = np.random.default_rng(0).uniform(-1, 1, (BATCH * 12, *shape)).astype("float32")
    timer = _StepTimer()
    timer.times = []
    model.fit(x, batch_size=BATCH, epochs=1, verbose=0, callbacks=[timer])
    step = float(np.median(timer.times[2:]))
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = GANCheckpoint(folder)
        checkpoint.set_model(model)
        seconds = []
        for i in range(repeats):
            start = time.perf_counter()
            path = checkpoint.save(Position(0, i + 1))
            seconds.append(time.perf_counter() - start)
        size = path.stat().st_size + path.with_suffix(".json").stat().st_size
    save = float(np.median(seconds))
    return {
        "shape": list(shape),
        "save_seconds": round(save, 3),
        "checkpoint_mb": round(size / 2**20, 2),
        "step_seconds": round(step, 4),
        "share_auto_10min": round(save / (600 + save), 5),
        "share_every_100_steps": round(save / (100 * step + save), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(HERE / "results" / "checkpointing.json"))
    args = parser.parse_args()
    rows = []
    for shape in SHAPES:
        rows.append(measure(shape, args.repeats))
        print(json.dumps(rows[-1]), flush=True)
        keras.backend.clear_session()
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "model": f"DCGAN, default networks, EMA on, batch {BATCH}",
        "rows": rows,
    }
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
