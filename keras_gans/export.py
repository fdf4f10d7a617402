"""Export a GAN's generator as a TensorFlow SavedModel for serving.

Signatures (inputs -> outputs):

- ``serving_default``: ``z`` float32 ``[None, generator input width]`` ->
  ``images`` float32 ``[None, H, W, C]`` in [-1, 1]. For a class-conditional
  model it is ``generate_with_labels`` (below).
- ``sample``: ``num_images`` int32 scalar, ``seed`` int32 scalar -> ``images``
  uint8 ``[num_images, H, W, C]``; the same seed gives the same images
  (and, for a conditional model, the same uniformly drawn classes).
- Conditional models only, ``generate_with_labels``: ``z`` float32
  ``[None, latent_dim]``, ``labels`` int32 ``[None]`` (class indices) ->
  ``images`` float32; out-of-range labels fail with a message naming them.
- Each model's own (``BaseGAN.serving_endpoints``); InfoGAN's ``generate_with_codes``:
  ``z`` float32 ``[None, latent_dim]``, ``categorical`` int32 ``[None, n_categorical]``
  (category indices), ``continuous`` float32 ``[None, n_continuous]`` -> ``images`` float32.

Image-to-image models (:class:`~keras_gans.models.TranslationGAN`: Pix2Pix,
SRGAN, CycleGAN) export their main generator instead:

- ``serving_default`` and ``translate``: ``images`` float32 ``[None, H, W, C]`` in
  [-1, 1] -> ``images`` float32 (the translated or upscaled batch).
- ``translate_uint8``: ``images`` uint8 -> ``images`` uint8 (0-255 pixels both ways).
- CycleGAN also exports its B-to-A direction as ``translate_ba`` and ``translate_ba_uint8``.

The layout is TensorFlow Serving's: ``OUT_DIR/<version>/saved_model.pb``.

Command line (:mod:`keras_gans.cli.export`)::

    keras-gans export RUN_DIR_OR_KERAS_FILE OUT_DIR [--version N] [--overwrite]
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import keras
import tensorflow as tf

from keras_gans.models import BaseGAN, TranslationGAN

__all__ = ["ExportError", "export_generator", "export_translator", "next_version"]


class ExportError(ValueError):
    """The model or the destination cannot be exported to; the message says why."""


def next_version(path: str | os.PathLike) -> int:
    """The next free integer version under a SavedModel base directory (1 if none)."""
    root = Path(path)
    versions = (
        [int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit()]
        if (root.is_dir())
        else []
    )
    return max(versions, default=0) + 1


def _to_uint8(images: tf.Tensor) -> tf.Tensor:
    return tf.cast(tf.round((tf.clip_by_value(images, -1.0, 1.0) + 1.0) * 127.5), tf.uint8)


def export_generator(
    gan: BaseGAN,
    path: str | os.PathLike,
    *,
    version: int | None = None,
    overwrite: bool = False,
    allow_untrained: bool = False,
) -> Path:
    """Write ``gan``'s generator as a SavedModel under ``path/<version>``.

    Args:
        gan: a built keras_gans model (compiled, trained or loaded).
        path: the model's base directory (TensorFlow Serving's model path).
        version: the version number; by default the next free one.
        overwrite: replace an existing version instead of refusing.
        allow_untrained: export a generator that has never been updated
            (refused by default: it is almost always a mistake).

    Returns:
        The version directory written.

    Raises:
        ExportError: for a model that is not a built keras_gans model, or an
            existing version without ``overwrite``.
    """
    if isinstance(gan, TranslationGAN):
        return export_translator(
            gan, path, version=version, overwrite=overwrite, allow_untrained=allow_untrained
        )
    if not isinstance(gan, BaseGAN):
        raise ExportError(f"expected a keras_gans model, got {type(gan).__name__}")
    if not gan.built or not gan.inference_generator.built:
        raise ExportError("the model is not built: compile and train it before exporting")
    root, target = _target(gan, path, version, overwrite, allow_untrained)

    generator = gan.inference_generator  # the EMA generator when enabled
    width = gan.generator_input_dim
    archive = keras.export.ExportArchive()
    archive.track(generator)

    def images_of(z: tf.Tensor | list[tf.Tensor]) -> tf.Tensor:
        return tf.cast(generator(z, training=False), tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, width], tf.float32, name="z")])
    def serving_default(z):
        # Loaded signatures do not enforce the declared shape: check it first,
        # so a wrong width fails here with a message naming z, not in a matmul.
        return {"images": images_of(tf.ensure_shape(z, [None, width], name="check_z"))}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, width], tf.float32, name="z"),
            tf.TensorSpec([None], tf.int32, name="labels"),
        ]
    )
    def generate_with_labels(z, labels):
        z = tf.ensure_shape(z, [None, width], name="check_z")
        labels = tf.ensure_shape(labels, [None], name="check_labels")
        checks = [
            tf.debugging.assert_equal(
                tf.shape(labels)[0], tf.shape(z)[0], message="labels and z differ in length"
            ),
            tf.debugging.assert_non_negative(labels, message="labels must be >= 0"),
            tf.debugging.assert_less(
                labels, gan.num_classes, message=f"labels must be < {gan.num_classes}"
            ),
        ]
        with tf.control_dependencies(checks):
            return {"images": images_of([z, tf.identity(labels)])}

    @tf.function(
        input_signature=[
            tf.TensorSpec([], tf.int32, name="num_images"),
            tf.TensorSpec([], tf.int32, name="seed"),
        ]
    )
    def sample(num_images, seed):
        return {"images": _to_uint8(images_of(gan.stateless_generator_inputs(num_images, seed)))}

    if gan.conditional:
        archive.add_endpoint("serving_default", generate_with_labels)
        archive.add_endpoint("generate_with_labels", generate_with_labels)
    else:
        archive.add_endpoint("serving_default", serving_default)
    archive.add_endpoint("sample", sample)
    for name, function in gan.serving_endpoints(images_of).items():
        archive.add_endpoint(name, function)
    _write(archive, root, target)
    return target


def _target(
    model: keras.Model,
    path: str | os.PathLike,
    version: int | None,
    overwrite: bool,
    allow_untrained: bool,
) -> tuple[Path, Path]:
    """The base directory and the version directory to write, after the shared checks."""
    trained = (
        model.g_optimizer is not None
        and int(keras.ops.convert_to_numpy(model.g_optimizer.iterations)) > 0
    )
    if not trained and not allow_untrained:
        raise ExportError(
            "the generator has never been trained (no optimizer step): train it first, "
            "or pass allow_untrained=True"
        )
    root = Path(path)
    version = next_version(root) if version is None else int(version)
    if version < 1:
        raise ExportError(f"version must be a positive integer, got {version}")
    target = root / str(version)
    if target.exists() and not overwrite:
        raise ExportError(f"{target} exists: choose another version or pass overwrite=True")
    return root, target


def _write(archive: keras.export.ExportArchive, root: Path, target: Path) -> None:
    """Write ``archive`` to ``target`` atomically (a temporary folder, then renames)."""
    version = target.name
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{version}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        archive.write_out(str(tmp), verbose=False)
    except OSError as e:  # a full disk, a read-only folder: say where, keep what was there
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(f"cannot write the SavedModel to {target}: {e}") from None
    if target.exists():
        # Overwrite: the old version stays whole until the new one is complete, and
        # each rename is atomic, so a reader never sees a half-written version.
        old = root / f".old-{version}-{os.getpid()}"
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old)
    else:
        os.replace(tmp, target)


def _translate_functions(
    generator: keras.Model, run: Callable[[tf.Tensor], tf.Tensor]
) -> tuple[tf.types.experimental.Callable, ...]:
    """The float and the uint8 ``images -> images`` signatures of ``run`` (on ``generator``)."""
    shape = [None, *(int(d) for d in generator.inputs[0].shape[1:])]

    def translate(images: tf.Tensor) -> dict[str, tf.Tensor]:
        images = tf.ensure_shape(images, shape, name="check_images")
        return {"images": tf.cast(run(images), tf.float32)}

    def translate_uint8(images: tf.Tensor) -> dict[str, tf.Tensor]:
        unit = tf.cast(images, tf.float32) / 127.5 - 1.0
        return {"images": _to_uint8(translate(unit)["images"])}

    return (
        tf.function(translate, input_signature=[tf.TensorSpec(shape, tf.float32, name="images")]),
        tf.function(
            translate_uint8, input_signature=[tf.TensorSpec(shape, tf.uint8, name="images")]
        ),
    )


def export_translator(
    model: TranslationGAN,
    path: str | os.PathLike,
    *,
    version: int | None = None,
    overwrite: bool = False,
    allow_untrained: bool = False,
) -> Path:
    """Write an image-to-image model's generator(s) as a SavedModel under ``path/<version>``.

    Signatures as the module docstring lists; arguments, return value and
    errors as :func:`export_generator`.
    """
    if not isinstance(model, TranslationGAN):
        raise ExportError(f"expected a keras_gans image-to-image model, got {type(model).__name__}")
    root, target = _target(model, path, version, overwrite, allow_untrained)
    archive = keras.export.ExportArchive()
    # The main direction through the model's own call (SRGAN clips there).
    # The moving averages when the model has them (inference_network).
    directions = {"": (model.inference_network(), lambda x: model(x, training=False))}
    if hasattr(model, "generator_ba"):
        back = model.inference_network("generator_ba")
        directions["_ba"] = (back, lambda x: back(x, training=False))
    for suffix, (generator, run) in directions.items():
        archive.track(generator)
        floats, uint8 = _translate_functions(generator, run)
        if not suffix:
            archive.add_endpoint("serving_default", floats)
        archive.add_endpoint(f"translate{suffix}", floats)
        archive.add_endpoint(f"translate{suffix}_uint8", uint8)
    _write(archive, root, target)
    return target


def load_gan(source: str | os.PathLike) -> BaseGAN | TranslationGAN:
    """Load a keras_gans model from a ``.keras`` file or a run directory."""
    import keras_gans  # noqa: F401  (registers the classes)
    from keras_gans.callbacks import latest_checkpoint

    source = Path(source)
    if source.is_dir():
        candidates = [source / "model.keras"]
        latest = latest_checkpoint(source / "checkpoints")
        if latest:
            candidates.append(latest[1])
        found = next((c for c in candidates if c.exists()), None)
        if found is None:
            raise ExportError(f"no model.keras or checkpoint in run directory {source}")
        source = found
    elif not source.exists():
        raise ExportError(f"no such run directory or .keras file: {source}")
    try:
        model = keras.saving.load_model(source)
    except Exception as e:
        raise ExportError(f"cannot load {source}: {e}") from None
    if not isinstance(model, (BaseGAN, TranslationGAN)):
        raise ExportError(f"{source} holds a {type(model).__name__}, not a keras_gans model")
    return model


if __name__ == "__main__":  # python -m keras_gans.export: the keras-gans export command
    import sys

    from keras_gans.cli.export import main

    sys.exit(main())
