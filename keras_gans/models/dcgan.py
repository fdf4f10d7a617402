"""DCGAN (Radford et al. 2015): the GAN objective with convolutional networks."""

from __future__ import annotations

import keras

from keras_gans import networks
from keras_gans.models.gan import GAN


@keras.saving.register_keras_serializable(package="keras_gans")
class DCGAN(GAN):
    """GAN objective (non-saturating) with the DCGAN convolutional networks.

    Generator: projection, stride-2 transposed convolutions, batch norm, ReLU,
    tanh output. Discriminator: stride-2 convolutions with batch norm (after
    the first) and LeakyReLU(0.2).
    """

    default_latent_dim = 100

    def default_generator(self) -> keras.Model:
        """Convolutional generator (:func:`keras_gans.networks.dcgan_generator`)."""
        return networks.dcgan_generator(
            self.latent_dim, self.image_shape, num_classes=self.num_classes
        )

    def default_discriminator(self) -> keras.Model:
        """Convolutional discriminator with batch norm (``networks.dcgan_discriminator``)."""
        return networks.dcgan_discriminator(
            self.image_shape,
            batch_norm=True,
            spectral_norm=self.spectral_norm,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
        )
