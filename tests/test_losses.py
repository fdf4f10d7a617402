"""Loss functions against values computed by hand for fixed logits."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_gans import losses


def sp(x: float) -> float:
    """softplus, written out."""
    return math.log1p(math.exp(x))


REAL = tf.constant([[0.0], [2.0]])
FAKE = tf.constant([[-1.0], [1.0]])


def test_minimax_discriminator_loss():
    # -log(sigmoid(r)) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
    expected = (sp(-0.0) + sp(-2.0)) / 2 + (sp(-1.0) + sp(1.0)) / 2
    assert losses.minimax_discriminator_loss(REAL, FAKE).numpy() == pytest.approx(
        expected, rel=1e-6
    )
    # A perfect discriminator has a loss near zero, a confused one 2 log 2.
    assert losses.minimax_discriminator_loss(tf.fill((4, 1), 20.0), tf.fill((4, 1), -20.0)) < 1e-6
    assert losses.minimax_discriminator_loss(tf.zeros((4, 1)), tf.zeros((4, 1))).numpy() == (
        pytest.approx(2 * math.log(2), rel=1e-6)
    )


def test_generator_losses():
    assert losses.non_saturating_generator_loss(FAKE).numpy() == pytest.approx(
        (sp(1.0) + sp(-1.0)) / 2, rel=1e-6
    )
    # log(1 - sigmoid(f)) = -softplus(f)
    assert losses.minimax_generator_loss(FAKE).numpy() == pytest.approx(
        -(sp(-1.0) + sp(1.0)) / 2, rel=1e-6
    )


def test_non_saturating_gradient_does_not_vanish_when_discriminator_wins():
    fake = tf.Variable([[-10.0]])
    with tf.GradientTape(persistent=True) as tape:
        ns = losses.non_saturating_generator_loss(fake)
        mm = losses.minimax_generator_loss(fake)
    assert abs(tape.gradient(ns, fake).numpy()[0, 0]) > 0.99
    assert abs(tape.gradient(mm, fake).numpy()[0, 0]) < 1e-4


def test_wasserstein_losses():
    real = tf.constant([1.0, 3.0])
    fake = tf.constant([-2.0, 0.5])
    assert losses.wasserstein_discriminator_loss(real, fake).numpy() == pytest.approx(-0.75 - 2.0)
    assert losses.wasserstein_generator_loss(fake).numpy() == pytest.approx(0.75)


def test_losses_compute_in_float32_from_low_precision_inputs():
    out = losses.minimax_discriminator_loss(tf.cast(REAL, tf.bfloat16), tf.cast(FAKE, tf.float16))
    assert out.dtype == tf.float32


def test_gradient_penalty_linear_critic_is_exact():
    w = tf.reshape(tf.constant([0.5, 1.5, 2.0, -1.0]), (1, 2, 2, 1))  # ||w|| = sqrt(7.5)

    def critic(x):
        return tf.reduce_sum(x * w, axis=[1, 2, 3])

    real = tf.random.normal((3, 2, 2, 1), seed=1)
    fake = tf.random.normal((3, 2, 2, 1), seed=2)
    alpha = tf.constant([0.0, 0.3, 1.0])[:, None, None, None]
    gp = losses.gradient_penalty(critic, real, fake, alpha)
    assert gp.numpy() == pytest.approx((math.sqrt(7.5) - 1.0) ** 2, rel=1e-5)


def test_gradient_penalty_interpolates_per_sample():
    # critic 0.5 * ||x||^2 has input gradient x, so the norm is ||x_hat||.
    def critic(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])

    real = np.zeros((2, 1, 1, 2), np.float32)
    fake = np.full((2, 1, 1, 2), 3.0, np.float32)
    alpha = np.array([0.25, 1.0], np.float32)[:, None, None, None]
    # x_hat = alpha * 3 per element; ||x_hat|| = alpha * 3 * sqrt(2)
    expected = np.mean([(0.25 * 3 * math.sqrt(2) - 1) ** 2, (3 * math.sqrt(2) - 1) ** 2])
    gp = losses.gradient_penalty(critic, real, fake, alpha)
    assert gp.numpy() == pytest.approx(expected, rel=1e-5)


def test_gradient_penalty_is_finite_where_the_input_gradient_is_zero():
    x = tf.Variable(tf.ones((2, 2, 2, 1)))

    def critic(images):
        return tf.reduce_sum(images * 0.0 * x, axis=[1, 2, 3])

    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(
            critic, tf.zeros((2, 2, 2, 1)), tf.ones((2, 2, 2, 1)), tf.fill((2, 1, 1, 1), 0.5)
        )
    grad = tape.gradient(gp, x)
    assert gp.numpy() == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.isfinite(grad.numpy()))


def test_mutual_information_loss_matches_numpy():
    rng = np.random.default_rng(0)
    b = 5
    cat_a = np.eye(3, dtype=np.float32)[rng.integers(0, 3, b)]
    cat_b = np.eye(4, dtype=np.float32)[rng.integers(0, 4, b)]
    logits_a = rng.normal(size=(b, 3)).astype(np.float32)
    logits_b = rng.normal(size=(b, 4)).astype(np.float32)
    cont = rng.uniform(-1, 1, (b, 2)).astype(np.float32)
    mean = rng.normal(size=(b, 2)).astype(np.float32)
    log_std = rng.normal(scale=0.3, size=(b, 2)).astype(np.float32)

    def ce(onehot, logits):
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        return -(onehot * logp).sum(-1).mean()

    def nll(c, mu, ls):
        return (ls + 0.5 * ((c - mu) / np.exp(ls)) ** 2 + 0.5 * np.log(2 * np.pi)).sum(-1).mean()

    expected = ce(cat_a, logits_a) + ce(cat_b, logits_b) + nll(cont, mean, log_std)
    got = losses.mutual_information_loss([cat_a, cat_b], [logits_a, logits_b], cont, mean, log_std)
    assert got.numpy() == pytest.approx(expected, rel=1e-5)
    # Unit standard deviation when no log std is given.
    got_fixed = losses.mutual_information_loss([cat_a], [logits_a], cont, mean)
    assert got_fixed.numpy() == pytest.approx(
        ce(cat_a, logits_a) + nll(cont, mean, np.zeros_like(mean)), rel=1e-5
    )
    # The continuous term alone is scaled by continuous_weight.
    got_weighted = losses.mutual_information_loss(
        [cat_a], [logits_a], cont, mean, continuous_weight=0.25
    )
    assert got_weighted.numpy() == pytest.approx(
        ce(cat_a, logits_a) + 0.25 * nll(cont, mean, np.zeros_like(mean)), rel=1e-5
    )


def test_mutual_information_loss_rejects_mismatched_codes():
    with pytest.raises(ValueError, match="categorical codes"):
        losses.mutual_information_loss([tf.zeros((2, 3))], [], None, None)


def test_hinge_losses():
    # D: mean(relu(1 - r)) + mean(relu(1 + f)); REAL = [0, 2], FAKE = [-1, 1].
    assert losses.hinge_discriminator_loss(REAL, FAKE).numpy() == pytest.approx(
        (1.0 + 0.0) / 2 + (0.0 + 2.0) / 2
    )
    # Scores beyond the margins cost nothing: real >= 1, fake <= -1.
    assert losses.hinge_discriminator_loss(tf.fill((3, 1), 1.5), tf.fill((3, 1), -4.0)) == 0.0
    assert losses.hinge_generator_loss(FAKE).numpy() == pytest.approx(0.0)
    assert losses.hinge_generator_loss(tf.constant([[2.0], [4.0]])).numpy() == pytest.approx(-3.0)


def test_relativistic_pairing_losses():
    # Pairs (r, f): (0, -1) and (2, 1); D: softplus(f - r), G: softplus(r - f).
    assert losses.relativistic_discriminator_loss(REAL, FAKE).numpy() == pytest.approx(
        (sp(-1.0) + sp(-1.0)) / 2, rel=1e-6
    )
    assert losses.relativistic_generator_loss(REAL, FAKE).numpy() == pytest.approx(
        (sp(1.0) + sp(1.0)) / 2, rel=1e-6
    )
    # Pairing, not pooling: swapping the fakes changes the loss (pairs (0, 1) and (2, -1)).
    swapped = tf.constant([[1.0], [-1.0]])
    assert losses.relativistic_discriminator_loss(REAL, swapped).numpy() == pytest.approx(
        (sp(1.0) + sp(-3.0)) / 2, rel=1e-6
    )
    # A shift of every score leaves it unchanged (only differences count).
    assert losses.relativistic_discriminator_loss(REAL + 5.0, FAKE + 5.0).numpy() == pytest.approx(
        losses.relativistic_discriminator_loss(REAL, FAKE).numpy(), rel=1e-6
    )


def test_relativistic_generator_gradient_reaches_fake_scores_only_as_pair_differences():
    real = tf.Variable([[0.0], [2.0]])
    fake = tf.Variable([[-1.0], [1.0]])
    with tf.GradientTape() as tape:
        loss = losses.relativistic_generator_loss(real, fake)
    g_real, g_fake = tape.gradient(loss, [real, fake])
    # d/df softplus(r - f) = -sigmoid(r - f), over a batch of 2.
    expected = -1.0 / (1.0 + math.exp(-1.0)) / 2
    np.testing.assert_allclose(g_fake.numpy(), [[expected], [expected]], rtol=1e-6)
    np.testing.assert_allclose(g_real.numpy(), -g_fake.numpy(), rtol=1e-6)


def test_r1_r2_linear_critic_closed_form():
    # D(x) = <w, x> has input gradient w everywhere: R1 = R2 = ||w||^2 = 7.5.
    w = tf.reshape(tf.constant([0.5, 1.5, 2.0, -1.0]), (1, 2, 2, 1))

    def critic(x):
        return tf.reduce_sum(x * w, axis=[1, 2, 3])

    images = tf.random.normal((3, 2, 2, 1), seed=3)
    assert losses.r1_penalty(critic, images).numpy() == pytest.approx(7.5, rel=1e-6)
    assert losses.r2_penalty(critic, images).numpy() == pytest.approx(7.5, rel=1e-6)


def test_r1_quadratic_critic_is_per_sample_and_differentiable():
    # D(x) = c/2 ||x||^2 has gradient c x: R1 = c^2 mean ||x||^2, dR1/dc = 2 c mean ||x||^2.
    c = tf.Variable(3.0)

    def critic(x):
        return 0.5 * c * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])

    images = np.array([1.0, 2.0, 0.0, 2.0], np.float32).reshape(2, 1, 1, 2)  # ||x||^2 = 5, 4
    with tf.GradientTape() as tape:
        r1 = losses.r1_penalty(critic, images)
    assert r1.numpy() == pytest.approx(9.0 * 4.5, rel=1e-6)
    assert tape.gradient(r1, c).numpy() == pytest.approx(2 * 3.0 * 4.5, rel=1e-6)


def test_lazy_regularization_runs_every_k_steps_scaled_by_k():
    calls = []

    def penalty():
        calls.append(1)
        return tf.constant(2.0)

    @tf.function
    def at(step):
        return losses.lazy_regularization({"r1": penalty}, step, 4)["r1"]

    values = [float(at(tf.constant(step, tf.int64))) for step in range(9)]
    assert values == [8.0, 0.0, 0.0, 0.0, 8.0, 0.0, 0.0, 0.0, 8.0]
    # Every step: the value itself, unscaled.
    assert float(losses.lazy_regularization({"r1": penalty}, tf.constant(3), 1)["r1"]) == 2.0


def test_least_squares_losses():
    real, fake = tf.constant([[1.5], [0.0]]), tf.constant([[0.5], [-1.0]])
    # D: 0.5 * (mean((0.5^2, 1^2)) + mean((0.5^2, 1^2))) = 0.5 * (0.625 + 0.625)
    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(0.625)
    # G: mean((0.5 - 1)^2, (-1 - 1)^2) = (0.25 + 4) / 2
    assert float(losses.least_squares_generator_loss(fake)) == pytest.approx(2.125)
    # Minimised where D says 1 on real, 0 on fake, and the fakes reach 1.
    assert float(losses.least_squares_discriminator_loss(tf.ones(3), tf.zeros(3))) == 0.0
    assert float(losses.least_squares_generator_loss(tf.ones(3))) == 0.0


def test_l1_loss_on_known_images():
    a = tf.constant([[[[0.0], [1.0]], [[-1.0], [0.5]]]])  # one 2x2 image
    b = tf.constant([[[[0.5], [1.0]], [[1.0], [0.0]]]])
    # |0-0.5| + 0 + |-1-1| + |0.5-0| = 3.0 over 4 pixels
    assert float(losses.l1_loss(a, b)) == pytest.approx(0.75)
    assert float(losses.l1_loss(a, a)) == 0.0
    assert losses.l1_loss(tf.cast(a, tf.bfloat16), b).dtype == tf.float32
