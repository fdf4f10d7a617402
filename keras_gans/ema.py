"""An exponential moving average of a generator's weights (Karras et al. 2018; Yazici et al. 2019).

Sampling from the average instead of the last weights smooths out the
oscillation of adversarial training: sharper, more stable samples at no
training cost.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

__all__ = ["GeneratorEMA"]

STATISTICS_MOMENTUM = 0.9


class GeneratorEMA:
    """A copy of a generator whose weights follow the generator's moving average.

    ``network`` is a structural clone of the generator (the model keeps it as
    ``ema_generator``, so Keras saves and restores it with the model). Call
    :meth:`update` after each generator update.

    Args:
        generator: the trained generator.
        decay: the moving average's decay, in (0, 1).
    """

    def __init__(self, generator: keras.Model, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {decay!r}")
        self.decay = float(decay)
        self.generator = generator
        self.network = _clone(generator)
        for layer in _all_layers(self.network):
            if isinstance(layer, keras.layers.BatchNormalization):
                # Its statistics follow the average's own activations (see update); a short
                # memory keeps them close to the current average instead of a lagging one.
                layer.momentum = STATISTICS_MOMENTUM

    def reset(self) -> None:
        """Start the average at the generator's current weights."""
        self.network.set_weights(self.generator.get_weights())

    def update(self, step: tf.Tensor, decay: tf.Tensor | None = None, inputs: Any = None) -> None:
        """Move the average towards the generator after generator step ``step``.

        Decay ``min(decay, (1 + t) / (10 + t))`` at step t: the warm-up lets the
        early, fast-changing weights through. A model with a schedule of its
        own passes ``decay`` (capped at :attr:`decay`) instead of the warm-up.

        Non-trainable state (batch-norm moving statistics): with ``inputs`` (this
        step's generator inputs) the averaged network runs on them in training
        mode, so that its batch norms keep moving statistics of its own
        activations, as the trained generator's do of its own; without, they are
        copied from the generator. The copied statistics belong to another
        network: sampling the average with them measured a worse FID
        (``benchmarks/README.md``, "The EMA generator's batch-norm statistics").
        """
        if decay is None:
            t = tf.cast(step, tf.float32)
            decay = tf.minimum(self.decay, (1.0 + t) / (10.0 + t))
        else:
            decay = tf.minimum(self.decay, tf.cast(decay, tf.float32))
        for ema, weight in zip(
            self.network.trainable_variables, self.generator.trainable_variables
        ):
            ema.assign(decay * ema + (1.0 - decay) * tf.cast(weight, ema.dtype))
        if inputs is not None and self.network.non_trainable_variables:
            self.network(inputs, training=True)
            return
        for ema, weight in zip(
            self.network.non_trainable_variables, self.generator.non_trainable_variables
        ):
            ema.assign(weight)


def _all_layers(model: keras.Model):
    """The layers of ``model``, those of nested models included."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def _clone(model: keras.Model) -> keras.Model:
    """A structural copy of a network (weights are copied when it is built)."""
    try:
        clone = keras.models.clone_model(model)
    except Exception:  # subclassed models without a functional structure
        clone = model.__class__.from_config(model.get_config())
    clone.name = f"ema_{model.name}"
    return clone
