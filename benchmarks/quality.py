"""Sample quality of the four models on real MNIST, with a stated protocol.

    python benchmarks/quality.py [--images PATH/t10k-images-idx3-ubyte.gz] [--models dcgan,...]

Protocol: the MNIST test split (10,000 images; ``../shared/data/mnist`` by
default, or any MNIST IDX images file with its labels beside it). Images 0..7999
train the GANs and the domain classifier; images 8000..9999 are the held-out
reference. Each model trains at 28x28x1, batch 64, seed 0, for the epochs in
``BUDGET`` (the package's default networks and optimizers), then 2,000 samples
are scored against the 2,000 held-out images with the domain classifier's
features: FID, KID (10 subsets of 1,000), precision/recall (k=3), classifier
score (10 splits), and for InfoGAN the categorical-code accuracy (Hungarian
matching of the 10-way code to the classifier's classes) and the mean absolute
error of Q's continuous-code estimate. Results: ``benchmarks/results/quality.json``
and a sample grid per model in ``benchmarks/results/quality_<model>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans import data, evaluation, training  # noqa: E402
from keras_gans.callbacks import image_grid, save_png  # noqa: E402

BUDGET = {"gan": 150, "dcgan": 20, "infogan": 50, "wgan-gp": 16}
DEFAULT_IMAGES = HERE.parent.parent / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"


def main() -> None:
    """Train, score and write the table."""
    p = argparse.ArgumentParser()
    p.add_argument("--images", default=str(DEFAULT_IMAGES))
    p.add_argument("--models", default=",".join(BUDGET))
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument(
        "--budget", default="", help="override epochs per model, e.g. dcgan=60,infogan=40"
    )
    args = p.parse_args()
    budget = dict(BUDGET)
    for item in filter(None, args.budget.split(",")):
        name, epochs = item.split("=")
        budget[name] = int(epochs)

    images, labels = data.load_arrays(args.images, 10_000, shuffle=False, with_labels=True)
    train_x, train_y, ref_x, ref_y = images[:8000], labels[:8000], images[8000:], labels[8000:]
    start = time.time()
    classifier = evaluation.DomainClassifier.train(train_x, train_y, epochs=8)
    report = {
        "protocol": {
            "data": str(args.images),
            "train": "images 0-7999",
            "reference": "images 8000-9999",
            "samples": args.samples,
            "features": "domain classifier penultimate layer (128-d)",
            "classifier_heldout_accuracy": classifier.accuracy(ref_x, ref_y),
            "classifier_train_seconds": round(time.time() - start, 1),
            "seed": 0,
            "batch": 64,
            "budget_epochs": budget,
        },
        "real_reference": {},
        "models": {},
    }
    results_file = HERE / "results" / "quality.json"
    if results_file.exists():  # keep the other models' rows when re-running some
        report["models"] = json.loads(results_file.read_text()).get("models", {})
    report["real_reference"]["classifier_score"] = evaluation.classifier_score(
        classifier.probabilities(ref_x)
    )[0]
    report["real_reference"]["fid_train_vs_ref"] = evaluation.frechet_distance(
        classifier.features(train_x[:2000]), classifier.features(ref_x)
    )
    print(json.dumps(report["protocol"]), flush=True)

    train_ds = (
        tf.data.Dataset.from_tensor_slices(train_x)
        .shuffle(8000, seed=0)
        .batch(64, drop_remainder=True)
        .cache()
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    for name in args.models.split(","):
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        config = training.TrainConfig(model=name, seed=0)
        gan = training.build_model(config, (28, 28, 1))
        start = time.time()
        gan.fit(train_ds, epochs=budget[name], steps_per_epoch=8000 // 64, verbose=0)
        seconds = time.time() - start
        metrics = evaluation.evaluate(gan, ref_x, classifier, num_samples=args.samples)
        metrics["train_seconds"] = round(seconds, 1)
        metrics["epochs"] = budget[name]
        report["models"][name] = metrics
        save_png(
            image_grid(gan.generate(100, seed=0), columns=10),
            HERE / "results" / f"quality_{name}.png",
            scale=2,
        )
        print(name, json.dumps(metrics), flush=True)
        results_file.parent.mkdir(exist_ok=True)
        results_file.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
