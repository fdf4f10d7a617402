"""Seconds per training step of R3GAN's pieces and models on this machine's CPU.

    python benchmarks/r3gan_speed.py

Prints, for a batch of 64 at 28x28: one grouped 3x3 convolution (128 channels,
8 groups) forward and backward as Keras' ``Conv2D(groups=...)`` (XLA on CPU)
and as :class:`keras_gans.networks.GroupedConv2D` (one block-diagonal
convolution); then whole training steps of DCGAN and R3GAN at a few widths.
Each figure is the mean of 10 calls after one warm-up call, all in one process,
so their ratios are comparable; the absolute values depend on what else runs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import networks  # noqa: E402


def _mean_seconds(fn, *args, calls: int = 10) -> float:
    fn(*args)
    start = time.perf_counter()
    for _ in range(calls):
        fn(*args)
    return (time.perf_counter() - start) / calls


def grouped_convolutions() -> None:
    x = tf.random.normal((64, 28, 28, 128), seed=0)
    for name, layer in (
        ("keras Conv2D(groups=8)", keras.layers.Conv2D(128, 3, padding="same", groups=8)),
        ("GroupedConv2D(groups=8)", networks.GroupedConv2D(128, 3, groups=8, gain=1.0)),
    ):
        layer.build(x.shape)

        @tf.function
        def step(x, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(layer(x) ** 2)
            return tape.gradient(loss, [x, *layer.trainable_variables])

        print(f"{name:28s} {_mean_seconds(step, x) * 1000:8.0f} ms forward+backward")


def training_steps() -> None:
    images = np.random.default_rng(0).uniform(-1, 1, (64 * 11, 28, 28, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(images).batch(64, drop_remainder=True).cache()
    models = {
        "DCGAN (default)": lambda: keras_gans.DCGAN(seed=0, ema_decay=0.999),
        "R3GAN width 32 (default)": lambda: keras_gans.R3GAN(seed=0, ema_decay=0.9999),
        "R3GAN width 64": lambda: keras_gans.R3GAN(seed=0, ema_decay=0.9999, width=64),
        "R3GAN width 64, 1 block": lambda: keras_gans.R3GAN(
            seed=0, ema_decay=0.9999, width=64, blocks_per_stage=1
        ),
    }
    for name, make in models.items():
        model = make()
        model.compile()
        model.fit(ds.take(1), epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(ds.skip(1), epochs=1, verbose=0)
        per_step = (time.perf_counter() - start) / 10
        print(f"{name:28s} {per_step * 1000:8.0f} ms per step (batch 64, 28x28)")


if __name__ == "__main__":
    grouped_convolutions()
    training_steps()
