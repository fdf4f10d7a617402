"""Training callbacks: sample grids, step scalars, HParams, atomic checkpoints, NaN guard."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import summary as custom_scalar_summary
from tensorboard.plugins.hparams import api as hparams_api

__all__ = [
    "GANCheckpoint",
    "RunSummary",
    "SampleGrid",
    "StepScalars",
    "image_grid",
    "latest_checkpoint",
    "save_png",
]

_CHECKPOINT_RE = re.compile(r"^epoch_(\d+)\.keras$")


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


class SampleGrid(keras.callbacks.Callback):
    """At each epoch end, render a grid from fixed generator inputs.

    Writes ``<sample_dir>/epoch_NNN.png`` and a ``samples`` image summary
    (step = epoch index, as Keras' TensorBoard uses for epoch scalars). The
    inputs are drawn once from ``seed``, so successive grids are comparable.
    For InfoGAN it also writes a latent traversal (``traversal_epoch_NNN.png``,
    summary ``traversal``): rows are the first categorical code's values,
    columns sweep the first continuous code from -1 to 1, noise fixed.
    For a conditional model the grid is per class: row ``c`` shows class ``c``
    (the first 20 classes) and each column keeps one noise vector.
    """

    max_class_rows = 20

    def __init__(
        self,
        sample_dir: str | os.PathLike,
        log_dir: str | os.PathLike | None = None,
        *,
        num_images: int = 64,
        seed: int = 1234,
        scale: int = 4,
    ) -> None:
        super().__init__()
        self.sample_dir = Path(sample_dir)
        self.log_dir = None if log_dir is None else str(log_dir)
        self.num_images = num_images
        self.seed = seed
        self.scale = scale
        self._writer = None
        self._inputs: tf.Tensor | None = None
        self._traversal: tf.Tensor | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        self._columns = None
        if getattr(model, "conditional", False):
            self._inputs, self._columns = self._per_class_inputs(model)
        else:
            self._inputs = model.sample_generator_inputs(
                self.num_images, keras.random.SeedGenerator(self.seed)
            )
        self._traversal = self._traversal_inputs(model)
        if self.log_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)

    def _per_class_inputs(self, model: Any) -> tuple[list[tf.Tensor], int]:
        rows = min(model.num_classes, self.max_class_rows)
        columns = max(1, self.num_images // rows)
        noise = model.sample_noise(columns, keras.random.SeedGenerator(self.seed))
        labels = np.repeat(np.arange(rows, dtype=np.int32), columns)
        return [tf.tile(noise, [rows, 1]), tf.constant(labels)], columns

    def _traversal_inputs(self, model: Any) -> tf.Tensor | None:
        categorical = getattr(model, "categorical_codes", ())
        if not categorical or not getattr(model, "continuous_codes", 0):
            return None
        rows, columns = categorical[0], 10
        noise = model.sample_noise(1, keras.random.SeedGenerator(self.seed))
        noise = tf.repeat(noise, rows * columns, axis=0)
        cat = np.zeros((rows * columns, len(categorical)), np.int32)
        cat[:, 0] = np.repeat(np.arange(rows), columns)
        cont = np.zeros((rows * columns, model.continuous_codes), np.float32)
        cont[:, 0] = np.tile(np.linspace(-1, 1, columns), rows)
        return model.generator_inputs(noise, cat, cont)

    def render(self, inputs: tf.Tensor, columns: int | None = None) -> np.ndarray:
        """Generate images for ``inputs`` with the inference (EMA) generator and tile them."""
        images = keras.ops.convert_to_numpy(self.model(inputs, training=False))
        return image_grid(images, columns)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not all(np.isfinite(float(v)) for v in (logs or {}).values()):
            return  # a diverged epoch: it will be rolled back and redone
        grids = {
            "samples": (self.render(self._inputs, self._columns), f"epoch_{epoch + 1:03d}.png")
        }
        if self._traversal is not None:
            grids["traversal"] = (
                self.render(self._traversal, columns=10),
                f"traversal_epoch_{epoch + 1:03d}.png",
            )
        for tag, (grid, filename) in grids.items():
            save_png(grid, self.sample_dir / filename, self.scale)
            if self._writer is not None:
                with self._writer.as_default():
                    tf.summary.image(tag, grid[None], step=epoch, max_outputs=1)
        if self._writer is not None:
            self._writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class StepScalars(keras.callbacks.Callback):
    """Log every tracked metric every ``every`` steps as ``step/<name>``.

    The step is the generator optimizer's iteration count, which is saved in
    checkpoints, so curves continue without overlap after a resume.
    """

    def __init__(self, log_dir: str | os.PathLike, every: int = 50) -> None:
        super().__init__()
        self.log_dir = str(log_dir)
        self.every = every
        self._writer = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._writer = tf.summary.create_file_writer(self.log_dir)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        step = int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations))
        if step % self.every or not logs:
            return
        with self._writer.as_default():
            for name, value in logs.items():
                tf.summary.scalar(f"step/{name}", float(value), step=step)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._writer is not None:
            self._writer.close()


def _chart(title: str, regex: str) -> layout_pb2.Chart:
    return layout_pb2.Chart(title=title, multiline=layout_pb2.MultilineChartContent(tag=[regex]))


# D and G losses on one chart, real and fake scores on another: how GAN training is read.
GAN_LAYOUT = layout_pb2.Layout(
    category=[
        layout_pb2.Category(
            title="GAN",
            chart=[
                _chart("D and G loss per epoch", r"^epoch_[dg]_loss$"),
                _chart("real and fake score per epoch", r"^epoch_(real|fake)_score$"),
                _chart("D and G loss per step", r"^step/[dg]_loss$"),
                _chart("real and fake score per step", r"^step/(real|fake)_score$"),
            ],
        )
    ]
)


def _hparam_value(value: Any) -> bool | int | float | str:
    """A value the HParams plugin accepts (None and lists become strings)."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "none" if value is None else str(value)


class RunSummary(keras.callbacks.Callback):
    """TensorBoard run comparison: the run's options as HParams, its final metrics, a layout.

    At the start, ``hparams`` (plus the optimizers' learning rates) go to the
    HParams dashboard and a custom-scalars layout puts D and G losses, and
    real and fake scores, on shared charts. At the end, the last epoch's logs
    (losses, and ``eval_*`` metrics when evaluation runs) are written as
    ``final/<name>``, the metrics the HParams dashboard compares runs by.
    """

    def __init__(self, log_dir: str | os.PathLike, hparams: dict[str, Any], run_name: str) -> None:
        super().__init__()
        self.log_dir, self.hparams, self.run_name = str(log_dir), dict(hparams), run_name
        self._last: tuple[int, dict[str, Any]] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        values = {k: _hparam_value(v) for k, v in self.hparams.items()}
        for name in ("g_optimizer", "d_optimizer"):
            optimizer = getattr(self.model, name, None)
            if optimizer is not None:
                lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
                values[f"{name[0]}_learning_rate"] = lr
        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            hparams_api.hparams(values, trial_id=self.run_name)
            layout = custom_scalar_summary.pb(GAN_LAYOUT).SerializeToString()
            tf.summary.experimental.write_raw_pb(layout, step=0)
        writer.close()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._last = (epoch, dict(logs or {}))

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._last is None:
            return
        epoch, values = self._last
        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            for name, value in values.items():
                if np.ndim(value) == 0 and np.isfinite(float(value)):
                    tf.summary.scalar(f"final/{name}", float(value), step=epoch)
        writer.close()


class GANCheckpoint(keras.callbacks.Callback):
    """Save the whole GAN at every epoch end, atomically, as ``epoch_NNN.keras``.

    The file holds both networks, both optimizers and the RNG state: everything
    :func:`latest_checkpoint` and ``load_model`` need to resume. It is written
    to a temporary file in the same folder and renamed, so a crash never leaves
    a truncated checkpoint. Only the newest ``keep`` checkpoints are kept.
    """

    def __init__(self, directory: str | os.PathLike, keep: int = 2, guard: Any = None) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.keep = keep
        self.guard = guard  # a DivergenceGuard: no checkpoint once it has fired

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.guard is not None and self.guard.triggered:
            return  # never checkpoint a diverged model
        if not all(np.isfinite(float(v)) for v in (logs or {}).values()):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".epoch_", suffix=".keras", dir=self.directory)
        os.close(fd)
        try:
            self.model.save(tmp, overwrite=True)
            os.replace(tmp, self.directory / f"epoch_{epoch + 1:03d}.keras")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        for old in _checkpoints(self.directory)[: -self.keep]:
            old[1].unlink(missing_ok=True)


def _checkpoints(directory: Path) -> list[tuple[int, Path]]:
    found = []
    if directory.is_dir():
        for p in directory.iterdir():
            m = _CHECKPOINT_RE.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
    return sorted(found)


def latest_checkpoint(directory: str | os.PathLike) -> tuple[int, Path] | None:
    """``(epochs_done, path)`` of the newest complete checkpoint, or None."""
    found = _checkpoints(Path(directory))
    return found[-1] if found else None
