"""The original GAN (Goodfellow et al. 2014) with the non-saturating generator loss."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from keras_gans import losses, networks
from keras_gans.models.base import BaseGAN


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(BaseGAN):
    """Minimax GAN with multilayer-perceptron networks (Goodfellow et al. 2014).

    Example::

        gan = keras_gans.GAN(latent_dim=64, image_shape=(28, 28, 1))
        gan.compile()
        gan.fit(dataset, epochs=10)
        images = gan.generate(16)
    """

    default_latent_dim = 100

    def default_generator(self) -> keras.Model:
        """MLP generator (:func:`keras_gans.networks.mlp_generator`)."""
        return networks.mlp_generator(
            self.latent_dim, self.image_shape, num_classes=self.num_classes
        )

    def default_discriminator(self) -> keras.Model:
        """MLP discriminator (:func:`keras_gans.networks.mlp_discriminator`)."""
        return networks.mlp_discriminator(
            self.image_shape,
            spectral_norm=self.spectral_norm,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
        )

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        """One minibatch of algorithm 1 of Goodfellow et al. (2014), k = 1.

        Conditional models (Mirza and Osindero 2014) condition D and G on the
        real batch's labels y: D(x|y), G(z|y).
        """
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]

        # Update the discriminator by descending -[log D(x) + log(1 - D(G(z)))].
        fake = self._fake(self.sample_noise(batch_size), labels)

        def discriminator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            real_logits, fake_logits = self.discriminate(
                self.augment(real), self.augment(fake), labels
            )
            loss = losses.minimax_discriminator_loss(real_logits, fake_logits)
            return loss, {
                "d_loss": loss,
                "real_score": tf.reduce_mean(tf.cast(real_logits, tf.float32)),
                "fake_score": tf.reduce_mean(tf.cast(fake_logits, tf.float32)),
            }

        logs = self._minimize(
            self.d_optimizer, self.discriminator.trainable_variables, discriminator_loss
        )

        # Update the generator by descending -log D(G(z)) (non-saturating).
        z = self.sample_noise(batch_size)

        def generator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            fake_logits = self.discriminator_output(self.augment(self._fake(z, labels)), labels)
            loss = losses.non_saturating_generator_loss(fake_logits)
            return loss, {"g_loss": loss}

        logs |= self._minimize(self.g_optimizer, self.generator.trainable_variables, generator_loss)
        return self._log(logs)
