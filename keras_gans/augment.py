"""Differentiable augmentation, DiffAugment (Zhao et al. 2020), in TensorFlow ops.

Applied to real and generated images alike before the discriminator, so that
gradients reach the generator through it; it runs inside the compiled train
step. Images are ``(batch, H, W, C)`` in [-1, 1]; parameters are drawn per
sample by ``draw(fn, batch)`` (the model's replica-aware draw).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

POLICIES = ("color", "translation", "cutout")

Draw = Callable[[Callable[[tf.Tensor], tf.Tensor], tf.Tensor], tf.Tensor]


def parse_policy(policy: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"translation,cutout"`` -> ``("translation", "cutout")``; raises on unknown names."""
    if not policy:
        return ()
    names = tuple(p.strip() for p in (policy.split(",") if isinstance(policy, str) else policy))
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(
            f"unknown DiffAugment policy {unknown[0]!r}: choose from {', '.join(POLICIES)}"
        )
    return names


def color(x: tf.Tensor, draw: Draw, seed) -> tf.Tensor:
    """Random brightness (+-0.5), saturation (x0..2) and contrast (x0.5..1.5) per sample."""
    b = tf.shape(x)[0]

    def uniform(n):
        return keras.random.uniform((n, 3, 1, 1, 1), seed=seed)

    u = draw(uniform, b)
    x = x + (u[:, 0] - 0.5)
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    x = (x - mean) * (u[:, 1] * 2.0) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (u[:, 2] + 0.5) + mean


def translation(x: tf.Tensor, draw: Draw, seed, ratio: float = 0.125) -> tf.Tensor:
    """Shift each image by up to ``ratio`` of its size, filling with zeros (mid-grey)."""
    b, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)

    def offsets(n):
        return tf.stack(
            [
                keras.random.randint((n,), -sh, sh + 1, seed=seed, dtype="int32"),
                keras.random.randint((n,), -sw, sw + 1, seed=seed, dtype="int32"),
            ],
            axis=1,
        )

    shift = draw(offsets, b)
    padded = tf.pad(x, [[0, 0], [sh, sh], [sw, sw], [0, 0]])
    rows = tf.range(h)[None, :] + sh - shift[:, :1]  # (b, h)
    cols = tf.range(w)[None, :] + sw - shift[:, 1:]  # (b, w)
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def cutout(x: tf.Tensor, draw: Draw, seed, ratio: float = 0.5) -> tf.Tensor:
    """Zero (mid-grey) a square of ``ratio`` times the image size at a random place per sample."""
    b, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)

    def centres(n):
        return tf.stack(
            [
                keras.random.randint((n,), 0, h + (1 - ch % 2), seed=seed, dtype="int32"),
                keras.random.randint((n,), 0, w + (1 - cw % 2), seed=seed, dtype="int32"),
            ],
            axis=1,
        )

    centre = draw(centres, b)
    ys = tf.range(h)[None, :, None]
    xs = tf.range(w)[None, None, :]
    # A reshape, not centre[:, 0, None, None]: Grappler on TF 2.21 folds that
    # strided slice to shape (b,) inside a compiled train step.
    top = tf.reshape(centre[:, 0], [-1, 1, 1]) - ch // 2
    left = tf.reshape(centre[:, 1], [-1, 1, 1]) - cw // 2
    inside = (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)
    return x * tf.cast(~inside, x.dtype)[..., None]


_OPS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: tf.Tensor, policy: Sequence[str], draw: Draw, seed) -> tf.Tensor:
    """Apply the policy's transforms in order; the identity for an empty policy."""
    for name in policy:
        x = _OPS[name](x, draw, seed)
    return x
