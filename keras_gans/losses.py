"""Stateless GAN loss and penalty functions.

Every function takes raw network outputs (logits or critic scores) and returns
a float32 scalar: the mean over the batch. Inputs in a lower precision (mixed
precision training) are cast to float32 first, so that the losses themselves are
always computed in float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import tensorflow as tf

__all__ = [
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "l1_loss",
    "lazy_regularization",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "mutual_information_loss",
    "non_saturating_generator_loss",
    "r1_penalty",
    "r2_penalty",
    "relativistic_discriminator_loss",
    "relativistic_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _f32(x: tf.Tensor) -> tf.Tensor:
    return tf.cast(x, tf.float32)


def minimax_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Discriminator loss of the original GAN (Goodfellow et al. 2014, eq. 1).

    ``-[log D(x) + log(1 - D(G(z)))]`` with ``D = sigmoid(logits)``, averaged over
    the batch, computed stably as ``softplus(-real) + softplus(fake)``.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(
        tf.nn.softplus(fake_logits)
    )


def minimax_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Saturating generator loss of the original minimax game (Goodfellow et al. 2014).

    ``log(1 - D(G(z)))``, minimised by the generator. Its gradient vanishes when
    the discriminator wins, which is why the package trains with
    :func:`non_saturating_generator_loss`; this one is provided for completeness.
    """
    return -tf.reduce_mean(tf.nn.softplus(_f32(fake_logits)))


def non_saturating_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Non-saturating generator loss (Goodfellow et al. 2014, section 3).

    ``-log D(G(z))``, computed stably as ``softplus(-fake_logits)``.
    """
    return tf.reduce_mean(tf.nn.softplus(-_f32(fake_logits)))


def wasserstein_discriminator_loss(real_scores: tf.Tensor, fake_scores: tf.Tensor) -> tf.Tensor:
    """Critic loss of the Wasserstein GAN (Arjovsky et al. 2017; Gulrajani et al. 2017).

    ``E[D(G(z))] - E[D(x)]``: minimising it maximises the critic's estimate of
    the Wasserstein-1 distance. The gradient penalty is added separately.
    """
    return tf.reduce_mean(_f32(fake_scores)) - tf.reduce_mean(_f32(real_scores))


def wasserstein_generator_loss(fake_scores: tf.Tensor) -> tf.Tensor:
    """Generator loss of the Wasserstein GAN (Arjovsky et al. 2017): ``-E[D(G(z))]``."""
    return -tf.reduce_mean(_f32(fake_scores))


def hinge_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Hinge loss of the discriminator (Lim and Ye 2017; Miyato et al. 2018, eq. 16).

    ``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]`` on raw scores.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(
        tf.nn.relu(1.0 + fake_logits)
    )


def hinge_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Generator loss of the hinge GAN (Lim and Ye 2017; Miyato et al. 2018): ``-E[D(G(z))]``."""
    return -tf.reduce_mean(_f32(fake_logits))


def relativistic_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Relativistic pairing loss of the discriminator (RpGAN; Jolicoeur-Martineau 2019).

    ``E[softplus(-(D(x_i) - D(G(z_i))))]`` over pairs ``i`` of a real and a fake
    sample: D is asked how much more real each real image is than its paired
    fake, not whether each is real on its own. Huang et al. (2024, "The GAN is
    dead; long live the GAN!", eq. 3) regularise it with R1 and R2
    (:func:`r1_penalty`, :func:`r2_penalty`). The batches are paired row by row,
    so they must have the same size.
    """
    return tf.reduce_mean(tf.nn.softplus(_f32(fake_logits) - _f32(real_logits)))


def relativistic_generator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Relativistic pairing loss of the generator (Jolicoeur-Martineau 2019; Huang et al. 2024).

    ``E[softplus(-(D(G(z_i)) - D(x_i)))]``: the generator raises each fake's
    score above its paired real's. Only the generator is updated with it, so
    ``real_logits`` act as constants.
    """
    return tf.reduce_mean(tf.nn.softplus(_f32(real_logits) - _f32(fake_logits)))


def least_squares_discriminator_loss(real_scores: tf.Tensor, fake_scores: tf.Tensor) -> tf.Tensor:
    """Least-squares discriminator loss (LSGAN; Mao et al. 2017, eq. 9 with a=0, b=1).

    ``0.5 * (E[(D(x) - 1)^2] + E[D(G(z))^2])`` on raw scores (per PatchGAN patch,
    averaged): the loss CycleGAN trains its discriminators with (Zhu et al.
    2017, section 4; the 0.5 is their "divide the objective by 2 for D").
    """
    real_scores, fake_scores = _f32(real_scores), _f32(fake_scores)
    return 0.5 * (
        tf.reduce_mean(tf.square(real_scores - 1.0)) + tf.reduce_mean(tf.square(fake_scores))
    )


def least_squares_generator_loss(fake_scores: tf.Tensor) -> tf.Tensor:
    """Least-squares generator loss (Mao et al. 2017, eq. 9 with c=1): ``E[(D(G(z)) - 1)^2]``."""
    return tf.reduce_mean(tf.square(_f32(fake_scores) - 1.0))


def l1_loss(outputs: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """Mean absolute difference ``E|outputs - targets|`` over every pixel (or feature).

    Pix2Pix's reconstruction term (Isola et al. 2017, eq. 3), CycleGAN's
    cycle-consistency and identity terms (Zhu et al. 2017, eqs. 2 and 6) and
    the pixel content loss of super-resolution (Wang et al. 2018, ESRGAN) are
    each this, applied to their own pair of images.
    """
    return tf.reduce_mean(tf.abs(_f32(outputs) - _f32(targets)))


def _input_gradient_sq_norms(
    critic: Callable[[tf.Tensor], tf.Tensor], images: tf.Tensor
) -> tf.Tensor:
    """``||grad_x D(x)||^2`` per sample, the gradient taken under its own tape.

    Rows of the critic's output must depend on their own input row only (no
    batch normalisation), so that the gradient of the summed scores is each
    sample's own gradient. The outer tape differentiates this gradient again:
    wrap that outer ``tape.gradient`` in :func:`keras_gans.autodiff.skip_zero_curvature`.
    """
    images = _f32(images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = _f32(critic(images))
    grads = _f32(tape.gradient(scores, images))
    return tf.reduce_sum(tf.square(grads), axis=list(range(1, len(grads.shape))))


def gradient_penalty(
    critic: Callable[[tf.Tensor], tf.Tensor],
    real: tf.Tensor,
    fake: tf.Tensor,
    alpha: tf.Tensor,
    *,
    epsilon: float = 1e-12,
) -> tf.Tensor:
    """Two-sided gradient penalty of WGAN-GP (Gulrajani et al. 2017, algorithm 1).

    ``E[(||grad_x D(x_hat)||_2 - 1)^2]`` at ``x_hat = real + alpha * (fake - real)``.

    Args:
        critic: maps a batch of images to scores (for example the critic model
            called with ``training=True``).
        real: real images ``(batch, ...)``.
        fake: generated images, same shape as ``real``.
        alpha: interpolation coefficients, one per sample, broadcastable to
            ``real`` (shape ``(batch, 1, 1, 1)`` for images) and drawn uniformly
            in [0, 1] by the caller.
        epsilon: added under the square root so that the norm has a finite
            gradient where the input gradient is exactly zero.

    Returns:
        The unweighted penalty (multiply by ``gp_weight``, lambda in the paper).
    """
    real = _f32(real)
    fake = _f32(fake)
    interpolated = real + _f32(alpha) * (fake - real)
    norms = tf.sqrt(_input_gradient_sq_norms(critic, interpolated) + epsilon)
    return tf.reduce_mean(tf.square(norms - 1.0))


def r1_penalty(critic: Callable[[tf.Tensor], tf.Tensor], real: tf.Tensor) -> tf.Tensor:
    """Zero-centred gradient penalty on real data, R1 (Mescheder et al. 2018, eq. 9).

    Returns ``E[||grad_x D(x)||^2]`` over real images, unweighted. Convention
    (Mescheder et al.; StyleGAN2; Huang et al. 2024): the discriminator loss
    adds ``gamma / 2`` times this value, so ``gamma`` is the paper's
    regularisation weight.
    """
    return tf.reduce_mean(_input_gradient_sq_norms(critic, real))


def r2_penalty(critic: Callable[[tf.Tensor], tf.Tensor], fake: tf.Tensor) -> tf.Tensor:
    """Zero-centred gradient penalty on generated data, R2 (Mescheder et al. 2018, eq. 10).

    ``E[||grad_x D(G(z))||^2]``, unweighted; added with weight ``gamma / 2``
    like :func:`r1_penalty`. Huang et al. (2024) show that R1 alone lets the
    relativistic loss diverge and that R1 with R2 keeps it stable.
    """
    return tf.reduce_mean(_input_gradient_sq_norms(critic, fake))


def lazy_regularization(
    penalties: dict[str, Callable[[], tf.Tensor]], step: tf.Tensor, interval: int
) -> dict[str, tf.Tensor]:
    """Lazy regularisation (Karras et al. 2020, StyleGAN2, section 3.1).

    Evaluates each scalar penalty ``penalties[name]()`` only on steps where
    ``step % interval == 0`` and multiplies it by ``interval`` there; on the
    other steps every value is 0 and the penalties' graph is not run. Their
    average strength is unchanged and their cost is paid once every
    ``interval`` steps. With ``interval=1`` this is each penalty's value.

    Returns:
        ``{name: value}`` in float32, scaled as above.
    """
    if interval == 1:
        return {name: _f32(fn()) for name, fn in penalties.items()}
    applied = tf.equal(tf.math.floormod(tf.cast(step, tf.int64), interval), 0)
    return tf.cond(
        applied,
        lambda: {name: float(interval) * _f32(fn()) for name, fn in penalties.items()},
        lambda: {name: tf.constant(0.0) for name in penalties},
    )


def mutual_information_loss(
    categorical_codes: Sequence[tf.Tensor] | tf.Tensor,
    categorical_logits: Sequence[tf.Tensor] | tf.Tensor,
    continuous_codes: tf.Tensor | None = None,
    continuous_mean: tf.Tensor | None = None,
    continuous_log_std: tf.Tensor | None = None,
    continuous_weight: float = 1.0,
) -> tf.Tensor:
    """InfoGAN's variational mutual-information loss (Chen et al. 2016, eq. 5).

    The negative of the lower bound ``L_I(G, Q)`` up to the constant code
    entropy ``H(c)``: the cross-entropy between each categorical code and Q's
    prediction, plus the Gaussian negative log-likelihood of each continuous
    code under Q's factored Gaussian. Both G and Q minimise it.

    Args:
        categorical_codes: one-hot codes ``(batch, k)``, one tensor per code
            (a single tensor is one code); may be empty.
        categorical_logits: Q's logits, matching ``categorical_codes``.
        continuous_codes: ``(batch, n)`` codes, or None when there are none.
        continuous_mean: Q's predicted means ``(batch, n)``.
        continuous_log_std: Q's predicted log standard deviations; None fixes
            the standard deviation at 1, as in the paper's MNIST experiments.
        continuous_weight: weight of the continuous codes' term relative to the
            categorical ones (the paper uses a smaller lambda for continuous codes).

    Returns:
        Sum over codes of the batch-mean loss of each code.
    """
    if isinstance(categorical_codes, tf.Tensor):
        categorical_codes = [categorical_codes]
    if isinstance(categorical_logits, tf.Tensor):
        categorical_logits = [categorical_logits]
    if len(categorical_codes) != len(categorical_logits):
        raise ValueError(
            f"Got {len(categorical_codes)} categorical codes but "
            f"{len(categorical_logits)} logit tensors."
        )
    total = tf.constant(0.0, tf.float32)
    for codes, logits in zip(categorical_codes, categorical_logits):
        total += tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=_f32(codes), logits=_f32(logits))
        )
    if continuous_codes is not None and continuous_codes.shape[-1] != 0:
        codes = _f32(continuous_codes)
        mean = _f32(continuous_mean)
        log_std = tf.zeros_like(mean) if continuous_log_std is None else _f32(continuous_log_std)
        nll = log_std + 0.5 * tf.square((codes - mean) * tf.exp(-log_std)) + 0.5 * _LOG_2PI
        total += continuous_weight * tf.reduce_mean(tf.reduce_sum(nll, axis=-1))
    return total
