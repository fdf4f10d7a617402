"""Image-to-image GANs on MNIST: super-resolution, paired and unpaired translation. Runs train.py.

    python benchmarks/image_to_image.py [--mnist DIR] [--tasks sr,paired,unpaired]
        [--epochs-sr 40] [--epochs-paired 3] [--epochs-unpaired 4] [--sr-options "..."] [--quick]

Protocol (offline, on the MNIST test split in ``--mnist``, ``../shared/data/mnist``):

- Split by index: images 0-7999 train the models (and the judges), 8000-9999 are
  the held-out test set that no model sees. Each task writes its training set as
  image folders and trains through ``train.py`` (the path a user's own data takes),
  seed 0 (``--seed``), every option not listed at its default; the models are then loaded
  from their run directories and scored on the test set.
- Judge: the package's digit classifier (:class:`keras_gans.evaluation.DomainClassifier`)
  trained on the 8,000 training digits (8 epochs, seed 0); its accuracy on the real
  test digits is the reference.
- ``sr``: super-resolution x4, 7x7 to 28x28 (``--model srgan --scale 4``, inputs
  area-downsampled by the loader). Scored: PSNR and SSIM (``tf.image``, range 2)
  against the originals, and the judge's accuracy on the upscaled test digits,
  beside bicubic upsampling of the same 7x7 inputs.
- ``sr_reference`` (not in the default tasks): how much of the digit the 7x7 inputs
  carry. The judge's network trained directly on the 7x7 training views (bicubic back
  to 28x28), 8 and 30 epochs, seed 0, scored on the test views.
- ``paired``: edge maps (Sobel magnitude, scaled to [-1, 1] per image) to digits
  (``--model pix2pix``, A/ edges, B/ digits). Scored: L1 to the true digit and the
  judge's accuracy on the outputs.
- ``unpaired``: normal to thick strokes (a 3x3 dilation) with CycleGAN
  (``--base-filters 16 --blocks 3``: the default width, 64 filters and 6 blocks,
  takes about 5 s a step on 2 cores, twenty times this) on unpaired domains:
  trainA is images 0-3999, trainB the dilated images 4000-7999 (other digits).
  Scored on the test digits translated A to B: the judge's accuracy (the digit
  kept; beside it, the judge's accuracy on truly dilated test digits) and the
  fraction a thin/thick domain classifier (the same network, trained on the
  training images of both domains) assigns to B; and the same back from B to A.

Results: ``benchmarks/results/image_to_image.json`` (after each task) and a grid
per task (``image_to_image_<task>.png``: inputs, outputs, targets). ``--quick`` is a
smoke-size run (500 training images, tiny networks, one epoch) of the whole script.
"""

from __future__ import annotations

import argparse
import json
import os
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
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans import data, evaluation  # noqa: E402
from keras_gans.images import image_grid, save_png  # noqa: E402

TRAIN, TEST = slice(0, 8000), slice(8000, 10000)


def write_folder(images: np.ndarray, folder: Path) -> None:
    """Images in [-1, 1] as numbered PNGs."""
    shutil.rmtree(folder, ignore_errors=True)
    for i, image in enumerate(images):
        save_png(image_grid(image[None], columns=1, padding=0), folder / f"{i:05d}.png")


def edges(images: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of images in [-1, 1], scaled to [-1, 1] per image."""
    gradients = tf.image.sobel_edges(tf.constant((images + 1) / 2))
    magnitude = tf.norm(gradients, axis=-1).numpy()
    peak = magnitude.reshape(len(images), -1).max(axis=1).reshape(-1, 1, 1, 1)
    return (2 * magnitude / np.maximum(peak, 1e-6) - 1).astype(np.float32)


def thicken(images: np.ndarray) -> np.ndarray:
    """Thicker strokes: a 3x3 grey dilation (max filter) of images in [-1, 1]."""
    return tf.nn.max_pool2d(images, 3, 1, "SAME").numpy()


def train(args: list[str], run_dir: Path, seed: int = 0) -> float:
    """``train.py`` with ``args`` into ``run_dir``; returns its seconds."""
    shutil.rmtree(run_dir, ignore_errors=True)
    command = [sys.executable, str(ROOT / "train.py"), *args, "--seed", str(seed)]
    command += ["--run-dir", str(run_dir)]
    start = time.time()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"train.py failed: {result.stderr.strip().splitlines()[-3:]}")
    return time.time() - start


def quality(output: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM and L1 of images in [-1, 1]."""
    output, target = tf.constant(output), tf.constant(target)
    return {
        "psnr": float(tf.reduce_mean(tf.image.psnr(output, target, max_val=2.0))),
        "ssim": float(tf.reduce_mean(tf.image.ssim(output, target, max_val=2.0))),
        "l1": float(tf.reduce_mean(tf.abs(output - target))),
    }


def save_rows(columns: list[np.ndarray], path: Path, rows: int = 10) -> None:
    """A grid with one row per example and one column per image kind, at 3x."""
    tiles = np.stack([c[:rows] for c in columns], axis=1).reshape(-1, *columns[0].shape[1:])
    save_png(image_grid(tiles, len(columns)), path, scale=3)


def main() -> None:
    """Run the tasks, write the JSON and print a summary."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mnist", default=str(DEFAULT_MNIST))
    p.add_argument("--tasks", default="sr,paired,unpaired")
    p.add_argument("--epochs-sr", type=int, default=40)
    p.add_argument("--epochs-paired", type=int, default=3)
    p.add_argument("--epochs-unpaired", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0, help="the models' seed (the judge's is 0)")
    p.add_argument(
        "--sr-options", default="", help="more train.py options for sr, e.g. '--ema-decay 0.999'"
    )
    p.add_argument("--work", default=str(HERE / "work" / "image_to_image"))
    p.add_argument("--out", default=str(HERE / "results" / "image_to_image.json"))
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    mnist, work, out = Path(args.mnist), Path(args.work), Path(args.out)
    images, _ = data.load_arrays(
        str(mnist / "t10k-images-idx3-ubyte.gz"), 10_000, shuffle=False, image_size=28
    )
    labels = data.read_idx(mnist / "t10k-labels-idx1-ubyte.gz").astype(np.int32)
    train_x, train_y, test_x, test_y = images[TRAIN], labels[TRAIN], images[TEST], labels[TEST]
    tiny: list[str] = []
    if args.quick:
        train_x, train_y = train_x[:500], train_y[:500]
        test_x, test_y = test_x[:200], test_y[:200]
        args.epochs_sr = args.epochs_paired = args.epochs_unpaired = 1
        tiny = ["--base-filters", "8", "--blocks", "1"]
    judge_path = work / f"judge_{len(train_x)}.keras"
    judge = evaluation.load_or_train_classifier(judge_path, train_x, train_y)
    report = json.loads(out.read_text()) if out.exists() and not args.quick else {}
    report.update(
        machine=os.uname().machine,
        cpu_count=os.cpu_count(),
        train_images=len(train_x),
        test_images=len(test_x),
        judge_on_real=judge.accuracy(test_x, test_y),
    )
    batch = ["--batch-size", str(args.batch_size)]
    grids = work if args.quick else out.parent
    for task in args.tasks.split(","):
        if task == "sr":
            folder = work / "sr"
            write_folder(train_x, folder)
            seconds = train(
                ["--model", "srgan", "--dataset", str(folder), "--image-size", "28",
                 "--scale", "4", "--epochs", str(args.epochs_sr), *batch, *tiny,
                 *shlex.split(args.sr_options)],
                work / "runs" / "sr",
                args.seed,
            )  # fmt: skip
            model = keras.saving.load_model(work / "runs" / "sr" / "model.keras")
            low = tf.image.resize(test_x, (7, 7), method="area")
            upscaled = model.translate(low.numpy())
            bicubic = np.clip(tf.image.resize(low, (28, 28), method="bicubic").numpy(), -1, 1)
            result = {
                "epochs": args.epochs_sr,
                "options": args.sr_options,
                "seed": args.seed,
                "train_seconds": round(seconds),
                "srgan": {**quality(upscaled, test_x), "judge": judge.accuracy(upscaled, test_y)},
                "bicubic": {**quality(bicubic, test_x), "judge": judge.accuracy(bicubic, test_y)},
            }
            nearest = tf.image.resize(low, (28, 28), method="nearest").numpy()
            save_rows([nearest, bicubic, upscaled, test_x], grids / f"{out.stem}_sr.png")
        elif task == "paired":
            folder = work / "paired"
            write_folder(edges(train_x), folder / "A")
            write_folder(train_x, folder / "B")
            seconds = train(
                ["--model", "pix2pix", "--dataset", str(folder), "--epochs",
                 str(args.epochs_paired), *batch, *tiny[:2]],
                work / "runs" / "paired",
                args.seed,
            )  # fmt: skip
            model = keras.saving.load_model(work / "runs" / "paired" / "model.keras")
            sources = edges(test_x)
            outputs = model.translate(sources)
            result = {
                "epochs": args.epochs_paired,
                "train_seconds": round(seconds),
                "pix2pix": {**quality(outputs, test_x), "judge": judge.accuracy(outputs, test_y)},
                "judge_on_edges": judge.accuracy(sources, test_y),
            }
            save_rows([sources, outputs, test_x], grids / f"{out.stem}_paired.png")
        elif task == "unpaired":
            folder = work / "unpaired"
            half = len(train_x) // 2
            write_folder(train_x[:half], folder / "trainA")
            write_folder(thicken(train_x[half:]), folder / "trainB")
            seconds = train(
                ["--model", "cyclegan", "--dataset", str(folder), "--epochs",
                 str(args.epochs_unpaired), *batch,
                 *(tiny or ["--base-filters", "16", "--blocks", "3"])],
                work / "runs" / "unpaired",
                args.seed,
            )  # fmt: skip
            model = keras.saving.load_model(work / "runs" / "unpaired" / "model.keras")
            domains = evaluation.DomainClassifier.train(
                np.concatenate([train_x, thicken(train_x)]),
                np.repeat([0, 1], len(train_x)),
                epochs=2,
            )
            translated = model.translate(test_x)
            thick = thicken(test_x)
            back = model.translate_back(thick)
            result = {
                "epochs": args.epochs_unpaired,
                "train_seconds": round(seconds),
                "a_to_b": {
                    "judge": judge.accuracy(translated, test_y),
                    "assigned_to_b": float(np.mean(domains.probabilities(translated).argmax(-1))),
                    **quality(translated, thick),
                },
                "b_to_a": {
                    "judge": judge.accuracy(back, test_y),
                    "assigned_to_a": float(1 - np.mean(domains.probabilities(back).argmax(-1))),
                },
                "judge_on_real_thick": judge.accuracy(thick, test_y),
                "domain_classifier_on_real": float(
                    np.mean(
                        np.concatenate(
                            [
                                domains.probabilities(test_x).argmax(-1) == 0,
                                domains.probabilities(thick).argmax(-1) == 1,
                            ]
                        )
                    )
                ),
            }
            save_rows(
                [test_x, translated, thick, back],
                grids / f"{out.stem}_unpaired.png",
            )
        elif task == "sr_reference":
            # How well the 7x7 views alone give the digit: the judge's design trained
            # directly on them (bicubic back to 28x28), for 8 epochs (the judge's) and 30.
            def views(x: np.ndarray) -> np.ndarray:
                low = tf.image.resize(x, (7, 7), method="area")
                return np.clip(tf.image.resize(low, (28, 28), method="bicubic").numpy(), -1, 1)

            result = {}
            for epochs in (8, 30):
                keras.utils.set_random_seed(0)
                direct = evaluation.DomainClassifier.train(views(train_x), train_y, epochs=epochs)
                result[f"classifier_on_7x7_{epochs}_epochs"] = direct.accuracy(
                    views(test_x), test_y
                )
        else:
            raise SystemExit(
                f"unknown task {task!r}: choose from sr, sr_reference, paired, unpaired"
            )
        report[task] = result
        print(json.dumps({task: result}), flush=True)
        if not args.quick:
            out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
