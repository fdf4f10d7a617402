"""How recognisable the default run's digits are, and how long it takes.

    python benchmarks/default_run.py [--run-dir runs/default-bench] [-- extra train.py options]

Two judges of different kinds: the package's ``DomainClassifier`` (a CNN)
trained on 1,400 of the 1,797 digits at 16x16 (accuracy reported on the other
397), and a multilayer perceptron (scikit-learn's ``MLPClassifier``, one hidden
layer of 100) trained on the first 899 of the 8x8 originals (accuracy on the
other 898), which scores images area-downsampled to 8x8. Runs ``python
train.py`` with no options (plus any given after ``--``) in a subprocess,
timed; then classifies 1,000 samples of the final model (``generate(1000,
seed=1)``) and reports per judge the fraction classified with more than 90%
confidence, the classifier score and the count per class, next to the same
numbers for the real digits (at 16x16, as trained on; for the MLP also the 8x8
originals). A model trained at 8x8 (``-- --image-size 8``) is judged on its
own pixels by the MLP and upsampled bilinearly to 16x16, as the data loader
upsamples the digits, for the CNN.
``--score DIR`` scores an existing run directory or exported SavedModel (its
``sample`` signature, seed 1) instead of training. For a class-conditional
model it also reports each judge's label accuracy: how often it reads the digit
that each of 1,000 further samples (labels 0-9 in turn, seed 2) was asked for. Results:
``benchmarks/results/default_run.json`` (``--out`` to write elsewhere).
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


class MLPJudge:
    """A multilayer perceptron on the 8x8 originals: a judge of another kind than the CNN."""

    def __init__(self) -> None:
        from sklearn.datasets import load_digits
        from sklearn.neural_network import MLPClassifier

        digits = load_digits()
        x, y = digits.data / 16.0, digits.target
        self.model = MLPClassifier(hidden_layer_sizes=(100,), max_iter=1000, random_state=0)
        self.model.fit(x[:899], y[:899])
        self.heldout_accuracy = float(self.model.score(x[899:], y[899:]))

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Images in [-1, 1] at 8x8, or 16x16 area-downsampled 2x2 -> class probabilities."""
        n, h, w, _ = images.shape
        small = images[..., 0]
        if (h, w) == (16, 16):
            small = small.reshape(n, 8, 2, 8, 2).mean(axis=(2, 4))
        elif (h, w) != (8, 8):
            raise ValueError(f"the MLP judge needs 8x8 or 16x16 images, got {h}x{w}")
        return self.model.predict_proba((small.reshape(n, 64) + 1.0) / 2.0)


def at_16(images: np.ndarray) -> np.ndarray:
    """The CNN judge's input: 8x8 images upsampled bilinearly as the data loader does."""
    if images.shape[1] == 16:
        return images
    import tensorflow as tf

    return tf.image.resize(images, (16, 16), method="bilinear").numpy()


def _samples(source: Path) -> np.ndarray:
    """1,000 samples (seed 1) of a run directory's model.keras or an exported SavedModel."""
    import keras

    if (source / "model.keras").exists():
        return keras.saving.load_model(source / "model.keras").generate(1000, seed=1)
    import tensorflow as tf

    versions = sorted((int(p.name), p) for p in source.glob("*") if p.name.isdigit())
    saved = source if (source / "saved_model.pb").exists() else versions[-1][1]
    sample = tf.saved_model.load(str(saved)).signatures["sample"]
    images = sample(num_images=tf.constant(1000), seed=tf.constant(1))["images"].numpy()
    return images.astype(np.float32) / 127.5 - 1.0


def _labelled_samples(source: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """For a class-conditional model, 1,000 samples asked for labels 0-9 in turn (seed 2),
    with those labels; None for an unconditional one."""
    import tensorflow as tf

    labels = np.arange(1000) % 10
    if (source / "model.keras").exists():
        import keras

        model = keras.saving.load_model(source / "model.keras")
        if not model.conditional:
            return None
        return model.generate(1000, seed=2, labels=labels), labels
    versions = sorted((int(p.name), p) for p in source.glob("*") if p.name.isdigit())
    saved = source if (source / "saved_model.pb").exists() else versions[-1][1]
    signature = tf.saved_model.load(str(saved)).signatures.get("generate_with_labels")
    if signature is None:
        return None
    width = signature.structured_input_signature[1]["z"].shape[1]
    z = np.random.default_rng(2).standard_normal((1000, width)).astype(np.float32)
    images = signature(z=tf.constant(z), labels=tf.constant(labels, tf.int32))["images"]
    return images.numpy(), labels


def main() -> None:
    """Train the judges, time the default run, score its samples."""
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", default=str(HERE.parent / "runs" / "default-bench"))
    p.add_argument("--score", default=None, help="score this run directory or SavedModel")
    p.add_argument("--out", default=str(HERE / "results" / "default_run.json"))
    p.add_argument("extra", nargs="*", help="extra train.py options (after --)")
    args = p.parse_args()

    from keras_gans import data, evaluation

    images, labels = data.load_arrays("digits", 1797, seed=0, with_labels=True)
    judges = {
        "cnn": evaluation.DomainClassifier.train(images[:1400], labels[:1400], epochs=30),
        "mlp_8x8": MLPJudge(),
    }
    report = {
        "judges": {
            "cnn": "DomainClassifier at 16x16, trained on 1,400 digits",
            "mlp_8x8": "MLPClassifier(100) on the first 899 8x8 originals, 2x2 area downsampling",
        },
        "cnn_heldout_accuracy": judges["cnn"].accuracy(images[1400:], labels[1400:]),
        "mlp_8x8_heldout_accuracy": judges["mlp_8x8"].heldout_accuracy,
        "real": {name: _summary(judge.probabilities(images)) for name, judge in judges.items()},
    }
    originals, _ = data.load_arrays("digits", 1797, seed=0, image_size=8)
    report["real"]["mlp_8x8_originals"] = _summary(judges["mlp_8x8"].probabilities(originals))
    if args.score:
        source = Path(args.score)
        report["command"] = f"scored {source}"
    else:
        source = Path(args.run_dir)
        command = [sys.executable, str(HERE.parent / "train.py"), "--run-dir", args.run_dir]
        start = time.time()
        subprocess.run(command + args.extra, check=True, cwd=HERE.parent)
        report["train_py_seconds"] = round(time.time() - start, 1)
        report["command"] = " ".join(["python train.py", *args.extra])
    samples = _samples(source)
    report["image_size"] = int(samples.shape[1])
    report["generated"] = {
        "cnn": _summary(judges["cnn"].probabilities(at_16(samples))),
        "mlp_8x8": _summary(judges["mlp_8x8"].probabilities(samples)),
    }
    labelled = _labelled_samples(source)
    if labelled is not None:  # does each judge read the digit the model was asked for?
        asked, labels = labelled
        probabilities = {
            "cnn": judges["cnn"].probabilities(at_16(asked)),
            "mlp_8x8": judges["mlp_8x8"].probabilities(asked),
        }
        report["label_accuracy"] = {
            name: float(np.mean(p.argmax(axis=1) == labels)) for name, p in probabilities.items()
        }
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
