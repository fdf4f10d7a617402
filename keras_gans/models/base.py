"""What the four GANs share: networks, optimizers, trackers, randomness, config."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_gans import augment, autodiff, networks

_SEED_STATE_KEY = "seed_generator_state"
DEFAULT_IMAGE_SHAPE: tuple[int, int, int] = (28, 28, 1)


def resolve_jit_compile(jit_compile: bool | str) -> bool:
    """Resolve ``"auto"`` to XLA on GPU/TPU and off on CPU or under a distribution strategy.

    On the 2-core CPU this package is developed on, XLA made a WGAN-GP step about
    2x slower; XLA inside ``tf.distribute`` replicas fails to find per-replica
    resources. ``True`` and ``False`` are returned unchanged.
    """
    if jit_compile != "auto":
        return bool(jit_compile)
    if tf.distribute.has_strategy() and tf.distribute.get_strategy().num_replicas_in_sync > 1:
        return False
    accelerators = tf.config.list_logical_devices("GPU") + tf.config.list_logical_devices("TPU")
    return bool(accelerators)


class BaseGAN(keras.Model):
    """Base class of the GAN models: a generator, a discriminator and two optimizers.

    Subclasses set ``tracker_names`` and ``default_latent_dim``, build their
    default networks in ``default_generator``/``default_discriminator``, choose
    their paper's optimizers in ``default_optimizers`` and write ``train_step``.

    Calling the model runs the generator, so ``model(z)`` and ``model.predict(z)``
    return images in [-1, 1].

    Class conditioning (``num_classes=N``): the generator takes ``[z, labels]``
    and the discriminator ``[images, labels]`` (``conditioning="projection"``,
    Miyato and Koyama 2018, or ``"concat"``, a one-hot input); ``fit`` then
    trains on ``(images, labels)`` batches, the fake batch of each step using
    the real batch's labels, and ``model([z, labels])`` generates.

    ``prune_zero_curvature`` (default on): updates whose loss holds a gradient
    (WGAN-GP's penalty, R1/R2) skip an all-zero part of their backward pass
    (:mod:`keras_gans.autodiff`; exact, faster). It patches a private
    TensorFlow registry while such a gradient is taken; turn it off to use
    only TensorFlow's public API. Other updates never touch it.
    """

    tracker_names: tuple[str, ...] = ("d_loss", "g_loss", "real_score", "fake_score")
    default_latent_dim: int = 100

    def __init__(
        self,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        *,
        latent_dim: int | None = None,
        image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
        seed: int | None = None,
        ema_decay: float | None = None,
        use_ema: bool = True,
        spectral_norm: bool = False,
        diffaugment: str | Sequence[str] | None = None,
        num_classes: int | None = None,
        conditioning: str = "projection",
        prune_zero_curvature: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.prune_zero_curvature = bool(prune_zero_curvature)
        networks.validate_conditioning(num_classes, conditioning)
        self.num_classes = num_classes
        self.conditioning = conditioning
        self.diffaugment = augment.parse_policy(diffaugment)
        self.spectral_norm = bool(spectral_norm)
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {ema_decay!r}")
        latent_dim = self.default_latent_dim if latent_dim is None else latent_dim
        if not isinstance(latent_dim, (int, np.integer)) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
        self.latent_dim = int(latent_dim)
        self.seed = seed
        if generator is None or discriminator is None:
            self.image_shape = networks.validate_image_shape(image_shape)
        else:
            self.image_shape = tuple(int(d) for d in image_shape)
        self.generator = generator if generator is not None else self.default_generator()
        self.discriminator = (
            discriminator if discriminator is not None else self.default_discriminator()
        )
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.use_ema = bool(use_ema)
        self.ema_generator = None if ema_decay is None else _clone(self.generator)
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names}
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self._gan_compile_config: dict[str, Any] | None = None

    # ----------------------------------------------------------------- networks
    @property
    def conditional(self) -> bool:
        """Whether the model is class-conditional (``num_classes`` set)."""
        return self.num_classes is not None

    @property
    def generator_input_dim(self) -> int:
        """Width of the generator's input vector (the noise, plus codes for InfoGAN)."""
        return self.latent_dim

    def default_generator(self) -> keras.Model:
        """Build the default generator for ``image_shape``."""
        raise NotImplementedError

    def default_discriminator(self) -> keras.Model:
        """Build the default discriminator (critic) for ``image_shape``."""
        raise NotImplementedError

    def default_optimizers(self) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
        """The paper's (generator, discriminator) optimizers, used for ``"auto"``."""
        return (
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam"),
            keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
        )

    @property
    def inference_generator(self) -> keras.Model:
        """The generator used for sampling, grids, evaluation and export.

        The exponential moving average of the generator when ``ema_decay`` is
        set and ``use_ema`` is true (the default), else the trained generator.
        """
        if self.ema_generator is not None and self.use_ema:
            return self.ema_generator
        return self.generator

    def call(self, inputs: Any, training: bool = False) -> tf.Tensor:
        """Run the inference generator: latent vectors in, images in [-1, 1] out (float32).

        ``inputs`` is ``z``, or ``[z, labels]`` for a conditional model.
        """
        inputs = tf.nest.map_structure(tf.convert_to_tensor, inputs)
        return tf.cast(self.inference_generator(inputs, training=training), tf.float32)

    def augment(self, images: tf.Tensor) -> tf.Tensor:
        """DiffAugment (the ``diffaugment`` policy) before the discriminator; identity if none."""
        if not self.diffaugment:
            return images
        return augment.diff_augment(
            images, self.diffaugment, self.replica_draw, self.seed_generator
        )

    def discriminator_output(
        self, images: tf.Tensor, labels: tf.Tensor | None = None, training: bool = True
    ) -> Any:
        """The discriminator (critic) on ``images``, conditioned on ``labels`` if given."""
        if labels is not None:
            # Keras refuses a list mixing NumPy arrays and tensors.
            images, labels = tf.convert_to_tensor(images), tf.convert_to_tensor(labels)
        inputs = images if labels is None else [images, labels]
        return self.discriminator(inputs, training=training)

    def discriminate(
        self, real: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor | None = None
    ) -> tuple[Any, Any]:
        """Discriminator outputs for a real and a fake batch (training mode).

        ``labels`` (conditional models) condition both batches. When the
        discriminator has no batch normalisation its rows are independent, and
        one call on the concatenated batch (measured faster on CPU than two
        calls) gives the same result as two calls. With batch norm,
        concatenation would mix real and fake statistics: two calls.
        """
        if self._discriminator_has_batch_norm:
            return (
                self.discriminator_output(real, labels),
                self.discriminator_output(fake, labels),
            )
        both = self.discriminator_output(
            tf.concat([real, fake], axis=0),
            None if labels is None else tf.concat([labels, labels], axis=0),
        )
        halves = [tf.split(out, 2, axis=0) for out in tf.nest.flatten(both)]
        return (
            tf.nest.pack_sequence_as(both, [h[0] for h in halves]),
            tf.nest.pack_sequence_as(both, [h[1] for h in halves]),
        )

    @property
    def _discriminator_has_batch_norm(self) -> bool:
        return any(
            isinstance(layer, keras.layers.BatchNormalization)
            for layer in self.discriminator._flatten_layers(include_self=False)
        )

    def _fake(
        self, z: tf.Tensor, labels: tf.Tensor | None = None, training: bool = True
    ) -> tf.Tensor:
        # float32 whatever the generator's last layer: losses and the
        # real/fake concatenation need one dtype.
        inputs = z if labels is None else [z, labels]
        return tf.cast(self.generator(inputs, training=training), tf.float32)

    def build(self, input_shape: Any = None) -> None:
        """Create the variables of both networks, and of both optimizers once compiled.

        ``fit`` never builds a GAN wrapper by itself; saving, restoring and
        distribution strategies need every variable to exist up front.
        """
        labels = tf.zeros((1,), tf.int32) if self.conditional else None
        for generator in (self.generator, self.ema_generator):
            if generator is not None and not generator.built:
                z = tf.zeros((1, self.generator_input_dim))
                generator(z if labels is None else [z, labels], training=False)
        if self.ema_generator is not None and not self.built:
            self.ema_generator.set_weights(self.generator.get_weights())
        if not self.discriminator.built:
            self.discriminator_output(tf.zeros((1, *self.image_shape)), labels, training=False)
        self.built = True
        self._build_optimizers()

    def _build_optimizers(self) -> None:
        if self.g_optimizer is not None and not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)
        if self.d_optimizer is not None and not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)

    def get_build_config(self) -> dict[str, Any] | None:
        """Tell ``load_model`` to call :meth:`build` before restoring the weights."""
        return {"input_shape": (None, self.generator_input_dim)} if self.built else None

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Rebuild the networks on load (see :meth:`get_build_config`)."""
        if config:
            self.build()

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        g_optimizer: keras.optimizers.Optimizer | str | dict = "auto",
        d_optimizer: keras.optimizers.Optimizer | str | dict = "auto",
        *,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
        run_eagerly: bool = False,
    ) -> None:
        """Configure training: one optimizer per network.

        Args:
            g_optimizer: generator optimizer, an identifier ``keras.optimizers.get``
                accepts, or ``"auto"`` for the paper's choice.
            d_optimizer: discriminator optimizer, likewise.
            jit_compile: ``True``/``False`` for XLA, or ``"auto"``: on with a
                GPU/TPU, off on CPU and under a multi-replica strategy.
            steps_per_execution: batches run per compiled call.
            run_eagerly: debug the train step eagerly.
        """
        defaults = self.default_optimizers()
        g_opt = defaults[0] if g_optimizer == "auto" else keras.optimizers.get(g_optimizer)
        d_opt = defaults[1] if d_optimizer == "auto" else keras.optimizers.get(d_optimizer)
        if g_opt is d_opt:
            raise ValueError("g_optimizer and d_optimizer must be two different optimizer objects")
        if keras.config.dtype_policy().name == "mixed_float16":
            # Loss scaling: each train step passes its loss through scale_loss.
            g_opt, d_opt = (
                o
                if isinstance(o, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(o, name=f"{prefix}_loss_scale")
                for o, prefix in ((g_opt, "g"), (d_opt, "d"))
            )
        # optimizer=None keeps Keras from creating an unused default optimizer.
        super().compile(
            optimizer=None,
            jit_compile=resolve_jit_compile(jit_compile),
            steps_per_execution=steps_per_execution,
            run_eagerly=run_eagerly,
        )
        self._loss_tracker = None
        self.g_optimizer = g_opt
        self.d_optimizer = d_opt
        self._gan_compile_config = {
            "g_optimizer": keras.saving.serialize_keras_object(g_opt),
            "d_optimizer": keras.saving.serialize_keras_object(d_opt),
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
            "run_eagerly": run_eagerly,
        }
        self.build()

    def get_compile_config(self) -> dict[str, Any] | None:
        """The arguments of :meth:`compile`, so that ``load_model`` recompiles the model."""
        return self._gan_compile_config

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Recompile from :meth:`get_compile_config` (called by ``load_model``)."""
        config = dict(config)
        for key in ("g_optimizer", "d_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers, reset by ``fit`` at each epoch."""
        return list(self.trackers.values())

    # ------------------------------------------------------------ randomness
    def _seed(self, seed: Any = None) -> Any:
        return self.seed_generator if seed is None else seed

    @staticmethod
    def replica_draw(draw: Callable[[Any], tf.Tensor], batch_size: int | tf.Tensor) -> tf.Tensor:
        """Call ``draw(n)`` so that each replica gets its own slice of one global draw.

        Under a multi-replica strategy every replica holds the same seed-generator
        state; drawing the global batch (``batch_size * replicas`` rows) and
        keeping the replica's slice gives different draws per replica, and the
        same draws as one device training on the global batch.
        """
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        context = tf.distribute.get_replica_context()
        if replicas == 1 or context is None:
            return draw(batch_size)
        start = context.replica_id_in_sync_group * batch_size
        return draw(batch_size * replicas)[start : start + batch_size]

    def sample_noise(self, batch_size: int | tf.Tensor, seed: Any = None) -> tf.Tensor:
        """Draw standard-normal noise ``(batch_size, latent_dim)``.

        From the model's seed generator, or from ``seed`` (an int or a
        ``SeedGenerator``) when given.
        """
        return self.replica_draw(
            lambda n: keras.random.normal((n, self.latent_dim), seed=self._seed(seed)), batch_size
        )

    def sample_labels(self, batch_size: int | tf.Tensor, seed: Any = None) -> tf.Tensor:
        """Draw uniform class labels ``(batch_size,)`` int32 (conditional models)."""
        if not self.conditional:
            raise ValueError("sample_labels is for conditional models (num_classes=...)")
        return self.replica_draw(
            lambda n: keras.random.randint(
                (n,), 0, self.num_classes, seed=self._seed(seed), dtype="int32"
            ),
            batch_size,
        )

    def sample_generator_inputs(self, batch_size: int | tf.Tensor, seed: Any = None) -> Any:
        """Draw a batch of full generator inputs.

        The noise (plus codes for InfoGAN), or ``[noise, labels]`` with uniform
        labels for a conditional model.
        """
        noise = self.sample_noise(batch_size, seed)
        if not self.conditional:
            return noise
        return [noise, self.sample_labels(batch_size, seed)]

    def check_labels(self, labels: Any, num_images: int) -> tf.Tensor:
        """Validate requested class labels: one int in range, or one per image.

        Returns an int32 tensor ``(num_images,)``; raises ``ValueError`` naming
        the problem (unconditional model, wrong length, out of range).
        """
        if not self.conditional:
            raise ValueError("labels need a conditional model (built with num_classes=...)")
        array = np.asarray(labels)
        if array.ndim == 0:
            array = np.full((num_images,), array)
        if array.ndim != 1 or len(array) != num_images:
            raise ValueError(
                f"labels must be one integer or {num_images} integers, got shape {array.shape}"
            )
        if array.size and (
            not np.issubdtype(array.dtype, np.integer)
            or array.min() < 0
            or array.max() >= self.num_classes
        ):
            raise ValueError(
                f"labels must be integers in [0, {self.num_classes}), got {array.tolist()[:10]}"
            )
        return tf.constant(array, tf.int32)

    def generate(
        self,
        num_images: int,
        seed: int | None = None,
        batch_size: int = 256,
        labels: Any = None,
    ) -> np.ndarray:
        """Generate ``num_images`` images in [-1, 1] as a NumPy array ``(n, H, W, C)``.

        With ``seed`` the draw is reproducible and leaves the model's own seed
        generator untouched; without it, the model's seed generator advances.
        ``labels`` (conditional models): one class for all images or one per
        image; by default, uniformly drawn classes.
        """
        if num_images < 1:
            raise ValueError(f"num_images must be positive, got {num_images}")
        if labels is not None:
            labels = self.check_labels(labels, num_images)
        inputs = self.sample_generator_inputs(
            num_images, None if seed is None else keras.random.SeedGenerator(seed)
        )
        if labels is not None:
            inputs = [inputs[0], labels]
        return self.generate_from_inputs(inputs, batch_size)

    def generate_from_inputs(self, inputs: Any, batch_size: int = 256) -> np.ndarray:
        """Images in [-1, 1] (NumPy, float32) for given generator inputs, in batches.

        ``inputs`` is what :meth:`sample_generator_inputs` returns: ``z``, or
        ``[z, labels]`` for a conditional model.
        """
        count = int(tf.nest.flatten(inputs)[0].shape[0])
        out = []
        for start in range(0, count, batch_size):
            chunk = tf.nest.map_structure(lambda t, s=start: t[s : s + batch_size], inputs)
            out.append(keras.ops.convert_to_numpy(self(chunk, training=False)))
        return np.concatenate(out).astype(np.float32)

    # ------------------------------------------------------- training helpers
    @staticmethod
    def real_images(data: Any) -> tf.Tensor:
        """The images of a batch that may be ``images`` or ``(images, labels, ...)``."""
        if isinstance(data, (tuple, list)):
            data = data[0]
        if isinstance(data, dict):
            data = data["image"]
        return tf.cast(data, tf.float32)

    def unpack(self, data: Any) -> tuple[tf.Tensor, tf.Tensor | None]:
        """``(images, labels)`` of a batch; labels are ``None`` for unconditional models.

        A conditional model needs labelled batches (``(images, labels)`` or a
        dict with ``image`` and ``label``) and says so otherwise.
        """
        images = self.real_images(data)
        if not self.conditional:
            return images, None
        labels = None
        if isinstance(data, (tuple, list)) and len(data) > 1:
            labels = data[1]
        elif isinstance(data, dict):
            labels = data.get("label")
        if labels is None:
            raise ValueError(
                "a conditional model (num_classes=...) trains on (images, labels) batches: "
                "load the data with labels, e.g. load_dataset(..., with_labels=True)"
            )
        return images, tf.cast(tf.reshape(labels, [-1]), tf.int32)

    def _minimize(
        self,
        optimizer: keras.optimizers.Optimizer,
        variables: Sequence[tf.Variable],
        loss_fn: Callable[[], tuple[tf.Tensor, dict[str, tf.Tensor]]],
        *,
        second_order: bool = False,
    ) -> dict[str, tf.Tensor]:
        """One gradient step of ``optimizer`` on ``variables``.

        ``loss_fn`` runs inside the tape and returns ``(loss, terms)``. The loss
        is divided by the number of replicas (gradients are summed across
        replicas, so this keeps the global-batch mean) and goes through the
        optimizer's loss scaling (a no-op unless mixed_float16).
        ``second_order``: the loss contains a gradient (a gradient penalty); its
        all-zero second-derivative pass is pruned unless ``prune_zero_curvature``
        is off (:mod:`keras_gans.autodiff`, which uses a private TensorFlow API).
        """
        with tf.GradientTape() as tape:
            loss, terms = loss_fn()
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = optimizer.scale_loss(loss / replicas if replicas > 1 else loss)
        prune = second_order and self.prune_zero_curvature
        # Exact: only prunes backward passes that add zeros (keras_gans.autodiff).
        with autodiff.skip_zero_curvature() if prune else contextlib.nullcontext():
            grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(grads, variables))
        if optimizer is self.g_optimizer and self.ema_generator is not None:
            self._update_ema()
        return terms

    def _update_ema(self) -> None:
        """Move the EMA generator towards the generator (after a generator update).

        Decay ``min(ema_decay, (1 + t) / (10 + t))`` at generator step t: the
        warm-up lets early, fast-changing weights through. Non-trainable state
        (batch-norm statistics) is copied, not averaged.
        """
        t = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for ema, weight in zip(
            self.ema_generator.trainable_variables, self.generator.trainable_variables
        ):
            ema.assign(decay * ema + (1.0 - decay) * tf.cast(weight, ema.dtype))
        for ema, weight in zip(
            self.ema_generator.non_trainable_variables, self.generator.non_trainable_variables
        ):
            ema.assign(weight)

    @staticmethod
    def score_logs(real_scores: tf.Tensor, fake_scores: tf.Tensor) -> dict[str, tf.Tensor]:
        """The mean discriminator (critic) outputs on the real and the fake batch."""
        return {
            "real_score": tf.reduce_mean(tf.cast(real_scores, tf.float32)),
            "fake_score": tf.reduce_mean(tf.cast(fake_scores, tf.float32)),
        }

    def _log(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # --------------------------------------------------------------- saving
    def _all_seed_generators(self) -> list[keras.random.SeedGenerator]:
        """The model's and every sublayer's seed generators (dropout...), in a fixed order."""
        generators = []
        for layer in self._flatten_layers(include_self=True):
            generators.extend(getattr(layer, "_seed_generators", []))
        return generators

    def save_own_variables(self, store: Any) -> None:
        """Save the state of every seed generator, which Keras does not save by itself.

        Without it, a reloaded model would draw different noise (and dropout
        masks) than the model it was saved from.
        """
        for i, generator in enumerate(self._all_seed_generators()):
            store[f"{_SEED_STATE_KEY}_{i}"] = keras.ops.convert_to_numpy(generator.state)

    def load_own_variables(self, store: Any) -> None:
        """Restore the seed generator states saved by :meth:`save_own_variables`."""
        keys = set(store.keys())
        for i, generator in enumerate(self._all_seed_generators()):
            if f"{_SEED_STATE_KEY}_{i}" in keys:
                generator.state.assign(np.asarray(store[f"{_SEED_STATE_KEY}_{i}"]))

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration, networks included."""
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            latent_dim=self.latent_dim,
            image_shape=list(self.image_shape),
            seed=self.seed,
            ema_decay=self.ema_decay,
            use_ema=self.use_ema,
            spectral_norm=self.spectral_norm,
            diffaugment=list(self.diffaugment),
            num_classes=self.num_classes,
            conditioning=self.conditioning,
            prune_zero_curvature=self.prune_zero_curvature,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BaseGAN:
        """Inverse of :meth:`get_config`."""
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _clone(model: keras.Model) -> keras.Model:
    """A structural copy of a network (weights are copied when it is built)."""
    try:
        clone = keras.models.clone_model(model)
    except Exception:  # subclassed models without a functional structure
        clone = model.__class__.from_config(model.get_config())
    clone.name = f"ema_{model.name}"
    return clone
