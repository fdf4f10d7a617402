"""Shared test set-up: quiet TensorFlow, small data, and model factories."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402

# TensorFlow's and Keras' import-time objects never die: keep them out of every
# garbage collection of the session.
gc.freeze()

MODEL_CLASSES = {
    "gan": keras_gans.GAN,
    "dcgan": keras_gans.DCGAN,
    "infogan": keras_gans.InfoGAN,
    "wgan_gp": keras_gans.WGANGP,
}


def make_model(name: str, image_shape=(28, 28, 1), **kwargs) -> keras_gans.BaseGAN:
    """A model with small defaults suited to fast tests."""
    kwargs.setdefault("latent_dim", 8)
    kwargs.setdefault("seed", 0)
    if name == "wgan_gp":
        kwargs.setdefault("critic_steps", 2)
    if name == "infogan":  # a few steps: the information term from the first
        kwargs.setdefault("info_warmup", 0)
    return MODEL_CLASSES[name](image_shape=image_shape, **kwargs)


def random_images(n: int = 16, shape=(28, 28, 1), seed: int = 0) -> np.ndarray:
    """Uniform noise images in [-1, 1]."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def run_tensorflow_only(script: str, argv: list[str], cwd) -> subprocess.CompletedProcess:
    """Run ``script`` (Python source) with ``argv`` in a fresh process; fails on a non-zero exit.

    The exported-model checks use it: the new process imports TensorFlow only.
    """
    path = Path(cwd) / "check.py"
    path.write_text(script)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, str(path), *argv],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def trainable_values(model: keras.Model) -> list[np.ndarray]:
    """Copies of a network's trainable weights."""
    return [np.array(v.numpy()) for v in model.trainable_variables]


def changed(before: list[np.ndarray], after: list[np.ndarray]) -> list[bool]:
    """Which weights differ."""
    return [not np.array_equal(a, b) for a, b in zip(before, after)]


@pytest.fixture(autouse=True)
def _reset_keras_state():
    """Each test starts from float32, a fresh Keras session and op determinism off.

    ``training.run`` with a seed turns TensorFlow's op determinism on for the
    process (and Keras then refuses XLA); TensorFlow has no public way to turn
    it off, so the tests use the private one, which exists since TF 2.9.
    """
    yield
    keras.config.set_dtype_policy("float32")
    # Without the full garbage collection (about 1.2 s a test over TensorFlow's
    # objects); Python's own collections still run, over the unfrozen objects.
    keras.backend.clear_session(free_memory=False)
    from tensorflow.python.framework import config as tf_config

    if tf_config.is_op_determinism_enabled():
        tf_config.disable_op_determinism()


@pytest.fixture(params=list(MODEL_CLASSES))
def model_name(request) -> str:
    """Every model of the package."""
    return request.param


class InjectNaN(keras.callbacks.Callback):
    """Testing hook: poison a discriminator weight with NaN after generator step ``step``.

    Fires ``times`` times in all (again after each rollback), to exercise the
    divergence guard and its retry limit.
    """

    def __init__(self, step: int, times: int = 1) -> None:
        super().__init__()
        self.step, self.remaining = step, times

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        g_step = int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations))
        if self.remaining > 0 and g_step >= self.step:
            self.remaining -= 1
            weight = self.model.discriminator.trainable_variables[0]
            weight.assign(tf.fill(weight.shape, float("nan")))


class SignalAt(keras.callbacks.Callback):
    """Testing hook: send this process ``signals`` after generator step ``step``.

    As a user's Ctrl-C or a scheduler's SIGTERM would, between two steps;
    SIGKILL makes it a ``kill -9`` at a known step.
    """

    def __init__(self, step: int, *signals: int) -> None:
        super().__init__()
        self.step, self.signals = step, signals

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations)) == self.step:
            for number in self.signals:
                os.kill(os.getpid(), number)
