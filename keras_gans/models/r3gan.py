"""R3GAN (Huang, Gokaslan, Kuleshov and Tompkin 2024): RpGAN + R1 + R2 with modern networks."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import keras
import tensorflow as tf

from keras_gans import augment, distribute, networks
from keras_gans.models.gan import GAN
from keras_gans.schedules import CosineSchedule, ScheduledAdam

SCHEDULES = ("lr_schedule", "gamma_schedule", "beta_2_schedule", "ema_schedule")


def _pair(name: str, value: Sequence[float], low: float, high: float) -> CosineSchedule:
    """A ``(base, final)`` pair as a schedule, each value in ``[low, high]``."""
    if isinstance(value, (str, bytes)) or len(value) != 2:
        raise ValueError(f"{name} must be two numbers (base, final), got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not low <= v <= high:
            raise ValueError(f"{name} values must be numbers in [{low}, {high}], got {value!r}")
    return CosineSchedule(float(value[0]), float(value[1]))


@keras.saving.register_keras_serializable(package="keras_gans")
class R3GAN(GAN):
    """R3GAN: the relativistic pairing loss with R1 and R2, on R3GAN's residual networks.

    Huang et al. (2024, "The GAN is dead; long live the GAN! A Modern GAN
    Baseline") show that RpGAN regularised by both zero-centred penalties
    trains stably without the usual tricks, and modernise the networks
    (:func:`keras_gans.networks.r3gan_generator`, ``r3gan_discriminator``).
    The objective is :class:`GAN`'s ``"relativistic"`` loss with ``r1_gamma =
    r2_gamma = gamma``; what is R3GAN's own is the networks, Adam with
    ``beta_1 = 0``, and the schedules: learning rate, gamma, Adam's beta_2 and
    the EMA half-life move along half-cosines (:mod:`keras_gans.schedules`)
    from a base to a final value over ``schedule_images`` training images.
    The paper's CIFAR-10 values are the defaults, with the EMA half-life
    given as a fraction of ``schedule_images`` (5M of 20M images there).

    Args:
        width: channels of every stage (the paper: 768 on CIFAR-10).
        blocks_per_stage: residual blocks per stage (the paper: 2).
        expansion: the inverted bottleneck's widening (the paper: 2).
        group_channels: channels per group of the grouped 3x3 convolution
            (the paper: 16).
        schedule_images: training images over which the schedules run
            (``train.py`` sets the run's length); the final values hold after.
        lr_schedule: (base, final) learning rate of both networks.
        gamma_schedule: (base, final) gamma of R1 and R2.
        beta_2_schedule: (base, final) Adam's beta_2.
        ema_schedule: (base, final) half-life of the EMA generator, as a
            fraction of ``schedule_images`` (needs ``ema_decay``, which caps
            the decay).
        augment_p: with a ``diffaugment`` policy, the probability that an
            image the discriminator sees is augmented ramps from 0 to this
            (R3GAN's schedule); None applies the policy to every image.
        **kwargs: as :class:`keras_gans.models.base.BaseGAN`.
    """

    default_latent_dim = 64
    default_batch_size = 64
    auto_ema_decay: ClassVar[float | None] = 0.9999  # a cap: the schedule sets the decay
    train_options: ClassVar[dict[str, str]] = {
        "width": "width",
        "blocks_per_stage": "blocks_per_stage",
        "schedule_images": "schedule_images",
        "gamma": "gamma_schedule",
        "lr_schedule": "lr_schedule",
        "augment_p": "augment_p",
    }

    @classmethod
    def check_options(cls, **options: Any) -> None:
        """Raise ``ValueError`` naming an invalid width, block count or schedule
        (``schedule_images="auto"`` is resolved by ``train.py``)."""
        if options.get("schedule_images") == "auto":
            options = {**options, "schedule_images": 1}
        cls._validate(**options)

    @staticmethod
    def _validate(
        width: int = 32,
        blocks_per_stage: int = 2,
        schedule_images: int = 200_000,
        gamma_schedule: Sequence[float] = (0.05, 0.005),
        lr_schedule: Sequence[float] = (2e-4, 5e-5),
        augment_p: float | None = None,
        **others: Any,
    ) -> dict[str, CosineSchedule]:
        for name, value in (
            ("width", width),
            ("blocks_per_stage", blocks_per_stage),
            ("schedule_images", schedule_images),
        ):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if augment_p is not None and not (
            isinstance(augment_p, numbers.Real) and 0 < augment_p <= 1
        ):
            raise ValueError(f"augment_p must be in (0, 1] or None, got {augment_p!r}")
        return {
            "lr_schedule": _pair("lr_schedule", lr_schedule, 1e-12, 1.0),
            "gamma_schedule": _pair("gamma_schedule", gamma_schedule, 0.0, 1e6),
        }

    def __init__(
        self,
        *args: Any,
        width: int = 32,
        blocks_per_stage: int = 2,
        expansion: int = 2,
        group_channels: int = 16,
        schedule_images: int = 200_000,
        lr_schedule: Sequence[float] = (2e-4, 5e-5),
        gamma_schedule: Sequence[float] = (0.05, 0.005),
        beta_2_schedule: Sequence[float] = (0.9, 0.99),
        ema_schedule: Sequence[float] = (0.0, 0.25),
        augment_p: float | None = None,
        **kwargs: Any,
    ) -> None:
        checked = self._validate(
            width, blocks_per_stage, schedule_images, gamma_schedule, lr_schedule, augment_p
        )
        self.width, self.blocks_per_stage = int(width), int(blocks_per_stage)
        self.expansion, self.group_channels = int(expansion), int(group_channels)
        self.schedule_images = int(schedule_images)
        self.augment_p = None if augment_p is None else float(augment_p)
        self.schedules = {
            **checked,
            "beta_2_schedule": _pair("beta_2_schedule", beta_2_schedule, 0.0, 0.999999),
            "ema_schedule": _pair("ema_schedule", ema_schedule, 0.0, 10.0),
        }
        for name in ("adversarial_loss", "r1_gamma", "r2_gamma"):
            if name in kwargs:
                raise ValueError(f"R3GAN's objective is fixed (RpGAN + R1 + R2): drop {name}")
        gamma = self.schedules["gamma_schedule"].base
        super().__init__(
            *args, adversarial_loss="relativistic", r1_gamma=gamma, r2_gamma=gamma, **kwargs
        )
        if self.augment_p is not None and not self.diffaugment:
            raise ValueError("augment_p needs a diffaugment policy (the augmentations to apply)")
        self._now: dict[str, tf.Tensor] = {}

    def _network_options(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "blocks_per_stage": self.blocks_per_stage,
            "expansion": self.expansion,
            "group_channels": self.group_channels,
            "num_classes": self.num_classes,
        }

    def default_generator(self) -> keras.Model:
        """R3GAN's generator (:func:`keras_gans.networks.r3gan_generator`)."""
        return networks.r3gan_generator(
            self.latent_dim, self.image_shape, **self._network_options()
        )

    def default_discriminator(self) -> keras.Model:
        """R3GAN's discriminator (:func:`keras_gans.networks.r3gan_discriminator`)."""
        return networks.r3gan_discriminator(self.image_shape, **self._network_options())

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """Adam with beta_1 = 0 and a schedulable beta_2 (the authors' ``train.py``)."""
        lr, beta_2 = self.schedules["lr_schedule"].base, self.schedules["beta_2_schedule"].base
        return (
            ScheduledAdam(lr, beta_1=0.0, beta_2=beta_2, epsilon=1e-8, name="g_adam"),
            ScheduledAdam(lr, beta_1=0.0, beta_2=beta_2, epsilon=1e-8, name="d_adam"),
        )

    def scheduled_values(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """Every scheduled value after ``images`` training images (float32 scalars)."""
        values = {
            name.removesuffix("_schedule"): schedule(images, self.schedule_images)
            for name, schedule in self.schedules.items()
        }
        if self.augment_p is not None:
            values["augment_p"] = CosineSchedule(0.0, self.augment_p)(images, self.schedule_images)
        return values

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        """Set this step's scheduled values, then one step of :class:`GAN` (RpGAN + R1 + R2).

        Images seen: discriminator steps so far times the global batch.
        """
        real, _ = self.unpack(data)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        global_batch = tf.cast(tf.shape(real)[0] * replicas, tf.float32)
        images = tf.cast(self.d_optimizer.iterations, tf.float32) * global_batch
        self._now = self.scheduled_values(images)
        for optimizer in (self.g_optimizer, self.d_optimizer):
            inner = getattr(optimizer, "inner_optimizer", optimizer)  # loss scaling
            inner.learning_rate = self._now["lr"]
            if isinstance(inner, ScheduledAdam):
                inner.set_beta_2(self._now["beta_2"])
        self._now["ema_decay"] = tf.pow(
            0.5, global_batch / tf.maximum(self._now["ema"] * self.schedule_images, 1e-8)
        )
        return super().train_step(data)

    def penalty_weight(self, name: str) -> tf.Tensor:
        """This step's gamma (the same for R1 and R2)."""
        return self._now["gamma"]

    def scheduled_ema_decay(self) -> tf.Tensor:
        """``0.5 ** (batch / half-life)`` for this step's half-life (the authors' EMA)."""
        return self._now["ema_decay"]

    def augment(self, images: tf.Tensor) -> tf.Tensor:
        """DiffAugment, each image with this step's probability when ``augment_p`` is set."""
        if self.augment_p is None or not self.diffaugment:
            return super().augment(images)
        augmented = augment.diff_augment(
            images, self.diffaugment, distribute.replica_draw, self.seed_generator
        )
        draw = distribute.replica_draw(
            lambda n: keras.random.uniform((n, 1, 1, 1), seed=self.seed_generator),
            tf.shape(images)[0],
        )
        return tf.where(draw < self._now["augment_p"], augmented, images)

    def get_config(self) -> dict[str, Any]:
        """Configuration: networks, schedules (R3GAN's fixed objective is not repeated)."""
        config = super().get_config()
        for name in ("adversarial_loss", "r1_gamma", "r2_gamma"):
            config.pop(name)
        return {
            **config,
            "width": self.width,
            "blocks_per_stage": self.blocks_per_stage,
            "expansion": self.expansion,
            "group_channels": self.group_channels,
            "schedule_images": self.schedule_images,
            "augment_p": self.augment_p,
            **{name: [schedule.base, schedule.final] for name, schedule in self.schedules.items()},
        }
