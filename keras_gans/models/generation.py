"""Generator inputs, randomness and sampling of the GAN models: ``model(z)``, ``generate``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_gans import distribute

_SEED_STATE_KEY = "seed_generator_state"


class SeedStateMixin:
    """Saves and restores the state of every seed generator in a model (its own, dropout's...).

    Keras does not save seed generator states, so without this a reloaded model
    would draw other noise and other dropout masks than the saved one would have.
    """

    def _all_seed_generators(self) -> list[keras.random.SeedGenerator]:
        """The model's and every sublayer's seed generators (dropout...), in a fixed order."""
        generators = []
        for layer in self._flatten_layers(include_self=True):
            generators.extend(getattr(layer, "_seed_generators", []))
        return generators

    def save_own_variables(self, store: Any) -> None:
        """Save every seed generator's state (Keras does not), so a reload draws the same noise."""
        for i, generator in enumerate(self._all_seed_generators()):
            store[f"{_SEED_STATE_KEY}_{i}"] = keras.ops.convert_to_numpy(generator.state)

    def load_own_variables(self, store: Any) -> None:
        """Restore the seed generator states saved by :meth:`save_own_variables`."""
        keys = set(store.keys())
        for i, generator in enumerate(self._all_seed_generators()):
            if f"{_SEED_STATE_KEY}_{i}" in keys:
                generator.state.assign(np.asarray(store[f"{_SEED_STATE_KEY}_{i}"]))


class GenerationMixin(SeedStateMixin):
    """What the generator is fed and what comes out, for :class:`~keras_gans.models.BaseGAN`.

    Draws come from the model's ``seed_generator`` (saved with the model, like
    every sublayer's) or from a given seed. Calling the model runs the inference
    generator (the EMA generator when there is one), so ``model(z)`` and
    ``model.predict(z)`` return images in [-1, 1]; :meth:`generate` draws the
    inputs too. Models with latent codes (InfoGAN) override the input hooks.
    """

    def _seed(self, seed: Any = None) -> Any:
        return self.seed_generator if seed is None else seed

    def sample_noise(self, batch_size: int | tf.Tensor, seed: Any = None) -> tf.Tensor:
        """Standard-normal noise ``(batch_size, latent_dim)``, from ``seed`` if given.

        ``seed`` is an int or a ``SeedGenerator``; by default the model's own.
        Under a strategy each replica gets its slice of one global draw.
        """
        seed = self._seed(seed)
        draw = lambda n: keras.random.normal((n, self.latent_dim), seed=seed)  # noqa: E731
        return distribute.replica_draw(draw, batch_size)

    def sample_labels(self, batch_size: int | tf.Tensor, seed: Any = None) -> tf.Tensor:
        """Uniform class labels ``(batch_size,)`` int32 (conditional models)."""
        if not self.conditional:
            raise ValueError("sample_labels is for conditional models (num_classes=...)")
        seed = self._seed(seed)
        return distribute.replica_draw(
            lambda n: keras.random.randint((n,), 0, self.num_classes, seed=seed, dtype="int32"),
            batch_size,
        )

    def sample_generator_inputs(self, batch_size: int | tf.Tensor, seed: Any = None) -> Any:
        """Generator inputs: the noise (plus codes for InfoGAN), or ``[noise, labels]``."""
        noise = self.sample_noise(batch_size, seed)
        return [noise, self.sample_labels(batch_size, seed)] if self.conditional else noise

    def sample_inputs_and_codes(self, batch_size: int, seed: Any = None) -> tuple[Any, Any]:
        """Generator inputs and the latent codes they hold (None: a model without codes)."""
        return self.sample_generator_inputs(batch_size, seed), None

    def stateless_generator_inputs(self, num_images: tf.Tensor, seed: tf.Tensor) -> Any:
        """Generator inputs drawn statelessly from an int ``seed`` (the same seed, the same inputs).

        What an exported SavedModel's ``sample`` signature draws.
        """
        key = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
        noise = tf.random.stateless_normal(tf.stack([num_images, self.latent_dim]), seed=key)
        if not self.conditional:
            return noise
        labels = tf.random.stateless_uniform(
            tf.reshape(num_images, [1]), key + [0, 1], maxval=self.num_classes, dtype=tf.int32
        )
        return [noise, labels]

    def traversal_inputs(self, seed: int) -> tuple[Any, int] | None:
        """Inputs of a latent-traversal grid and its column count; None for models without codes."""
        return None

    def serving_endpoints(self, images_of: Callable[[Any], tf.Tensor]) -> dict[str, Any]:
        """Extra SavedModel signatures of this kind of model (``images_of`` runs the generator)."""
        return {}

    @property
    def inference_generator(self) -> keras.Model:
        """The generator used for sampling, grids, evaluation and export.

        The exponential moving average of the generator when ``ema_decay`` is
        set and ``use_ema`` is true (the default), else the trained generator.
        """
        if self.ema_generator is not None and self.use_ema:
            return self.ema_generator
        return self.generator

    def call(self, inputs: Any, training: bool = False) -> tf.Tensor:
        """Run the inference generator: latent vectors in, images in [-1, 1] out (float32).

        ``inputs`` is ``z``, or ``[z, labels]`` for a conditional model.
        """
        inputs = tf.nest.map_structure(tf.convert_to_tensor, inputs)
        return tf.cast(self.inference_generator(inputs, training=training), tf.float32)

    def check_labels(self, labels: Any, num_images: int) -> tf.Tensor:
        """Validate requested class labels: one int in range, or one per image.

        Returns an int32 tensor ``(num_images,)``; raises ``ValueError`` naming
        the problem (unconditional model, wrong length, out of range).
        """
        if not self.conditional:
            raise ValueError("labels need a conditional model (built with num_classes=...)")
        array = np.asarray(labels)
        if array.ndim == 0:
            array = np.full((num_images,), array)
        if array.ndim != 1 or len(array) != num_images:
            raise ValueError(
                f"labels must be one integer or {num_images} integers, got shape {array.shape}"
            )
        if array.size and (
            not np.issubdtype(array.dtype, np.integer)
            or array.min() < 0
            or array.max() >= self.num_classes
        ):
            raise ValueError(
                f"labels must be integers in [0, {self.num_classes}), got {array.tolist()[:10]}"
            )
        return tf.constant(array, tf.int32)

    def generate(
        self,
        num_images: int,
        seed: int | None = None,
        batch_size: int = 256,
        labels: Any = None,
    ) -> np.ndarray:
        """Generate ``num_images`` images in [-1, 1] as a NumPy array ``(n, H, W, C)``.

        With ``seed`` the draw is reproducible and leaves the model's own seed
        generator untouched; without it, the model's seed generator advances.
        ``labels`` (conditional models): one class for all images or one per
        image; by default, uniformly drawn classes.
        """
        if num_images < 1:
            raise ValueError(f"num_images must be positive, got {num_images}")
        if labels is not None:
            labels = self.check_labels(labels, num_images)
        inputs = self.sample_generator_inputs(
            num_images, None if seed is None else keras.random.SeedGenerator(seed)
        )
        if labels is not None:
            inputs = [inputs[0], labels]
        return self.generate_from_inputs(inputs, batch_size)

    def generate_from_inputs(self, inputs: Any, batch_size: int = 256) -> np.ndarray:
        """Images in [-1, 1] (NumPy, float32) for given generator inputs, in batches.

        ``inputs`` is what :meth:`sample_generator_inputs` returns: ``z``, or
        ``[z, labels]`` for a conditional model.
        """
        count = int(tf.nest.flatten(inputs)[0].shape[0])
        out = []
        for start in range(0, count, batch_size):
            chunk = tf.nest.map_structure(lambda t, s=start: t[s : s + batch_size], inputs)
            out.append(keras.ops.convert_to_numpy(self(chunk, training=False)))
        return np.concatenate(out).astype(np.float32)
