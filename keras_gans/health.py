"""Training health: divergence guard, mode-collapse diagnostics, a NaN test hook."""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

__all__ = ["Diagnostics", "DivergenceGuard", "InjectNaN", "pairwise_diversity"]


def pairwise_diversity(images: np.ndarray) -> float:
    """Mean Euclidean distance between all pairs of images, per pixel (RMS difference).

    Near zero for a collapsed generator; comparable to the same statistic on
    real images for a diverse one.
    """
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    if len(x) < 2:
        raise ValueError("pairwise_diversity needs at least 2 images")
    sq = np.sum(x**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    i, j = np.triu_indices(len(x), k=1)
    return float(np.mean(np.sqrt(d2[i, j])) / np.sqrt(x.shape[1]))


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


class InjectNaN(keras.callbacks.Callback):
    """Testing hook: poison a discriminator weight with NaN after generator step ``step``.

    Fires ``times`` times in all (again after each rollback), to exercise the
    divergence guard and its retry limit.
    """

    def __init__(self, step: int, times: int = 1) -> None:
        super().__init__()
        self.step, self.remaining = step, times

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        g_step = int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations))
        if self.remaining > 0 and g_step >= self.step:
            self.remaining -= 1
            weight = self.model.discriminator.trainable_variables[0]
            weight.assign(tf.fill(weight.shape, float("nan")))


class Diagnostics(keras.callbacks.Callback):
    """Per-epoch mode-collapse diagnostics, logged to the history and TensorBoard.

    On a fixed batch of generated images (fixed inputs) and a fixed batch of
    real images: ``diversity_fake`` and ``diversity_real`` (see
    :func:`pairwise_diversity`) and their ratio, and the discriminator's
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
        super().__init__()
        self.real = np.asarray(real_images, np.float32)
        self.real_labels = None if real_labels is None else np.asarray(real_labels, np.int32)
        self.log_dir = None if log_dir is None else str(log_dir)
        self.seed = seed
        self.classifier = classifier
        self._writer = None
        self.real_diversity = pairwise_diversity(self.real)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._inputs = self.model.sample_generator_inputs(
            len(self.real), keras.random.SeedGenerator(self.seed)
        )
        if self.log_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)

    def compute(self) -> dict[str, float]:
        """The diagnostics for the current model."""
        model = self.model
        fake = keras.ops.convert_to_numpy(model(self._inputs, training=False))
        out = {"diversity_fake": pairwise_diversity(fake), "diversity_real": self.real_diversity}
        out["diversity_ratio"] = out["diversity_fake"] / max(self.real_diversity, 1e-12)

        conditional = getattr(model, "conditional", False)
        if conditional and self.real_labels is None:
            raise ValueError("Diagnostics of a conditional model need real_labels")

        def scores(images, labels=None):
            result = model.discriminator_output(images, labels, training=False)
            result = result[0] if isinstance(result, (list, tuple)) else result
            return keras.ops.convert_to_numpy(result).reshape(-1)

        real_s = scores(self.real, self.real_labels if conditional else None)
        fake_s = scores(fake, self._inputs[1] if conditional else None)
        threshold = 0.0 if "gp" not in model.tracker_names else (real_s.mean() + fake_s.mean()) / 2
        out["d_acc_real"] = float(np.mean(real_s > threshold))
        out["d_acc_fake"] = float(np.mean(fake_s <= threshold))
        if self.classifier is not None:
            probs = keras.ops.convert_to_numpy(self.classifier(fake, training=False))
            counts = np.bincount(probs.argmax(-1), minlength=probs.shape[-1])
            p = counts[counts > 0] / counts.sum()
            out["class_entropy"] = float(-(p * np.log2(p)).sum())
        return out

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = self.compute()
        if logs is not None:
            logs.update({f"diag_{k}": v for k, v in values.items()})
        if self._writer is not None:
            with self._writer.as_default():
                for k, v in values.items():
                    tf.summary.scalar(f"diagnostics/{k}", v, step=epoch)
            self._writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
