"""Every Keras callback of the package: sample grids, step scalars, HParams, atomic
checkpoints, the divergence guard, mode-collapse diagnostics, periodic evaluation."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np
import tensorflow as tf
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import summary as custom_scalar_summary
from tensorboard.plugins.hparams import api as hparams_api

from keras_gans import evaluation
from keras_gans.images import image_grid, save_png

__all__ = [
    "WriteError",
    "Diagnostics",
    "DivergenceGuard",
    "EvaluationCallback",
    "GANCheckpoint",
    "Position",
    "RunSummary",
    "SampleGrid",
    "StepScalars",
    "StopRequest",
    "TensorBoard",
    "checkpoint_name",
    "checkpoints",
    "image_grid",
    "latest_checkpoint",
    "save_png",
]


class WriteError(OSError):
    """A run output (checkpoint, grid, model) could not be written; says where and why."""

    def __init__(self, path: str | os.PathLike, error: OSError) -> None:
        reason = error.strerror or str(error)
        super().__init__(error.errno, f"cannot write {path}: {reason}")

    def __str__(self) -> str:
        return self.strerror


_CHECKPOINT_RE = re.compile(r"^epoch_(\d+)(?:_step_(\d+))?\.keras$")


class Position(NamedTuple):
    """Where training stands: ``epoch`` whole epochs done, then ``step`` steps of the next."""

    epoch: int
    step: int = 0


class _WholeEpochs(keras.callbacks.Callback):
    """A callback that acts at epoch ends, and only at the ends of whole epochs.

    An epoch cut short (a stop signal, the divergence guard) still gets Keras'
    ``on_epoch_end``; :meth:`epoch_complete` tells it apart, so no grid, scalar
    or checkpoint is written for an epoch that a resumed run trains again.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._batches_done = 0
        super().on_epoch_begin(epoch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._batches_done = batch + 1
        super().on_train_batch_end(batch, logs)

    def epoch_complete(self) -> bool:
        """Whether the epoch that just ended ran all of its steps."""
        steps = self.params.get("steps") if self.params else None
        return steps is None or getattr(self, "_batches_done", 0) >= steps


class TensorBoard(_WholeEpochs, keras.callbacks.TensorBoard):
    """Keras' TensorBoard callback, writing epoch scalars for whole epochs only."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.epoch_complete():
            super().on_epoch_end(epoch, logs)


class _SummaryCallback(_WholeEpochs):
    """A callback writing TensorBoard summaries to ``log_dir`` (None: no summaries).

    The writer opens at train begin and closes at train end, so a rollback's
    second ``fit`` reopens it.
    """

    def __init__(self, log_dir: str | os.PathLike | None) -> None:
        super().__init__()
        self.log_dir = None if log_dir is None else str(log_dir)
        self._writer = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.log_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class SampleGrid(_SummaryCallback):
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
        super().__init__(log_dir)
        self.sample_dir = Path(sample_dir)
        self.num_images = num_images
        self.seed = seed
        self.scale = scale
        self._inputs: tf.Tensor | None = None
        self._traversal: tuple[tf.Tensor, int] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        self._columns = None
        if getattr(model, "conditional", False):
            self._inputs, self._columns = self._per_class_inputs(model)
        else:
            self._inputs = model.sample_generator_inputs(
                self.num_images, keras.random.SeedGenerator(self.seed)
            )
        self._traversal = model.traversal_inputs(self.seed)
        super().on_train_begin(logs)

    def _per_class_inputs(self, model: Any) -> tuple[list[tf.Tensor], int]:
        rows = min(model.num_classes, self.max_class_rows)
        columns = max(1, self.num_images // rows)
        noise = model.sample_noise(columns, keras.random.SeedGenerator(self.seed))
        labels = np.repeat(np.arange(rows, dtype=np.int32), columns)
        return [tf.tile(noise, [rows, 1]), tf.constant(labels)], columns

    def render(self, inputs: tf.Tensor, columns: int | None = None) -> np.ndarray:
        """Generate images for ``inputs`` with the inference (EMA) generator and tile them."""
        images = keras.ops.convert_to_numpy(self.model(inputs, training=False))
        return image_grid(images, columns)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.epoch_complete():
            return
        if not all(np.isfinite(float(v)) for v in (logs or {}).values()):
            return  # a diverged epoch: it will be rolled back and redone
        grids = {
            "samples": (self.render(self._inputs, self._columns), f"epoch_{epoch + 1:03d}.png")
        }
        if self._traversal is not None:
            grids["traversal"] = (
                self.render(*self._traversal),
                f"traversal_epoch_{epoch + 1:03d}.png",
            )
        for tag, (grid, filename) in grids.items():
            try:
                save_png(grid, self.sample_dir / filename, self.scale)
            except OSError as e:
                raise WriteError(self.sample_dir / filename, e) from None
            if self._writer is not None:
                with self._writer.as_default():
                    tf.summary.image(tag, grid[None], step=epoch, max_outputs=1)
        if self._writer is not None:
            self._writer.flush()


class TranslationGrid(_SummaryCallback):
    """At each epoch end, an image-to-image model's outputs on fixed inputs.

    ``pairs`` is a fixed ``(source, target)`` (or ``(a, b)``) batch; each row of
    ``<sample_dir>/epoch_NNN.png`` (and of the ``samples`` image summary) shows
    the model's ``grid_columns`` for one pair: source, output and target (for
    CycleGAN both directions with their cycles). One-channel columns are shown
    in grey beside colour ones.
    """

    def __init__(
        self,
        sample_dir: str | os.PathLike,
        log_dir: str | os.PathLike | None = None,
        *,
        pairs: tuple[np.ndarray, np.ndarray],
        scale: int = 2,
    ) -> None:
        super().__init__(log_dir)
        self.sample_dir, self.pairs, self.scale = Path(sample_dir), pairs, scale

    def render(self) -> np.ndarray:
        """The grid for the fixed pairs, one row per pair."""
        columns = self.model.grid_columns(*(tf.convert_to_tensor(p) for p in self.pairs))
        channels = max(c.shape[-1] for c in columns)
        columns = [np.repeat(c, channels // c.shape[-1], axis=-1) for c in columns]
        tiles = np.stack(columns, axis=1).reshape(-1, *columns[0].shape[1:])
        return image_grid(tiles, len(columns))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.epoch_complete():
            return
        if not all(np.isfinite(float(v)) for v in (logs or {}).values()):
            return  # a diverged epoch: it will be rolled back and redone
        grid, path = self.render(), self.sample_dir / f"epoch_{epoch + 1:03d}.png"
        try:
            save_png(grid, path, self.scale)
        except OSError as e:
            raise WriteError(path, e) from None
        if self._writer is not None:
            with self._writer.as_default():
                tf.summary.image("samples", grid[None], step=epoch, max_outputs=1)
            self._writer.flush()


class StepScalars(_SummaryCallback):
    """Log every tracked metric every ``every`` steps as ``step/<name>``.

    The step is the generator optimizer's iteration count, which is saved in
    checkpoints, so curves continue without overlap after a resume.
    """

    def __init__(self, log_dir: str | os.PathLike, every: int = 50) -> None:
        super().__init__(log_dir)
        self.every = every

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        super().on_train_batch_end(batch, logs)
        step = int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations))
        if step % self.every or not logs:
            return
        with self._writer.as_default():
            for name, value in logs.items():
                tf.summary.scalar(f"step/{name}", float(value), step=step)


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


class RunSummary(_WholeEpochs):
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
        self._written = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self._written:  # a second fit of the same run (a rollback, a resumed epoch)
            return
        self._written = True
        values = {k: _hparam_value(v) for k, v in self.hparams.items()}
        if "ema_decay" in values:  # "auto" resolved: the decay the model trains with
            values["ema_decay"] = _hparam_value(getattr(self.model, "ema_decay", None))
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
        if self.epoch_complete():
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


class StopRequest:
    """A request to stop training after the current step (set by a signal handler).

    :class:`GANCheckpoint` answers it: it writes a checkpoint at the exact
    position and stops ``fit``; ``stopped_at`` then names that checkpoint.
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self.stopped_at: tuple[Position, Path] | None = None

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.signal is not None

    def request(self, signal_number: int) -> None:
        """Ask for a stop; ``signal_number`` is what the exit status reports."""
        self.signal = signal_number


class GANCheckpoint(_WholeEpochs):
    """Save the whole GAN, atomically, at every epoch end and inside epochs.

    The ``.keras`` file holds both networks, both optimizers, the EMA and the
    RNG states: everything ``load_model`` needs to resume. Its name is its
    position, ``epoch_NNN.keras`` after NNN whole epochs and
    ``epoch_NNN_step_SSSSSS.keras`` SSSSSS steps into the next one; a
    checkpoint inside an epoch has a ``.json`` beside it with the metric
    trackers' running totals, so a resumed epoch's means carry on. Each file is
    written to a temporary name in the same folder and renamed, so a crash never
    leaves a truncated checkpoint. Only the newest ``keep`` are kept.

    ``every``: inside an epoch, a checkpoint every N steps (counted from the
    start of training), ``"auto"`` one when ``minutes`` have passed since the
    last, 0 none. ``stop``: a :class:`StopRequest`, answered after the step
    during which it arrived.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        keep: int = 2,
        guard: Any = None,
        *,
        every: int | str = 0,
        minutes: float = 10.0,
        stop: StopRequest | None = None,
    ) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.keep = keep
        self.guard = guard  # a DivergenceGuard: no checkpoint once it has fired
        self.every, self.minutes, self.stop = every, minutes, stop
        # Set before a fit that starts inside an epoch (a resume): the steps of
        # that epoch already done, and the metric totals to carry on from.
        self.step_offset = 0
        self.metric_states: dict[str, list[float]] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._last_save = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_begin(epoch, logs)
        self._epoch = epoch
        self._offset, self.step_offset = self.step_offset, 0
        if self.metric_states:  # after fit's reset_metrics, before the first step
            for metric in self.model.metrics:
                for variable, value in zip(
                    metric.variables, self.metric_states.get(metric.name, [])
                ):
                    variable.assign(value)
        self.metric_states = None

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        super().on_train_batch_end(batch, logs)
        step = self._offset + batch + 1
        steps = self.params.get("steps") if self.params else None
        if steps is None:  # an epoch of unknown length (a user's fit): no step count to use
            steps = step + 1
        steps_per_epoch = self._offset + steps
        if step >= steps_per_epoch:  # the epoch-end checkpoint covers it
            if self.stop is not None and self.stop.requested:
                self.model.stop_training = True
            return
        if self.stop is not None and self.stop.requested:
            path = self.save(Position(self._epoch, step), logs)
            self.stop.stopped_at = (Position(self._epoch, step), path)
            self.model.stop_training = True
        elif self._due(self._epoch * steps_per_epoch + step):
            self.save(Position(self._epoch, step), logs)

    def _due(self, global_step: int) -> bool:
        if self.every == "auto":
            return time.monotonic() - self._last_save >= 60 * self.minutes
        return bool(self.every) and global_step % int(self.every) == 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.epoch_complete():
            return
        path = self.save(Position(epoch + 1, 0), logs)
        if self.stop is not None and self.stop.requested and path is not None:
            self.stop.stopped_at = (Position(epoch + 1, 0), path)

    def save(self, position: Position, logs: dict | None = None) -> Path | None:
        """Write the checkpoint for ``position``; None if the model is not worth keeping."""
        if self.guard is not None and self.guard.triggered:
            return None  # never checkpoint a diverged model
        if not all(np.isfinite(float(v)) for v in (logs or {}).values()):
            return None
        target = self.directory / checkpoint_name(position)
        self.directory.mkdir(parents=True, exist_ok=True)
        if position.step:
            states = {
                m.name: [float(keras.ops.convert_to_numpy(v)) for v in m.variables]
                for m in self.model.metrics
            }
            _atomic_write(
                target.with_suffix(".json"),
                lambda tmp: Path(tmp).write_text(json.dumps({"metrics": states})),
            )
        _atomic_write(target, lambda tmp: self.model.save(tmp, overwrite=True))
        self._last_save = time.monotonic()
        for _, old in checkpoints(self.directory)[: -self.keep]:
            old.unlink(missing_ok=True)
            old.with_suffix(".json").unlink(missing_ok=True)
        return target


def _atomic_write(target: Path, write: Any) -> None:
    """``write(tmp)`` to a temporary file beside ``target``, then rename it to ``target``."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
        )
        os.close(fd)
        write(tmp)
        os.replace(tmp, target)
    except OSError as e:  # a full disk, a read-only folder: the last checkpoint stays
        raise WriteError(target, e) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def checkpoint_name(position: Position) -> str:
    """The file name of the checkpoint at ``position``."""
    if position.step:
        return f"epoch_{position.epoch:03d}_step_{position.step:06d}.keras"
    return f"epoch_{position.epoch:03d}.keras"


def checkpoints(directory: str | os.PathLike) -> list[tuple[Position, Path]]:
    """``(position, path)`` of every checkpoint in ``directory``, oldest first."""
    directory = Path(directory)
    found = []
    if directory.is_dir():
        for p in directory.iterdir():
            m = _CHECKPOINT_RE.match(p.name)
            if m:
                found.append((Position(int(m.group(1)), int(m.group(2) or 0)), p))
    return sorted(found)


def latest_checkpoint(directory: str | os.PathLike) -> tuple[Position, Path] | None:
    """``(position, path)`` of the newest complete checkpoint, or None."""
    found = checkpoints(Path(directory))
    return found[-1] if found else None


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training when it diverges: a NaN/Inf loss or weight, or a loss out of bounds.

    A loss whose absolute value exceeds ``loss_bound`` for ``patience``
    consecutive steps counts as divergence too. Weights are checked at each
    epoch end. ``reason`` says what happened; ``training.run`` then rolls back
    to the last good checkpoint (which :class:`~keras_gans.callbacks.GANCheckpoint`
    never overwrites with a diverged model).
    """

    def __init__(self, loss_bound: float = 1e4, patience: int = 20) -> None:
        super().__init__()
        self.loss_bound = loss_bound
        self.patience = patience
        self.reason: str | None = None
        self._streak = 0

    @property
    def triggered(self) -> bool:
        """Whether divergence was detected since the last :meth:`reset`."""
        return self.reason is not None

    def reset(self) -> None:
        """Forget a previous divergence (after a rollback)."""
        self.reason, self._streak = None, 0

    def _stop(self, reason: str) -> None:
        self.reason = reason
        self.model.stop_training = True

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        values = {k: float(v) for k, v in (logs or {}).items()}
        bad = [k for k, v in values.items() if not np.isfinite(v)]
        if bad:
            self._stop(f"{bad[0]} became {values[bad[0]]} at batch {batch}")
            return
        out = [k for k, v in values.items() if abs(v) > self.loss_bound]
        self._streak = self._streak + 1 if out else 0
        if self._streak >= self.patience:
            self._stop(
                f"{out[0]} = {values[out[0]]:.3g} beyond +-{self.loss_bound:g} "
                f"for {self.patience} steps"
            )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.triggered:
            return
        for net in (self.model.generator, self.model.discriminator):
            for weight in net.weights:
                if not np.all(np.isfinite(keras.ops.convert_to_numpy(weight))):
                    self._stop(f"weight {weight.path} is not finite after epoch {epoch + 1}")
                    return


class Diagnostics(_SummaryCallback):
    """Per-epoch mode-collapse diagnostics, logged to the history and TensorBoard.

    On a fixed batch of generated images (fixed inputs) and a fixed batch of
    real images: ``diversity_fake`` and ``diversity_real`` (see
    :func:`keras_gans.evaluation.pairwise_diversity`) and their ratio, and the discriminator's
    accuracy on each batch (``d_acc_real``, ``d_acc_fake``: logit sign for the
    minimax models; for a critic, which side of the midpoint of the mean
    scores). With a domain classifier (a Keras model mapping images to class
    probabilities), also ``class_entropy``: the entropy in bits of the
    histogram of predicted classes over the generated batch (log2 of the number
    of classes when all are equally present, 0 when collapsed on one class).
    """

    def __init__(
        self,
        real_images: np.ndarray,
        log_dir: str | os.PathLike | None = None,
        *,
        seed: int = 4321,
        classifier: keras.Model | None = None,
        real_labels: np.ndarray | None = None,
    ) -> None:
        super().__init__(log_dir)
        self.real = np.asarray(real_images, np.float32)
        self.real_labels = None if real_labels is None else np.asarray(real_labels, np.int32)
        self.seed = seed
        self.classifier = classifier
        self.real_diversity = evaluation.pairwise_diversity(self.real)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._inputs = self.model.sample_generator_inputs(
            len(self.real), keras.random.SeedGenerator(self.seed)
        )
        super().on_train_begin(logs)

    def compute(self) -> dict[str, float]:
        """The diagnostics for the current model."""
        model = self.model
        fake = keras.ops.convert_to_numpy(model(self._inputs, training=False))
        out = {
            "diversity_fake": evaluation.pairwise_diversity(fake),
            "diversity_real": self.real_diversity,
        }
        out["diversity_ratio"] = out["diversity_fake"] / max(self.real_diversity, 1e-12)

        conditional = getattr(model, "conditional", False)
        if conditional and self.real_labels is None:
            raise ValueError("Diagnostics of a conditional model need real_labels")

        def scores(images, labels=None):
            result = model.scores(model.discriminator_output(images, labels, training=False))
            return keras.ops.convert_to_numpy(result).reshape(-1)

        real_s = scores(self.real, self.real_labels if conditional else None)
        fake_s = scores(fake, self._inputs[1] if conditional else None)
        # A critic's scores have no zero point: split at the midpoint of the means.
        threshold = (real_s.mean() + fake_s.mean()) / 2 if model.is_critic else 0.0
        out["d_acc_real"] = float(np.mean(real_s > threshold))
        out["d_acc_fake"] = float(np.mean(fake_s <= threshold))
        if self.classifier is not None:
            probs = keras.ops.convert_to_numpy(self.classifier(fake, training=False))
            counts = np.bincount(probs.argmax(-1), minlength=probs.shape[-1])
            p = counts[counts > 0] / counts.sum()
            out["class_entropy"] = float(-(p * np.log2(p)).sum())
        return out

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.epoch_complete():
            return
        values = self.compute()
        if logs is not None:
            logs.update({f"diag_{k}": v for k, v in values.items()})
        if self._writer is not None:
            with self._writer.as_default():
                for k, v in values.items():
                    tf.summary.scalar(f"diagnostics/{k}", v, step=epoch)
            self._writer.flush()


class EvaluationCallback(_WholeEpochs):
    """Compute :func:`evaluate` every ``every`` epochs; log to the history and TensorBoard.

    Values appear in the epoch logs as ``eval_<metric>`` (so Keras' TensorBoard
    callback placed after this one writes them as ``epoch_eval_<metric>``).
    """

    def __init__(
        self,
        real_images: np.ndarray,
        classifier: evaluation.DomainClassifier | None = None,
        *,
        every: int = 1,
        num_samples: int = 1000,
        extractor=None,
        real_labels: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.real_images, self.classifier, self.extractor = real_images, classifier, extractor
        self.real_labels = real_labels
        self.every, self.num_samples = every, num_samples

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % self.every or not self.epoch_complete():
            return
        values = evaluation.evaluate(
            self.model,
            self.real_images,
            self.classifier,
            extractor=self.extractor,
            num_samples=self.num_samples,
            real_labels=self.real_labels,
        )
        if logs is not None:
            logs.update({f"eval_{k}": v for k, v in values.items()})
