"""Data sources: digits, TFDS (mock data), image folders and IDX files."""

import gzip
import struct

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from keras_gans import data


def _check(ds, batch, shape):
    images = next(iter(ds))
    if isinstance(images, tuple):
        images = images[0]
    assert tuple(images.shape) == (batch, *shape)
    assert images.dtype == "float32"
    x = images.numpy()
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert x.max() - x.min() > 0.5  # real content, not a constant
    return x


def test_digits_default_is_16x16_with_labels():
    ds = data.load_dataset("digits", batch_size=32, seed=0, with_labels=True)
    assert int(ds.cardinality()) == 1797 // 32
    images, labels = next(iter(ds))
    _check(ds, 32, (16, 16, 1))
    assert labels.dtype == "int32" and set(labels.numpy()) <= set(range(10))


def test_digits_sizes_channels_and_seeded_order():
    _check(data.load_dataset("digits", image_size=8, batch_size=16), 16, (8, 8, 1))
    _check(data.load_dataset("digits", image_size=32, channels=3, batch_size=16), 16, (32, 32, 3))
    a = next(iter(data.load_dataset("digits", batch_size=8, seed=3))).numpy()
    b = next(iter(data.load_dataset("digits", batch_size=8, seed=3))).numpy()
    np.testing.assert_array_equal(a, b)
    unshuffled = next(
        iter(data.load_dataset("digits", batch_size=4, shuffle=False, with_labels=True))
    )
    np.testing.assert_array_equal(unshuffled[1].numpy(), [0, 1, 2, 3])


@pytest.mark.parametrize("name, shape", [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))])
def test_tfds_sources_with_mock_data(name, shape):
    with tfds.testing.mock_data(num_examples=24):
        ds = data.load_dataset(name, batch_size=8, with_labels=True)
        _check(ds, 8, shape)
        gray = data.load_dataset(name, batch_size=8, channels=1, image_size=16)
        _check(gray, 8, (16, 16, 1))


def _write_idx(path, array, magic_type=0x08):
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(">u1").tobytes()
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_pair(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 40, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels)
    np.testing.assert_array_equal(
        data.read_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}"), images
    )
    ds = data.load_dataset(
        str(tmp_path / f"t10k-images-idx3-ubyte{suffix}"),
        batch_size=40,
        shuffle=False,
        with_labels=True,
    )
    x, y = next(iter(ds))
    np.testing.assert_array_equal(y.numpy(), labels)
    np.testing.assert_allclose(x.numpy()[..., 0], images / 127.5 - 1.0, atol=1e-6)


def _image_folder(root, corrupt=0):
    rng = np.random.default_rng(0)
    modes = [
        ("L", (20, 20), "png"),
        ("RGB", (40, 30), "jpg"),
        ("RGBA", (16, 16), "png"),
        ("P", (33, 33), "gif"),
        ("RGB", (64, 64), "bmp"),
    ]
    for cls in ("cats", "dogs"):
        (root / cls / "nested").mkdir(parents=True)
        for i, (mode, size, ext) in enumerate(modes):
            arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(arr).convert(mode).save(
                root / cls / ("nested" if i % 2 else "") / f"{i}.{ext}"
            )
    for i in range(corrupt):
        (root / "cats" / f"broken{i}.jpg").write_bytes(b"not an image at all")
    (root / "dogs" / "notes.txt").write_text("ignored")


def test_folder_of_mixed_images_with_class_labels(tmp_path, capsys):
    _image_folder(tmp_path, corrupt=2)
    ds = data.load_dataset(
        str(tmp_path), image_size=32, batch_size=10, shuffle=False, with_labels=True
    )
    x, y = next(iter(ds))
    _check(ds, 10, (32, 32, 3))
    assert sorted(y.numpy().tolist()) == [0] * 5 + [1] * 5
    out = capsys.readouterr().out
    assert "skipping 2 unreadable image(s)" in out and "broken0.jpg" in out
    _check(
        data.load_dataset(str(tmp_path), image_size=16, channels=1, batch_size=10), 10, (16, 16, 1)
    )


def test_grayscale_folder_infers_one_channel(tmp_path):
    for i in range(4):
        Image.fromarray(np.full((28, 28), i * 60, np.uint8)).save(tmp_path / f"{i}.png")
    ds = data.load_dataset(str(tmp_path), batch_size=4, shuffle=False)
    assert tuple(next(iter(ds)).shape) == (4, 28, 28, 1)
    with pytest.raises(data.DataError, match="no labels"):
        data.load_dataset(str(tmp_path), batch_size=4, with_labels=True)


@pytest.mark.parametrize(
    "source, kwargs, message",
    [
        ("/no/such/folder", {}, "no such folder or file: /no/such/folder"),
        ("not_a_dataset_name", {}, "unknown data set 'not_a_dataset_name'"),
        ("digits", {"image_size": 20}, "unsupported image size 20"),
        ("digits", {"batch_size": 5000}, "larger than the data set"),
        ("digits", {"batch_size": 0}, "batch size must be a positive integer"),
    ],
)
def test_bad_sources(source, kwargs, message):
    with pytest.raises(data.DataError, match=message):
        data.load_dataset(source, **kwargs)


def test_empty_and_unreadable_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(data.DataError, match="no images in folder"):
        data.load_dataset(str(tmp_path / "empty"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(data.DataError, match="no readable image"):
        data.load_dataset(str(tmp_path / "bad"))
    (tmp_path / "fake-images-idx3-ubyte").write_bytes(b"hello world")
    with pytest.raises(data.DataError, match="IDX"):
        data.load_dataset(str(tmp_path / "fake-images-idx3-ubyte"))


def test_load_arrays_matches_the_pipeline():
    images, labels = data.load_arrays("digits", 40, shuffle=False, with_labels=True)
    assert images.shape == (40, 16, 16, 1) and labels.shape == (40,)
    first = next(iter(data.load_dataset("digits", batch_size=40, shuffle=False, with_labels=True)))
    np.testing.assert_array_equal(images, first[0].numpy())
    from sklearn.datasets import load_digits

    np.testing.assert_array_equal(labels, load_digits().target[:40])
    unlabelled, none = data.load_arrays("digits", 5, image_size=8, seed=1)
    assert unlabelled.shape == (5, 8, 8, 1) and none is None


def test_count_classes_of_each_source(tmp_path):
    assert data.count_classes("digits") == 10
    with tfds.testing.mock_data(num_examples=8):
        assert data.count_classes("cifar10") == 10
    for cls in ("cat", "dog", "owl"):
        (tmp_path / "pets" / cls).mkdir(parents=True)
        Image.new("L", (8, 8)).save(tmp_path / "pets" / cls / "a.png")
    assert data.count_classes(str(tmp_path / "pets")) == 3
    _write_idx(tmp_path / "x-images-idx3-ubyte", np.zeros((3, 4, 4), np.uint8))
    _write_idx(tmp_path / "x-labels-idx1-ubyte", np.array([0, 6, 2], np.uint8))
    assert data.count_classes(str(tmp_path / "x-images-idx3-ubyte")) == 7
    with pytest.raises(data.DataError, match="has no labels"):
        data.count_classes(str(tmp_path / "pets" / "cat"))


def test_real_tfds_download_path_fails_on_the_network_not_an_import(tmp_path, monkeypatch):
    """The real mnist builder runs up to its download; only the socket is refused.

    A missing dependency of the download code (tensorflow-datasets imports some
    lazily) would surface here as an import error instead of the network message.
    """
    import requests

    urls = []

    def refuse(self, request, **kwargs):
        urls.append(request.url)
        raise requests.exceptions.ConnectionError(f"refused by the test: {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    with pytest.raises(data.DataError) as info:
        data.load_dataset("mnist", data_dir=str(tmp_path / "tfds"), batch_size=8)
    message = str(info.value)
    assert "\n" not in message
    assert "cannot download tensorflow-datasets 'mnist': no network connection" in message
    assert "--data-dir" in message and "No module named" not in message
    assert any(url.endswith("-idx3-ubyte.gz") for url in urls)  # it really tried to download
