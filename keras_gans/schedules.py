"""Training schedules measured in images seen, and an Adam whose beta_2 can follow one.

R3GAN (Huang et al. 2024, the authors' ``training_loop.py``) moves its
learning rate, R1/R2 gamma, Adam's beta_2, the EMA horizon and the
augmentation probability along half-cosines from a base to a final value
over a number of training images, then holds the final value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import tensorflow as tf

__all__ = ["CosineSchedule", "ScheduledAdam", "cosine_ramp"]


def cosine_ramp(images: tf.Tensor, base: float, final: float, total_images: float) -> tf.Tensor:
    """``base + (final - base) * (1 - cos(pi * images / total_images)) / 2``, then ``final``.

    The half-cosine of R3GAN's ``cosine_decay_with_warmup`` (no warm-up, no
    hold): ``base`` at 0 images, their mean at ``total_images / 2``,
    ``final`` from ``total_images`` on. Returns float32.
    """
    images = tf.cast(images, tf.float32)
    progress = tf.minimum(images / float(total_images), 1.0)
    return base + (final - base) * 0.5 * (1.0 - tf.cos(math.pi * progress))


@dataclass(frozen=True)
class CosineSchedule:
    """A value moving from ``base`` to ``final`` over a schedule (:func:`cosine_ramp`)."""

    base: float
    final: float

    def __call__(self, images: tf.Tensor, total_images: float) -> tf.Tensor:
        """The value after ``images`` of a schedule ``total_images`` long."""
        if self.base == self.final:
            return tf.constant(self.base, tf.float32)
        return cosine_ramp(images, self.base, self.final, total_images)


@keras.saving.register_keras_serializable(package="keras_gans")
class ScheduledAdam(keras.optimizers.Adam):
    """Adam whose ``beta_2`` is a variable, so a training step can schedule it.

    R3GAN raises beta_2 from 0.9 to 0.99 during training. Keras' Adam reads
    ``beta_2`` as a constant; here it is an optimizer variable (saved and
    restored with the optimizer, one value for all replicas), set with
    :meth:`set_beta_2`. With it left alone this is Keras' Adam.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._initial_beta_2 = float(self.beta_2)

    def build(self, variables):
        """Adam's slots, and the ``beta_2`` variable."""
        if self.built:
            return
        super().build(variables)
        self.beta_2 = self.add_variable(
            (),
            initializer=keras.initializers.Constant(self._initial_beta_2),
            name="beta_2",
            aggregation="only_first_replica",
        )

    def set_beta_2(self, value: tf.Tensor) -> None:
        """Use ``value`` as beta_2 from the next update on."""
        self.beta_2.assign(tf.cast(value, self.beta_2.dtype))

    def get_config(self) -> dict:
        """Adam's config, with beta_2 at its initial value."""
        return {**super().get_config(), "beta_2": self._initial_beta_2}
