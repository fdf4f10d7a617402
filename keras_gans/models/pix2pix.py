"""Paired image-to-image translation: Pix2Pix (Isola et al. 2017) and the shared paired step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import keras
import tensorflow as tf

from keras_gans import losses, networks
from keras_gans.models.translation import TranslationGAN, adversarial_losses, check_weight


class PairedGAN(TranslationGAN):
    """A conditional GAN on ``(source, target)`` image pairs: adversarial plus content loss.

    The generator maps a source batch to an output batch; the discriminator
    judges target against output (given the source too when
    ``conditional_discriminator``). Its loss is halved, as Pix2Pix does to slow
    D down. The generator minimises ``adversarial_weight`` times the adversarial
    loss plus ``content_weight`` times the L1 distance to the target (plus
    ``feature_weight`` times the L1 distance in ``feature_network``'s space,
    when given). PSNR and SSIM of the outputs against the targets are logged.
    """

    conditional_discriminator: ClassVar[bool] = True
    tracker_names = ("d_loss", "g_loss", "l1", "real_score", "fake_score", "psnr", "ssim")

    def __init__(
        self,
        networks_: dict[str, keras.Model | None],
        *,
        adversarial_loss: str,
        adversarial_weight: float,
        content_weight: float,
        feature_network: keras.Model | None = None,
        feature_weight: float = 0.0,
        **kwargs: Any,
    ) -> None:
        adversarial_losses(adversarial_loss)  # validates the name
        self.adversarial_loss = adversarial_loss
        self.adversarial_weight = check_weight("adversarial_weight", adversarial_weight)
        self.content_weight = check_weight("content_weight", content_weight)
        self.feature_weight = check_weight("feature_weight", feature_weight)
        if self.feature_weight and feature_network is None:
            raise ValueError("feature_weight needs a feature_network (a Keras model on images)")
        self.feature_network = feature_network
        if feature_network is not None:
            feature_network.trainable = False
        super().__init__(networks_, **kwargs)
        if feature_network is not None:
            self.trackers["feature"] = keras.metrics.Mean(name="feature")

    def judge(self, source: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        """The discriminator's patch logits for ``images`` (and ``source`` if conditional)."""
        inputs = [source, images] if self.conditional_discriminator else images
        return self.discriminator(inputs, training=True)

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        """One minibatch: a D step on (source, target) against (source, G(source)),
        then a G step on the adversarial loss plus lambda * L1 (Isola et al. 2017, eq. 4)."""
        source, target = self.unpack_pair(data)
        target = tf.cast(target, tf.float32)
        d_loss_fn, g_loss_fn = adversarial_losses(self.adversarial_loss)
        fake = tf.cast(self.generator(source, training=True), tf.float32)

        def discriminator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            real_logits, fake_logits = self.judge(source, target), self.judge(source, fake)
            loss = 0.5 * d_loss_fn(real_logits, fake_logits)
            return loss, {
                "d_loss": loss,
                "real_score": tf.reduce_mean(real_logits),
                "fake_score": tf.reduce_mean(fake_logits),
            }

        logs = self.update_discriminators(discriminator_loss)

        def generator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            output = tf.cast(self.generator(source, training=True), tf.float32)
            fake_logits = self.judge(source, output)
            real_logits = (
                self.judge(source, target) if self.adversarial_loss == "relativistic" else None
            )
            l1 = losses.l1_loss(output, target)
            loss = self.adversarial_weight * g_loss_fn(real_logits, fake_logits)
            loss += self.content_weight * l1
            terms = {"g_loss": loss, "l1": l1, **image_quality(output, target)}
            if self.feature_network is not None:
                feature = losses.l1_loss(
                    self.feature_network(output, training=False),
                    self.feature_network(target, training=False),
                )
                loss += self.feature_weight * feature
                terms |= {"g_loss": loss, "feature": feature}
            return loss, terms

        logs |= self.update_generators(generator_loss)
        return self._log(logs)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        """``evaluate``: L1, PSNR and SSIM of the generator's outputs on held-out pairs."""
        source, target = self.unpack_pair(data)
        output = self(source, training=False)
        target = tf.cast(target, tf.float32)
        values = {"l1": losses.l1_loss(output, target), **image_quality(output, target)}
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: self.trackers[name].result() for name in values}

    def get_config(self) -> dict[str, Any]:
        """Configuration, with the loss choice and weights."""
        config = {
            **super().get_config(),
            "adversarial_loss": self.adversarial_loss,
            "adversarial_weight": self.adversarial_weight,
            "content_weight": self.content_weight,
            "feature_weight": self.feature_weight,
        }
        if self.feature_network is not None:
            config["feature_network"] = keras.saving.serialize_keras_object(self.feature_network)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PairedGAN:
        """Inverse of :meth:`get_config`."""
        config = dict(config)
        if config.get("feature_network") is not None:
            config["feature_network"] = keras.saving.deserialize_keras_object(
                config["feature_network"]
            )
        return super().from_config(config)


def image_quality(output: tf.Tensor, target: tf.Tensor) -> dict[str, tf.Tensor]:
    """Mean PSNR and SSIM (``tf.image``) of images in [-1, 1] (a range of 2)."""
    size = int(target.shape[1]) if target.shape[1] is not None else 11
    return {
        "psnr": tf.reduce_mean(tf.image.psnr(output, target, max_val=2.0)),
        "ssim": tf.reduce_mean(
            tf.image.ssim(output, target, max_val=2.0, filter_size=min(11, size))
        ),
    }


@keras.saving.register_keras_serializable(package="keras_gans")
class Pix2Pix(PairedGAN):
    """Pix2Pix: image-to-image translation with a conditional GAN (Isola et al. 2017).

    Trained on ``(source, target)`` batches of paired images in [-1, 1]: a U-Net
    generator (:func:`keras_gans.networks.unet_generator`, dropout as its noise)
    and a PatchGAN discriminator on the (source, image) pair
    (:func:`keras_gans.networks.patch_discriminator`); the GAN loss (non-saturating
    by default, or hinge or relativistic) plus ``l1_weight`` (lambda, 100) times
    the L1 distance to the target; Adam(2e-4, beta_1=0.5) for both networks.

    Args:
        generator, discriminator: networks to use instead of the defaults.
        image_shape: the source images' shape (square, 8 to 256 pixels).
        target_channels: channels of the target images (default: the source's).
        l1_weight: lambda of the L1 term.
        adversarial_loss: ``"non-saturating"``, ``"hinge"`` or ``"relativistic"``.
        base_filters: filters of the default networks' first layer (64 in the paper).
        seed: seed of the model's randomness.

    Example::

        model = keras_gans.Pix2Pix(image_shape=(64, 64, 3))
        model.compile()
        model.fit(pairs, epochs=10)  # a tf.data.Dataset of (source, target) batches
        outputs = model.translate(sources)
    """

    train_options = {
        "l1_weight": "l1_weight",
        "loss": "adversarial_loss",
        "base_filters": "base_filters",
    }

    @classmethod
    def check_options(cls, *, l1_weight: float, adversarial_loss: str, **others: Any) -> None:
        """Raise ``ValueError`` naming a negative weight or an unknown loss."""
        check_weight("l1_weight", l1_weight)
        adversarial_losses(adversarial_loss)

    def __init__(
        self,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        *,
        image_shape: Sequence[int] = (256, 256, 3),
        target_channels: int | None = None,
        l1_weight: float = 100.0,
        adversarial_loss: str = "non-saturating",
        adversarial_weight: float = 1.0,
        content_weight: float | None = None,
        **kwargs: Any,
    ) -> None:
        shape = (
            networks.validate_translation_shape(image_shape, multiple=2)
            if generator is None or discriminator is None
            else tuple(image_shape)
        )
        self.target_channels = shape[2] if target_channels is None else int(target_channels)
        self.l1_weight = check_weight("l1_weight", l1_weight)
        super().__init__(
            {"generator": generator, "discriminator": discriminator},
            image_shape=shape,
            adversarial_loss=adversarial_loss,
            adversarial_weight=adversarial_weight,
            content_weight=self.l1_weight if content_weight is None else content_weight,
            **kwargs,
        )

    def default_network(self, name: str) -> keras.Model:
        """The U-Net generator or the conditional PatchGAN discriminator."""
        if name == "generator":
            return networks.unet_generator(
                self.image_shape,
                self.target_channels,
                base_filters=self.base_filters,
                seed=self.seed,
            )
        return networks.patch_discriminator(
            (*self.image_shape[:2], self.target_channels),
            condition_channels=self.image_shape[2],
            base_filters=self.base_filters,
        )

    def get_config(self) -> dict[str, Any]:
        """Configuration, with lambda and the target channels."""
        return {
            **super().get_config(),
            "target_channels": self.target_channels,
            "l1_weight": self.l1_weight,
        }
