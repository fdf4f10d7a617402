"""Mode coverage on Stacked MNIST (1,000 modes), each configuration trained through train.py.

    python benchmarks/mode_coverage.py [--mnist DIR] [--epochs 6,20] [--configs a,b] [--seed 0]

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
- ``--epochs 6,20`` trains to 6 epochs, scores, then continues the same run
  (``train.py --resume``, deterministic) to 20 and scores again; a run directory
  left by an interrupted session is continued the same way.
- Scoring: 26,000 samples from the run's ``model.keras`` (the EMA generator, as
  users sample), the judge applied to each channel; modes covered (at least one
  sample) and KL(histogram || uniform); the share of channels the judge reads with
  confidence above 0.9 (``confident``); and the modes and KL by a second judge of
  another kind, an MLP on pixels (``kl_second``), with the two judges' agreement,
  so that a figure resting on one judge's guesses about illegible digits shows.
  The same for 26,000 real stacked images built from the held-out digits
  8000..9999: the noise floor of the protocol.

Results go to ``benchmarks/results/mode_coverage.json`` (written after every
configuration, so an interrupted run keeps what it finished) with a sample grid
per configuration. ``recommended_train_args`` is the configuration with the
lowest KL among those that trained within 30 minutes.

``--time-to-score 9`` measures instead, per configuration and seed (``--seeds
0,1,2``), the training time to a classifier score of 9 on plain MNIST with
``benchmarks/quality.py``'s protocol: digits 0..7999 at 28x28, batch 64, the
configuration's ``train.py`` options built in-process (so no DiffAugment, as in
quality.py); after each epoch
2,000 samples are scored by quality.py's judge (10 splits; and FID in its
features against digits 8000..9999), the scoring time excluded, until the score
reaches the target or ``--max-epochs`` pass (all of them with ``--full``).
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


def config_names(text: str) -> list[str]:
    """``--configs``: names of CONFIGS separated by commas, or, when a 'label:train.py
    arguments' entry is given (whose arguments may hold commas), entries separated by ';'."""
    return text.split(";") if ":" in text else text.split(",")


def machine() -> str:
    """The CPU model, its widest vector units and the core count, for the results."""
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    model = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), "")
    flags = set(next((ln for ln in lines if ln.startswith("flags")), "").split())
    units = next((u for u in ("amx_bf16", "avx512f", "avx2") if u in flags), "no AVX2")
    return f"{model or platform.machine()} ({units}), {os.cpu_count()} cores"


def save_report(out: Path, report: dict) -> None:
    """Write the results (after every scored run, so that an interrupted one keeps them)."""
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


def stack(digits: np.ndarray, labels: np.ndarray, count: int, seed: int):
    """``count`` RGB images whose channels are digits drawn uniformly; their modes 0..999."""
    picks = np.random.default_rng(seed).integers(0, len(digits), (count, 3))
    images = np.stack([digits[picks[:, c]] for c in range(3)], axis=-1)
    modes = labels[picks[:, 0]] * 100 + labels[picks[:, 1]] * 10 + labels[picks[:, 2]]
    return images, modes


def _kl_to_uniform(modes: np.ndarray) -> tuple[int, float]:
    counts = np.bincount(modes, minlength=1000).astype(np.float64)
    p = counts / counts.sum()
    nonzero = p > 0
    return int(nonzero.sum()), float(np.sum(p[nonzero] * np.log(p[nonzero] * 1000)))


class PixelJudge:
    """The second judge: a multilayer perceptron on raw pixels (scikit-learn), a different
    kind of classifier from the convolutional DomainClassifier, so that a KL that depends
    on one judge's guesses about illegible digits shows as a disagreement."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier((256,), max_iter=30, random_state=0)
        self.model.fit(images.reshape(len(images), -1), labels)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Digit classes of ``(n, 28, 28, 1)`` images in [-1, 1]."""
        return self.model.predict(images.reshape(len(images), -1)).astype(np.int64)


def coverage(
    judge: evaluation.DomainClassifier, images: np.ndarray, second: PixelJudge | None = None
) -> dict:
    """Modes covered and KL to uniform of images in [-1, 1], judged channel by channel;
    the share of channels read with confidence above 0.9; the second judge's KL and how
    often the two judges agree on a channel."""
    probabilities = [judge.probabilities(images[..., c : c + 1]) for c in range(3)]
    digits = [p.argmax(-1) for p in probabilities]
    modes, kl = _kl_to_uniform(digits[0] * 100 + digits[1] * 10 + digits[2])
    # The joint KL is the channels' marginal KLs plus their dependence: which part dominates.
    marginal = []
    for d in digits:
        q = np.bincount(d, minlength=10) / len(d)
        marginal.append(round(float(np.sum(q[q > 0] * np.log(q[q > 0] * 10))), 4))
    row = {
        "modes": modes,
        "kl": round(kl, 4),
        "channel_kl": marginal,
        "confident": round(float(np.mean([p.max(-1) > 0.9 for p in probabilities])), 4),
        "samples": len(images),
    }
    if second is not None:
        other = [second.predict(images[..., c : c + 1]) for c in range(3)]
        modes_2, kl_2 = _kl_to_uniform(other[0] * 100 + other[1] * 10 + other[2])
        agree = np.mean([np.mean(a == b) for a, b in zip(digits, other)])
        row.update(modes_second=modes_2, kl_second=round(kl_2, 4), agreement=round(agree, 4))
    return row


def write_folder(images: np.ndarray, folder: Path) -> None:
    """Save uint8 RGB images as PNG files (once; an existing complete folder is reused)."""
    from PIL import Image

    if folder.is_dir() and len(list(folder.glob("*.png"))) == len(images):
        return
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:05d}.png")


def markdown_table(report: dict) -> str:
    """The results as a table: measured rows, noise floor, published rows. "confident" is the
    share of channels the judge reads with confidence above 0.9; "KL, MLP" the second judge's."""
    lines = [
        "| configuration | epochs (images seen) | seed | train time | modes (of 1,000) | KL "
        "| confident | KL, MLP judge |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def extra(row: dict) -> str:
        confident = f"{row['confident']:.3f}" if "confident" in row else ""
        second = f"{row['kl_second']:.3f}" if "kl_second" in row else ""
        return f" {confident} | {second} |"

    for name, row in report.get("configurations", {}).items():
        label = name.rsplit(", ", 2)[0]
        epochs = row["train_args"][row["train_args"].index("--epochs") + 1]
        if "kl" not in row:
            lines.append(f"| {label} | {epochs} | {row['seed']} | failed | | | | |")
            continue
        seconds = row.get("train_seconds")
        minutes = "-" if seconds is None else f"{seconds // 60} min {seconds % 60:02d} s"
        if "note" in row:  # stopped early, or timed while other jobs shared the cores
            minutes += " (note)"
        lines.append(
            f"| {label} | {epochs} ({row['images_seen']:,}) | {row['seed']} | {minutes} | "
            f"{row['modes']} | {row['kl']:.3f} |" + extra(row)
        )
    floor = report["noise_floor"]
    lines.append(
        f"| real stacked images (noise floor) | | | | {floor['modes']} | {floor['kl']:.3f} |"
        + extra(floor)
    )
    for row in report["published"]:
        lines.append(f"| {row['model']}, published | | | | {row['modes']} | {row['kl']} | | |")
    return "\n".join(lines)


def time_to_score(args: argparse.Namespace) -> None:
    """Training seconds to a classifier score of ``args.time_to_score`` on plain MNIST,
    per configuration and seed; the score and FID after every epoch."""
    import tensorflow as tf

    from keras_gans import training
    from keras_gans.cli.train import build_parser

    mnist = Path(args.mnist)
    images, labels = data.load_arrays(
        str(mnist / "t10k-images-idx3-ubyte.gz"), 10_000, shuffle=False, with_labels=True
    )
    judge = evaluation.DomainClassifier.train(images[:8000], labels[:8000], epochs=8)
    real_features = judge.features(images[8000:])
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    results = report.setdefault("time_to_score", {})
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in config_names(args.configs):
        if ":" in name:
            name, extra = name.split(":", 1)
            CONFIGS[name] = shlex.split(extra)
        for seed in seeds:
            options = vars(build_parser().parse_args([*CONFIGS[name], "--seed", str(seed)]))
            options.pop("verbose")
            # The protocol's batch is 64; a configuration may name its own (train.py's auto: 32).
            batch = 64 if options["batch_size"] == "auto" else int(options["batch_size"])
            steps = 8000 // batch
            train_ds = (
                tf.data.Dataset.from_tensor_slices(images[:8000])
                .shuffle(8000, seed=seed)
                .batch(batch, drop_remainder=True)
                .cache()
                .repeat()
                .prefetch(tf.data.AUTOTUNE)
            )
            keras.backend.clear_session()
            keras.utils.set_random_seed(seed)
            gan = training.build_model(training.TrainConfig(**options), (28, 28, 1))
            # seed 0 keeps the flat row of the earlier single-seed runs; others by seed
            key = name if seed == 0 else f"{name} | seed {seed}"
            if args.epoch_seconds:
                seconds = []
                for epoch in range(2):
                    start = time.time()
                    gan.fit(train_ds, initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=steps)
                    seconds.append(round(time.time() - start, 1))
                row = results.setdefault(key, {})
                row.update(epoch_seconds_alone=seconds[1], first_epoch_seconds=seconds[0])
                row["timing_machine"] = machine()
                save_report(out, report)
                continue
            row = {
                "target": args.time_to_score,
                "reached": False,
                "scores": [],
                "fids": [],
                "train_seconds": 0.0,
                "seed": seed,
            }
            row.update(train_args=CONFIGS[name], machine=machine(), batch_size=batch)
            for epoch in range(args.max_epochs):
                start = time.time()
                gan.fit(
                    train_ds,
                    initial_epoch=epoch,
                    epochs=epoch + 1,
                    steps_per_epoch=steps,
                    verbose=0,
                )
                row["train_seconds"] = round(row["train_seconds"] + time.time() - start, 1)
                samples = gan.generate(2000, seed=1)
                score = evaluation.classifier_score(judge.probabilities(samples))[0]
                fid = evaluation.frechet_distance(judge.features(samples), real_features)
                row["scores"].append(round(float(score), 3))
                row["fids"].append(round(float(fid), 2))
                row["epochs"] = epoch + 1
                print(key, epoch + 1, row["train_seconds"], round(score, 3), round(fid, 2))
                if score >= args.time_to_score and not row["reached"]:
                    row.update(reached=True, epochs_to_target=epoch + 1)
                    row["seconds_to_target"] = row["train_seconds"]
                # Written every epoch so that an interrupted run keeps the epochs it scored.
                results[key] = {**results.get(key, {}), **row}
                save_report(out, report)
                if row["reached"] and not args.full:
                    break


def main() -> None:
    """Build the data, train and score every configuration, write the table."""
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", default=str(DEFAULT_MNIST))
    p.add_argument("--images", type=int, default=30_000)
    p.add_argument(
        "--epochs", default="6", help="comma-separated epoch counts, scored at each (6,20)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help="comma-separated names of CONFIGS, or ';'-separated 'label:train.py arguments'",
    )
    p.add_argument("--work", default=str(HERE / "work"))
    p.add_argument(
        "--score-existing", action="store_true", help="score finished runs instead of retraining"
    )
    p.add_argument("--out", default=str(HERE / "results" / "mode_coverage.json"))
    p.add_argument("--table", action="store_true", help="print --out as a Markdown table")
    p.add_argument("--time-to-score", type=float, default=None, metavar="TARGET")
    p.add_argument("--max-epochs", type=int, default=20)
    p.add_argument("--seeds", default="0", help="with --time-to-score: comma-separated seeds")
    p.add_argument(
        "--full", action="store_true", help="with --time-to-score: train all --max-epochs"
    )
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
    second = PixelJudge(scaled[:8000], labels[:8000])
    work = Path(args.work)
    folder = work / f"stacked_mnist_{args.images}_seed{args.seed}"
    train_images, _ = stack(digits, labels, args.images, seed=args.seed)
    write_folder(train_images, folder)
    held_out, _ = stack(digits[8000:], labels[8000:], SAMPLES, seed=args.seed + 1)
    floor = coverage(judge, held_out.astype(np.float32) / 127.5 - 1.0, second)

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

    for name in config_names(args.configs):
        if ":" in name:
            name, extra = name.split(":", 1)
            CONFIGS[name] = shlex.split(extra)
        slug = name.replace(" ", "").replace("+", "_")
        run_dir = work / "runs" / f"{slug}-seed{args.seed}"
        elapsed = 0.0
        for epochs in [int(e) for e in str(args.epochs).split(",")]:
            command = [
                sys.executable,
                str(ROOT / "train.py"),
                "--dataset",
                str(folder),
                "--epochs",
                str(epochs),
                "--batch-size",
                "64",
                "--seed",
                str(args.seed),
                "--run-dir",
                str(run_dir),
                *CONFIGS[name],
            ]
            # A run directory left by an earlier stage or an interrupted session is
            # continued (train.py's resume is deterministic), so a long table can be
            # made over several sessions.
            if (run_dir / "config.json").exists():
                command.append("--resume")
            start = time.time()
            if args.score_existing and (run_dir / "model.keras").exists():
                result = subprocess.CompletedProcess(command, 0)
            else:
                result = subprocess.run(command, capture_output=True, text=True)
            elapsed += time.time() - start
            row = {
                "train_args": [*CONFIGS[name], "--epochs", str(epochs), "--batch-size", "64"],
                "seed": args.seed,
                "train_seconds": round(elapsed),
                "note": "seconds of this session's stages only; other jobs may share the cores",
            }
            if result.returncode != 0:
                row["error"] = result.stderr.strip().splitlines()[-1:]
            else:
                keras.backend.clear_session()
                model = keras.saving.load_model(run_dir / "model.keras")
                samples = model.generate(SAMPLES, seed=args.seed + 100)
                row.update(coverage(judge, samples, second))
                row["images_seen"] = epochs * args.images
                save_png(
                    image_grid(samples[:100], columns=10),
                    out.parent / f"mode_coverage_{run_dir.name}-{epochs}ep.png",
                    scale=2,
                )
            report["configurations"][f"{name}, {epochs} epochs, seed {args.seed}"] = row
            print(name, json.dumps(row), flush=True)
            save_report(out, report)
        finished = [
            (r["kl"], r["train_args"])
            for r in report["configurations"].values()
            if "kl" in r and r.get("train_seconds", TIME_LIMIT_S + 1) <= TIME_LIMIT_S
        ]
        if finished:
            report["recommended_train_args"] = min(finished)[1]
        save_report(out, report)


if __name__ == "__main__":
    main()
