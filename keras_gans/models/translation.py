"""What the image-to-image GANs share: named networks, two optimizers, trackers, config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from keras_gans.ema import GeneratorEMA
from keras_gans.models.compiling import CompileMixin
from keras_gans.models.gan import ADVERSARIAL_LOSSES
from keras_gans.models.generation import SeedStateMixin

LossFn = Any


@keras.saving.register_keras_serializable(package="keras_gans")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A constant learning rate for ``constant_steps``, then linearly down to 0 over
    ``decay_steps`` (CycleGAN: 100 epochs constant, 100 decaying; Zhu et al. 2017)."""

    def __init__(self, initial: float, constant_steps: int, decay_steps: int) -> None:
        if constant_steps < 0 or decay_steps < 1:
            raise ValueError(
                f"constant_steps must be >= 0 and decay_steps >= 1, got {constant_steps}, "
                f"{decay_steps}"
            )
        self.initial = float(initial)
        self.constant_steps, self.decay_steps = int(constant_steps), int(decay_steps)

    def __call__(self, step: Any) -> tf.Tensor:
        """The learning rate at optimizer step ``step``."""
        step = tf.cast(step, tf.float32)
        done = tf.clip_by_value((step - self.constant_steps) / self.decay_steps, 0.0, 1.0)
        return self.initial * (1.0 - done)

    def get_config(self) -> dict[str, Any]:
        """The three arguments."""
        return {
            "initial": self.initial,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
        }


class TranslationGAN(CompileMixin, SeedStateMixin, keras.Model):
    """Base class of the image-to-image GANs: images in, images out.

    A subclass names its networks (``generator_names``, ``discriminator_names``:
    constructor arguments, built by ``default_network(name)`` when not given),
    the logged values (``tracker_names``) and writes ``train_step`` with
    :meth:`update_generators` and :meth:`update_discriminators`. One optimizer
    trains all generators and one all discriminators, as the papers' code does.
    ``model(images)`` (and :meth:`translate`) runs ``generator``, the main
    direction, in inference mode; inputs and outputs are float images in [-1, 1].

    With ``ema_decay`` every generator gets an exponential moving average
    (``ema_<name>``, see :class:`keras_gans.ema.GeneratorEMA`), updated after each
    generator step; ``call``, ``translate``, the grids and the export use it while
    ``use_ema`` is true. The constructor leaves it off; ``train.py --ema-decay auto``
    uses the class's ``auto_ema_decay``: off for Pix2Pix and CycleGAN (their papers
    train without), 0.999 for SRGAN (ESRGAN's code).
    """

    generator_names: ClassVar[tuple[str, ...]] = ("generator",)
    discriminator_names: ClassVar[tuple[str, ...]] = ("discriminator",)
    tracker_names: ClassVar[tuple[str, ...]] = ("d_loss", "g_loss")
    # For TrainConfig: image-to-image models take no class labels and no noise.
    can_condition: ClassVar[bool] = False
    is_critic: ClassVar[bool] = False
    is_translation: ClassVar[bool] = True
    default_batch_size: ClassVar[int] = 32  # train.py's --batch-size auto
    auto_ema_decay: ClassVar[float | None] = None  # train.py's --ema-decay auto
    train_options: ClassVar[dict[str, str]] = {}

    @classmethod
    def check_options(cls, **options: Any) -> None:
        """Raise ``ValueError`` naming an invalid option of this model (its constructor's check)."""

    def __init__(
        self,
        networks: dict[str, keras.Model | None],
        *,
        image_shape: Sequence[int],
        base_filters: int = 64,
        seed: int | None = None,
        ema_decay: float | None = None,
        use_ema: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(base_filters, (int, np.integer)) or base_filters < 1:
            raise ValueError(f"base_filters must be a positive integer, got {base_filters!r}")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.base_filters, self.seed = int(base_filters), seed
        for name in (*self.generator_names, *self.discriminator_names):
            network = networks.get(name)
            setattr(self, name, network if network is not None else self.default_network(name))
        self._emas = []
        for name in self.generator_names if ema_decay is not None else ():
            ema = GeneratorEMA(getattr(self, name), ema_decay)
            setattr(self, f"ema_{name}", ema.network)
            self._emas.append(ema)
        self.ema_decay = self._emas[0].decay if self._emas else None
        self.use_ema = bool(use_ema)
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names}
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self._gan_compile_config: dict[str, Any] | None = None

    def default_network(self, name: str) -> keras.Model:
        """Build the default network called ``name`` for ``image_shape``."""
        raise NotImplementedError

    def build_networks(self) -> None:
        """Start each moving average at its generator's weights (once, before training)."""
        if not self.built:
            for ema in self._emas:
                ema.reset()

    def inference_network(self, name: str = "generator") -> keras.Model:
        """The network that translates at inference: ``ema_<name>`` when there is one and
        ``use_ema`` is true, else the trained generator ``name``."""
        if self.ema_decay is not None and self.use_ema:
            return getattr(self, f"ema_{name}")
        return getattr(self, name)

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """Adam(2e-4, beta_1=0.5) for both, as Pix2Pix, CycleGAN and DCGAN use."""
        return (
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam"),
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
        )

    @property
    def generator_variables(self) -> list:
        """Every generator's trainable variables (``g_optimizer`` trains them)."""
        return [v for n in self.generator_names for v in getattr(self, n).trainable_variables]

    @property
    def discriminator_variables(self) -> list:
        """Every discriminator's trainable variables (``d_optimizer`` trains them)."""
        return [v for n in self.discriminator_names for v in getattr(self, n).trainable_variables]

    @property
    def input_shape_of_generator(self) -> tuple[int, int, int]:
        """The shape of one input image of ``generator`` (no batch axis)."""
        return tuple(int(d) for d in self.generator.inputs[0].shape[1:])

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers, reset by ``fit`` at each epoch."""
        return list(self.trackers.values())

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """``generator`` (its moving average, see :meth:`inference_network`) on a batch of
        images: the main translation direction."""
        network = self.generator if training else self.inference_network()
        return tf.cast(network(images, training=training), tf.float32)

    def translate(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """The main generator in inference mode on images in [-1, 1], as a NumPy array."""
        return self.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)

    @staticmethod
    def unpack_pair(data: Any) -> tuple[tf.Tensor, tf.Tensor]:
        """The two images of a batch: ``(source, target)`` from ``fit(pairs)`` or ``fit(x, y)``."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError(
                "an image-to-image model trains on (source, target) or (a, b) batches of two "
                "image tensors; got a single tensor"
            )
        return tf.convert_to_tensor(x), tf.convert_to_tensor(y)  # eager batches may be NumPy

    def grid_columns(self, source: tf.Tensor, target: tf.Tensor) -> list[np.ndarray]:
        """The columns of a progress grid: source (resized to the output's size), output, target."""
        output = keras.ops.convert_to_numpy(self(source, training=False))
        size = output.shape[1:3]
        shown = (
            tf.image.resize(source, size, method="nearest") if source.shape[1:3] != size else source
        )
        return [np.asarray(shown), output, np.asarray(target)]

    def update_generators(self, loss_fn: LossFn) -> dict[str, tf.Tensor]:
        """One ``g_optimizer`` step on every generator down ``loss_fn() -> (loss, terms)``,
        then the moving averages' step."""
        logs = self.apply_update(self.g_optimizer, self.generator_variables, loss_fn)
        for ema in self._emas:
            ema.update(self.g_optimizer.iterations)
        return logs

    def update_discriminators(self, loss_fn: LossFn) -> dict[str, tf.Tensor]:
        """One ``d_optimizer`` step on every discriminator down ``loss_fn() -> (loss, terms)``."""
        return self.apply_update(self.d_optimizer, self.discriminator_variables, loss_fn)

    def _log(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration, networks included."""
        config = {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "seed": self.seed,
            "ema_decay": self.ema_decay,
            "use_ema": self.use_ema,
        }
        for name in (*self.generator_names, *self.discriminator_names):
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TranslationGAN:
        """Inverse of :meth:`get_config`."""
        config = dict(config)
        for name in (*cls.generator_names, *cls.discriminator_names):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def adversarial_losses(name: str) -> tuple[Any, Any]:
    """(D loss(real, fake), G loss(real, fake)) of ``name``; ``ValueError`` if unknown."""
    if name not in ADVERSARIAL_LOSSES:
        raise ValueError(
            f"unknown adversarial loss {name!r}: choose one of {', '.join(ADVERSARIAL_LOSSES)}"
        )
    return ADVERSARIAL_LOSSES[name]


def check_weight(name: str, value: Any) -> float:
    """``value`` as a float, or ``ValueError`` if it is not a non-negative number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)
