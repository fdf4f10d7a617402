"""DCGAN (Radford et al. 2015): the GAN objective with convolutional networks."""

from __future__ import annotations

from typing import Any

import keras

from keras_gans import networks
from keras_gans.models.base import DEFAULT_IMAGE_SHAPE
from keras_gans.models.gan import GAN


class ConvNetworksMixin:
    """``hidden_units`` and the convolutional generator, shared by DCGAN and WGAN-GP.

    ``hidden_units`` is resolved once, from the image shape, before the base
    class builds the default networks (see
    :func:`keras_gans.networks.resolve_hidden_units`), and saved resolved in
    the config.
    """

    def __init__(self, *args: Any, hidden_units: int | str | None = "auto", **kwargs: Any) -> None:
        self.hidden_units = networks.resolve_hidden_units(
            hidden_units, kwargs.get("image_shape", DEFAULT_IMAGE_SHAPE)
        )
        super().__init__(*args, **kwargs)

    def default_generator(self) -> keras.Model:
        """Convolutional generator (:func:`keras_gans.networks.dcgan_generator`)."""
        return networks.dcgan_generator(
            self.latent_dim,
            self.image_shape,
            hidden_units=self.hidden_units,
            num_classes=self.num_classes,
        )

    def get_config(self) -> dict[str, Any]:
        """Configuration, including ``hidden_units``."""
        return {**super().get_config(), "hidden_units": self.hidden_units}


@keras.saving.register_keras_serializable(package="keras_gans")
class DCGAN(ConvNetworksMixin, GAN):
    """GAN objective (non-saturating) with the DCGAN convolutional networks.

    Generator: stride-2 transposed convolutions with batch norm and ReLU, tanh
    output. Discriminator: stride-2 convolutions with batch norm (after the
    first) and LeakyReLU(0.2). For images of 28 pixels and more
    (``hidden_units="auto"``), both get InfoGAN's dense 1024-unit layer with
    batch norm (G before its projection, D after its convolutions), as InfoGAN's
    MNIST networks (Chen et al. 2016, appendix C.1): on MNIST these give far
    sharper samples in fewer epochs (``benchmarks/quality.py``). G then trains
    at 5e-4, between InfoGAN's 1e-3 and Radford et al.'s 2e-4: at 1e-3 one seed
    in five drove G's tanh output into saturation within three epochs, where no
    gradient reaches G any more (``benchmarks/dcgan_collapse.py``); at 2e-4 no
    seed collapsed but none reached a classifier score of 8 in 10 epochs.
    Smaller images keep Radford et al.'s all-convolutional networks and
    learning rates. With R1 or R2 on (``r1_gamma``/``r2_gamma``) the
    discriminator has no batch norm: a zero-centred gradient penalty is per
    sample, which batch statistics would break (as for the WGAN-GP critic,
    Gulrajani et al. 2017, section 4).

    Args:
        hidden_units: width of the dense layers, None for none, or ``"auto"``
            (:func:`keras_gans.networks.resolve_hidden_units`).
        **kwargs: as :class:`keras_gans.models.gan.GAN` (the adversarial
            loss and R1/R2 among them).
    """

    default_latent_dim = 100

    def default_discriminator(self) -> keras.Model:
        """Convolutional discriminator (``networks.dcgan_discriminator``); BN unless R1/R2."""
        return networks.dcgan_discriminator(
            self.image_shape,
            batch_norm=not self.zero_centred_penalty,
            hidden_units=self.hidden_units,
            spectral_norm=self.spectral_norm,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
        )

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """Adam(beta_1=0.5): 5e-4 for G and 2e-4 for D with the dense layers (InfoGAN's
        1e-3 for G collapsed one seed in five: see the class docstring; ``--g-lr 1e-3``
        restores it), 2e-4 for both without them (Radford et al. 2015)."""
        if self.hidden_units is None:
            return super().default_optimizers()
        return (
            keras.optimizers.Adam(5e-4, beta_1=0.5, name="g_adam"),
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
        )
