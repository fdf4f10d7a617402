"""Quality metrics of finished InfoGAN runs, to compare configurations across seeds.

    python benchmarks/infogan_seed_quality.py benchmarks/work/runs/infogan-defaults-20ep-seed*

Scores each run's ``model.keras`` with the quality benchmark's judge (a
``DomainClassifier`` on MNIST test digits 0-7999, 8 epochs) against digits
8000-9999: 2,000 samples, twice (sampling seeds 0 and 1), averaged. The runs of
``benchmarks/infogan_codes.py`` train on all 10,000 digits, so the reference is
among their training images: compare configurations with each other, not with
``benchmarks/quality.py``'s table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_gans import data, evaluation  # noqa: E402

DEFAULT_IMAGES = HERE.parent.parent / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
KEYS = ("fid", "kid", "precision", "recall", "classifier_score", "code_accuracy", "continuous_mae")


def main() -> None:
    """Score every run directory given and print one JSON line per run."""
    p = argparse.ArgumentParser()
    p.add_argument("runs", nargs="+", help="run directories holding model.keras")
    p.add_argument("--images", default=str(DEFAULT_IMAGES))
    args = p.parse_args()
    images, labels = data.load_arrays(args.images, 10_000, shuffle=False, with_labels=True)
    judge = evaluation.DomainClassifier.train(images[:8000], labels[:8000], epochs=8)
    for run in args.runs:
        keras.backend.clear_session()
        model = keras.saving.load_model(Path(run) / "model.keras")
        scores = [
            evaluation.evaluate(model, images[8000:], judge, num_samples=2000, seed=s)
            for s in (0, 1)
        ]
        row = {k: round(float(np.mean([r[k] for r in scores])), 3) for k in KEYS}
        print(json.dumps({"run": Path(run).name, **row}), flush=True)


if __name__ == "__main__":
    main()
