"""DCGAN (Radford et al. 2015): the GAN objective with convolutional networks."""

from __future__ import annotations

from typing import Any

import keras

from keras_gans import networks
from keras_gans.models.gan import GAN


@keras.saving.register_keras_serializable(package="keras_gans")
class DCGAN(GAN):
    """GAN objective (non-saturating) with the DCGAN convolutional networks.

    Generator: a dense layer of ``hidden_units``, a projection, stride-2
    transposed convolutions, batch norm, ReLU, tanh output. Discriminator:
    stride-2 convolutions with batch norm (after the first) and LeakyReLU(0.2),
    then a dense layer of ``hidden_units`` with batch norm. These are the
    convolutional GAN networks of InfoGAN's MNIST experiments (Chen et al.
    2016, appendix C.1), and so are the default optimizers: Adam(beta_1=0.5)
    with 1e-3 for G and 2e-4 for D. ``hidden_units=None`` removes both dense
    layers (Radford et al.'s all-convolutional networks).

    Args:
        hidden_units: width of the dense layers, or None.
        **kwargs: as :class:`keras_gans.models.base.BaseGAN`.
    """

    default_latent_dim = 100

    def __init__(self, *args: Any, hidden_units: int | None = 1024, **kwargs: Any) -> None:
        self.hidden_units = networks.validate_hidden_units(hidden_units)
        super().__init__(*args, **kwargs)

    def default_generator(self) -> keras.Model:
        """Convolutional generator (:func:`keras_gans.networks.dcgan_generator`)."""
        return networks.dcgan_generator(
            self.latent_dim,
            self.image_shape,
            hidden_units=self.hidden_units,
            num_classes=self.num_classes,
        )

    def default_discriminator(self) -> keras.Model:
        """Convolutional discriminator with batch norm (``networks.dcgan_discriminator``)."""
        return networks.dcgan_discriminator(
            self.image_shape,
            batch_norm=True,
            hidden_units=self.hidden_units,
            spectral_norm=self.spectral_norm,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
        )

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """Adam(beta_1=0.5) with 1e-3 for G and 2e-4 for D (Chen et al. 2016)."""
        return (
            keras.optimizers.Adam(1e-3, beta_1=0.5, name="g_adam"),
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
        )

    def get_config(self) -> dict[str, Any]:
        """Configuration, including ``hidden_units``."""
        return {**super().get_config(), "hidden_units": self.hidden_units}
