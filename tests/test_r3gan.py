"""R3GAN: its networks at initialisation, its schedules, and the model's round trips."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import random_images, run_tensorflow_only

import keras_gans
from keras_gans import networks
from keras_gans.config import ConfigError, TrainConfig
from keras_gans.export import export_generator
from keras_gans.schedules import CosineSchedule, ScheduledAdam, cosine_ramp

SHAPE = (8, 8, 1)


def _model(**kwargs) -> keras_gans.R3GAN:
    kwargs = {"width": 8, "latent_dim": 4, "seed": 0, "schedule_images": 64, **kwargs}
    model = keras_gans.R3GAN(image_shape=kwargs.pop("image_shape", SHAPE), **kwargs)
    model.compile()
    return model


def _batches(n: int = 32, batch: int = 8, labels: bool = False) -> tf.data.Dataset:
    x = random_images(n, SHAPE)
    data = (x, np.arange(n, dtype="int32") % 3) if labels else x
    return tf.data.Dataset.from_tensor_slices(data).batch(batch)


def test_a_residual_branch_is_exactly_zero_at_initialisation():
    x = keras.Input((8, 8, 16))
    block = keras.Model(x, networks.r3gan_residual_block(x, 4, 2, 16, "b"))
    inputs = np.random.default_rng(0).standard_normal((4, 8, 8, 16)).astype("float32")
    np.testing.assert_array_equal(block(inputs).numpy(), inputs)
    # The branch's other layers are not zero: it is the last layer that starts at 0.
    assert np.abs(block.get_layer("b_expand").kernel.numpy()).min() >= 0
    assert np.abs(block.get_layer("b_expand").kernel.numpy()).max() > 0
    assert not np.any(block.get_layer("b_project").kernel.numpy())


def test_branch_activations_keep_their_variance_at_initialisation():
    """MSR initialisation with gain sqrt(2 / (1 + 0.2^2)) * L^(-1/4): measured second moments
    after each layer of a branch against the hand-computed ones."""
    total_blocks, channels = 16, 64
    x = keras.Input((16, 16, channels))
    keras.utils.set_random_seed(0)
    out = networks.r3gan_residual_block(x, total_blocks, 2, 16, "b")
    block = keras.Model(x, out)
    inputs = np.random.default_rng(1).standard_normal((16, 16, 16, channels)).astype("float32")
    probe = keras.Model(x, [block.get_layer(n).output for n in ("b_expand", "b_act1", "b_grouped")])
    expand, act, grouped = (np.asarray(t) for t in probe(inputs))
    gain_sq = networks.LEAKY_GAIN**2 * total_blocks ** (-0.5)
    assert np.mean(expand**2) == pytest.approx(gain_sq, rel=0.1)  # E[x^2] = 1
    # leaky ReLU of a zero-mean Gaussian keeps (1 + 0.2^2) / 2 of its second moment
    assert np.mean(act**2) == pytest.approx(gain_sq * (1 + 0.04) / 2, rel=0.1)
    assert np.mean(grouped**2) == pytest.approx(gain_sq * np.mean(act**2), rel=0.15)


def test_the_discriminator_is_linear_in_its_input_at_initialisation():
    """Every branch is zero and the rest is linear, so D(a + b) = D(a) + D(b) - D(0)
    and R1 equals R2 on any batch: the property the fix-up initialisation gives."""
    d = networks.r3gan_discriminator((16, 16, 3), width=16)
    a, b = random_images(4, (16, 16, 3), seed=1), random_images(4, (16, 16, 3), seed=2)
    zero = np.zeros_like(a)
    np.testing.assert_allclose(d(a + b), d(a) + d(b) - d(zero), atol=1e-4)


@pytest.mark.parametrize("size", networks.SUPPORTED_SIZES)
def test_networks_at_every_supported_size(size):
    g = networks.r3gan_generator(4, (size, size, 3), width=8)
    d = networks.r3gan_discriminator((size, size, 3), width=8, num_classes=3)
    z = tf.random.normal((2, 4), seed=0)
    images = g(z, training=True)
    assert images.shape == (2, size, size, 3)
    assert d([images, tf.constant([0, 2])]).shape == (2, 1)


def test_resampling_is_bilinear_with_half_pixel_centres():
    x = tf.random.normal((2, 6, 6, 3), seed=0)
    up = networks.Resample("up")(x)
    reference = tf.image.resize(x, (12, 12), "bilinear")
    # Equal away from the border, where upfirdn2d pads with zeros and resize repeats.
    np.testing.assert_allclose(up[:, 1:-1, 1:-1], reference[:, 1:-1, 1:-1], atol=1e-5)
    # Downsampling a constant keeps it inside; the [1, 3, 3, 1] / 8 taps by hand at a border.
    down = networks.Resample("down")(tf.ones((1, 8, 8, 1))).numpy()[0, :, :, 0]
    assert down[1:3, 1:3] == pytest.approx(np.ones((2, 2)))
    assert down[3, 3] == pytest.approx(49 / 64)
    assert down[0, 1] == pytest.approx(7 / 8) and down[0, 0] == pytest.approx(49 / 64)


def test_grouped_convolution_equals_per_group_convolutions():
    layer = networks.GroupedConv2D(8, 3, groups=2, gain=1.0)
    x = tf.random.normal((2, 5, 5, 4), seed=0)
    y = layer(x).numpy()
    kernel = layer.kernel.numpy()  # (3, 3, 2, 8): group g maps inputs 2g..2g+1 to 4g..4g+3
    for g in range(2):
        part = tf.nn.conv2d(x[..., 2 * g : 2 * g + 2], kernel[..., 4 * g : 4 * g + 4], 1, "SAME")
        np.testing.assert_allclose(y[..., 4 * g : 4 * g + 4], part, atol=1e-5)


def test_cosine_schedule_values_by_hand():
    total = 1000.0
    assert float(cosine_ramp(0, 2e-4, 5e-5, total)) == pytest.approx(2e-4)
    assert float(cosine_ramp(250, 2e-4, 5e-5, total)) == pytest.approx(
        2e-4 + (5e-5 - 2e-4) * (1 - math.cos(math.pi / 4)) / 2
    )
    assert float(cosine_ramp(500, 0.9, 0.99, total)) == pytest.approx(0.945)
    assert float(cosine_ramp(1000, 0.05, 0.005, total)) == pytest.approx(0.005)
    assert float(cosine_ramp(5000, 0.05, 0.005, total)) == pytest.approx(0.005)  # held
    assert float(CosineSchedule(3.0, 3.0)(123, total)) == 3.0


def test_scheduled_values_and_what_a_step_sets():
    model = _model(schedule_images=64, ema_decay=0.9999)
    values = {k: float(v) for k, v in model.scheduled_values(tf.constant(16.0)).items()}
    ramp = (1 - math.cos(math.pi * 16 / 64)) / 2
    assert values["lr"] == pytest.approx(2e-4 + (5e-5 - 2e-4) * ramp)
    assert values["gamma"] == pytest.approx(0.05 + (0.005 - 0.05) * ramp)
    assert values["beta_2"] == pytest.approx(0.9 + 0.09 * ramp)
    assert values["ema"] == pytest.approx(0.25 * ramp)
    # Two steps of 8 images: the second step ran with the values at 8 images, and the
    # optimizers keep them; the EMA moved with decay 0.5 ** (8 / (0.25 ramp(8) 64)).
    model.fit(_batches(16), epochs=1, verbose=0, shuffle=False)
    at8 = {k: float(v) for k, v in model.scheduled_values(tf.constant(8.0)).items()}
    for opt in (model.g_optimizer, model.d_optimizer):
        assert isinstance(opt, ScheduledAdam) and float(opt.beta_1) == 0.0
        assert float(opt.learning_rate) == pytest.approx(at8["lr"])
        assert float(opt.beta_2) == pytest.approx(at8["beta_2"])
    assert int(model.d_optimizer.iterations) == 2


def test_ema_follows_the_half_life_schedule():
    model = _model(schedule_images=64, ema_decay=0.9999)
    ds = _batches(8)
    model.fit(ds, epochs=1, verbose=0)  # first step: half-life 0, the EMA copies G
    for ema, g in zip(model.ema_generator.get_weights(), model.generator.get_weights()):
        np.testing.assert_array_equal(ema, g)
    before_ema = [w.copy() for w in model.ema_generator.get_weights()]
    model.fit(ds, epochs=1, verbose=0)
    decay = 0.5 ** (8 / (0.25 * (1 - math.cos(math.pi * 8 / 64)) / 2 * 64))
    after_g = model.generator.get_weights()
    for ema, old, g in zip(model.ema_generator.get_weights(), before_ema, after_g):
        np.testing.assert_allclose(ema, decay * old + (1 - decay) * g, atol=1e-6)


def test_objective_is_the_relativistic_loss_with_scheduled_r1_r2():
    model = _model(gamma_schedule=(2.0, 2.0))
    x = random_images(8, SHAPE)
    logs = model.train_step(tf.constant(x))
    # D's loss = E softplus(D(fake) - D(real)) + gamma / 2 (R1 + R2), on the batch D saw.
    real, fake = float(logs["real_score"]), float(logs["fake_score"])
    # At initialisation D is linear, so every row has the same input gradient and
    # R1 = R2 = ||w||^2; its logits differ row by row, hence the bound, not equality.
    assert float(logs["r1"]) == pytest.approx(float(logs["r2"]), rel=1e-5)
    penalty = 0.5 * 2.0 * (float(logs["r1"]) + float(logs["r2"]))
    assert float(logs["d_loss"]) >= math.log1p(math.exp(fake - real)) + penalty - 1e-5
    with pytest.raises(ValueError, match="objective is fixed"):
        keras_gans.R3GAN(image_shape=SHAPE, width=8, r1_gamma=1.0)


def test_save_load_round_trip_and_resume_bit_for_bit(tmp_path):
    tf.config.experimental.enable_op_determinism()
    ds = _batches(32)
    keras.utils.set_random_seed(0)
    straight = _model(ema_decay=0.999)
    straight.fit(ds, epochs=2, verbose=0, shuffle=False)
    keras.utils.set_random_seed(0)
    halves = _model(ema_decay=0.999)
    halves.fit(ds, epochs=1, verbose=0, shuffle=False)
    halves.save(tmp_path / "r3gan.keras")
    loaded = keras.models.load_model(tmp_path / "r3gan.keras")
    assert isinstance(loaded.g_optimizer, ScheduledAdam)
    assert float(loaded.d_optimizer.beta_2) == float(halves.d_optimizer.beta_2)
    z = np.random.default_rng(0).standard_normal((4, 4)).astype("float32")
    np.testing.assert_array_equal(loaded(z), halves(z))
    assert loaded.get_config()["lr_schedule"] == [2e-4, 5e-5]
    loaded.fit(ds, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(straight.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_conditional_generator_depends_on_the_label():
    model = _model(num_classes=3)
    model.fit(_batches(16, labels=True), epochs=1, verbose=0)
    z = np.repeat(np.random.default_rng(0).standard_normal((1, 4)).astype("float32"), 3, 0)
    images = model([z, np.arange(3, dtype="int32")]).numpy()
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])


def test_augment_p_ramps_the_share_of_augmented_images():
    model = _model(diffaugment="cutout", augment_p=1.0)
    x = tf.constant(random_images(256, SHAPE))
    model._now = model.scheduled_values(tf.constant(0.0))
    np.testing.assert_array_equal(model.augment(x), x)  # p = 0 at the start
    model._now = model.scheduled_values(tf.constant(32.0))  # half way: p = 0.5
    changed = np.any(model.augment(x).numpy() != x.numpy(), axis=(1, 2, 3)).mean()
    assert 0.35 < changed < 0.65
    with pytest.raises(ValueError, match="needs a diffaugment policy"):
        keras_gans.R3GAN(image_shape=SHAPE, width=8, augment_p=0.5)


def test_exported_generator_in_a_tensorflow_only_process(tmp_path):
    model = _model()
    model.fit(_batches(16), epochs=1, verbose=0)
    version = export_generator(model, tmp_path / "r3gan")
    z = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "expected.npy", model(z).numpy())
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        "f = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
        "out = f(z=tf.constant(np.load(sys.argv[2])))['images'].numpy()\n"
        "assert 'keras_gans' not in sys.modules\n"
        "np.testing.assert_allclose(out, np.load(sys.argv[3]), atol=1e-5)\n"
        "assert out.min() >= -1 and out.max() <= 1\n"
    )
    run_tensorflow_only(
        script, [str(version), str(tmp_path / "z.npy"), str(tmp_path / "expected.npy")], tmp_path
    )


def test_train_options():
    config = TrainConfig(model="r3gan", gamma=[0.1, 0.01], width=16)
    config.validate()
    assert config.model_options()["gamma_schedule"] == [0.1, 0.01]
    with pytest.raises(ConfigError, match="r3gan schedules its learning rate"):
        TrainConfig(model="r3gan", g_lr=1e-3).validate()
    with pytest.raises(ConfigError, match="--r1 is for"):
        TrainConfig(model="r3gan", r1=1.0).validate()
    with pytest.raises(ConfigError, match="--width is for r3gan"):
        TrainConfig(model="dcgan", width=16).validate()
    with pytest.raises(ConfigError, match="gamma"):
        TrainConfig(model="r3gan", gamma=[0.1]).validate()


@pytest.mark.parametrize(
    "policy,jit",
    [("float32", True), ("mixed_bfloat16", False), ("mixed_float16", False)],
)
def test_fit_with_xla_and_mixed_precision(policy, jit):
    """XLA needs every op's second derivative (R1/R2 through the resampling); mixed
    precision needs float32 outputs and losses."""
    keras.config.set_dtype_policy(policy)
    model = keras_gans.R3GAN(image_shape=SHAPE, width=8, latent_dim=4, seed=0)
    model.compile(jit_compile=jit)
    before = [w.copy() for w in model.generator.get_weights()]
    history = model.fit(_batches(16), epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert history["r1"][-1] > 0
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.generator.get_weights()))
    assert model.generate(2).dtype == np.float32
