"""GANs as a data source: synthetic labelled data sets, mixing, image folders, CAS."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import make_model, random_images

from keras_gans import data, evaluation, synthetic
from keras_gans.export import export_generator

SHAPE = (8, 8, 1)


def _stub(num_classes: int = 3) -> synthetic.LabelledSource:
    """Images whose every pixel encodes the class (-1 for class 0 ... +1 for the last),
    plus a little noise from the source's generator."""

    def draw(z, labels, rng):
        level = labels / (num_classes - 1) * 2 - 1
        image = np.broadcast_to(level[:, None, None, None], (len(labels), *SHAPE))
        return np.clip(image + 0.01 * z[:, :1, None, None], -1, 1)

    return synthetic.LabelledSource(draw, num_classes, latent_dim=4, name="stub")


def _class_of(images: np.ndarray, num_classes: int = 3) -> np.ndarray:
    return np.round((images.reshape(len(images), -1).mean(1) + 1) / 2 * (num_classes - 1))


def test_sized_data_set_has_the_requested_balance_and_is_reproducible():
    ds = synthetic.synthetic_dataset(_stub(), size=50, batch_size=16, class_balance=[1, 1, 2])
    batches = list(ds.as_numpy_iterator())
    assert [len(y) for _, y in batches] == [16, 16, 16, 2]
    images = np.concatenate([x for x, _ in batches])
    labels = np.concatenate([y for _, y in batches])
    assert images.shape == (50, *SHAPE) and images.dtype == np.float32 and labels.dtype == np.int32
    assert np.bincount(labels).tolist() == [13, 12, 25]  # 12.5, 12.5, 25: remainder to class 0
    np.testing.assert_array_equal(_class_of(images), labels)  # each image is of its label
    again = np.concatenate([x for x, _ in ds.as_numpy_iterator()])
    np.testing.assert_array_equal(images, again)  # the same seed, the same data, each pass
    other = synthetic.synthetic_dataset(_stub(), size=50, batch_size=16, seed=1)
    assert not np.array_equal(images, np.concatenate([x for x, _ in other.as_numpy_iterator()]))


def test_endless_data_set_draws_from_the_balance():
    ds = synthetic.synthetic_dataset(_stub(), batch_size=64, class_balance=[1, 0, 3], seed=2)
    labels = np.concatenate([y for _, y in ds.take(20).as_numpy_iterator()])
    assert len(labels) == 1280 and not np.any(labels == 1)
    assert np.mean(labels == 2) == pytest.approx(0.75, abs=0.04)
    with pytest.raises(ValueError, match="class_balance needs 3 non-negative weights"):
        synthetic.synthetic_dataset(_stub(), class_balance=[1, 1])


def test_mixing_puts_the_same_share_in_every_batch():
    real = tf.data.Dataset.from_tensor_slices(
        (np.full((100, *SHAPE), -1.0, np.float32), np.zeros(100, np.int32))
    ).batch(10)
    fake = synthetic.synthetic_dataset(_stub(), size=7, batch_size=4, class_balance=[0, 0, 1])
    mixed = list(synthetic.mix_with_real(real, fake, 0.25, batch_size=8).as_numpy_iterator())
    assert len(mixed) == 100 // 6  # 6 real per batch; ends with the real data
    for images, labels in mixed:
        assert images.shape == (8, *SHAPE) and np.sum(labels == 2) == 2
        np.testing.assert_array_equal(_class_of(images), labels)
    assert any(labels[0] == 2 for _, labels in mixed)  # shuffled within the batch
    with pytest.raises(ValueError, match="synthetic_share must be in"):
        synthetic.mix_with_real(real, fake, 1.5, batch_size=8)


def test_written_folder_reads_back_with_the_same_labels(tmp_path):
    out = tmp_path / "synthetic"
    counts = synthetic.write_image_folder(_stub(), out, per_class=4, seed=0)
    assert counts == {0: 4, 1: 4, 2: 4}
    assert sorted(p.name for p in out.iterdir()) == ["0", "1", "2"]
    keras_ds = keras.utils.image_dataset_from_directory(
        out, color_mode="grayscale", image_size=(8, 8), batch_size=100, shuffle=False
    )
    images, labels = next(iter(keras_ds))
    np.testing.assert_array_equal(_class_of(images.numpy() / 127.5 - 1), labels.numpy())
    ours = data.load_dataset(str(out), batch_size=12, shuffle=False, with_labels=True)
    images, labels = next(iter(ours))
    np.testing.assert_array_equal(_class_of(images.numpy()), labels.numpy())
    assert synthetic.class_folder_name(7, 43) == "07"

    with pytest.raises(
        ValueError, match="is not empty: choose another folder, or pass --overwrite"
    ):
        synthetic.write_image_folder(_stub(), out, per_class=1)
    synthetic.write_image_folder(_stub(), out, per_class=1, overwrite=True)
    with pytest.raises(ValueError, match="class 5 is not in \\[0, 3\\)"):
        synthetic.write_image_folder(_stub(), tmp_path / "b", per_class=1, classes=[5])
    with pytest.raises(ValueError, match="--per-class must be a positive"):
        synthetic.write_image_folder(_stub(), tmp_path / "c", per_class=0)


@pytest.fixture(scope="module")
def conditional(tmp_path_factory):
    """A 3-class DCGAN after one step, and its export."""
    model = make_model("dcgan", (16, 16, 1), latent_dim=4, num_classes=3)
    model.compile()
    model.fit(random_images(8, (16, 16, 1)), np.arange(8) % 3, batch_size=8, verbose=0)
    return model, export_generator(model, tmp_path_factory.mktemp("export") / "cond")


def test_model_and_its_export_are_the_same_source(conditional, tmp_path, capsys):
    model, exported = conditional
    from_model = synthetic.labelled_source(model)
    from_export = synthetic.labelled_source(exported.parent)  # base directory: newest version
    assert (from_model.num_classes, from_export.num_classes) == (3, 3)
    assert from_export.latent_dim == 4
    labels = np.array([0, 2, 1, 2], np.int32)
    a = from_model.images(labels, np.random.default_rng(3))
    b = from_export.images(labels, np.random.default_rng(3))
    assert a.shape == (4, 16, 16, 1)
    np.testing.assert_allclose(a, b, atol=1e-5)

    unconditional = make_model("dcgan", (16, 16, 1), latent_dim=4)
    with pytest.raises(ValueError, match="DCGAN is not class-conditional: train it with"):
        synthetic.labelled_source(unconditional)
    with pytest.raises(ValueError, match="class 3 is not in \\[0, 3\\)"):
        from_model.images([3], np.random.default_rng(0))

    # The command: a folder with a progress bar, and one-line errors.
    from keras_gans.cli import synthesize

    out = tmp_path / "folder"
    assert synthesize.main([str(exported), "--per-class", "2", "--out", str(out)]) == 0
    assert "[" + "#" * 30 + "] 6/6 images" in capsys.readouterr().out
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.png")) == [
        f"{c}/00000{i}.png" for c in range(3) for i in range(2)
    ]
    for argv, message in [
        (["--per-class", "2"], "is not empty"),
        (["--per-class", "0"], "--per-class must be a positive"),
        (["--per-class", "1", "--classes", "4"], "class 4 is not in [0, 3)"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            synthesize.main([str(exported), "--out", str(out), *argv])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err.strip().splitlines()[-1]
    plain = export_generator(_trained_unconditional(), tmp_path / "plain")
    with pytest.raises(SystemExit):
        synthesize.main([str(plain), "--per-class", "1", "--out", str(tmp_path / "p")])
    assert "has no generate_with_labels signature" in capsys.readouterr().err


def _trained_unconditional():
    model = make_model("dcgan", (16, 16, 1), latent_dim=4)
    model.compile()
    model.fit(random_images(8, (16, 16, 1)), batch_size=8, verbose=0)
    return model


class _RealImages(synthetic.LabelledSource):
    """A perfect generator: the real training images of each class, in order;
    ``swap`` exchanges two classes' images (a generator that mixes them up)."""

    def __init__(self, images, labels, swap=()):
        self.pools = {c: images[labels == c] for c in np.unique(labels)}
        self.drawn = {c: 0 for c in self.pools}
        self.mapping = {c: c for c in self.pools}
        if swap:
            a, b = swap
            self.mapping[a], self.mapping[b] = b, a
        super().__init__(None, len(self.pools), latent_dim=1, name="real")

    def images(self, labels, rng):
        out = []
        for c in labels:
            pool = self.pools[self.mapping[int(c)]]
            out.append(pool[self.drawn[int(c)] % len(pool)])  # in order, cycling
            self.drawn[int(c)] += 1
        return np.stack(out)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_classification_accuracy_score_of_perfect_and_swapping_generators():
    images, labels = data.load_arrays("digits", 1797, image_size=8, with_labels=True)
    train, test = slice(0, 1000), slice(1000, None)
    args = (images[train], labels[train], images[test], labels[test])
    perfect = evaluation.classification_accuracy_score(
        _RealImages(images[train], labels[train]), *args, epochs=4
    )
    assert perfect["cas"] == perfect["ceiling"] > 0.8  # the real data, the same classifier
    assert perfect["train_images"] == np.bincount(labels[train]).tolist()
    swapped = evaluation.classification_accuracy_score(
        _RealImages(images[train], labels[train], swap=(3, 8)), *args, epochs=4
    )
    assert swapped["ceiling"] == perfect["ceiling"]
    for c, entry in swapped["per_class"].items():
        if c in (3, 8):  # drawn as each other: the classifier learns them swapped
            assert entry["cas"] < 0.2 < entry["ceiling"]
        else:
            assert entry["cas"] > 0.6
    assert swapped["cas"] < perfect["cas"] - 0.1


def test_infogan_codes_become_labels():
    class Stub:  # an InfoGAN whose code value v draws images of class (v + 1) % 3
        categorical_codes = (3,)

        def sample_inputs_and_codes(self, n, seed):
            codes = np.arange(n) % 3
            return codes, (codes[:, None], np.zeros((n, 0)))

        def generate_from_inputs(self, codes):
            return np.full((len(codes), *SHAPE), ((codes + 1) % 3)[:, None, None, None] - 1.0)

    class Reader:  # a classifier that reads the class off the pixels
        model = type("M", (), {"output_shape": (None, 3)})()

        def probabilities(self, images):
            return np.eye(3)[(images.reshape(len(images), -1)[:, 0] + 1).astype(int)]

    mapping = evaluation.code_to_class(Stub(), Reader(), num_samples=30)
    assert mapping.tolist() == [1, 2, 0]

    infogan = make_model("infogan", (16, 16, 1), latent_dim=4, categorical_codes=(4,))
    infogan.compile()
    source = synthetic.labelled_source(infogan, code_to_class=[1, 0, 2, 1])
    assert source.num_classes == 3
    assert source.images([0, 1, 2], np.random.default_rng(0)).shape == (3, 16, 16, 1)
    with pytest.raises(ValueError, match="no categorical code value is mapped to class 1"):
        synthetic.labelled_source(infogan, code_to_class=[0, 0, 2, 2])
    with pytest.raises(ValueError, match="code_to_class has 3 entries"):
        synthetic.labelled_source(infogan, code_to_class=[0, 1, 2])
