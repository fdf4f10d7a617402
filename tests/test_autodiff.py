"""skip_zero_curvature: identical penalty gradients, less work, registry restored."""

from __future__ import annotations

import contextlib
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import make_model, random_images
from keras import layers
from tensorflow.python.framework import ops as tf_ops

from keras_gans import autodiff, losses


def _critic() -> keras.Model:
    keras.utils.set_random_seed(3)
    images = keras.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(images)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(8, 3, padding="same")(x)
    x = layers.ReLU(max_value=6.0)(x)
    x = layers.Flatten()(x)
    return keras.Model(images, layers.Dense(1)(x))


def _penalty_gradient_fn(critic: keras.Model, skip: bool):
    rng = np.random.default_rng(0)
    real = tf.constant(rng.normal(size=(4, 8, 8, 1)), tf.float32)
    fake = tf.constant(rng.normal(size=(4, 8, 8, 1)), tf.float32)
    alpha = tf.constant(rng.uniform(size=(4, 1, 1, 1)), tf.float32)

    @tf.function
    def grads():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(critic(fake)) - tf.reduce_mean(critic(real))
            loss += 10.0 * losses.gradient_penalty(critic, real, fake, alpha)
        if skip:
            with autodiff.skip_zero_curvature():
                return tape.gradient(loss, critic.trainable_variables)
        return tape.gradient(loss, critic.trainable_variables)

    return grads


def _count_ops(fn, op_type: str) -> int:
    graph = fn.get_concrete_function().graph
    return sum(op.type == op_type for op in graph.get_operations())


def test_supported_on_this_tensorflow():
    # Otherwise the context silently does nothing and the speed-up is gone.
    assert autodiff.zero_curvature_supported()


def test_an_unexpected_registry_warns_and_leaves_gradients_alone(monkeypatch):
    monkeypatch.setattr(autodiff, "_registry_entries", lambda: None)
    monkeypatch.setattr(autodiff, "_warned", [])
    original = tf_ops._gradient_registry.lookup("ReluGrad")
    with pytest.warns(RuntimeWarning, match="run unpruned"):
        with autodiff.skip_zero_curvature():
            assert tf_ops._gradient_registry.lookup("ReluGrad") is original


def test_penalty_gradients_identical_and_dead_backward_pass_removed():
    critic = _critic()
    plain, skipped = _penalty_gradient_fn(critic, False), _penalty_gradient_fn(critic, True)
    for expected, got in zip(plain(), skipped(), strict=True):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    # The all-zero pass back through the interpolates' forward pass is gone:
    # one weight gradient and one input gradient fewer per convolution (3).
    for op_type in ("Conv2DBackpropFilter", "Conv2DBackpropInput"):
        assert _count_ops(plain, op_type) - _count_ops(skipped, op_type) == 3


def test_registry_restored_also_after_an_error_and_across_threads():
    original = {n: tf_ops._gradient_registry.lookup(n) for n in ("LeakyReluGrad", "ReluGrad")}
    with pytest.raises(RuntimeError):
        with autodiff.skip_zero_curvature():
            assert tf_ops._gradient_registry.lookup("ReluGrad") is not original["ReluGrad"]
            raise RuntimeError("boom")
    barrier = threading.Barrier(4)

    def nested():
        with autodiff.skip_zero_curvature():
            barrier.wait()
            with autodiff.skip_zero_curvature():
                pass

    threads = [threading.Thread(target=nested) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, fn in original.items():
        assert tf_ops._gradient_registry.lookup(name) is fn


def test_first_order_gradients_unchanged():
    critic = _critic()
    x = tf.constant(np.random.default_rng(1).normal(size=(4, 8, 8, 1)), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(critic(x) ** 2)
    expected = tape.gradient(y, critic.trainable_variables)
    with autodiff.skip_zero_curvature():
        got = tape.gradient(y, critic.trainable_variables)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


@pytest.mark.parametrize(
    "name, kwargs, expected",
    [
        ("wgan_gp", {}, 2),  # critic_steps=2: each critic update, not the generator's
        ("wgan_gp", {"prune_zero_curvature": False}, 0),
        ("dcgan", {}, 0),  # no gradient of a gradient: no private API
        ("infogan", {}, 0),
        ("gan", {}, 0),
        ("dcgan", {"r1_gamma": 1.0}, 1),  # the discriminator update only
        ("gan", {"r2_gamma": 1.0, "prune_zero_curvature": False}, 0),
    ],
)
def test_only_second_order_updates_differentiate_inside_the_context(
    monkeypatch, name, kwargs, expected
):
    entered = []
    original = autodiff.skip_zero_curvature

    @contextlib.contextmanager
    def spy():
        entered.append(1)
        with original():
            yield

    monkeypatch.setattr(autodiff, "skip_zero_curvature", spy)
    model = make_model(name, (8, 8, 1), **kwargs)
    model.compile()
    model.fit(random_images(8, (8, 8, 1)), epochs=1, batch_size=8, verbose=0)
    assert len(entered) == expected  # traced once


def test_pruning_option_survives_a_round_trip(tmp_path):
    model = make_model("wgan_gp", (8, 8, 1), prune_zero_curvature=False)
    model.compile()
    model.save(tmp_path / "m.keras")
    assert keras.saving.load_model(tmp_path / "m.keras").prune_zero_curvature is False
