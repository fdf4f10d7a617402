"""DiffAugment and spectral normalisation."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import make_model, random_images

from keras_gans import augment


def _fixed(value):
    """A draw that ignores the random function and returns ``value``."""
    return lambda fn, n: tf.constant(value)


def test_translation_is_an_integer_shift_with_zero_fill():
    x = tf.constant(np.arange(2 * 8 * 8, dtype=np.float32).reshape(2, 8, 8, 1) / 64 - 0.9)
    out = augment.translation(x, _fixed([[1, -1], [0, 0]]), seed=0).numpy()
    np.testing.assert_array_equal(out[1], x[1].numpy())
    expected = np.zeros((8, 8, 1), np.float32)
    expected[1:, :-1] = x[0].numpy()[:-1, 1:]  # down one row, left one column
    np.testing.assert_array_equal(out[0], expected)


def test_cutout_zeroes_a_square_of_the_given_ratio():
    x = tf.ones((1, 16, 16, 3))
    out = augment.cutout(x, _fixed([[8, 8]]), seed=0).numpy()
    assert out.shape == (1, 16, 16, 3)
    assert (out == 0).all(axis=-1).sum() == 64  # 8x8 = (16 * 0.5)^2
    assert out[0, 4:12, 4:12].max() == 0 and out[0, :4].min() == 1


def test_affine_jitter_rotates_scales_and_shifts_about_the_centre():
    x = np.full((4, 9, 9, 1), -1.0, np.float32)
    x[:, 4, 6] = 1.0  # two pixels right of the centre (4, 4)
    draws = [
        [0.0, 0.0, 0.0, 0.0],  # identity
        [1.0, 0.0, 0.0, 0.0],  # the full rotation, 90 degrees here
        [0.0, 1.0, 0.0, 0.0],  # scale 1.5: two pixels out become three
        [0.0, 0.0, -1.0, 1.0],  # one pixel left and one down
    ]
    out = augment.affine_jitter(
        tf.constant(x), _fixed(draws), seed=0, rotation=90, scale=0.5, shift=1 / 9
    ).numpy()[..., 0]
    np.testing.assert_allclose(out[0], x[0, ..., 0], atol=1e-6)
    peaks = [np.unravel_index(o.argmax(), o.shape) for o in out[1:]]
    assert peaks == [(6, 4), (4, 7), (5, 5)]
    np.testing.assert_allclose(out[[1, 3]].max(axis=(1, 2)), 1.0, atol=1e-5)
    assert out.min() >= -1 - 1e-6  # the border repeats: no new grey edges


def test_affine_sample_matches_keras_affine_transform_and_compiles_under_xla():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (3, 12, 10, 2)).astype(np.float32))
    transform = np.array(  # rotation and scale, a shift past the border, the identity
        [[0.9, 0.3, -1.0, -0.3, 0.9, 2.5], [1.0, 0.0, 4.5, 0.0, 1.2, -3.0], [1, 0, 0, 0, 1, 0]],
        np.float32,
    )
    full = np.concatenate([transform, np.zeros((3, 2), np.float32)], axis=1)
    expected = keras.ops.image.affine_transform(
        x, full, interpolation="bilinear", fill_mode="nearest"
    )
    np.testing.assert_allclose(augment.affine_sample(x, transform), expected, atol=1e-5)
    np.testing.assert_array_equal(augment.affine_sample(x, transform)[2], x[2])
    compiled = tf.function(augment.affine_sample, jit_compile=True)
    np.testing.assert_allclose(compiled(x, transform), expected, atol=1e-5)


def test_stroke_jitter_blends_towards_the_dilation_or_erosion_and_compiles_under_xla():
    x = np.full((3, 7, 7, 1), -1.0, np.float32)
    x[:, 3, 1:6] = 1.0  # a one-pixel horizontal stroke
    draws = [[[[1.0]]], [[[-1.0]]], [[[0.0]]]]  # thicken, thin, keep
    out = augment.stroke_jitter(tf.constant(x), _fixed(draws), seed=0, strength=0.5).numpy()
    thick = x[0].copy()
    thick[2:5, 0:7] = 0.0  # half way to the 3x3 dilation, rows 2-4 and columns 0-6
    thick[3, 1:6] = 1.0
    np.testing.assert_allclose(out[0], thick, atol=1e-6)
    thin = x[1].copy()
    thin[3, 1:6] = 0.0  # half way to the erosion, which removes a one-pixel stroke
    np.testing.assert_allclose(out[1], thin, atol=1e-6)
    np.testing.assert_array_equal(out[2], x[2])
    compiled = tf.function(
        lambda images: augment.stroke_jitter(images, _fixed(draws), 0, 0.5), jit_compile=True
    )
    np.testing.assert_allclose(compiled(tf.constant(x)), out, atol=1e-6)


def test_policies_keep_shapes_and_ranges_and_are_identity_when_disabled():
    model = make_model("dcgan", (16, 16, 3), diffaugment="translation,cutout")
    x = tf.constant(random_images(8, (16, 16, 3)))
    out = model.augment(x).numpy()
    assert out.shape == x.shape and out.min() >= -1 and out.max() <= 1
    assert not np.array_equal(out, x.numpy())
    colour = make_model("dcgan", (16, 16, 3), diffaugment="color").augment(x)
    assert colour.shape == x.shape
    plain = make_model("dcgan", (16, 16, 3))
    assert plain.augment(x) is x
    with pytest.raises(ValueError, match="unknown DiffAugment policy 'zoom'"):
        make_model("dcgan", (16, 16, 3), diffaugment="translation,zoom")


def test_gradients_reach_the_generator_through_diffaugment():
    model = make_model("dcgan", (16, 16, 1), diffaugment="color,translation,cutout")
    z = model.sample_noise(4)
    with tf.GradientTape() as tape:
        logits = model.discriminator(model.augment(model.fake(z)), training=True)
        loss = tf.reduce_mean(logits)
    grads = tape.gradient(loss, model.generator.trainable_variables)
    assert all(g is not None for g in grads)
    assert sum(float(tf.reduce_sum(tf.abs(g))) for g in grads) > 0


def test_spectral_norm_keeps_kernels_near_unit_norm_after_training(model_name):
    model = make_model(model_name, (16, 16, 1), spectral_norm=True)
    model.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    data = tf.data.Dataset.from_tensor_slices(random_images(64, (16, 16, 1))).batch(8)
    model.fit(data, epochs=2, verbose=0)
    wrapped = [
        layer
        for layer in model.discriminator.layers
        if isinstance(layer, keras.layers.SpectralNormalization)
    ]
    assert len(wrapped) >= 3
    for layer in wrapped:
        kernel = layer.layer.kernel.numpy()
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert sigma == pytest.approx(1.0, abs=0.15), layer.name


@pytest.mark.parametrize("policy", ["color", "translation", "cutout"])
def test_each_policy_trains_inside_the_compiled_step(policy):
    # Regression: Grappler once broke cutout's mask only inside the compiled step.
    model = make_model("dcgan", (16, 16, 1), diffaugment=policy)
    model.compile()
    data = tf.data.Dataset.from_tensor_slices(random_images(16, (16, 16, 1))).batch(8)
    history = model.fit(data, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert int(model.d_optimizer.iterations) == 2
