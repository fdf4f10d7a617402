"""Write a grid of samples from an exported SavedModel, using TensorFlow only.

    python -m keras_gans.sample SAVED_MODEL_DIR --num 64 --seed 0 --out grid.png

``SAVED_MODEL_DIR`` is a version directory or a base directory (its highest
version is used). No keras_gans model code runs on this path: the SavedModel's
``sample`` signature makes the images.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def _version_dir(path: Path) -> Path:
    if (path / "saved_model.pb").exists():
        return path
    versions = sorted((int(p.name), p) for p in path.glob("*") if p.name.isdigit())
    if not versions or not (versions[-1][1] / "saved_model.pb").exists():
        raise FileNotFoundError(f"no SavedModel in {path}")
    return versions[-1][1]


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Tile uint8 images ``(n, H, W, C)`` into one grid."""
    n, h, w, c = images.shape
    rows = -(-n // columns)
    grid = np.zeros((rows * h, columns * w, c), np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[r * h : (r + 1) * h, col * w : (col + 1) * w] = image
    return grid


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_gans.sample", description=__doc__.split("\n")[0]
    )
    parser.add_argument("saved_model", help="SavedModel version or base directory")
    parser.add_argument("--num", type=int, default=64, help="number of images (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--out", default="grid.png", help="output PNG (default grid.png)")
    parser.add_argument("--scale", type=int, default=4, help="pixel enlargement (default 4)")
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error("--num must be positive")
    try:
        directory = _version_dir(Path(args.saved_model))
    except FileNotFoundError as e:
        parser.error(str(e))
    import tensorflow as tf
    from PIL import Image

    loaded = tf.saved_model.load(str(directory))
    images = loaded.signatures["sample"](
        num_images=tf.constant(args.num), seed=tf.constant(args.seed)
    )
    grid = tile(images["images"].numpy(), int(np.ceil(np.sqrt(args.num))))
    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    image = image.resize((image.width * args.scale, image.height * args.scale), Image.NEAREST)
    image.save(args.out)
    print(f"wrote {args.num} samples from {directory} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
