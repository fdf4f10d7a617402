"""Mode coverage on Stacked MNIST (1,000 modes), each configuration trained through train.py.

    python benchmarks/mode_coverage.py [--mnist DIR] [--epochs 6] [--configs a,b] [--seed 0]

Protocol:

- Data: the MNIST test split in ``--mnist`` (``../shared/data/mnist`` by default;
  images and labels in IDX). Digits 0..7999 train the judge, a
  :class:`keras_gans.evaluation.DomainClassifier` (28x28x1, 8 epochs); its accuracy on
  digits 8000..9999 is reported.
- Stacked MNIST: ``--images`` (30,000) RGB images, each channel a digit drawn
  uniformly (seeded) from all 10,000; the mode of an image is its three digits
  (1,000 equally likely modes). Written once as PNG files to a folder under
  ``--work`` and trained on as an image folder, the path a user takes with their own data.
- Each configuration: ``python train.py --dataset FOLDER --epochs E --batch-size 64
  --seed S`` plus its own arguments, every other option at its default; the
  wall-clock of that command and the images seen are recorded.
- Scoring: 26,000 samples from the run's ``model.keras`` (the EMA generator, as
  users sample), the judge applied to each channel; modes covered (at least one
  sample) and KL(histogram || uniform). The same for 26,000 real stacked images
  built from the held-out digits 8000..9999: the noise floor of the protocol.

Results go to ``benchmarks/results/mode_coverage.json`` (written after every
configuration, so an interrupted run keeps what it finished) with a sample grid
per configuration. ``recommended_train_args`` is the configuration with the
lowest KL among those that trained within 30 minutes.

``--time-to-score 9`` measures instead, per configuration, the training time to
a classifier score of 9 on plain MNIST with ``benchmarks/quality.py``'s protocol:
digits 0..7999 at 28x28, batch 64, seed 0, the configuration's ``train.py``
options built in-process (so no DiffAugment, as in quality.py); after each epoch
2,000 samples are scored by quality.py's judge (10 splits), the scoring time
excluded, until the score reaches the target or ``--max-epochs`` pass.
Results: the ``time_to_score`` field of the same JSON. The epochs needed do not
depend on what else runs; the seconds do, so ``--epoch-seconds`` times two
epochs per configuration (the second, after tracing, recorded) and should run
alone: time to the target = epochs x seconds per epoch.
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

from keras_gans import data, evaluation  # noqa: E402
from keras_gans.callbacks import image_grid, save_png  # noqa: E402

DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"
GAMMA = "0.1"
CONFIGS: dict[str, list[str]] = {
    "relativistic + R1 + R2": [
        "--model",
        "dcgan",
        "--loss",
        "relativistic",
        "--r1",
        GAMMA,
        "--r2",
        GAMMA,
    ],
    "DCGAN default": ["--model", "dcgan"],
    "non-saturating + R1 + R2": ["--model", "dcgan", "--r1", GAMMA, "--r2", GAMMA],
    "hinge": ["--model", "dcgan", "--loss", "hinge"],
    "WGAN-GP": ["--model", "wgan-gp"],
    # R3GAN's schedules over 20 epochs of 8,000 images (train.py's auto, for --time-to-score)
    "R3GAN": ["--model", "r3gan", "--schedule-images", "160000"],
}
PUBLISHED = [
    {"model": "DCGAN (Lin et al. 2018)", "modes": 99, "kl": 3.40},
    {"model": "PacGAN2 (Lin et al. 2018)", "modes": 1000, "kl": 0.06},
    {"model": "StyleGAN2 (Huang et al. 2024)", "modes": 940, "kl": 0.42},
    {"model": "R3GAN (Huang et al. 2024)", "modes": 1000, "kl": 0.029},
    {"model": "RpGAN + R1 + R2, small model (Huang et al. 2024)", "modes": 1000, "kl": 0.078},
    {"model": "GAN + R1 + R2, small model (Huang et al. 2024)", "modes": 693, "kl": 0.93},
]
SAMPLES = 26_000
TIME_LIMIT_S = 30 * 60


def machine() -> str:
    """The CPU model, its widest vector units and the core count, for the results."""
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    model = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), "")
    flags = set(next((ln for ln in lines if ln.startswith("flags")), "").split())
    units = next((u for u in ("amx_bf16", "avx512f", "avx2") if u in flags), "no AVX2")
    return f"{model or platform.machine()} ({units}), {os.cpu_count()} cores"


def stack(digits: np.ndarray, labels: np.ndarray, count: int, seed: int):
    """``count`` RGB images whose channels are digits drawn uniformly; their modes 0..999."""
    picks = np.random.default_rng(seed).integers(0, len(digits), (count, 3))
    images = np.stack([digits[picks[:, c]] for c in range(3)], axis=-1)
    modes = labels[picks[:, 0]] * 100 + labels[picks[:, 1]] * 10 + labels[picks[:, 2]]
    return images, modes


def coverage(judge: evaluation.DomainClassifier, images: np.ndarray) -> dict:
    """Modes covered and KL to uniform of images in [-1, 1], judged channel by channel."""
    digits = [judge.probabilities(images[..., c : c + 1]).argmax(-1) for c in range(3)]
    modes = digits[0] * 100 + digits[1] * 10 + digits[2]
    counts = np.bincount(modes, minlength=1000).astype(np.float64)
    p = counts / counts.sum()
    nonzero = p > 0
    kl = float(np.sum(p[nonzero] * np.log(p[nonzero] * 1000)))
    # The joint KL is the channels' marginal KLs plus their dependence: which part dominates.
    marginal = []
    for d in digits:
        q = np.bincount(d, minlength=10) / len(d)
        marginal.append(round(float(np.sum(q[q > 0] * np.log(q[q > 0] * 10))), 4))
    return {
        "modes": int(nonzero.sum()),
        "kl": round(kl, 4),
        "channel_kl": marginal,
        "samples": int(counts.sum()),
    }


def write_folder(images: np.ndarray, folder: Path) -> None:
    """Save uint8 RGB images as PNG files (once; an existing complete folder is reused)."""
    from PIL import Image

    if folder.is_dir() and len(list(folder.glob("*.png"))) == len(images):
        return
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:05d}.png")


def markdown_table(report: dict) -> str:
    """The results as the README's table: measured rows, noise floor, published rows."""
    lines = [
        "| configuration | epochs (images seen) | seed | train time | modes (of 1,000) | KL |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in report.get("configurations", {}).items():
        label = name.rsplit(", ", 2)[0]
        epochs = row["train_args"][row["train_args"].index("--epochs") + 1]
        if "kl" not in row:
            lines.append(f"| {label} | {epochs} | {row['seed']} | failed | | |")
            continue
        seconds = row.get("train_seconds")
        minutes = "-" if seconds is None else f"{seconds // 60} min {seconds % 60:02d} s"
        if "note" in row:  # stopped early, or timed while other jobs shared the cores
            minutes += " (note)"
        lines.append(
            f"| {label} | {epochs} ({row['images_seen']:,}) | {row['seed']} | {minutes} | "
            f"{row['modes']} | {row['kl']:.3f} |"
        )
    floor = report["noise_floor"]
    lines.append(
        f"| real stacked images (noise floor) | | | | {floor['modes']} | {floor['kl']:.3f} |"
    )
    for row in report["published"]:
        lines.append(f"| {row['model']}, published | | | | {row['modes']} | {row['kl']} |")
    return "\n".join(lines)


def time_to_score(args: argparse.Namespace) -> None:
    """Training seconds to a classifier score of ``args.time_to_score`` on plain MNIST."""
    import tensorflow as tf

    from keras_gans import training
    from keras_gans.cli.train import build_parser

    mnist = Path(args.mnist)
    images, labels = data.load_arrays(
        str(mnist / "t10k-images-idx3-ubyte.gz"), 10_000, shuffle=False, with_labels=True
    )
    judge = evaluation.DomainClassifier.train(images[:8000], labels[:8000], epochs=8)
    train_ds = (
        tf.data.Dataset.from_tensor_slices(images[:8000])
        .shuffle(8000, seed=0)
        .batch(64, drop_remainder=True)
        .cache()
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    results = report.setdefault("time_to_score", {})
    for name in args.configs.split(","):
        if ":" in name:
            name, extra = name.split(":", 1)
            CONFIGS[name] = shlex.split(extra)
        options = vars(build_parser().parse_args([*CONFIGS[name], "--seed", "0"]))
        options.pop("verbose")
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        gan = training.build_model(training.TrainConfig(**options), (28, 28, 1))
        if args.epoch_seconds:
            seconds = []
            for epoch in range(2):
                start = time.time()
                gan.fit(train_ds, initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=125)
                seconds.append(round(time.time() - start, 1))
            row = results.setdefault(name, {})
            row.update(epoch_seconds_alone=seconds[1], first_epoch_seconds=seconds[0])
            row["timing_machine"] = machine()
            out.write_text(json.dumps(report, indent=2))
            continue
        row = {"target": args.time_to_score, "reached": False, "scores": [], "train_seconds": 0.0}
        row.update(train_args=CONFIGS[name], machine=machine())
        for epoch in range(args.max_epochs):
            start = time.time()
            gan.fit(train_ds, initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=125, verbose=0)
            row["train_seconds"] = round(row["train_seconds"] + time.time() - start, 1)
            score = evaluation.classifier_score(judge.probabilities(gan.generate(2000, seed=1)))[0]
            row["scores"].append(round(float(score), 3))
            row["epochs"] = epoch + 1
            print(name, epoch + 1, row["train_seconds"], round(score, 3), flush=True)
            row["reached"] = bool(score >= args.time_to_score)
            # Written every epoch so that an interrupted run keeps the epochs it scored.
            results[name] = {**results.get(name, {}), **row}
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps(report, indent=2))
            if row["reached"]:
                break


def main() -> None:
    """Build the data, train and score every configuration, write the table."""
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", default=str(DEFAULT_MNIST))
    p.add_argument("--images", type=int, default=30_000)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help="comma-separated names of CONFIGS, or 'label:train.py arguments' to explore others",
    )
    p.add_argument("--work", default=str(HERE / "work"))
    p.add_argument(
        "--score-existing", action="store_true", help="score finished runs instead of retraining"
    )
    p.add_argument("--out", default=str(HERE / "results" / "mode_coverage.json"))
    p.add_argument("--table", action="store_true", help="print --out as a Markdown table")
    p.add_argument("--time-to-score", type=float, default=None, metavar="TARGET")
    p.add_argument("--max-epochs", type=int, default=20)
    p.add_argument("--epoch-seconds", action="store_true", help="with --time-to-score")
    args = p.parse_args()
    if args.table:
        print(markdown_table(json.loads(Path(args.out).read_text())))
        return
    if args.time_to_score is not None:
        time_to_score(args)
        return

    mnist = Path(args.mnist)
    digits, labels = (
        data.read_idx(mnist / "t10k-images-idx3-ubyte.gz"),
        data.read_idx(mnist / "t10k-labels-idx1-ubyte.gz"),
    )
    scaled = (digits.astype(np.float32) / 127.5 - 1.0)[..., None]
    judge = evaluation.DomainClassifier.train(scaled[:8000], labels[:8000], epochs=8)
    work = Path(args.work)
    folder = work / f"stacked_mnist_{args.images}_seed{args.seed}"
    train_images, _ = stack(digits, labels, args.images, seed=args.seed)
    write_folder(train_images, folder)
    held_out, _ = stack(digits[8000:], labels[8000:], SAMPLES, seed=args.seed + 1)
    floor = coverage(judge, held_out.astype(np.float32) / 127.5 - 1.0)

    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    report.update(
        protocol={
            "data": f"{args.images} Stacked MNIST images from the 10,000 MNIST test digits "
            "(drawn with the row's seed), as a PNG folder",
            "train": "train.py --dataset FOLDER --epochs E --batch-size 64 --seed S + the "
            "configuration's arguments (E, S and the images seen in each row)",
            "samples": SAMPLES,
            "judge": "DomainClassifier on digits 0-7999, applied per channel",
            "judge_heldout_accuracy": round(judge.accuracy(scaled[8000:], labels[8000:]), 4),
            "machine": machine(),
        },
        noise_floor=floor,
        published=PUBLISHED,
    )
    report.setdefault("configurations", {})
    print(json.dumps({"protocol": report["protocol"], "noise_floor": floor}), flush=True)

    for name in args.configs.split(","):
        if ":" in name:
            name, extra = name.split(":", 1)
            CONFIGS[name] = shlex.split(extra)
        slug = name.replace(" ", "").replace("+", "_")
        run_dir = work / "runs" / f"{slug}-{args.epochs}ep-seed{args.seed}"
        command = [
            sys.executable,
            str(ROOT / "train.py"),
            "--dataset",
            str(folder),
            "--epochs",
            str(args.epochs),
            "--batch-size",
            "64",
            "--seed",
            str(args.seed),
            "--run-dir",
            str(run_dir),
            *CONFIGS[name],
        ]
        start = time.time()
        if args.score_existing and (run_dir / "model.keras").exists():
            # Re-score a finished run; its time is config.json to model.keras.
            result = subprocess.CompletedProcess(command, 0)
            seconds = (run_dir / "model.keras").stat().st_mtime
            seconds -= (run_dir / "config.json").stat().st_mtime
        else:
            shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run, not a resumed one
            result = subprocess.run(command, capture_output=True, text=True)
            seconds = time.time() - start
        row = {
            "train_args": [*CONFIGS[name], "--epochs", str(args.epochs), "--batch-size", "64"],
            "seed": args.seed,
            "train_seconds": round(seconds),
        }
        if result.returncode != 0:
            row["error"] = result.stderr.strip().splitlines()[-1:]
        else:
            keras.backend.clear_session()
            model = keras.saving.load_model(run_dir / "model.keras")
            samples = model.generate(SAMPLES, seed=args.seed + 100)
            row.update(coverage(judge, samples))
            row["images_seen"] = args.epochs * args.images
            save_png(
                image_grid(samples[:100], columns=10),
                out.parent / f"mode_coverage_{run_dir.name}.png",
                scale=2,
            )
        report["configurations"][f"{name}, {args.epochs} epochs, seed {args.seed}"] = row
        print(name, json.dumps(row), flush=True)
        finished = [
            (r["kl"], r["train_args"])
            for r in report["configurations"].values()
            if "kl" in r and r.get("train_seconds", TIME_LIMIT_S + 1) <= TIME_LIMIT_S
        ]
        if finished:
            report["recommended_train_args"] = min(finished)[1]
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
