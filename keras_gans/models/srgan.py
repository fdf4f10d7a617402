"""Super-resolution as a paired task (SRGAN, Ledig et al. 2017; ESRGAN, Wang et al. 2018)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from keras_gans import networks
from keras_gans.models.pix2pix import PairedGAN
from keras_gans.models.translation import adversarial_losses, check_weight


@keras.saving.register_keras_serializable(package="keras_gans")
class SRGAN(PairedGAN):
    """A super-resolution GAN: low-resolution images in, ``scale`` times larger ones out.

    Trained on ``(low_resolution, high_resolution)`` batches
    (:func:`keras_gans.data.superresolution_pairs` makes them from any images).
    The generator has residual blocks and sub-pixel upsampling
    (:func:`keras_gans.networks.superresolution_generator`); the discriminator is
    an unconditional PatchGAN on high-resolution images. The generator's loss is
    the content loss, pixel L1 (``content_weight``), plus
    ``adversarial_weight`` times the adversarial loss: SRGAN's non-saturating
    one by default, or ``"relativistic"`` as ESRGAN. A perceptual loss needs a
    feature network (VGG weights are a download): pass any Keras model on
    high-resolution images as ``feature_network`` with ``feature_weight``.
    ``ema_decay=0.999`` (what ``train.py`` uses) translates with a moving
    average of the generator, as ESRGAN's code does.

    Args:
        generator, discriminator: networks to use instead of the defaults.
        image_shape: the high-resolution shape (square, 8 to 256 pixels, a
            multiple of ``scale``).
        scale: 2, 4 or 8.
        blocks: residual blocks of the default generator (None: 8).
        adversarial_loss: ``"non-saturating"``, ``"relativistic"`` or ``"hinge"``.
        adversarial_weight: weight of the adversarial loss (5e-3, ESRGAN's).
        content_weight: weight of the pixel L1 loss.
        feature_network, feature_weight: an optional feature-space content loss.
    """

    conditional_discriminator = False
    # ESRGAN's code (BasicSR) trains with a generator EMA of 0.999; on MNIST x4 it adds
    # 0.4 dB of PSNR at 20 epochs (benchmarks/README.md, "Image to image").
    auto_ema_decay = 0.999
    train_options = {
        "scale": "scale",
        "loss": "adversarial_loss",
        "blocks": "blocks",
        "base_filters": "base_filters",
    }

    @classmethod
    def check_options(
        cls, *, scale: int, adversarial_loss: str, blocks: int | None = None, **others: Any
    ) -> None:
        """Raise ``ValueError`` naming a bad scale, loss or block count."""
        if scale not in (2, 4, 8):
            raise ValueError(f"scale must be 2, 4 or 8, got {scale!r}")
        if blocks is not None and (
            isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1
        ):
            raise ValueError(f"blocks must be a positive integer, got {blocks!r}")
        adversarial_losses(adversarial_loss)

    def __init__(
        self,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        *,
        image_shape: Sequence[int] = (128, 128, 3),
        scale: int = 4,
        blocks: int | None = None,
        adversarial_loss: str = "non-saturating",
        adversarial_weight: float = 5e-3,
        content_weight: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self.check_options(scale=scale, adversarial_loss=adversarial_loss, blocks=blocks)
        shape = (
            networks.validate_translation_shape(image_shape, multiple=scale)
            if generator is None or discriminator is None
            else tuple(image_shape)
        )
        self.scale, self.blocks = int(scale), 8 if blocks is None else int(blocks)
        check_weight("content_weight", content_weight)
        super().__init__(
            {"generator": generator, "discriminator": discriminator},
            image_shape=shape,
            adversarial_loss=adversarial_loss,
            adversarial_weight=adversarial_weight,
            content_weight=content_weight,
            **kwargs,
        )

    def default_network(self, name: str) -> keras.Model:
        """The residual sub-pixel generator or the unconditional PatchGAN."""
        if name == "generator":
            return networks.superresolution_generator(
                self.image_shape, self.scale, base_filters=self.base_filters, blocks=self.blocks
            )
        return networks.patch_discriminator(self.image_shape, base_filters=self.base_filters)

    def call(self, images: Any, training: bool = False) -> Any:
        """The upscaled images, clipped to [-1, 1] (the generator's output is linear)."""
        return tf.clip_by_value(super().call(images, training=training), -1.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        """Configuration, with the scale and block count."""
        return {**super().get_config(), "scale": self.scale, "blocks": self.blocks}
