"""Does InfoGAN's categorical code learn the digit classes for every seed? Runs train.py.

    python benchmarks/infogan_codes.py [--mnist DIR] [--epochs 20] [--seeds 0,1,2]
        [--configs "label:train.py arguments",...]

Protocol:

- Data: the MNIST test split in ``--mnist`` (``../shared/data/mnist`` by default).
  Digits 0..7999 train the judge, a :class:`keras_gans.evaluation.DomainClassifier`
  (28x28x1, 8 epochs, seed 0); its accuracy on digits 8000..9999 is reported.
- Each configuration and seed: ``python train.py --model infogan --dataset
  t10k-images-idx3-ubyte.gz --epochs E --seed S --eval-every 1`` plus the
  configuration's arguments, every other option at train.py's default (batch 16,
  all 10,000 images). The judge is placed in the run directory as its domain
  classifier, so the per-epoch ``eval_code_accuracy`` (1,000 samples) in
  TensorBoard is the judge's; those values are the row's ``trajectory``.
- Scoring the final ``model.keras`` (the EMA generator, as users sample):
  ``code_accuracy``, the first categorical code read as a classifier of 10,000
  samples after Hungarian matching of code values to the judge's classes; and
  per continuous code ``class_change``, the share of traversal points whose
  judged class differs from the class at code 0 (1,000 noise vectors with a
  random category, the code at -1, -0.5, 0.5, 1, the other codes at 0): near 0
  when the code changes style only. A traversal grid per code and seed (rows:
  categorical values, columns: the code from -1 to 1) goes to ``results/``.

Results: ``benchmarks/results/infogan_codes.json``, written after every run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans import data, evaluation  # noqa: E402
from keras_gans.callbacks import image_grid, save_png  # noqa: E402

DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"
SAMPLES = 10_000
TRAVERSAL = (-1.0, -0.5, 0.5, 1.0)


def trajectory(log_dir: Path) -> list[float]:
    """Per-epoch ``eval_code_accuracy`` from a run's TensorBoard train logs."""
    values: dict[int, float] = {}
    for path in sorted((log_dir / "train").glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.tag == "epoch_eval_code_accuracy":
                    values[event.step] = round(float(tf.make_ndarray(value.tensor)), 4)
    return [values[k] for k in sorted(values)]


def score(model, judge: evaluation.DomainClassifier, seed: int) -> dict:
    """Code accuracy on SAMPLES samples and each continuous code's class-change rate."""
    sg = keras.random.SeedGenerator(seed)
    noise = model.sample_noise(SAMPLES, sg)
    categorical, continuous = model.sample_codes(SAMPLES, sg)
    images = model.generate_from_inputs(model.generator_inputs(noise, categorical, continuous))
    predicted = judge.probabilities(images).argmax(-1)
    out = {
        "code_accuracy": round(
            evaluation.categorical_code_accuracy(categorical.numpy()[:, 0], predicted, 10), 4
        )
    }
    n = 1000
    noise, categorical = noise[:n], categorical[:n]
    changes = []
    for code in range(model.continuous_codes):

        def classes(value: float, code: int = code) -> np.ndarray:
            c = np.zeros((n, model.continuous_codes), np.float32)
            c[:, code] = value
            z = model.generator_inputs(noise, categorical, c)
            return judge.probabilities(model.generate_from_inputs(z)).argmax(-1)

        centre = classes(0.0)
        changes.append(round(float(np.mean([classes(v) != centre for v in TRAVERSAL])), 4))
    out["class_change"] = changes
    return out


def traversal_grid(model, code: int, seed: int) -> np.ndarray:
    """Rows: categorical values 0..k-1; columns: continuous code ``code`` from -1 to 1."""
    k, columns = model.categorical_codes[0], 8
    noise = model.sample_noise(1, keras.random.SeedGenerator(seed)).numpy()
    noise = np.repeat(noise, k * columns, 0)
    categorical = np.repeat(np.arange(k), columns)[:, None].astype(np.int32)
    continuous = np.zeros((k * columns, model.continuous_codes), np.float32)
    continuous[:, code] = np.tile(np.linspace(-1, 1, columns), k)
    images = model.generate_from_inputs(model.generator_inputs(noise, categorical, continuous))
    return image_grid(images, columns=columns)


def main() -> None:
    """Train and score every configuration for every seed; write the table."""
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", default=str(DEFAULT_MNIST))
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument(
        "--configs",
        default="defaults:",
        help="comma-separated 'label:extra train.py arguments' ('defaults:' = none)",
    )
    p.add_argument("--work", default=str(HERE / "work"))
    p.add_argument("--out", default=str(HERE / "results" / "infogan_codes.json"))
    args = p.parse_args()

    mnist = Path(args.mnist)
    images_file = mnist / "t10k-images-idx3-ubyte.gz"
    digits, labels = data.read_idx(images_file), data.read_idx(mnist / "t10k-labels-idx1-ubyte.gz")
    scaled = (digits.astype(np.float32) / 127.5 - 1.0)[..., None]
    work = Path(args.work)
    judge_file = work / "infogan_judge.keras"
    if not judge_file.exists():
        keras.utils.set_random_seed(0)
        work.mkdir(parents=True, exist_ok=True)
        evaluation.DomainClassifier.train(scaled[:8000], labels[:8000], epochs=8).save(judge_file)
    judge = evaluation.DomainClassifier.load(judge_file)

    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    report["protocol"] = {
        "data": "the 10,000 MNIST test images (IDX file), train.py's defaults (InfoGAN: "
        "batch 16, continuous weight 0.1, information term from step 1250, invariant codes, "
        "stroke jitter 0.5, continuous codes read as drawn)",
        "train": "train.py --model infogan --dataset IDX --epochs E --seed S --eval-every 1 "
        "+ the configuration's arguments",
        "judge": "DomainClassifier on digits 0-7999",
        "judge_heldout_accuracy": round(judge.accuracy(scaled[8000:], labels[8000:]), 4),
        "samples": SAMPLES,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }
    report.setdefault("runs", {})
    print(json.dumps(report["protocol"]), flush=True)
    for item in args.configs.split(","):
        label, extra = item.split(":", 1)
        for seed in map(int, args.seeds.split(",")):
            run_dir = work / "runs" / f"infogan-{label}-{args.epochs}ep-seed{seed}"
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir(parents=True)
            shutil.copy(judge_file, run_dir / "domain_classifier.keras")
            command = [
                sys.executable,
                str(ROOT / "train.py"),
                "--model",
                "infogan",
                "--dataset",
                str(images_file),
                "--epochs",
                str(args.epochs),
                "--seed",
                str(seed),
                "--eval-every",
                "1",
                "--run-dir",
                str(run_dir),
                *shlex.split(extra),
            ]
            start = time.time()
            result = subprocess.run(command, capture_output=True, text=True)
            row = {
                "train_args": shlex.split(extra),
                "epochs": args.epochs,
                "seed": seed,
                "train_seconds": round(time.time() - start),
            }
            if result.returncode != 0:
                row["error"] = result.stderr.strip().splitlines()[-3:]
            else:
                keras.backend.clear_session()
                model = keras.saving.load_model(run_dir / "model.keras")
                row.update(score(model, judge, seed + 100))
                row["trajectory"] = trajectory(run_dir / "logs")
                for code in range(model.continuous_codes):
                    save_png(
                        traversal_grid(model, code, seed + 200),
                        out.parent / f"infogan_codes_{label}_seed{seed}_c{code + 1}.png",
                        scale=2,
                    )
            report["runs"][f"{label}, {args.epochs} epochs, seed {seed}"] = row
            print(label, json.dumps(row), flush=True)
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
