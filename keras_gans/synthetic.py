"""GANs as a data source: labelled synthetic data sets from a class-conditional generator.

- :func:`labelled_source` wraps what makes the images: a class-conditional
  model (GAN, DCGAN, WGAN-GP with ``num_classes``), an exported SavedModel with a
  ``generate_with_labels`` signature (no keras_gans model code needed), or an
  InfoGAN whose categorical code values are mapped to classes
  (:func:`keras_gans.evaluation.code_to_class`).
- :func:`synthetic_dataset` draws ``(images, labels)`` batches from it: a given
  number or endlessly, with a chosen class balance, reproducible with a seed.
- :func:`mix_with_real` mixes those with a real labelled data set at a chosen
  share in every batch, so ``classifier.fit(mixed)`` needs nothing else.
- :func:`write_image_folder` writes a labelled image folder (one subfolder per
  class) that ``keras.utils.image_dataset_from_directory`` and
  :func:`keras_gans.data.load_dataset` read back with the same labels.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "LabelledSource",
    "class_folder_name",
    "labelled_source",
    "mix_with_real",
    "synthetic_dataset",
    "synthetic_arrays",
    "write_image_folder",
]


class LabelledSource:
    """Images in [-1, 1] for requested class labels, from noise drawn by NumPy.

    ``draw(z, labels, rng)`` returns float32 images ``(n, H, W, C)``;
    ``latent_dim`` is the width of ``z``. Build one with :func:`labelled_source`.
    """

    def __init__(
        self,
        draw: Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray],
        num_classes: int,
        latent_dim: int,
        name: str = "generator",
    ) -> None:
        self.draw, self.num_classes, self.latent_dim, self.name = (
            draw,
            int(num_classes),
            int(latent_dim),
            name,
        )

    def images(self, labels: Sequence[int], rng: np.random.Generator) -> np.ndarray:
        """Images for ``labels`` (int class indices), noise from ``rng``."""
        labels = np.asarray(labels, np.int32)
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            bad = labels[(labels < 0) | (labels >= self.num_classes)][0]
            raise ValueError(f"class {bad} is not in [0, {self.num_classes}) for {self.name}")
        z = rng.standard_normal((len(labels), self.latent_dim)).astype(np.float32)
        return np.asarray(self.draw(z, labels, rng), np.float32)


def labelled_source(source: Any, code_to_class: Sequence[int] | None = None) -> LabelledSource:
    """A :class:`LabelledSource` from a model, a run directory, a ``.keras`` file or a SavedModel.

    Args:
        source: a class-conditional keras_gans model, or an InfoGAN with
            ``code_to_class``; or a path: a run directory or ``.keras`` file
            holding one, or an exported SavedModel (a version directory or its
            base) with a ``generate_with_labels`` signature.
        code_to_class: InfoGAN only: the class of each value of its first
            categorical code (e.g. from
            :func:`keras_gans.evaluation.code_to_class`). A class is drawn with
            its code value; the other codes are drawn at random.

    Raises:
        ValueError: naming the problem (an unconditional model, a SavedModel
            without labels, a mapping that misses a class).
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        saved = _saved_model_dir(path)
        if saved is not None:
            return _saved_model_source(saved)
        from keras_gans.export import load_gan

        source = load_gan(path)
    if code_to_class is not None:
        return _infogan_source(source, code_to_class)
    if not getattr(source, "conditional", False):
        raise ValueError(
            f"{type(source).__name__} is not class-conditional: train it with --conditional "
            "(num_classes=...), or pass an InfoGAN with code_to_class"
        )
    model = source

    def draw(z: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return model.generate_from_inputs([tf.constant(z), tf.constant(labels)])

    return LabelledSource(draw, model.num_classes, model.latent_dim, type(model).__name__)


def _saved_model_dir(path: Path) -> Path | None:
    if (path / "saved_model.pb").exists():
        return path
    versions = sorted((int(p.name), p) for p in path.glob("*") if p.name.isdigit())
    if versions and (versions[-1][1] / "saved_model.pb").exists():
        return versions[-1][1]
    return None


def _saved_model_source(directory: Path) -> LabelledSource:
    loaded = tf.saved_model.load(str(directory))
    if "generate_with_labels" not in loaded.signatures:
        raise ValueError(
            f"{directory} has no generate_with_labels signature: export a class-conditional model"
        )
    fn = loaded.signatures["generate_with_labels"]
    width = fn.structured_input_signature[1]["z"].shape[-1]
    num_classes = _count_classes(fn, width)

    def draw(z: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = []
        for start in range(0, len(z), 256):
            result = fn(
                z=tf.constant(z[start : start + 256]),
                labels=tf.constant(labels[start : start + 256]),
            )
            out.append(result["images"].numpy())
        return np.concatenate(out) if out else np.zeros((0,), np.float32)

    source = LabelledSource(draw, num_classes, width, str(directory))
    source._loaded = loaded  # the signature needs the loaded object alive
    return source


def _count_classes(fn: Any, width: int) -> int:
    """The number of classes of a ``generate_with_labels`` signature, which refuses
    labels out of range: the smallest label it refuses, by doubling then bisection."""

    def accepts(label: int) -> bool:
        try:
            fn(z=tf.zeros((1, width)), labels=tf.constant([label], tf.int32))
            return True
        except tf.errors.InvalidArgumentError:
            return False

    low, high = 0, 1  # accepts(low) holds; find the first refused label
    while accepts(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if accepts(middle) else (low, middle)
    return high


def _infogan_source(model: Any, code_to_class: Sequence[int]) -> LabelledSource:
    if not getattr(model, "categorical_codes", None):
        raise ValueError(
            f"code_to_class is for an InfoGAN with a categorical code, not {type(model).__name__}"
        )
    mapping = np.asarray(code_to_class, np.int64)
    if len(mapping) != model.categorical_codes[0]:
        raise ValueError(
            f"code_to_class has {len(mapping)} entries; the first categorical code has "
            f"{model.categorical_codes[0]} values"
        )
    num_classes = int(mapping.max()) + 1
    codes_of = [np.flatnonzero(mapping == c) for c in range(num_classes)]
    missing = [c for c, codes in enumerate(codes_of) if not len(codes)]
    if missing:
        raise ValueError(f"no categorical code value is mapped to class {missing[0]}")

    def draw(z: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(z)
        categorical = np.stack(
            [rng.integers(0, k, n) for k in model.categorical_codes], axis=1
        ).astype(np.int32)
        categorical[:, 0] = [rng.choice(codes_of[c]) for c in labels]
        continuous = rng.uniform(-1, 1, (n, model.continuous_codes)).astype(np.float32)
        return model.generate_from_inputs(model.generator_inputs(z, categorical, continuous))

    return LabelledSource(draw, num_classes, model.latent_dim, "InfoGAN")


def _label_plan(
    count: int, num_classes: int, balance: Sequence[float] | None, rng: np.random.Generator
) -> np.ndarray:
    """``count`` labels in the proportions of ``balance`` (exact up to rounding), shuffled."""
    weights = _balance(num_classes, balance)
    exact = weights * count
    counts = np.floor(exact).astype(int)
    # Largest remainders get the images left over, so the counts add up to `count`.
    for i in np.argsort(counts - exact)[: count - counts.sum()]:
        counts[i] += 1
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), counts)
    return rng.permutation(labels)


def _balance(num_classes: int, balance: Sequence[float] | None) -> np.ndarray:
    if balance is None:
        return np.full(num_classes, 1.0 / num_classes)
    weights = np.asarray(balance, np.float64)
    if weights.shape != (num_classes,) or np.any(weights < 0) or not weights.sum() > 0:
        raise ValueError(
            f"class_balance needs {num_classes} non-negative weights, not all 0; "
            f"got {list(balance)}"
        )
    return weights / weights.sum()


def synthetic_arrays(
    source: LabelledSource,
    count: int,
    *,
    class_balance: Sequence[float] | None = None,
    seed: int = 0,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` generated images and their labels, as NumPy arrays."""
    if count < 1:
        raise ValueError(f"the number of images must be positive, got {count}")
    rng = np.random.default_rng(seed)
    labels = _label_plan(count, source.num_classes, class_balance, rng)
    images = [source.images(labels[i : i + batch_size], rng) for i in range(0, count, batch_size)]
    return np.concatenate(images), labels


def synthetic_dataset(
    source: LabelledSource | Any,
    *,
    size: int | None = None,
    batch_size: int = 64,
    class_balance: Sequence[float] | None = None,
    seed: int = 0,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(images, labels)`` batches from a class-conditional generator.

    Args:
        source: a :class:`LabelledSource`, or anything :func:`labelled_source` takes.
        size: images in all (the labels then follow ``class_balance`` exactly,
            up to rounding); None for an endless data set whose labels are drawn
            from ``class_balance``.
        batch_size: images per batch (the last batch of a sized set may be smaller).
        class_balance: relative weight of each class; None for equal.
        seed: the same seed gives the same images and labels, each pass.

    Images are float32 in [-1, 1] ``(batch, H, W, C)``, labels int32, as
    :func:`keras_gans.data.load_dataset` yields them.
    """
    if not isinstance(source, LabelledSource):
        source = labelled_source(source)
    if size is not None and size < 1:
        raise ValueError(f"size must be positive, got {size}")
    weights = _balance(source.num_classes, class_balance)
    probe = source.images(np.zeros(1, np.int32), np.random.default_rng(0))
    shape = probe.shape[1:]

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(seed)
        if size is not None:
            labels = _label_plan(size, source.num_classes, weights, rng)
            for start in range(0, size, batch_size):
                chunk = labels[start : start + batch_size]
                yield source.images(chunk, rng), chunk
            return
        while True:
            chunk = rng.choice(source.num_classes, batch_size, p=weights).astype(np.int32)
            yield source.images(chunk, rng), chunk

    signature = (
        tf.TensorSpec((None, *shape), tf.float32),
        tf.TensorSpec((None,), tf.int32),
    )
    return tf.data.Dataset.from_generator(batches, output_signature=signature)


def mix_with_real(
    real: tf.data.Dataset,
    synthetic: tf.data.Dataset,
    synthetic_share: float,
    batch_size: int,
    seed: int = 0,
) -> tf.data.Dataset:
    """Batches of ``batch_size`` with ``round(synthetic_share * batch_size)`` synthetic examples.

    ``real`` and ``synthetic`` yield ``(images, labels)`` (batched or not); the
    result has the same share in every batch, shuffled within the batch, and
    ends when ``real`` does (``synthetic`` is repeated).
    """
    if not 0 <= synthetic_share <= 1:
        raise ValueError(f"synthetic_share must be in [0, 1], got {synthetic_share}")
    n_synthetic = int(round(synthetic_share * batch_size))
    n_real = batch_size - n_synthetic

    def examples(ds: tf.data.Dataset) -> tf.data.Dataset:
        ds = ds.unbatch() if len(ds.element_spec[0].shape) == 4 else ds
        return ds.map(lambda x, y: (tf.cast(x, tf.float32), tf.cast(y, tf.int32)))

    if n_real == 0:
        return examples(synthetic).batch(batch_size, drop_remainder=True)
    if n_synthetic == 0:
        return examples(real).batch(batch_size, drop_remainder=True)
    parts = tf.data.Dataset.zip(
        examples(real).batch(n_real, drop_remainder=True),
        examples(synthetic).repeat().batch(n_synthetic, drop_remainder=True),
    )

    def combine(real_batch, synthetic_batch):
        images = tf.concat([real_batch[0], synthetic_batch[0]], 0)
        labels = tf.concat([real_batch[1], synthetic_batch[1]], 0)
        order = tf.random.experimental.stateless_shuffle(tf.range(batch_size), seed=[seed, 0])
        return tf.gather(images, order), tf.gather(labels, order)

    return parts.map(combine)


def class_folder_name(label: int, num_classes: int) -> str:
    """The subfolder of a class: zero-padded, so that sorted names keep the class order."""
    return f"{label:0{len(str(num_classes - 1))}d}"


def write_image_folder(
    source: LabelledSource | Any,
    out: str | os.PathLike,
    per_class: int,
    *,
    classes: Sequence[int] | None = None,
    seed: int = 0,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, int]:
    """Write ``per_class`` PNG images of each class to ``out/<class>/NNNNNN.png``.

    Subfolders are named by :func:`class_folder_name` (``0``..``9``, or ``00``..``42``),
    so ``keras.utils.image_dataset_from_directory(out)`` and
    ``keras_gans.data.load_dataset(out, with_labels=True)`` read the images back
    with label = class. A non-empty ``out`` is refused unless ``overwrite``.
    ``progress(done, total)`` is called after each batch. Returns images per class.
    """
    from keras_gans.images import image_grid, save_png

    if not isinstance(source, LabelledSource):
        source = labelled_source(source)
    if per_class < 1:
        raise ValueError(f"--per-class must be a positive number of images, got {per_class}")
    classes = list(range(source.num_classes)) if classes is None else [int(c) for c in classes]
    bad = [c for c in classes if not 0 <= c < source.num_classes]
    if bad:
        raise ValueError(f"class {bad[0]} is not in [0, {source.num_classes})")
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"{out} is not empty: choose another folder, or pass --overwrite")
    rng = np.random.default_rng(seed)
    total, done = per_class * len(classes), 0
    for c in classes:
        folder = out / class_folder_name(c, source.num_classes)
        folder.mkdir(parents=True, exist_ok=True)
        for start in range(0, per_class, 256):
            count = min(256, per_class - start)
            images = source.images(np.full(count, c, np.int32), rng)
            for i in range(count):
                png = image_grid(images[i : i + 1], columns=1, padding=0)
                save_png(png, folder / f"{start + i:06d}.png")
            done += count
            if progress is not None:
                progress(done, total)
    return {c: per_class for c in classes}
