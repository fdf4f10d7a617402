"""Building and compiling a two-network model, as Keras needs to save, restore and distribute it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from keras_gans import autodiff, distribute


class CompileMixin:
    """``build``, ``compile`` and one update step for the package's models: two optimizers.

    Every variable (both networks, the EMA generator, both optimizers) is created
    up front, because ``fit`` never builds a GAN wrapper by itself and saving,
    restoring and distribution strategies need them; the compile arguments are
    kept so that ``load_model`` recompiles the model.
    """

    def build(self, input_shape: Any = None) -> None:
        """Create the variables of every network, and of both optimizers once compiled.

        ``fit`` never builds a GAN wrapper by itself; saving, restoring and
        distribution strategies need every variable to exist up front.
        """
        self.build_networks()
        self.built = True
        for optimizer, variables in (
            (self.g_optimizer, self.generator_variables),
            (self.d_optimizer, self.discriminator_variables),
        ):
            if optimizer is not None and not optimizer.built:
                optimizer.build(variables)

    def build_networks(self) -> None:
        """Create every network's variables (a model's own; functional networks already are)."""

    @property
    def generator_variables(self) -> list:
        """The variables ``g_optimizer`` trains."""
        return self.generator.trainable_variables

    @property
    def discriminator_variables(self) -> list:
        """The variables ``d_optimizer`` trains."""
        return self.discriminator.trainable_variables

    def get_build_config(self) -> dict[str, Any] | None:
        """Tell ``load_model`` to call :meth:`build` before restoring the weights."""
        return {"built": True} if self.built else None

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Rebuild the networks on load (see :meth:`get_build_config`)."""
        if config:
            self.build()

    def apply_update(
        self,
        optimizer: keras.optimizers.Optimizer,
        variables: list,
        loss_fn: Callable[[], tuple[tf.Tensor, dict[str, tf.Tensor]]],
        prune: bool = False,
    ) -> dict[str, tf.Tensor]:
        """One step of ``optimizer`` on ``variables`` down ``loss_fn() -> (loss, logged terms)``.

        The loss is divided by the number of replicas (gradients are summed over
        them, so this keeps the global-batch mean) and loss-scaled under
        mixed_float16. ``prune``: skip the all-zero second-derivative pass of a
        loss that holds a gradient (:mod:`keras_gans.autodiff`). Returns the terms.
        """
        with tf.GradientTape() as tape:
            loss, terms = loss_fn()
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = optimizer.scale_loss(loss / replicas if replicas > 1 else loss)
        with autodiff.skip_zero_curvature() if prune else contextlib.nullcontext():
            grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return terms

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
            # Loss scaling: each update passes its loss through scale_loss.
            g_opt, d_opt = (
                o
                if isinstance(o, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(o, name=f"{prefix}_loss_scale")
                for o, prefix in ((g_opt, "g"), (d_opt, "d"))
            )
        # optimizer=None keeps Keras from creating an unused default optimizer.
        super().compile(
            optimizer=None,
            jit_compile=distribute.resolve_jit_compile(jit_compile),
            steps_per_execution=steps_per_execution,
            run_eagerly=run_eagerly,
        )
        self._loss_tracker = None
        self.g_optimizer, self.d_optimizer = g_opt, d_opt
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
