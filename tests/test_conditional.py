"""Class-conditional models: networks, training on labels, generation, saving, export."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import changed, make_model, random_images, trainable_values

import keras_gans
from keras_gans import evaluation, networks, training

SHAPE = (8, 8, 1)


def _two_class_data(n=256, batch=32, seed=0):
    """Bright images labelled 1, dark images labelled 0 (noisy, in [-1, 1])."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    centre = np.where(labels == 1, 0.6, -0.6)[:, None, None, None]
    images = np.clip(centre + rng.normal(0, 0.25, (n, *SHAPE)), -1, 1).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
    return ds.shuffle(n, seed=seed).batch(batch, drop_remainder=True)


@pytest.mark.parametrize(
    "name, conditioning",
    [
        ("gan", "projection"),
        ("gan", "concat"),
        ("dcgan", "projection"),
        ("dcgan", "concat"),
        ("wgan_gp", "projection"),
    ],
)
def test_generated_class_follows_the_requested_label(name, conditioning):
    keras.utils.set_random_seed(0)
    model = make_model(name, SHAPE, num_classes=2, conditioning=conditioning)
    # Faster than the papers' rates, so that 80 steps suffice on the toy data.
    model.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5))
    model.fit(_two_class_data().repeat(), epochs=5, steps_per_epoch=16, verbose=0)
    requested = np.repeat([0, 1], 100)
    images = model.generate(200, seed=1, labels=requested)
    predicted = (images.mean(axis=(1, 2, 3)) > 0).astype(int)
    accuracy = np.mean(predicted == requested)
    assert accuracy >= 0.9, f"label accuracy {accuracy:.2f} (chance 0.5)"


def test_projection_discriminator_adds_the_class_inner_product():
    d = networks.dcgan_discriminator((16, 16, 1), num_classes=3, conditioning="projection")
    x = random_images(4, (16, 16, 1))
    y = np.array([0, 2, 1, 2], np.int32)
    # Give the class embedding values the untrained net would not have.
    table = d.get_layer("class_projection").embeddings
    table.assign(np.random.default_rng(0).normal(size=table.shape).astype("float32"))
    features = keras.Model(d.inputs[0], d.get_layer("flatten").output)(x).numpy()
    dense = d.get_layer("logits")
    expected = (
        features @ dense.kernel.numpy()
        + dense.bias.numpy()
        + np.sum(table.numpy()[y] * features, axis=1, keepdims=True)
    )
    np.testing.assert_allclose(d([x, y]).numpy(), expected, rtol=1e-4, atol=1e-4)
    # The label changes the score by exactly the difference of projections.
    other = np.array([1, 0, 0, 0], np.int32)
    delta = d([x, y]).numpy() - d([x, other]).numpy()
    projected = np.sum((table.numpy()[y] - table.numpy()[other]) * features, 1, keepdims=True)
    np.testing.assert_allclose(delta, projected, rtol=1e-4, atol=1e-4)


def test_concat_discriminator_sees_one_hot_label_maps():
    d = networks.dcgan_discriminator((16, 16, 1), num_classes=4, conditioning="concat")
    maps = keras.Model(d.inputs, d.get_layer("join_label").output)
    x = random_images(2, (16, 16, 1))
    out = maps([x, np.array([3, 1], np.int32)]).numpy()
    assert out.shape == (2, 16, 16, 5)
    np.testing.assert_array_equal(out[..., 0], x[..., 0])
    np.testing.assert_array_equal(out[0, :, :, 1:], np.broadcast_to([0, 0, 0, 1], (16, 16, 4)))
    np.testing.assert_array_equal(out[1, :, :, 1:], np.broadcast_to([0, 1, 0, 0], (16, 16, 4)))


@pytest.mark.parametrize("name", ["gan", "dcgan", "wgan_gp"])
def test_each_update_reaches_only_its_network_including_label_embeddings(name):
    batch = (random_images(8, (16, 16, 1)), np.arange(8, dtype=np.int32) % 3)
    for g_lr, d_lr in ((0.0, 0.1), (0.1, 0.0)):
        model = make_model(name, (16, 16, 1), num_classes=3)
        model.compile(keras.optimizers.SGD(g_lr), keras.optimizers.SGD(d_lr))
        g0, d0 = trainable_values(model.generator), trainable_values(model.discriminator)
        model.train_on_batch(*batch)
        g_changed = changed(g0, trainable_values(model.generator))
        d_changed = changed(d0, trainable_values(model.discriminator))
        assert all(g_changed) == (g_lr > 0) and any(g_changed) == (g_lr > 0)
        assert all(d_changed) == (d_lr > 0) and any(d_changed) == (d_lr > 0)
    names = {v.path.split("/")[-2] for v in model.generator.trainable_variables}
    assert "label_embedding" in names


def test_generate_with_labels_and_its_validation():
    model = make_model("dcgan", (16, 16, 1), num_classes=3)
    model.compile()
    images = model.generate(4, seed=5, labels=[0, 1, 2, 1])
    z = model.sample_noise(4, keras.random.SeedGenerator(5))
    expected = model([z, np.array([0, 1, 2, 1], np.int32)]).numpy()
    np.testing.assert_allclose(images, expected, atol=1e-6)
    same_class = model.generate(3, seed=5, labels=2)
    np.testing.assert_allclose(
        same_class, model([z[:3], np.full(3, 2, np.int32)]).numpy(), atol=1e-6
    )
    assert not np.allclose(model.generate(3, seed=5, labels=0), same_class)
    for labels, message in (
        ([0, 1], "one integer or 3"),
        ([0, 1, 3], r"in \[0, 3\)"),
        ([0.5, 1, 2], r"in \[0, 3\)"),
        (-1, r"in \[0, 3\)"),
    ):
        with pytest.raises(ValueError, match=message):
            model.generate(3, labels=labels)
    with pytest.raises(ValueError, match="conditional model"):
        make_model("dcgan", (16, 16, 1)).generate(2, labels=0)


def test_bad_conditioning_arguments_and_unlabelled_data():
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        make_model("dcgan", (16, 16, 1), num_classes=1)
    with pytest.raises(ValueError, match="unknown conditioning 'film'"):
        make_model("dcgan", (16, 16, 1), num_classes=3, conditioning="film")
    with pytest.raises(ValueError, match="InfoGAN is not class-conditional"):
        make_model("infogan", (16, 16, 1), num_classes=3)
    model = make_model("dcgan", (16, 16, 1), num_classes=3)
    model.compile()
    with pytest.raises(ValueError, match=r"trains on \(images, labels\) batches"):
        model.fit(tf.data.Dataset.from_tensor_slices(random_images(8, (16, 16, 1))).batch(8))


def test_save_load_round_trip_of_a_conditional_model(tmp_path):
    model = make_model("wgan_gp", (16, 16, 1), num_classes=3, conditioning="concat")
    model.compile()
    data = tf.data.Dataset.from_tensor_slices(
        (random_images(16, (16, 16, 1)), np.arange(16, dtype=np.int32) % 3)
    ).batch(8)
    model.fit(data, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert (loaded.num_classes, loaded.conditioning) == (3, "concat")
    z = np.random.default_rng(0).normal(size=(3, model.latent_dim)).astype("float32")
    y = np.array([2, 0, 1], np.int32)
    np.testing.assert_array_equal(model([z, y]).numpy(), loaded([z, y]).numpy())
    x = random_images(3, (16, 16, 1))
    np.testing.assert_array_equal(
        model.discriminator([x, y]).numpy(), loaded.discriminator([x, y]).numpy()
    )
    # Both continue identically on labelled batches.
    model.fit(data, verbose=0)
    loaded.fit(data, verbose=0)
    np.testing.assert_allclose(model([z, y]).numpy(), loaded([z, y]).numpy(), atol=1e-5)


class _BrightnessClassifier:
    """Stand-in domain classifier: class = brightness bin; features = (mean, std)."""

    def __init__(self, num_classes):
        self.edges = np.linspace(-1, 1, num_classes + 1)[1:-1]
        self.num_classes = num_classes

    def probabilities(self, images):
        bins = np.digitize(images.mean(axis=(1, 2, 3)), self.edges)
        return np.eye(self.num_classes)[bins]

    def features(self, images):
        flat = images.reshape(len(images), -1)
        return np.stack([flat.mean(1), flat.std(1)], 1).astype(np.float64)


class _StubConditionalGAN:
    """Generates images of brightness bin ``mapping[label]``: known label accuracy."""

    def __init__(self, mapping):
        self.mapping, self.num_classes, self.conditional = mapping, len(mapping), True

    def generate(self, n, seed=None, labels=None):
        rng = np.random.default_rng(seed)
        centre = -1 + (2 * self.mapping[labels] + 1) / self.num_classes
        return np.clip(centre + rng.normal(0, 0.05, (n, 4, 4, 1)), -1, 1)


def test_conditional_metrics_have_known_answers():
    classifier = _BrightnessClassifier(3)
    real_labels = np.repeat([0, 1, 2], 300)
    truth = _StubConditionalGAN(np.array([0, 1, 2]))
    real = np.concatenate([truth.generate(300, seed=9 + c, labels=c) for c in range(3)])
    faithful, swapped = (
        evaluation.conditional_metrics(
            _StubConditionalGAN(np.array(mapping)),
            real,
            real_labels,
            classifier,
            samples_per_class=300,
        )
        for mapping in ([0, 1, 2], [0, 2, 1])
    )
    assert faithful["label_accuracy"] == 1.0
    assert swapped["label_accuracy"] == pytest.approx(1 / 3)
    assert [swapped["per_class"][c]["accuracy"] for c in range(3)] == [1.0, 0.0, 0.0]
    assert faithful["intra_fid"] < 0.01 < 0.1 < swapped["intra_fid"]
    assert swapped["per_class"][0]["fid"] < 0.01 < 0.1 < swapped["per_class"][1]["fid"]


def test_training_run_conditional_writes_a_per_class_grid(tmp_path):
    config = training.TrainConfig(
        conditional=True,
        epochs=1,
        image_size=8,
        batch_size=128,
        latent_dim=8,
        run_dir=str(tmp_path / "run"),
        num_samples=40,
        verbose=0,
        diagnostics=True,
    )
    result = training.run(config)
    run_dir, model = result.run_dir, keras.saving.load_model(result.run_dir / "model.keras")
    assert isinstance(model, keras_gans.DCGAN) and model.num_classes == 10
    np.testing.assert_array_equal(model.generate(4, seed=1), result.model.generate(4, seed=1))
    from PIL import Image

    grid = np.asarray(Image.open(run_dir / "samples" / "epoch_001.png"))
    # 10 class rows of 4 columns: the grid is taller than wide.
    assert grid.shape[0] > 2 * grid.shape[1]
    with pytest.raises(training.ConfigError, match="not infogan"):
        training.run(training.TrainConfig(conditional=True, model="infogan"))
