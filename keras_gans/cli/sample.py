"""Write a grid of samples from an exported SavedModel, using TensorFlow only.

    keras-gans sample SAVED_MODEL_DIR --num 64 --seed 0 --out grid.png
    keras-gans sample SAVED_MODEL_DIR --labels 3,7   # class-conditional models
    keras-gans sample SAVED_MODEL_DIR --codes 4       # InfoGAN: fixed categorical code
    keras-gans sample SAVED_MODEL_DIR --traverse 0    # InfoGAN: a latent traversal

``SAVED_MODEL_DIR`` is a version directory or a base directory (its highest
version is used). No keras_gans model code runs on this path: the SavedModel's
signatures make the images (``sample``; ``generate_with_labels`` for
``--labels``; ``generate_with_codes`` for ``--codes`` and ``--traverse``), with
noise drawn by NumPy from ``--seed``.

``--traverse J``: one row per value of the first categorical code, continuous
code J swept from -1 to 1 along the row (the others at 0), one noise vector
for the whole grid: what changes along a row is what code J controls.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from keras_gans.config import integers


def _version_dir(path: Path) -> Path:
    if (path / "saved_model.pb").exists():
        return path
    versions = sorted((int(p.name), p) for p in path.glob("*") if p.name.isdigit())
    if not versions or not (versions[-1][1] / "saved_model.pb").exists():
        raise FileNotFoundError(f"no SavedModel in {path}")
    return versions[-1][1]


TRAVERSE_STEPS = 10


def _to_uint8(images: np.ndarray) -> np.ndarray:
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _signature(loaded, name: str, flag: str, directory: Path):
    if name not in loaded.signatures:
        kind = "a class-conditional" if name == "generate_with_labels" else "an InfoGAN"
        raise ValueError(f"{flag} needs {kind} model: {directory} has no {name} signature")
    fn = loaded.signatures[name]
    return fn, fn.structured_input_signature[1]


def _images(args: argparse.Namespace, loaded, directory: Path) -> tuple[np.ndarray, int]:
    """The uint8 images the arguments ask for, and the grid's column count."""
    import tensorflow as tf

    rng = np.random.default_rng(args.seed)
    columns = int(np.ceil(np.sqrt(args.num)))
    if args.labels is not None:
        fn, spec = _signature(loaded, "generate_with_labels", "--labels", directory)
        z = rng.standard_normal((args.num, spec["z"].shape[-1])).astype(np.float32)
        labels = np.resize(np.asarray(args.labels, np.int32), args.num)
        out = fn(z=tf.constant(z), labels=tf.constant(labels))
        return _to_uint8(out["images"].numpy()), columns
    if args.codes is not None or args.traverse is not None:
        flag = "--codes" if args.codes is not None else "--traverse"
        fn, spec = _signature(loaded, "generate_with_codes", flag, directory)
        latent, n_cat = spec["z"].shape[-1], spec["categorical"].shape[-1]
        n_cont = spec["continuous"].shape[-1]
        if args.codes is not None:
            if len(args.codes) != n_cat:
                raise ValueError(f"--codes takes {n_cat} value(s), one per categorical code")
            z = rng.standard_normal((args.num, latent)).astype(np.float32)
            categorical = np.tile(np.asarray(args.codes, np.int32), (args.num, 1))
            continuous = rng.uniform(-1, 1, (args.num, n_cont)).astype(np.float32)
        else:
            if not 0 <= args.traverse < n_cont:
                raise ValueError(f"--traverse takes a continuous code index in [0, {n_cont})")
            sizes = args.categories or [10]
            rows, columns = sizes[0], TRAVERSE_STEPS
            z = np.repeat(rng.standard_normal((1, latent)), rows * columns, 0).astype(np.float32)
            categorical = np.zeros((rows * columns, n_cat), np.int32)
            categorical[:, 0] = np.repeat(np.arange(rows), columns)
            continuous = np.zeros((rows * columns, n_cont), np.float32)
            continuous[:, args.traverse] = np.tile(np.linspace(-1, 1, columns), rows)
        out = fn(
            z=tf.constant(z),
            categorical=tf.constant(categorical),
            continuous=tf.constant(continuous),
        )
        return _to_uint8(out["images"].numpy()), columns
    out = loaded.signatures["sample"](num_images=tf.constant(args.num), seed=tf.constant(args.seed))
    return out["images"].numpy(), columns


def _first_line(error: Exception) -> str:
    """The assertion message of a failed signature check, without TensorFlow's graph dump."""
    for marker in ("labels must", "labels and z", "must be"):
        for line in str(error).splitlines():
            if marker in line:
                return line.strip()
    return str(error).splitlines()[0]


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="keras-gans sample", description=__doc__.split("\n")[0])
    parser.add_argument("saved_model", help="SavedModel version or base directory")
    parser.add_argument("--num", type=int, default=64, help="number of images (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--out", default="grid.png", help="output PNG (default grid.png)")
    parser.add_argument("--scale", type=int, default=4, help="pixel enlargement (default 4)")
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's start-up messages"
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--labels",
        type=integers,
        metavar="L[,L...]",
        help="class-conditional models: the classes to draw, cycled over the images",
    )
    choice.add_argument(
        "--codes",
        type=integers,
        metavar="C[,C...]",
        help="InfoGAN: one value per categorical code, the same for every image",
    )
    choice.add_argument(
        "--traverse",
        type=int,
        metavar="J",
        help="InfoGAN: a traversal grid of continuous code J (rows: first categorical code)",
    )
    parser.add_argument(
        "--categories",
        type=integers,
        default=None,
        help="with --traverse: the size of the first categorical code (default 10)",
    )
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error("--num must be positive")
    try:
        directory = _version_dir(Path(args.saved_model))
    except FileNotFoundError as e:
        parser.error(str(e))
    import tensorflow as tf

    from keras_gans.images import image_grid, save_png

    loaded = tf.saved_model.load(str(directory))
    if "sample" not in loaded.signatures and "translate" in loaded.signatures:
        parser.error(
            f"{directory} is an image-to-image model: it has no samples to draw; call its "
            "translate (or translate_uint8) signature on a batch of images"
        )
    try:
        images, columns = _images(args, loaded, directory)
    except ValueError as e:
        parser.error(str(e))
    except tf.errors.InvalidArgumentError as e:
        parser.error(_first_line(e))
    grid = image_grid(images.astype(np.float32) / 127.5 - 1.0, columns, padding=0)
    save_png(grid, args.out, args.scale)
    print(f"wrote {len(images)} samples from {directory} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
