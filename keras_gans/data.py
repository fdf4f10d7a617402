"""tf.data sources: the embedded digits, TFDS data sets, image folders and IDX files.

Every source goes through one entry point, :func:`load_dataset`, and comes out
as a batched ``tf.data.Dataset`` of float32 images in [-1, 1], shape
``(batch, H, W, C)``, or ``(images, labels)`` with ``with_labels=True``.

Image-to-image models read image pairs: :func:`load_paired` (matching files in
``A/`` and ``B/``, or side-by-side images), :func:`load_unpaired` (two folders or
a TFDS ``cycle_gan/...`` set) and :func:`superresolution_pairs` (low-resolution
inputs made from any of the above).
"""

from __future__ import annotations

import gzip
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from keras_gans import networks

__all__ = [
    "DataError",
    "DatasetInfo",
    "count_classes",
    "describe_source",
    "load_arrays",
    "load_dataset",
    "load_paired",
    "load_unpaired",
    "read_idx",
    "superresolution_pairs",
]

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
DIGITS_SIZE = 16
_CACHE_LIMIT_BYTES = 2 * 1024**3


class DataError(ValueError):
    """A data source that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`describe_source` found out about a source before loading it."""

    kind: str  # "digits", "tfds", "folder" or "idx"
    name: str  # short name for run directories
    num_examples: int | None
    image_shape: tuple[int, int, int]
    has_labels: bool


def unpack_batch(batch: Any, with_labels: bool = False) -> tuple[tf.Tensor, tf.Tensor | None]:
    """``(images, labels)`` of a training batch, as Keras' ``unpack_x_y_sample_weight``.

    A batch is ``images``, a tuple ``(images, labels, ...)`` or a dict with
    ``image`` (and ``label``). Images come back float32; labels int32 ``(b,)``
    when ``with_labels`` (a conditional model, which says so if they are
    missing), else None.
    """
    images = batch[0] if isinstance(batch, (tuple, list)) else batch
    if isinstance(images, dict):
        images = images["image"]
    images = tf.cast(images, tf.float32)
    if not with_labels:
        return images, None
    labels = None
    if isinstance(batch, (tuple, list)) and len(batch) > 1:
        labels = batch[1]
    elif isinstance(batch, dict):
        labels = batch.get("label")
    if labels is None:
        raise ValueError(
            "a conditional model (num_classes=...) trains on (images, labels) batches: "
            "load the data with labels, e.g. load_dataset(..., with_labels=True)"
        )
    return images, tf.cast(tf.reshape(labels, [-1]), tf.int32)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (MNIST format), gzipped or not, into a NumPy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"cannot read IDX file {path}: {e}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise DataError(f"{path} is not an IDX file (unknown element type {data[2]:#x})")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtypes[data[2]], offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(
            f"{path} is truncated: expected {int(np.prod(shape))} values, got {body.size}"
        )
    return body.reshape(shape)


def _idx_labels_path(images_path: Path) -> Path | None:
    name = images_path.name
    if "images-idx3-ubyte" not in name:
        return None
    stem = name.replace("images-idx3-ubyte", "labels-idx1-ubyte").removesuffix(".gz")
    for candidate in (stem + ".gz", stem):
        if (images_path.parent / candidate).exists():
            return images_path.parent / candidate
    return None


def _list_images(folder: Path) -> tuple[list[str], list[int] | None, list[str]]:
    files = sorted(
        str(p) for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )
    if not files:
        raise DataError(
            f"no images in folder {folder} (looked for {', '.join(IMAGE_EXTENSIONS)}, recursively)"
        )
    classes = sorted({Path(f).relative_to(folder).parts[0] for f in files})
    if all(len(Path(f).relative_to(folder).parts) > 1 for f in files):
        index = {c: i for i, c in enumerate(classes)}
        labels = [index[Path(f).relative_to(folder).parts[0]] for f in files]
        return files, labels, classes
    return files, None, []


def _check_images(files: list[str]) -> tuple[list[str], int, tuple[int, int] | None]:
    """Open every image header with PIL; return the readable files, channels and a size."""
    from PIL import Image

    good, bad, colour, sizes = [], [], False, set()
    for f in files:
        try:
            with Image.open(f) as im:
                im.verify()
            with Image.open(f) as im:
                colour |= im.mode not in ("1", "L", "LA", "I", "I;16", "F")
                sizes.add(im.size)
            good.append(f)
        except Exception:  # PIL raises many types for corrupt files
            bad.append(f)
    if bad:
        log.warning("skipping %d unreadable image(s), first: %s", len(bad), bad[0])
        print(f"warning: skipping {len(bad)} unreadable image(s), first: {bad[0]}")
    if not good:
        raise DataError(f"no readable image among {len(files)} file(s), first: {files[0]}")
    return good, 3 if colour else 1, sizes.pop() if len(sizes) == 1 else None


def _default_size(height: int, width: int) -> int:
    if height == width and height in networks.SUPPORTED_SIZES:
        return height
    target = min(height, width)
    return next((s for s in networks.SUPPORTED_SIZES if s >= target), networks.SUPPORTED_SIZES[-1])


def _is_path(source: str) -> bool:
    return (
        os.sep in source
        or source.startswith(".")
        or source.endswith((".gz", "ubyte"))
        or Path(source).exists()
    )


def describe_source(
    source: str, *, split: str = "train", data_dir: str | None = None
) -> DatasetInfo:
    """Identify a source and its native image shape without building the pipeline."""
    if not isinstance(source, str) or not source:
        raise DataError(f"invalid data set {source!r}")
    if source == "digits":
        return DatasetInfo("digits", "digits", 1797, (8, 8, 1), True)
    if _is_path(source):
        path = Path(source)
        if not path.exists():
            raise DataError(f"no such folder or file: {source}")
        if path.is_dir():
            files, labels, _ = _list_images(path)
            return DatasetInfo(
                "folder", path.name or "folder", len(files), (0, 0, 0), labels is not None
            )
        header = read_idx_header(path)
        if len(header) != 3:
            raise DataError(
                f"{source}: expected an IDX image file of shape (n, H, W), got {header}"
            )
        name = path.name.split("-")[0].split(".")[0] or "idx"
        return DatasetInfo(
            "idx", name, header[0], (header[1], header[2], 1), _idx_labels_path(path) is not None
        )
    import tensorflow_datasets as tfds

    if source.split(":")[0] not in tfds.list_builders():
        raise DataError(
            f"unknown data set {source!r}: use 'digits', a tensorflow-datasets image data set "
            "name (e.g. mnist, fashion_mnist, cifar10), a folder of images, or an IDX file"
        )
    return DatasetInfo("tfds", source.split(":")[0], None, (0, 0, 0), True)


def count_classes(source: str, *, split: str = "train", data_dir: str | None = None) -> int:
    """Number of classes of a labelled source (labels are ``0 .. n-1``).

    Digits: 10; a folder: its class subfolders; an IDX pair: the largest label
    plus one; TFDS: the ``label`` feature's ``num_classes``.
    """
    info = describe_source(source, split=split, data_dir=data_dir)
    if not info.has_labels:
        raise DataError(
            f"data set {source!r} has no labels (a folder needs one subfolder per class)"
        )
    if info.kind == "digits":
        return 10
    if info.kind == "folder":
        return len(_list_images(Path(source))[2])
    if info.kind == "idx":
        return int(read_idx(_idx_labels_path(Path(source))).max()) + 1
    import tensorflow_datasets as tfds

    try:
        features = tfds.builder(source, data_dir=data_dir).info.features
    except Exception as e:
        raise DataError(f"cannot read tensorflow-datasets {source!r}: {e}") from None
    if "label" not in features or not hasattr(features["label"], "num_classes"):
        raise DataError(f"tensorflow-datasets {source!r} has no class 'label' feature")
    return int(features["label"].num_classes)


def read_idx_header(path: Path) -> tuple[int, ...]:
    """The shape stored in an IDX file's header."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0:
                raise DataError(f"{path} is neither a folder nor an IDX file (bad magic number)")
            return struct.unpack(f">{head[3]}I", f.read(4 * head[3]))
    except (OSError, EOFError) as e:
        raise DataError(f"cannot read {path}: {e}") from None


def _to_unit_range(images: tf.Tensor, max_value: float) -> tf.Tensor:
    return tf.cast(images, tf.float32) * (2.0 / max_value) - 1.0


def _fit_channels(images: tf.Tensor, channels: int) -> tf.Tensor:
    have = images.shape[-1]
    if have == channels:
        return images
    if have == 4:
        images = images[..., :3]
        have = 3
    if have == 1 and channels == 3:
        return tf.image.grayscale_to_rgb(images)
    if have == 3 and channels == 1:
        return tf.image.rgb_to_grayscale(images)
    raise DataError(f"cannot convert {have}-channel images to {channels} channels")


def _resize(images: tf.Tensor, size: int) -> tf.Tensor:
    if images.shape[-3] == size and images.shape[-2] == size:
        return images
    return tf.image.resize(
        images, (size, size), method="area" if images.shape[-3] > size else "bilinear"
    )


def _check_size_and_channels(image_size: int | None, channels: int | None) -> None:
    allowed = (*networks.SUPPORTED_SIZES, *networks.TRANSLATION_SIZES)
    if image_size is not None and image_size not in allowed:
        sizes = ", ".join(str(s) for s in allowed)
        raise DataError(f"unsupported image size {image_size}: choose one of {sizes}")
    if channels is not None and channels not in networks.SUPPORTED_CHANNELS:
        raise DataError(f"unsupported channel count {channels}: choose 1 or 3")


def load_dataset(
    source: str = "digits",
    *,
    split: str = "train",
    image_size: int | None = None,
    channels: int | None = None,
    batch_size: int = 64,
    shuffle: bool = True,
    seed: int | None = None,
    with_labels: bool = False,
    data_dir: str | None = None,
) -> tf.data.Dataset:
    """Build a batched, shuffled, prefetched dataset of images in [-1, 1].

    Args:
        source: ``"digits"`` (scikit-learn's 1,797 handwritten digits, embedded,
            offline; resized to 16x16 unless ``image_size`` says otherwise), a
            tensorflow-datasets name (``"mnist"``, ``"cifar10"``...), a folder
            of images (png, jpg, bmp, gif, searched recursively; first-level
            subfolders are class labels when every image is in one), or an IDX
            image file (``t10k-images-idx3-ubyte[.gz]``; the labels file beside
            it is used when present).
        split: TFDS split (ignored by the other sources, which use all images).
        image_size: output height and width; by default the native size when
            the default networks support it, otherwise the next supported size.
        channels: 1 or 3; by default the source's own.
        batch_size: examples per batch; the last partial batch is dropped.
        shuffle: shuffle examples (reshuffled each pass).
        seed: shuffle seed, for reproducible order.
        with_labels: yield ``(images, labels)`` with int32 labels.
        data_dir: where tensorflow-datasets keeps its data.

    Unreadable images in a folder are skipped with one warning naming the first
    and the count; a folder with no readable image is an error.

    Raises:
        DataError: for a missing folder or file, an unknown name, an
            unsupported size, a too large batch or missing labels.
    """
    _check_size_and_channels(image_size, channels)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise DataError(f"batch size must be a positive integer, got {batch_size!r}")
    info = describe_source(source, split=split, data_dir=data_dir)
    if with_labels and not info.has_labels:
        raise DataError(f"data set {source!r} has no labels")
    builder = {"digits": _digits, "idx": _idx, "folder": _folder, "tfds": _tfds}[info.kind]
    ds, num_examples, bytes_per_example = builder(
        source,
        split=split,
        image_size=image_size,
        channels=channels,
        with_labels=with_labels,
        data_dir=data_dir,
    )
    if num_examples is not None and batch_size > num_examples:
        raise DataError(
            f"batch size {batch_size} is larger than the data set ({num_examples} images)"
        )
    if num_examples is not None and num_examples * bytes_per_example <= _CACHE_LIMIT_BYTES:
        ds = ds.cache()
    if shuffle:
        buffer = min(num_examples or 10_000, 10_000)
        ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def load_arrays(
    source: str,
    count: int,
    *,
    split: str = "train",
    image_size: int | None = None,
    channels: int | None = None,
    shuffle: bool = True,
    seed: int | None = 0,
    with_labels: bool = False,
    data_dir: str | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Up to ``count`` images (and labels) of a source as NumPy arrays, for evaluation.

    The same preprocessing as :func:`load_dataset`; returns ``(images, labels)``
    with ``labels`` ``None`` unless ``with_labels``.
    """
    ds = load_dataset(
        source,
        split=split,
        image_size=image_size,
        channels=channels,
        batch_size=1,
        shuffle=shuffle,
        seed=seed,
        with_labels=with_labels,
        data_dir=data_dir,
    )
    batch = next(iter(ds.unbatch().batch(count)))
    if with_labels:
        return batch[0].numpy(), batch[1].numpy()
    return batch.numpy(), None


def _pack(images: np.ndarray | tf.Tensor, labels, with_labels: bool) -> tf.data.Dataset:
    if with_labels:
        return tf.data.Dataset.from_tensor_slices((images, np.asarray(labels, np.int32)))
    return tf.data.Dataset.from_tensor_slices(images)


def _in_memory(images: np.ndarray, max_value: float, image_size, channels, labels, with_labels):
    x = tf.convert_to_tensor(images[..., None] if images.ndim == 3 else images)
    x = _fit_channels(x, channels or x.shape[-1])
    x = _resize(_to_unit_range(x, max_value), image_size or _default_size(*x.shape[1:3]))
    x = tf.clip_by_value(x, -1.0, 1.0)
    return _pack(x, labels, with_labels), len(images), 0  # already in memory: no cache needed


def _digits(source, *, image_size, channels, with_labels, **_):
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32)  # (1797, 8, 8), values 0..16
    return _in_memory(images, 16.0, image_size or DIGITS_SIZE, channels, digits.target, with_labels)


def _idx(source, *, image_size, channels, with_labels, **_):
    path = Path(source)
    images = read_idx(path)
    labels = None
    if with_labels:
        labels = read_idx(_idx_labels_path(path))
        if len(labels) != len(images):
            raise DataError(f"{len(images)} images but {len(labels)} labels beside {path}")
    return _in_memory(images, 255.0, image_size, channels, labels, with_labels)


def _folder(source, *, image_size, channels, with_labels, **_):
    folder = Path(source)
    files, labels, _ = _list_images(folder)
    label_of = dict(zip(files, labels or []))
    files, native_channels, native_size = _check_images(files)
    channels = channels or native_channels
    size = image_size or (_default_size(native_size[1], native_size[0]) if native_size else 64)

    def decode(path):
        raw = tf.io.read_file(path)
        image = tf.io.decode_image(raw, channels=3, expand_animations=False)
        image.set_shape((None, None, 3))
        image = _fit_channels(image, channels)
        image = tf.image.resize(image, (size, size), method="area", antialias=True)
        return tf.clip_by_value(_to_unit_range(image, 255.0), -1.0, 1.0)

    if with_labels:
        ds = tf.data.Dataset.from_tensor_slices((files, [label_of[f] for f in files]))
        ds = ds.map(
            lambda p, y: (decode(p), tf.cast(y, tf.int32)), num_parallel_calls=tf.data.AUTOTUNE
        )
    else:
        ds = tf.data.Dataset.from_tensor_slices(files).map(
            decode, num_parallel_calls=tf.data.AUTOTUNE
        )
    # A file that passed PIL's check but still fails to decode is dropped, not fatal.
    ds = ds.ignore_errors()
    return ds, len(files), size * size * channels * 4


def is_network_error(error: BaseException) -> bool:
    """Whether a failed download failed for want of a network (DNS, refused, proxy, timeout)."""
    import socket
    import urllib.error

    import requests

    network = (
        requests.exceptions.ConnectionError,
        requests.exceptions.Timeout,
        urllib.error.URLError,
        socket.gaierror,
        ConnectionError,
        TimeoutError,
    )
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, network):
            return True
        error = error.__cause__ or error.__context__
    return False


def _tfds(source, *, split, image_size, channels, with_labels, data_dir, **_):
    import tensorflow_datasets as tfds

    try:
        ds, info = tfds.load(
            source, split=split, data_dir=data_dir, with_info=True, shuffle_files=False
        )
    except Exception as e:  # network, missing split, manual download...
        if is_network_error(e):
            where = data_dir or "~/tensorflow_datasets"
            raise DataError(
                f"cannot download tensorflow-datasets {source!r}: no network connection "
                f"({type(e).__name__}); on a machine with internet run "
                f"tfds.load({source!r}, data_dir=DIR) and pass --data-dir DIR here "
                f"(now {where}), or put a manual download where the data set's docs say"
            ) from None
        raise DataError(
            f"cannot load tensorflow-datasets {source!r} split {split!r}: {e}"
        ) from None
    features = info.features
    if "image" not in features:
        raise DataError(f"tensorflow-datasets {source!r} has no 'image' feature")
    if with_labels and "label" not in features:
        raise DataError(f"tensorflow-datasets {source!r} has no 'label' feature")
    native = features["image"].shape
    native_channels = native[-1] or 3
    channels = channels or native_channels
    if native[0] and native[1]:
        size = image_size or _default_size(native[0], native[1])
    else:
        size = image_size or 64

    def convert(example):
        image = example["image"]
        image.set_shape((None, None, native_channels))
        image = _fit_channels(image, channels)
        # mock_data (and some data sets) give images of varying size: always resize.
        image = tf.image.resize(image, (size, size), method="area", antialias=True)
        image = tf.clip_by_value(_to_unit_range(image, 255.0), -1.0, 1.0)
        if with_labels:
            return image, tf.cast(example["label"], tf.int32)
        return image

    try:
        num_examples = info.splits[split].num_examples
    except Exception:
        num_examples = None
    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    return ds, num_examples, size * size * channels * 4


# --------------------------------------------------------------- image pairs
_DOMAIN_FOLDERS = (("A", "B"), ("trainA", "trainB"))


def _domain_folders(folder: Path) -> tuple[Path, Path] | None:
    return next(
        (
            (folder / a, folder / b)
            for a, b in _DOMAIN_FOLDERS
            if (folder / a).is_dir() and (folder / b).is_dir()
        ),
        None,
    )


def _image_sizes(files: list[str]) -> dict[str, tuple[int, int]]:
    """``{file: (width, height)}`` from the image headers; a DataError names an unreadable one."""
    from PIL import Image

    sizes = {}
    for f in files:
        try:
            with Image.open(f) as im:
                sizes[f] = im.size
        except Exception:  # PIL raises many types for corrupt files
            raise DataError(f"cannot read image {f}") from None
    return sizes


def _decode(path: tf.Tensor, size: int, channels: int) -> tf.Tensor:
    raw = tf.io.read_file(path)
    image = tf.io.decode_image(raw, channels=3, expand_animations=False)
    image.set_shape((None, None, 3))
    return _fit_channels(image, channels)


def _finish(image: tf.Tensor, size: int) -> tf.Tensor:
    image = tf.image.resize(image, (size, size), method="area", antialias=True)
    return tf.clip_by_value(_to_unit_range(image, 255.0), -1.0, 1.0)


def _batch(ds: tf.data.Dataset, n: int, batch_size: int, shuffle: bool, seed: int | None):
    if not isinstance(batch_size, int) or batch_size < 1:
        raise DataError(f"batch size must be a positive integer, got {batch_size!r}")
    if batch_size > n:
        raise DataError(f"batch size {batch_size} is larger than the data set ({n} pairs)")
    if shuffle:
        ds = ds.shuffle(min(n, 10_000), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def load_paired(
    source: str | os.PathLike,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    target_channels: int | None = None,
    batch_size: int = 1,
    shuffle: bool = True,
    seed: int | None = None,
    reverse: bool = False,
) -> tf.data.Dataset:
    """Batches of ``(source, target)`` image pairs in [-1, 1] for paired translation (Pix2Pix).

    ``source`` is a folder that holds either ``A/`` and ``B/`` subfolders with
    matching file names (``A/x.png`` pairs with ``B/x.png``; any extension),
    or images that hold each pair side by side, A on the left, B on the right
    (the layout of the public Pix2Pix data sets, e.g. facades). ``reverse``
    translates B to A instead. Images are resized (area) to ``image_size``
    (default: the native size of A); ``channels``/``target_channels`` default to
    the images' own.

    Raises:
        DataError: naming the first file without its partner, a pair of
            different sizes, or a side-by-side image that is not twice as wide as high.
    """
    folder = Path(source)
    if not folder.is_dir():
        raise DataError(
            f"paired data must be a folder (A/ and B/, or side-by-side images): {folder}"
        )
    domains = _domain_folders(folder)
    if domains is not None:
        files_a, _, _ = _list_images(domains[0])
        files_b, _, _ = _list_images(domains[1])
        by_stem = {str(Path(f).relative_to(domains[1]).with_suffix("")): f for f in files_b}
        pairs = []
        for f in files_a:
            partner = by_stem.pop(str(Path(f).relative_to(domains[0]).with_suffix("")), None)
            if partner is None:
                raise DataError(f"{f} has no partner with the same name in {domains[1]}")
            pairs.append((f, partner))
        if by_stem:
            raise DataError(f"{next(iter(by_stem.values()))} has no partner in {domains[0]}")
        sizes = _image_sizes([f for pair in pairs for f in pair])
        for a, b in pairs:
            if sizes[a] != sizes[b]:
                raise DataError(
                    f"{a} is {sizes[a][0]}x{sizes[a][1]} but its partner {b} is "
                    f"{sizes[b][0]}x{sizes[b][1]}"
                )
        _, channels_a, _ = _check_images([p[0] for p in pairs])
        _, channels_b, _ = _check_images([p[1] for p in pairs])
        width, height = sizes[pairs[0][0]]
    else:
        files, _, _ = _list_images(folder)
        sizes = _image_sizes(files)
        for f, (w, h) in sizes.items():
            if w != 2 * h:
                raise DataError(
                    f"{f} is {w}x{h}: a side-by-side pair is twice as wide as high "
                    f"(or put the pairs in {folder / 'A'} and {folder / 'B'})"
                )
        pairs = [(f, f) for f in files]
        _, channels_a, _ = _check_images(files)
        channels_b = channels_a
        width, height = sizes[files[0]][0] // 2, sizes[files[0]][1]
    if reverse:
        pairs = [(b, a) for a, b in pairs]
        channels_a, channels_b = channels_b, channels_a
    size = image_size or min(width, height)
    channels, target_channels = channels or channels_a, target_channels or channels_b

    side_by_side = domains is None

    def load(path_a, path_b):
        if side_by_side:
            both = _decode(path_a, size, 3)
            half = tf.shape(both)[1] // 2
            left, right = both[:, :half], both[:, half:]
            a, b = (right, left) if reverse else (left, right)
            return _finish(_fit_channels(a, channels), size), _finish(
                _fit_channels(b, target_channels), size
            )
        return _finish(_decode(path_a, size, channels), size), _finish(
            _decode(path_b, size, target_channels), size
        )

    ds = tf.data.Dataset.from_tensor_slices(([a for a, _ in pairs], [b for _, b in pairs]))
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if len(pairs) * size * size * (channels + target_channels) * 4 <= _CACHE_LIMIT_BYTES:
        ds = ds.cache()
    return _batch(ds, len(pairs), batch_size, shuffle, seed)


def load_unpaired(
    source: str | os.PathLike,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    batch_size: int = 1,
    shuffle: bool = True,
    seed: int | None = None,
    data_dir: str | None = None,
) -> tf.data.Dataset:
    """Batches of ``(a, b)``: unrelated images of two domains, for CycleGAN.

    ``source`` is a folder with ``A/`` and ``B/`` (or ``trainA/`` and ``trainB/``,
    the CycleGAN data sets' layout) subfolders, or a tensorflow-datasets name
    with ``trainA``/``trainB`` splits (``cycle_gan/horse2zebra``...). An epoch has
    as many pairs as the larger domain has images; the smaller one repeats,
    each reshuffled on its own.
    """
    folder = Path(source)
    # TFDS names hold a slash too (cycle_gan/horse2zebra): a path exists or looks like one.
    if folder.exists() or str(source).startswith((".", "/", "~")):
        if not folder.is_dir():
            raise DataError(f"no such folder: {folder}")
        domains = _domain_folders(folder)
        if domains is None:
            raise DataError(f"{folder} needs subfolders A/ and B/ (or trainA/ and trainB/)")
        sides = [str(d) for d in domains]
        options: dict[str, Any] = {}
    else:
        sides, options = [str(source)] * 2, {"data_dir": data_dir}
    parts, counts = [], []
    for i, side in enumerate(sides):
        if options:
            ds, n, _ = _tfds(
                side,
                split=("trainA", "trainB")[i],
                image_size=image_size,
                channels=channels,
                with_labels=False,
                **options,
            )
            n = n or sum(1 for _ in ds)
        else:
            files, _, _ = _list_images(Path(side))
            files, native_channels, native = _check_images(files)
            size = image_size or (min(native) if native else 256)
            c = channels or native_channels
            ds = tf.data.Dataset.from_tensor_slices(files).map(
                lambda f, size=size, c=c: _finish(_decode(f, size, c), size),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            n = len(files)
        parts.append(ds.cache() if n * 256 * 256 * 3 * 4 <= _CACHE_LIMIT_BYTES else ds)
        counts.append(n)
    shapes = [tuple(p.element_spec.shape) for p in parts]
    if shapes[0][:2] != shapes[1][:2]:
        raise DataError(f"the two domains differ in image size: {shapes[0]} and {shapes[1]}")
    longest = max(counts)
    if shuffle:
        parts = [
            p.shuffle(
                min(n, 10_000),
                seed=None if seed is None else seed + i,
                reshuffle_each_iteration=True,
            )
            for i, (p, n) in enumerate(zip(parts, counts))
        ]
    ds = tf.data.Dataset.zip(tuple(p.repeat() for p in parts)).take(longest)
    return _batch(ds, longest, batch_size, False, seed)


def superresolution_pairs(images: tf.data.Dataset, scale: int = 4) -> tf.data.Dataset:
    """``(low_resolution, high_resolution)`` batches from a data set of image batches.

    The inputs are the images area-downsampled by ``scale`` (each low-resolution
    pixel the mean of a ``scale x scale`` block), as super-resolution papers
    make theirs with bicubic downsampling; the images themselves are the targets.
    """
    spec = images.element_spec
    if isinstance(spec, tuple):  # (images, labels): keep the images
        images = images.map(lambda x, y: x)
        spec = images.element_spec
    size = spec.shape[1]
    if size is None or size % scale:
        raise DataError(f"image size {size} is not a multiple of the scale {scale}")

    def pair(high):
        low = tf.image.resize(high, (size // scale, size // scale), method="area")
        return low, high

    return images.map(pair, num_parallel_calls=tf.data.AUTOTUNE)
