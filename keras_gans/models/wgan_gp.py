"""WGAN-GP (Gulrajani et al. 2017): Wasserstein critic with a gradient penalty."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from keras_gans import distribute, losses, networks
from keras_gans.models.base import BaseGAN
from keras_gans.models.dcgan import ConvNetworksMixin


@keras.saving.register_keras_serializable(package="keras_gans")
class WGANGP(ConvNetworksMixin, BaseGAN):
    """Wasserstein GAN with gradient penalty.

    Args:
        critic_steps: critic updates per generator update (n_critic).
        gp_weight: weight of the gradient penalty (lambda).
        hidden_units: width of the dense layer after the critic's convolutions
            and before the generator's projection, None for none, or
            ``"auto"`` (1024 from 28 pixels up; as :class:`DCGAN`, whose
            generator it shares, without batch norm in the critic).
        **kwargs: as :class:`keras_gans.models.base.BaseGAN`.

    Each critic update reuses the step's real batch with fresh noise and fresh
    interpolation coefficients (as the keras.io WGAN-GP example does), so one
    ``fit`` step performs ``critic_steps`` critic updates and one generator update.
    Logged: ``d_loss`` (critic loss including the weighted penalty), ``gp``
    (unweighted penalty) and the mean critic scores, averaged over all critic
    updates, and ``g_loss``.
    """

    tracker_names = ("d_loss", "g_loss", "gp", "real_score", "fake_score")
    is_critic = True
    train_options = {"critic_steps": "critic_steps", "gp_weight": "gp_weight"}

    @classmethod
    def check_options(cls, *, critic_steps: int, gp_weight: float, **others: Any) -> None:
        """Raise ``ValueError`` for a non-positive ``critic_steps`` or a negative ``gp_weight``."""
        if isinstance(critic_steps, bool) or not isinstance(critic_steps, int) or critic_steps < 1:
            raise ValueError(f"critic_steps must be a positive integer, got {critic_steps!r}")
        if not gp_weight >= 0:
            raise ValueError(f"gp_weight must be non-negative, got {gp_weight!r}")

    default_latent_dim = 128

    def __init__(
        self,
        *args: Any,
        critic_steps: int = 5,
        gp_weight: float = 10.0,
        **kwargs: Any,
    ):
        self.check_options(critic_steps=critic_steps, gp_weight=gp_weight)
        self.critic_steps = critic_steps
        self.gp_weight = float(gp_weight)
        super().__init__(*args, **kwargs)

    def default_discriminator(self) -> keras.Model:
        """Convolutional critic without batch norm (``networks.dcgan_discriminator``)."""
        return networks.dcgan_discriminator(
            self.image_shape,
            output_bias=False,
            hidden_units=self.hidden_units,
            spectral_norm=self.spectral_norm,
            num_classes=self.num_classes,
            conditioning=self.conditioning,
            name="critic",
        )

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """Adam(2e-4, beta_1=0.5, beta_2=0.9) for both networks.

        Gulrajani et al.'s MNIST code uses these betas (the paper's algorithm
        box has beta_1=0) with 1e-4; 2e-4 reached a classifier score above 8
        within the quality benchmark's budget (``benchmarks/quality.py``).
        """
        return (
            keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9, name="g_adam"),
            keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9, name="d_adam"),
        )

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        """One generator iteration of algorithm 1 of Gulrajani et al. (2017).

        A conditional critic scores images given the real batch's labels; the
        penalty is on the gradient with respect to the images only.
        """
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]

        def critic(images: tf.Tensor) -> tf.Tensor:
            return self.discriminator_output(images, labels)

        for _ in range(self.critic_steps):
            fake = self.fake(self.sample_noise(batch_size), labels)
            alpha = distribute.replica_draw(
                lambda n: keras.random.uniform((n, 1, 1, 1), seed=self.seed_generator), batch_size
            )

            def critic_loss(fake: tf.Tensor = fake, alpha: tf.Tensor = alpha):
                real_a, fake_a = self.augment(real), self.augment(fake)
                real_scores, fake_scores = self.discriminate(real_a, fake_a, labels)
                gp = losses.gradient_penalty(critic, real_a, fake_a, alpha)
                loss = losses.wasserstein_discriminator_loss(real_scores, fake_scores)
                loss += self.gp_weight * gp
                return loss, {
                    "d_loss": loss,
                    "gp": gp,
                    **self.score_logs(real_scores, fake_scores),
                }

            self._log(self.update_discriminator(critic_loss, second_order=True))

        z = self.sample_noise(batch_size)

        def generator_loss():
            loss = losses.wasserstein_generator_loss(critic(self.augment(self.fake(z, labels))))
            return loss, {"g_loss": loss}

        inputs = z if labels is None else [z, labels]
        return self._log(self.update_generator(generator_loss, inputs))

    def get_config(self) -> dict[str, Any]:
        """Configuration, including ``critic_steps`` and ``gp_weight``."""
        return {
            **super().get_config(),
            "critic_steps": self.critic_steps,
            "gp_weight": self.gp_weight,
        }
