"""What the GANs share: two networks, two optimizers, trackers, randomness and updates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from keras_gans import augment, data, distribute, networks
from keras_gans.ema import GeneratorEMA
from keras_gans.models.compiling import CompileMixin
from keras_gans.models.generation import GenerationMixin

DEFAULT_IMAGE_SHAPE: tuple[int, int, int] = (28, 28, 1)
LossFn = Callable[[], tuple[tf.Tensor, dict[str, tf.Tensor]]]


class BaseGAN(CompileMixin, GenerationMixin, keras.Model):
    """Base class of the GAN models: a generator, a discriminator and two optimizers.

    A subclass validates and sets its own options, then calls
    ``super().__init__``, which builds the default networks with the subclass's
    ``default_generator``/``default_discriminator`` (so those may read the
    options). It also sets ``tracker_names`` and ``default_latent_dim``, picks
    its paper's optimizers in ``default_optimizers`` and writes ``train_step``
    with :meth:`update_discriminator` and :meth:`update_generator`.

    Class conditioning (``num_classes=N``): the generator takes ``[z, labels]``
    and the discriminator ``[images, labels]`` (``conditioning="projection"``,
    Miyato and Koyama 2018, or ``"concat"``, a one-hot input); ``fit`` then
    trains on ``(images, labels)`` batches, the fake batch of each step using
    the real batch's labels, and ``model([z, labels])`` generates.

    ``prune_zero_curvature`` (default on): updates whose loss holds a gradient
    (WGAN-GP's penalty, R1/R2) skip an all-zero part of their backward pass
    (:mod:`keras_gans.autodiff`; exact, faster). It patches a private
    TensorFlow registry while such a gradient is taken; turn it off to use
    only TensorFlow's public API. Other updates never touch it.
    """

    tracker_names: tuple[str, ...] = ("d_loss", "g_loss", "real_score", "fake_score")
    default_latent_dim: int = 100
    default_batch_size: int = 32  # train.py's --batch-size auto
    is_critic: bool = False  # unbounded scores (WGAN) rather than real/fake logits
    can_condition: bool = True  # accepts num_classes
    auto_ema_decay: ClassVar[float | None] = 0.999  # train.py's --ema-decay auto
    # The model's own options that train.py exposes: TrainConfig field -> argument.
    train_options: ClassVar[dict[str, str]] = {}

    @classmethod
    def check_options(cls, **options: Any) -> None:
        """Raise ``ValueError`` naming an invalid option of this model (its constructor's check)."""

    def __init__(
        self,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        *,
        latent_dim: int | None = None,
        image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
        seed: int | None = None,
        ema_decay: float | None = None,
        use_ema: bool = True,
        spectral_norm: bool = False,
        diffaugment: str | Sequence[str] | None = None,
        num_classes: int | None = None,
        conditioning: str = "projection",
        prune_zero_curvature: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        networks.validate_conditioning(num_classes, conditioning)
        latent_dim = self.default_latent_dim if latent_dim is None else latent_dim
        if not isinstance(latent_dim, (int, np.integer)) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
        self.prune_zero_curvature = bool(prune_zero_curvature)
        self.num_classes, self.conditioning = num_classes, conditioning
        self.diffaugment = augment.parse_policy(diffaugment)
        self.spectral_norm = bool(spectral_norm)
        self.latent_dim, self.seed = int(latent_dim), seed
        if generator is None or discriminator is None:
            self.image_shape = networks.validate_image_shape(image_shape)
        else:
            self.image_shape = tuple(int(d) for d in image_shape)
        self.generator = generator if generator is not None else self.default_generator()
        self.discriminator = (
            discriminator if discriminator is not None else self.default_discriminator()
        )
        self.ema = None if ema_decay is None else GeneratorEMA(self.generator, ema_decay)
        self.ema_decay = None if ema_decay is None else self.ema.decay
        self.ema_generator = None if self.ema is None else self.ema.network
        self.use_ema = bool(use_ema)
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names}
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self._gan_compile_config: dict[str, Any] | None = None

    # ----------------------------------------------------------------- networks
    def build_networks(self) -> None:
        """Create the variables of both networks and of the EMA generator."""
        labels = tf.zeros((1,), tf.int32) if self.conditional else None
        for generator in (self.generator, self.ema_generator):
            if generator is not None and not generator.built:
                z = tf.zeros((1, self.generator_input_dim))
                generator(z if labels is None else [z, labels], training=False)
        if self.ema is not None and not self.built:
            self.ema.reset()
        if not self.discriminator.built:
            self.discriminator_output(tf.zeros((1, *self.image_shape)), labels, training=False)

    @property
    def conditional(self) -> bool:
        """Whether the model is class-conditional (``num_classes`` set)."""
        return self.num_classes is not None

    @property
    def generator_input_dim(self) -> int:
        """Width of the generator's input vector (the noise, plus codes for InfoGAN)."""
        return self.latent_dim

    def default_generator(self) -> keras.Model:
        """Build the default generator for ``image_shape``."""
        raise NotImplementedError

    def default_discriminator(self) -> keras.Model:
        """Build the default discriminator (critic) for ``image_shape``."""
        raise NotImplementedError

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """The paper's (generator, discriminator) optimizers, used for ``"auto"``."""
        return (
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam"),
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
        )

    def augment(self, images: tf.Tensor) -> tf.Tensor:
        """DiffAugment (the ``diffaugment`` policy) before the discriminator; identity if none."""
        if not self.diffaugment:
            return images
        return augment.diff_augment(
            images, self.diffaugment, distribute.replica_draw, self.seed_generator
        )

    def discriminator_output(
        self, images: tf.Tensor, labels: tf.Tensor | None = None, training: bool = True
    ) -> Any:
        """The discriminator (critic) on ``images``, conditioned on ``labels`` if given."""
        if labels is not None:
            # Keras refuses a list mixing NumPy arrays and tensors.
            images, labels = tf.convert_to_tensor(images), tf.convert_to_tensor(labels)
        return self.discriminator(images if labels is None else [images, labels], training=training)

    def scores(self, output: Any) -> tf.Tensor:
        """The real/fake logits (or critic scores) within a discriminator output."""
        return output

    def discriminate(
        self, real: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor | None = None
    ) -> tuple[Any, Any]:
        """Discriminator outputs for a real and a fake batch (training mode).

        Without batch norm in the discriminator its rows are independent: one
        call on the concatenated batch (faster on CPU) equals two calls. With
        batch norm, concatenation would mix real and fake statistics: two calls.
        """
        if self._discriminator_has_batch_norm:
            return self.discriminator_output(real, labels), self.discriminator_output(fake, labels)
        both = self.discriminator_output(
            tf.concat([real, fake], axis=0),
            None if labels is None else tf.concat([labels, labels], axis=0),
        )
        halves = [tf.split(out, 2, axis=0) for out in tf.nest.flatten(both)]
        return (
            tf.nest.pack_sequence_as(both, [h[0] for h in halves]),
            tf.nest.pack_sequence_as(both, [h[1] for h in halves]),
        )

    @property
    def _discriminator_has_batch_norm(self) -> bool:
        return any(
            isinstance(layer, keras.layers.BatchNormalization)
            for layer in self.discriminator._flatten_layers(include_self=False)
        )

    def fake(self, z: tf.Tensor, labels: tf.Tensor | None = None) -> tf.Tensor:
        """The training generator's images for ``z`` (and ``labels``), as float32."""
        inputs = z if labels is None else [z, labels]
        return tf.cast(self.generator(inputs, training=True), tf.float32)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers, reset by ``fit`` at each epoch."""
        return list(self.trackers.values())

    # ---------------------------------------------------------------- updates
    def unpack(self, batch: Any) -> tuple[tf.Tensor, tf.Tensor | None]:
        """``(images, labels)`` of a batch (:func:`keras_gans.data.unpack_batch`)."""
        return data.unpack_batch(batch, with_labels=self.conditional)

    def update_discriminator(
        self, loss_fn: LossFn, *, second_order: bool = False
    ) -> dict[str, tf.Tensor]:
        """One step of the discriminator optimizer on ``loss_fn() -> (loss, logged terms)``.

        ``second_order``: the loss holds a gradient (a gradient penalty), whose
        all-zero second-derivative pass is pruned unless ``prune_zero_curvature``
        is off. Returns the logged terms.
        """
        prune = second_order and self.prune_zero_curvature
        return self.apply_update(
            self.d_optimizer, self.discriminator.trainable_variables, loss_fn, prune
        )

    def update_generator(self, loss_fn: LossFn, inputs: Any = None) -> dict[str, tf.Tensor]:
        """One step of the generator optimizer, then of the EMA generator if any.

        ``inputs``: the step's generator inputs, on which the EMA generator
        refreshes its own batch-norm statistics (:meth:`GeneratorEMA.update`).
        """
        terms = self.apply_update(self.g_optimizer, self.generator.trainable_variables, loss_fn)
        if self.ema is not None:
            self.ema.update(self.g_optimizer.iterations, self.scheduled_ema_decay(), inputs)
        return terms

    def scheduled_ema_decay(self) -> tf.Tensor | None:
        """The EMA decay of this step when the model schedules it; None for the EMA's warm-up."""
        return None

    @staticmethod
    def score_logs(real_scores: tf.Tensor, fake_scores: tf.Tensor) -> dict[str, tf.Tensor]:
        """The mean discriminator (critic) outputs on the real and the fake batch."""
        return {
            "real_score": tf.reduce_mean(tf.cast(real_scores, tf.float32)),
            "fake_score": tf.reduce_mean(tf.cast(fake_scores, tf.float32)),
        }

    def _log(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # --------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """Serializable configuration, networks included."""
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "image_shape": list(self.image_shape),
            "seed": self.seed,
            "ema_decay": self.ema_decay,
            "use_ema": self.use_ema,
            "spectral_norm": self.spectral_norm,
            "diffaugment": list(self.diffaugment),
            "num_classes": self.num_classes,
            "conditioning": self.conditioning,
            "prune_zero_curvature": self.prune_zero_curvature,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BaseGAN:
        """Inverse of :meth:`get_config`."""
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
