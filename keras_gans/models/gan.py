"""The original GAN (Goodfellow et al. 2014), with a choice of adversarial loss and R1/R2."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from keras_gans import losses, networks
from keras_gans.models.base import BaseGAN

# name: (discriminator loss(real, fake), generator loss(real, fake)).
ADVERSARIAL_LOSSES: dict[str, tuple[Callable[..., tf.Tensor], Callable[..., tf.Tensor]]] = {
    "non-saturating": (
        losses.minimax_discriminator_loss,
        lambda real, fake: losses.non_saturating_generator_loss(fake),
    ),
    "hinge": (
        losses.hinge_discriminator_loss,
        lambda real, fake: losses.hinge_generator_loss(fake),
    ),
    "relativistic": (
        losses.relativistic_discriminator_loss,
        losses.relativistic_generator_loss,
    ),
}


def validate_objective(
    adversarial_loss: str, r1_gamma: float, r2_gamma: float, reg_interval: int
) -> None:
    """Raise ``ValueError`` naming an unknown loss, a negative gamma or a bad interval."""
    if adversarial_loss not in ADVERSARIAL_LOSSES:
        raise ValueError(
            f"unknown adversarial loss {adversarial_loss!r}: choose one of "
            f"{', '.join(ADVERSARIAL_LOSSES)}"
        )
    for name, gamma in (("r1_gamma", r1_gamma), ("r2_gamma", r2_gamma)):
        if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not gamma >= 0:
            raise ValueError(f"{name} must be a non-negative number, got {gamma!r}")
    if (
        isinstance(reg_interval, bool)
        or not isinstance(reg_interval, numbers.Integral)
        or reg_interval < 1
    ):
        raise ValueError(f"reg_interval must be a positive integer, got {reg_interval!r}")


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(BaseGAN):
    """GAN with multilayer-perceptron networks (Goodfellow et al. 2014).

    Args:
        adversarial_loss: ``"non-saturating"`` (the default: Goodfellow et al.'s
            minimax D loss, non-saturating G loss), ``"hinge"`` (Lim and Ye
            2017; Miyato et al. 2018) or ``"relativistic"`` (the relativistic
            pairing loss, Jolicoeur-Martineau 2019; Huang et al. 2024).
        r1_gamma: weight gamma of the zero-centred gradient penalty on real
            images, added as ``gamma / 2 * E||grad D(x)||^2`` (Mescheder et al.
            2018); 0 for none.
        r2_gamma: the same on generated images (R2).
        reg_interval: lazy regularisation: apply R1/R2 every this many
            discriminator steps, scaled by it (Karras et al. 2020).
        **kwargs: as :class:`keras_gans.models.base.BaseGAN`.

    Example::

        gan = keras_gans.GAN(latent_dim=64, image_shape=(28, 28, 1))
        gan.compile()
        gan.fit(dataset, epochs=10)
        images = gan.generate(16)
    """

    default_latent_dim = 100
    train_options = {
        "loss": "adversarial_loss",
        "r1": "r1_gamma",
        "r2": "r2_gamma",
        "reg_interval": "reg_interval",
    }

    @classmethod
    def check_options(
        cls,
        *,
        adversarial_loss: str,
        r1_gamma: float,
        r2_gamma: float,
        reg_interval: int,
        **others: Any,
    ) -> None:
        """Raise ``ValueError`` naming an unknown loss, a negative gamma or a bad interval."""
        validate_objective(adversarial_loss, r1_gamma, r2_gamma, reg_interval)

    def __init__(
        self,
        *args: Any,
        adversarial_loss: str = "non-saturating",
        r1_gamma: float = 0.0,
        r2_gamma: float = 0.0,
        reg_interval: int = 1,
        **kwargs: Any,
    ) -> None:
        validate_objective(adversarial_loss, r1_gamma, r2_gamma, reg_interval)
        self.adversarial_loss = adversarial_loss
        self.r1_gamma = float(r1_gamma)
        self.r2_gamma = float(r2_gamma)
        self.reg_interval = int(reg_interval)
        super().__init__(*args, **kwargs)
        for name, gamma in (("r1", self.r1_gamma), ("r2", self.r2_gamma)):
            if gamma:
                self.trackers[name] = keras.metrics.Mean(name=name)

    @property
    def zero_centred_penalty(self) -> bool:
        """Whether R1 or R2 is on (their per-sample gradients rule out batch norm in D)."""
        return bool(self.r1_gamma or self.r2_gamma)

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

        The adversarial loss is ``adversarial_loss``'s; R1/R2 (Mescheder et al.
        2018) are added to D's loss when their gamma is set. Conditional models
        (Mirza and Osindero 2014) condition D and G on the real batch's labels.
        """
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]
        d_loss_fn, g_loss_fn = ADVERSARIAL_LOSSES[self.adversarial_loss]
        d_step = tf.identity(self.d_optimizer.iterations)

        # Update the discriminator on real and fake, plus gamma/2 * R1 and R2.
        fake = self.fake(self.sample_noise(batch_size), labels)

        def discriminator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            real_a, fake_a = self.augment(real), self.augment(fake)
            real_logits, fake_logits = self.discriminate(real_a, fake_a, labels)
            loss = d_loss_fn(real_logits, fake_logits)
            penalties = self._penalties(real_a, fake_a, labels, d_step)
            for name, value in penalties.items():
                loss += 0.5 * self.penalty_weight(name) * value
            return loss, {"d_loss": loss, **self.score_logs(real_logits, fake_logits), **penalties}

        logs = self.update_discriminator(discriminator_loss, second_order=self.zero_centred_penalty)
        self._log_penalties({name: logs.pop(name) for name in ("r1", "r2") if name in logs}, d_step)

        # Update the generator (non-saturating: descend -log D(G(z))).
        z = self.sample_noise(batch_size)

        def generator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            fake_a = self.augment(self.fake(z, labels))
            if self.adversarial_loss == "relativistic":
                real_logits, fake_logits = self.discriminate(self.augment(real), fake_a, labels)
            else:  # the other generator losses read the fake scores only
                real_logits, fake_logits = None, self.discriminator_output(fake_a, labels)
            loss = g_loss_fn(real_logits, fake_logits)
            return loss, {"g_loss": loss}

        logs |= self.update_generator(generator_loss, z if labels is None else [z, labels])
        return self._log(logs)

    def penalty_weight(self, name: str) -> float | tf.Tensor:
        """Gamma of penalty ``name`` (``"r1"`` or ``"r2"``) at this step: its ``*_gamma``."""
        return getattr(self, f"{name}_gamma")

    def _penalties(
        self, real: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor | None, d_step: tf.Tensor
    ) -> dict[str, tf.Tensor]:
        """Unweighted R1 (real) and R2 (fake), lazily every ``reg_interval`` D steps."""

        def critic(images: tf.Tensor) -> tf.Tensor:
            return self.discriminator_output(images, labels)

        wanted = {}
        if self.r1_gamma:
            wanted["r1"] = lambda: losses.r1_penalty(critic, real)
        if self.r2_gamma:
            wanted["r2"] = lambda: losses.r2_penalty(critic, fake)
        if not wanted:
            return {}
        return losses.lazy_regularization(wanted, d_step, self.reg_interval)

    def _log_penalties(self, penalties: dict[str, tf.Tensor], d_step: tf.Tensor) -> None:
        """Track each unweighted penalty, averaged over the steps that computed it."""
        applied = tf.cast(tf.math.floormod(d_step, self.reg_interval) == 0, tf.float32)
        for name, value in penalties.items():
            self.trackers[name].update_state(value / self.reg_interval, sample_weight=applied)

    def get_config(self) -> dict[str, Any]:
        """Configuration, including the adversarial loss and the R1/R2 settings."""
        return {
            **super().get_config(),
            "adversarial_loss": self.adversarial_loss,
            "r1_gamma": self.r1_gamma,
            "r2_gamma": self.r2_gamma,
            "reg_interval": self.reg_interval,
        }
