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


def affine_jitter(
    x: tf.Tensor,
    draw: Draw,
    seed,
    rotation: float = 15.0,
    scale: float = 0.1,
    shift: float = 0.1,
) -> tf.Tensor:
    """Rotate by up to ``rotation`` degrees, scale by 1 +- ``scale`` and shift by up to
    ``shift`` of the size, per sample, about the centre; edges repeat the border pixels.

    Small moves that keep what an image shows (a digit stays that digit): InfoGAN's
    ``invariant_codes`` makes Q read its codes through them.
    """
    b, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]

    def uniform(n):
        return keras.random.uniform((n, 4), -1.0, 1.0, seed=seed)

    u = draw(uniform, b)
    angle = u[:, 0] * (rotation * 3.141592653589793 / 180.0)
    factor = 1.0 + u[:, 1] * scale
    tx, ty = u[:, 2] * (shift * w), u[:, 3] * (shift * h)
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    # The transform maps each output pixel to the input point it samples: the
    # inverse of "scale and rotate about the centre, then shift".
    cos, sin = tf.cos(angle) / factor, tf.sin(angle) / factor
    a0, a1, b0, b1 = cos, sin, -sin, cos
    a2 = cx - (a0 * (cx + tx) + a1 * (cy + ty))
    b2 = cy - (b0 * (cx + tx) + b1 * (cy + ty))
    transform = tf.stack([a0, a1, a2, b0, b1, b2], axis=1)
    return affine_sample(x, transform)


def stroke_jitter(x: tf.Tensor, draw: Draw, seed, strength: float = 0.5) -> tf.Tensor:
    """Thicken or thin the strokes of each sample: blend towards its 3x3 dilation (grey
    max-pooling) or erosion by a fraction drawn uniformly from ``[-strength, strength]``.

    Bright strokes on a dark ground grow for a positive fraction and shrink for a
    negative one. InfoGAN's ``stroke_jitter`` makes Q read its codes through it, so a
    code cannot live in stroke width.
    """
    b = tf.shape(x)[0]

    def uniform(n):
        return keras.random.uniform((n, 1, 1, 1), -1.0, 1.0, seed=seed)

    t = draw(uniform, b) * strength
    dilated = tf.nn.max_pool2d(x, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-x, 3, 1, "SAME")
    return x + tf.nn.relu(t) * (dilated - x) + tf.nn.relu(-t) * (eroded - x)


def affine_sample(x: tf.Tensor, transform: tf.Tensor) -> tf.Tensor:
    """Bilinear resampling of ``x`` (b, h, w, c): output pixel (x, y) of image i reads the
    input at ``(a0 x + a1 y + a2, b0 x + b1 y + b2)`` from ``transform[i]`` = (a0, a1, a2,
    b0, b1, b2); points outside repeat the border.

    The affine case of ``keras.ops.image.affine_transform(..., "bilinear", "nearest")``
    in gathers, so it also compiles under XLA, which has no kernel for TensorFlow's
    ImageProjectiveTransformV3.
    """
    b, h, w, c = tf.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
    t = tf.cast(transform, tf.float32)[:, :, None, None]
    ys, xs = tf.meshgrid(
        tf.range(h, dtype=tf.float32), tf.range(w, dtype=tf.float32), indexing="ij"
    )
    src_x = tf.clip_by_value(t[:, 0] * xs + t[:, 1] * ys + t[:, 2], 0.0, w - 1.0)
    src_y = tf.clip_by_value(t[:, 3] * xs + t[:, 4] * ys + t[:, 5], 0.0, h - 1.0)
    x0, y0 = tf.floor(src_x), tf.floor(src_y)
    wx, wy = (src_x - x0)[..., None], (src_y - y0)[..., None]
    x0, y0 = tf.cast(x0, tf.int32), tf.cast(y0, tf.int32)
    x1, y1 = tf.minimum(x0 + 1, w - 1), tf.minimum(y0 + 1, h - 1)
    flat = tf.reshape(tf.cast(x, tf.float32), tf.stack([b, h * w, c]))

    def at(yy, xx):
        return tf.gather(flat, tf.reshape(yy * w + xx, tf.stack([b, h * w])), batch_dims=1)

    def rows(yy):
        return tf.reshape(
            at(yy, x0) * (1 - tf.reshape(wx, [b, h * w, 1]))
            + at(yy, x1) * tf.reshape(wx, [b, h * w, 1]),
            tf.stack([b, h, w, c]),
        )

    out = rows(y0) * (1 - wy) + rows(y1) * wy
    return tf.cast(out, x.dtype)


_OPS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: tf.Tensor, policy: Sequence[str], draw: Draw, seed) -> tf.Tensor:
    """Apply the policy's transforms in order; the identity for an empty policy."""
    for name in policy:
        x = _OPS[name](x, draw, seed)
    return x
