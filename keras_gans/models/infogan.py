"""InfoGAN (Chen et al. 2016): a GAN whose latent codes are kept recoverable by Q."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_gans import augment, distribute, losses, networks
from keras_gans.models.base import BaseGAN


@keras.saving.register_keras_serializable(package="keras_gans")
class InfoGAN(BaseGAN):
    """InfoGAN: noise plus categorical and continuous codes, and an auxiliary Q head.

    The generator input is ``[noise (latent_dim), one-hot categorical codes,
    continuous codes]``. The discriminator returns ``[logits, categorical_logits,
    continuous_mean]``: its body is shared by the real/fake head and the Q head.
    The mutual-information loss (:func:`keras_gans.losses.mutual_information_loss`,
    weighted by ``info_weight``) is minimised by the generator in its step and by
    Q (with the shared body) in the discriminator step, as in the paper's
    reference implementation.

    Args:
        categorical_codes: number of categories of each categorical code.
        continuous_codes: number of continuous codes, uniform in [-1, 1].
        info_weight: lambda, weight of the mutual-information loss.
        continuous_weight: weight of the continuous codes' information term
            relative to the categorical ones'. The paper advises a smaller lambda
            for continuous codes, so they do not take over what the categorical
            code should carry; 0.1 by default, 1 in its MNIST code.
        info_warmup: generator steps trained as a plain GAN, the information term
            off, before it starts: the codes then organise a generator that already
            draws the data, not the blobs of the first steps (1250 by default, two
            epochs of 10,000 images at batch 16); 0 (the paper) for none.
        invariant_codes: Q reads the codes from a randomly rotated, scaled and
            shifted copy of each generated image (:func:`keras_gans.augment.affine_jitter`),
            in both steps: a code must then show in what survives small moves (a
            digit's class), not in its slant, size or place. On by default; False
            for the paper's Q, which reads the fakes as drawn.
        stroke_jitter: Q also reads the codes through strokes thickened or thinned
            by up to this fraction of a 3x3 dilation or erosion
            (:func:`keras_gans.augment.stroke_jitter`), so a code cannot live in
            stroke width either (one seed split its 2s and 3s into a thick and a
            thin code without it); 0.5 by default, 0 for off.
        jitter_continuous: whether Q also reads the continuous codes through those
            moves. False by default: the categorical code is read through them and
            the continuous codes from the fake as drawn, so the continuous codes stay
            free to carry the slant and width the moves blur (the style they are
            for); True reads every code through the moves (the 2026-12-05 default).
        **kwargs: as :class:`keras_gans.models.base.BaseGAN`.

    The defaults (with ``train.py``'s batch of 16) are those under which the
    categorical code learned the MNIST classes for each of three seeds
    (``benchmarks/infogan_codes.py``); the paper's are ``continuous_weight=1``,
    ``info_warmup=0``, ``invariant_codes=False`` and ``stroke_jitter=0``.
    """

    tracker_names = ("d_loss", "g_loss", "info_loss", "real_score", "fake_score")
    default_latent_dim = 62
    default_batch_size = 16
    can_condition = False
    train_options = {
        "info_weight": "info_weight",
        "continuous_weight": "continuous_weight",
        "info_warmup": "info_warmup",
        "invariant_codes": "invariant_codes",
        "stroke_jitter": "stroke_jitter",
        "jitter_continuous": "jitter_continuous",
        "categorical_codes": "categorical_codes",
        "continuous_codes": "continuous_codes",
    }

    @classmethod
    def check_options(
        cls,
        *,
        categorical_codes: Sequence[int],
        continuous_codes: int,
        info_weight: float,
        continuous_weight: float,
        info_warmup: int = 0,
        stroke_jitter: float = 0.0,
        **others: Any,
    ) -> None:
        """Raise ``ValueError`` naming an invalid code layout or weight."""
        if any(int(k) < 2 for k in categorical_codes):
            raise ValueError(
                f"each categorical code needs at least 2 categories, got {list(categorical_codes)}"
            )
        if (
            isinstance(continuous_codes, bool)
            or not isinstance(continuous_codes, (int, np.integer))
            or continuous_codes < 0
        ):
            raise ValueError(
                f"continuous_codes must be a non-negative integer, got {continuous_codes!r}"
            )
        if not categorical_codes and not continuous_codes:
            raise ValueError("InfoGAN needs at least one categorical or continuous code")
        if isinstance(info_warmup, bool) or not isinstance(info_warmup, (int, np.integer)):
            raise ValueError(f"info_warmup must be a number of steps, got {info_warmup!r}")
        if info_warmup < 0:
            raise ValueError(f"info_warmup must be non-negative, got {info_warmup}")
        if not 0.0 <= stroke_jitter <= 1.0:
            raise ValueError(f"stroke_jitter must be in [0, 1], got {stroke_jitter!r}")
        weights = {"info_weight": info_weight, "continuous_weight": continuous_weight}
        for name, weight in weights.items():
            if not weight >= 0:
                raise ValueError(f"{name} must be non-negative, got {weight!r}")
        if others.get("num_classes") is not None:
            raise ValueError(
                "InfoGAN is not class-conditional (its categorical code plays that role): "
                "use GAN, DCGAN or WGANGP with num_classes"
            )

    def __init__(
        self,
        *args: Any,
        categorical_codes: Sequence[int] = (10,),
        continuous_codes: int = 2,
        info_weight: float = 1.0,
        continuous_weight: float = 0.1,
        info_warmup: int = 1250,
        invariant_codes: bool = True,
        stroke_jitter: float = 0.5,
        jitter_continuous: bool = False,
        **kwargs: Any,
    ) -> None:
        self.check_options(
            categorical_codes=categorical_codes,
            continuous_codes=continuous_codes,
            info_weight=info_weight,
            continuous_weight=continuous_weight,
            info_warmup=info_warmup,
            stroke_jitter=stroke_jitter,
            **kwargs,
        )
        self.categorical_codes = tuple(int(k) for k in categorical_codes)
        self.continuous_codes = int(continuous_codes)
        self.info_weight = float(info_weight)
        self.continuous_weight = float(continuous_weight)
        self.info_warmup = int(info_warmup)
        self.invariant_codes = bool(invariant_codes)
        self.stroke_jitter = float(stroke_jitter)
        self.jitter_continuous = bool(jitter_continuous)
        super().__init__(*args, **kwargs)

    @property
    def generator_input_dim(self) -> int:
        """Noise, then the one-hot categorical codes, then the continuous codes."""
        return self.latent_dim + sum(self.categorical_codes) + self.continuous_codes

    def default_generator(self) -> keras.Model:
        """Convolutional generator over the noise and codes, with the paper's dense 1024 layer."""
        return networks.dcgan_generator(
            self.generator_input_dim, self.image_shape, hidden_units=1024
        )

    def default_discriminator(self) -> keras.Model:
        """Convolutional discriminator with a Q head (``networks.infogan_discriminator``)."""
        return networks.infogan_discriminator(
            self.image_shape,
            categorical_codes=self.categorical_codes,
            continuous_codes=self.continuous_codes,
            spectral_norm=self.spectral_norm,
        )

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """Adam(beta_1=0.5) with 1e-3 for G and 2e-4 for D and Q, as in Chen et al. (2016)."""
        return (
            keras.optimizers.Adam(1e-3, beta_1=0.5, name="g_adam"),
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
        )

    # --------------------------------------------------------------- codes
    def sample_codes(
        self, batch_size: int | tf.Tensor, seed: Any = None
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Draw codes: int32 category indices ``(b, n_cat)`` and continuous ``(b, n_cont)``."""
        seed = self._seed(seed)

        def draw(n):
            categorical = [
                keras.random.randint((n, 1), 0, k, seed=seed, dtype="int32")
                for k in self.categorical_codes
            ]
            categorical = (
                tf.concat(categorical, axis=1) if categorical else tf.zeros((n, 0), tf.int32)
            )
            continuous = keras.random.uniform((n, self.continuous_codes), -1.0, 1.0, seed=seed)
            return tf.concat([tf.cast(categorical, tf.float32), continuous], axis=1)

        codes = distribute.replica_draw(draw, batch_size)
        n_cat = len(self.categorical_codes)
        categorical, continuous = tf.cast(codes[:, :n_cat], tf.int32), codes[:, n_cat:]
        return categorical, continuous

    def generator_inputs(
        self, noise: tf.Tensor, categorical: tf.Tensor, continuous: tf.Tensor
    ) -> tf.Tensor:
        """Assemble the generator input from noise, categorical indices and continuous codes.

        Use it to draw latent traversals: fix the noise, vary one code.
        """
        noise = tf.convert_to_tensor(noise, tf.float32)
        categorical = tf.convert_to_tensor(categorical, tf.int32)
        continuous = tf.convert_to_tensor(continuous, tf.float32)
        one_hots = [tf.one_hot(categorical[:, i], k) for i, k in enumerate(self.categorical_codes)]
        return tf.concat([noise, *one_hots, continuous], axis=1)

    def sample_generator_inputs(self, batch_size: int | tf.Tensor, seed: Any = None) -> tf.Tensor:
        """Noise and randomly drawn codes, assembled into generator inputs."""
        seed = self._seed(seed)
        noise = self.sample_noise(batch_size, seed)
        return self.generator_inputs(noise, *self.sample_codes(batch_size, seed))

    def sample_inputs_and_codes(self, batch_size: int, seed: Any = None) -> tuple[Any, Any]:
        """Generator inputs and their codes ``(categorical indices, continuous)``."""
        seed = self._seed(seed)
        noise = self.sample_noise(batch_size, seed)
        codes = self.sample_codes(batch_size, seed)
        return self.generator_inputs(noise, *codes), codes

    def stateless_generator_inputs(self, num_images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Noise and codes drawn statelessly from an int ``seed``, assembled."""
        noise = super().stateless_generator_inputs(num_images, seed)
        key = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
        categorical = [
            tf.random.stateless_uniform(
                tf.stack([num_images, 1]), key + [0, i + 1], minval=0, maxval=k, dtype=tf.int32
            )
            for i, k in enumerate(self.categorical_codes)
        ]
        categorical = (
            tf.concat(categorical, 1) if categorical else tf.zeros([num_images, 0], tf.int32)
        )
        continuous = tf.random.stateless_uniform(
            tf.stack([num_images, self.continuous_codes]), key + [0, 1000], minval=-1.0, maxval=1.0
        )
        return self.generator_inputs(noise, categorical, continuous)

    def traversal_inputs(self, seed: int) -> tuple[tf.Tensor, int] | None:
        """A latent traversal: rows are the first categorical code's values, the 10
        columns sweep the first continuous code from -1 to 1, the noise is fixed."""
        if not self.categorical_codes or not self.continuous_codes:
            return None
        rows, columns = self.categorical_codes[0], 10
        noise = tf.repeat(self.sample_noise(1, keras.random.SeedGenerator(seed)), rows * columns, 0)
        categorical = np.zeros((rows * columns, len(self.categorical_codes)), np.int32)
        categorical[:, 0] = np.repeat(np.arange(rows), columns)
        continuous = np.zeros((rows * columns, self.continuous_codes), np.float32)
        continuous[:, 0] = np.tile(np.linspace(-1, 1, columns), rows)
        return self.generator_inputs(noise, categorical, continuous), columns

    def serving_endpoints(self, images_of: Callable[[Any], tf.Tensor]) -> dict[str, Any]:
        """``generate_with_codes``: ``z``, ``categorical`` indices, ``continuous`` -> images."""
        n_cat, n_cont, width = len(self.categorical_codes), self.continuous_codes, self.latent_dim

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, width], tf.float32, name="z"),
                tf.TensorSpec([None, n_cat], tf.int32, name="categorical"),
                tf.TensorSpec([None, n_cont], tf.float32, name="continuous"),
            ]
        )
        def generate_with_codes(z, categorical, continuous):
            # Loaded signatures do not enforce shapes: check them, naming the input.
            z = tf.ensure_shape(z, [None, width], name="check_z")
            categorical = tf.ensure_shape(categorical, [None, n_cat], name="check_categorical")
            continuous = tf.ensure_shape(continuous, [None, n_cont], name="check_continuous")
            return {"images": images_of(self.generator_inputs(z, categorical, continuous))}

        return {"generate_with_codes": generate_with_codes}

    def scores(self, output: Any) -> tf.Tensor:
        """The real/fake logits: the first of the discriminator's three outputs."""
        return output[0]

    def split_categorical(self, one_hot_or_logits: tf.Tensor) -> list[tf.Tensor]:
        """Split concatenated categorical one-hots or logits into one tensor per code."""
        if not self.categorical_codes:
            return []
        return tf.split(one_hot_or_logits, list(self.categorical_codes), axis=-1)

    def _info_loss(
        self, z: tf.Tensor, q_categorical: tf.Tensor, q_continuous: tf.Tensor
    ) -> tf.Tensor:
        n_cat = sum(self.categorical_codes)
        codes = z[:, self.latent_dim : self.latent_dim + n_cat]
        continuous = z[:, self.latent_dim + n_cat :]
        return losses.mutual_information_loss(
            self.split_categorical(codes),
            self.split_categorical(q_categorical),
            continuous,
            q_continuous,
            continuous_weight=self.continuous_weight,
        )

    def _info_lambda(self) -> tf.Tensor:
        """``info_weight``, or 0 during the first ``info_warmup`` generator steps."""
        if not self.info_warmup:
            return tf.constant(self.info_weight)
        started = self.g_optimizer.iterations >= self.info_warmup
        return tf.where(started, self.info_weight, 0.0)

    def _q_output(self, fake: tf.Tensor, output: Any) -> tuple[tf.Tensor, tf.Tensor]:
        """Q's categorical logits and continuous means for ``fake``. With
        ``invariant_codes`` or ``stroke_jitter`` the categorical logits (and with
        ``jitter_continuous`` the continuous means) come from a pass on a jittered
        copy; the rest from ``output``, the discriminator's pass on ``fake``."""
        if not (self.invariant_codes or self.stroke_jitter) or not (
            self.categorical_codes or self.jitter_continuous
        ):
            return output[1], output[2]
        moved, draw = fake, distribute.replica_draw
        if self.invariant_codes:
            moved = augment.affine_jitter(moved, draw, self.seed_generator)
        if self.stroke_jitter:
            moved = augment.stroke_jitter(moved, draw, self.seed_generator, self.stroke_jitter)
        _, q_cat, q_cont = self.discriminator_output(self.augment(moved))
        return q_cat, (q_cont if self.jitter_continuous else output[2])

    # ---------------------------------------------------------------- step
    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        """One minibatch of the GAN game plus lambda * L_I (Chen et al. 2016, eq. 6)."""
        real, _ = self.unpack(data)
        batch_size = tf.shape(real)[0]

        # Discriminator and Q: minimise the GAN loss and lambda * L_I on fakes.
        z = self.sample_generator_inputs(batch_size)
        fake = self.fake(z)

        def discriminator_loss():
            (real_logits, _, _), fake_output = self.discriminate(
                self.augment(real), self.augment(fake)
            )
            fake_logits = fake_output[0]
            d_loss = losses.minimax_discriminator_loss(real_logits, fake_logits)
            info = self._info_loss(z, *self._q_output(fake, fake_output))
            return d_loss + self._info_lambda() * info, {
                "d_loss": d_loss,
                **self.score_logs(real_logits, fake_logits),
            }

        logs = self.update_discriminator(discriminator_loss)

        # Generator: minimise the non-saturating loss and lambda * L_I.
        z = self.sample_generator_inputs(batch_size)

        def generator_loss():
            fake = self.fake(z)
            fake_output = self.discriminator_output(self.augment(fake))
            g_loss = losses.non_saturating_generator_loss(fake_output[0])
            info = self._info_loss(z, *self._q_output(fake, fake_output))
            return g_loss + self._info_lambda() * info, {"g_loss": g_loss, "info_loss": info}

        logs |= self.update_generator(generator_loss, z)
        return self._log(logs)

    def get_config(self) -> dict[str, Any]:
        """Configuration, including the code sizes and ``info_weight``."""
        return {
            **super().get_config(),
            "categorical_codes": list(self.categorical_codes),
            "continuous_codes": self.continuous_codes,
            "info_weight": self.info_weight,
            "continuous_weight": self.continuous_weight,
            "info_warmup": self.info_warmup,
            "invariant_codes": self.invariant_codes,
            "stroke_jitter": self.stroke_jitter,
            "jitter_continuous": self.jitter_continuous,
        }
