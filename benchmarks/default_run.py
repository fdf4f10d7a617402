"""How recognisable the default run's digits are, and how long it takes.

    python benchmarks/default_run.py [--run-dir runs/default-bench] [-- extra train.py options]

Trains a digits classifier (the package's ``DomainClassifier``) on 1,400 of the
1,797 digits at 16x16 and reports its accuracy on the other 397; runs
``python train.py`` with no options (plus any given after ``--``) in a
subprocess, timed; then classifies 1,000 samples of the final model
(``generate(1000, seed=1)``) and reports the fraction classified with more than
90% confidence, the classifier score and the count per class, next to the same
numbers for the real digits. Results: ``benchmarks/results/default_run.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _summary(probabilities: np.ndarray) -> dict:
    from keras_gans import evaluation

    return {
        "confident_fraction": float(np.mean(probabilities.max(axis=1) > 0.9)),
        "classifier_score": evaluation.classifier_score(probabilities)[0],
        "class_counts": np.bincount(probabilities.argmax(axis=1), minlength=10).tolist(),
    }


def main() -> None:
    """Train the judge, time the default run, score its samples."""
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", default=str(HERE.parent / "runs" / "default-bench"))
    p.add_argument("extra", nargs="*", help="extra train.py options (after --)")
    args = p.parse_args()

    import keras

    from keras_gans import data, evaluation

    images, labels = data.load_arrays("digits", 1797, seed=0, with_labels=True)
    classifier = evaluation.DomainClassifier.train(images[:1400], labels[:1400], epochs=30)
    report = {
        "classifier_heldout_accuracy": classifier.accuracy(images[1400:], labels[1400:]),
        "real": _summary(classifier.probabilities(images)),
    }
    command = [sys.executable, str(HERE.parent / "train.py"), "--run-dir", args.run_dir]
    start = time.time()
    subprocess.run(command + args.extra, check=True, cwd=HERE.parent)
    report["train_py_seconds"] = round(time.time() - start, 1)
    report["command"] = " ".join(["python train.py", *args.extra])
    gan = keras.saving.load_model(Path(args.run_dir) / "model.keras")
    report["generated"] = _summary(classifier.probabilities(gan.generate(1000, seed=1)))
    out = HERE / "results" / "default_run.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
