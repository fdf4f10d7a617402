"""Input pipeline throughput versus training consumption, measured in one run.

    python benchmarks/pipeline.py [--dataset digits] [--batch-size 32] [--model dcgan]

Prints the batches/s the pipeline alone delivers (after one warm-up pass that
fills the cache) and the steady-state training steps/s of ``fit`` on the same
pipeline (timed per batch after the first epoch, not the whole ``fit`` call).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_gans import data, training  # noqa: E402


class _StepTimer(keras.callbacks.Callback):
    def __init__(self, skip: int) -> None:
        super().__init__()
        self.skip, self.times, self.seen = skip, [], 0

    def on_train_batch_begin(self, batch, logs=None):
        self._t = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen > self.skip:
            self.times.append(time.perf_counter() - self._t)


def main() -> None:
    """Measure and print both rates."""
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default="digits")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--model", default="dcgan")
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()

    ds = data.load_dataset(args.dataset, batch_size=args.batch_size, seed=0)
    steps = int(ds.cardinality())
    for _ in ds:  # warm-up: fills the cache
        pass
    n, start = 0, time.perf_counter()
    for _ in ds.repeat(5):
        n += 1
    pipeline_rate = n / (time.perf_counter() - start)

    shape = tuple(int(d) for d in ds.element_spec.shape[1:])
    model = training.build_model(training.TrainConfig(model=args.model), shape)
    timer = _StepTimer(skip=steps)
    model.fit(ds.repeat(), epochs=args.epochs, steps_per_epoch=steps, callbacks=[timer], verbose=0)
    train_rate = 1.0 / float(np.median(timer.times))
    result = {
        "dataset": args.dataset,
        "batch_size": args.batch_size,
        "model": args.model,
        "pipeline_batches_per_s": round(pipeline_rate, 1),
        "train_steps_per_s": round(train_rate, 1),
        "headroom": round(pipeline_rate / train_rate, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
