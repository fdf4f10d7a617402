"""Image grids and PNG files, for sample grids during training and from the commands."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["image_grid", "save_png"]


def image_grid(images: np.ndarray, columns: int | None = None, padding: int = 1) -> np.ndarray:
    """Tile ``(n, H, W, C)`` images in [-1, 1] into one uint8 grid.

    Tiles are separated by ``padding`` mid-grey pixels.
    """
    images = np.asarray(images, np.float32)
    n, h, w, c = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    step_h, step_w = h + padding, w + padding
    grid = np.zeros((rows * step_h - padding, columns * step_w - padding, c), np.float32)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[r * step_h : r * step_h + h, col * step_w : col * step_w + w] = image
    return np.round((np.clip(grid, -1, 1) + 1) * 127.5).astype(np.uint8)


def save_png(grid: np.ndarray, path: str | os.PathLike, scale: int = 1) -> None:
    """Write a uint8 grid as PNG, enlarged ``scale`` times (nearest neighbour), atomically."""
    from PIL import Image

    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    image.save(tmp, format="PNG")
    os.replace(tmp, path)
