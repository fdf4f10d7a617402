"""A run under MirroredStrategy (2 logical CPUs) stopped by SIGTERM inside an epoch
and resumed, against the same run never stopped. Prints one JSON line.

``python tests/scripts/mirrored_resume.py --two-fits`` also measures the same steps in
two ``fit`` calls with nothing saved (the README's 9e-4).

Run as a subprocess by tests/test_distribute.py: logical devices must be
configured before TensorFlow starts.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

import keras  # noqa: E402
import numpy as np  # noqa: E402
from conftest import SignalAt  # noqa: E402

from keras_gans import data, training  # noqa: E402

OPTIONS = dict(
    model="gan", seed=7, epochs=2, image_size=8, batch_size=128, latent_dim=8, verbose=0,
    diagnostics=False, strategy="mirrored", cpu_devices=2,
)  # fmt: skip


def _two_fits(strategy):
    """The same steps as the uninterrupted run in two ``fit`` calls, nothing saved: how far
    MirroredStrategy itself moves the result (``--two-fits``; the README quotes it)."""
    keras.utils.set_random_seed(7)
    with strategy.scope():
        twice = training.build_model(
            training.TrainConfig(**OPTIONS, diffaugment="translation"), (8, 8, 1)
        )
    batches = data.load_dataset("digits", image_size=8, batch_size=128, shuffle=True, seed=7)
    twice.fit(batches.repeat(), epochs=1, steps_per_epoch=14, verbose=0)
    batches = data.load_dataset("digits", image_size=8, batch_size=128, shuffle=True, seed=7)
    twice.fit(batches.repeat().skip(14), initial_epoch=1, epochs=2, steps_per_epoch=14, verbose=0)
    return twice


def main() -> None:
    root = Path(tempfile.mkdtemp())
    whole = training.run(training.TrainConfig(run_dir=str(root / "whole"), **OPTIONS)).model
    cut = str(root / "cut")
    try:
        training.run(training.TrainConfig(run_dir=cut, **OPTIONS), callbacks=[SignalAt(18, 15)])
        stopped = None
    except training.TrainingInterrupted as e:
        stopped = str(e)
    resumed = training.run(training.TrainConfig(run_dir=cut, resume=True, **OPTIONS)).model
    twice = _two_fits(resumed.distribute_strategy) if "--two-fits" in sys.argv else None

    def diff(model):
        return max(
            float(np.max(np.abs(a.numpy() - b.numpy())))
            for a, b in zip(whole.generator.weights, model.generator.weights, strict=True)
        )

    print(
        json.dumps(
            {
                "stopped": stopped,
                "replicas": resumed.distribute_strategy.num_replicas_in_sync,
                "resumed_diff": diff(resumed),
                "two_fits_diff": None if twice is None else diff(twice),
                "max_update": max(
                    float(np.max(np.abs(w.numpy()))) for w in whole.generator.weights
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
