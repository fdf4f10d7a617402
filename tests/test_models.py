"""Behaviour of the four GAN models: updates, training, precision, tracing."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import changed, make_model, random_images, trainable_values

import keras_gans

EXPECTED_KEYS = {
    "gan": {"d_loss", "g_loss", "real_score", "fake_score"},
    "dcgan": {"d_loss", "g_loss", "real_score", "fake_score"},
    "infogan": {"d_loss", "g_loss", "info_loss", "real_score", "fake_score"},
    "wgan_gp": {"d_loss", "g_loss", "gp", "real_score", "fake_score"},
}


def _dataset(shape, n=16, batch=8, labels=False):
    x = random_images(n, shape)
    if labels:
        return tf.data.Dataset.from_tensor_slices((x, np.arange(n) % 10)).batch(
            batch, drop_remainder=True
        )
    return tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)


def _assert_trains(model, shape, steps=2, **compile_kwargs):
    model.compile(**compile_kwargs)
    g0, d0 = trainable_values(model.generator), trainable_values(model.discriminator)
    history = model.fit(_dataset(shape, n=8 * steps, labels=True), epochs=1, verbose=0)
    for value in history.history.values():
        assert np.isfinite(value[-1])
    assert all(changed(g0, trainable_values(model.generator)))
    assert all(changed(d0, trainable_values(model.discriminator)))
    return history


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_fit_trains_both_networks_with_expected_logs(model_name, shape):
    model = make_model(model_name, shape)
    history = _assert_trains(model, shape)
    assert set(history.history) == EXPECTED_KEYS[model_name]
    assert model.generate(3).shape == (3, *shape)


def test_fit_with_xla(model_name):
    model = make_model(model_name, (16, 16, 1))
    _assert_trains(model, (16, 16, 1), jit_compile=True)
    assert model.jit_compile is True


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_fit_under_mixed_precision(model_name, policy):
    keras.config.set_dtype_policy(policy)
    model = make_model(model_name, (16, 16, 1))
    # Dynamic loss scaling skips the first steps while its scale overflows float16.
    _assert_trains(model, (16, 16, 1), steps=8 if policy == "mixed_float16" else 2)
    is_lso = isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert is_lso == (policy == "mixed_float16")
    assert model.generate(2).dtype == np.float32


def _sgd_pair(g_lr, d_lr):
    return keras.optimizers.SGD(g_lr), keras.optimizers.SGD(d_lr)


def test_discriminator_update_changes_only_the_discriminator(model_name):
    model = make_model(model_name, (16, 16, 1))
    model.compile(*_sgd_pair(0.0, 0.1))
    g0, d0 = trainable_values(model.generator), trainable_values(model.discriminator)
    model.train_on_batch(random_images(8, (16, 16, 1)))
    assert not any(changed(g0, trainable_values(model.generator)))
    assert all(changed(d0, trainable_values(model.discriminator)))


def test_generator_update_changes_only_the_generator(model_name):
    model = make_model(model_name, (16, 16, 1))
    model.compile(*_sgd_pair(0.1, 0.0))
    g0, d0 = trainable_values(model.generator), trainable_values(model.discriminator)
    model.train_on_batch(random_images(8, (16, 16, 1)))
    assert all(changed(g0, trainable_values(model.generator)))
    assert not any(changed(d0, trainable_values(model.discriminator)))


@pytest.mark.parametrize("continuous_weight", [1.0, 0.0])
def test_infogan_q_head_learns_in_the_discriminator_step(continuous_weight):
    model = make_model("infogan", (16, 16, 1), continuous_weight=continuous_weight)
    model.compile(*_sgd_pair(0.0, 0.1))
    q_vars = {
        v.path: v
        for v in model.discriminator.trainable_variables
        if v.path.split("/")[0].startswith("q_")
    }
    assert q_vars
    before = {path: v.numpy().copy() for path, v in q_vars.items()}
    model.train_on_batch(random_images(8, (16, 16, 1)))
    moved = {path for path, v in q_vars.items() if not np.array_equal(before[path], v.numpy())}
    # The continuous head learns only from the continuous codes' term.
    continuous_head = {path for path in q_vars if path.startswith("q_continuous")}
    assert continuous_head
    expected = set(q_vars) if continuous_weight else set(q_vars) - continuous_head
    assert moved == expected


def test_infogan_information_term_waits_for_info_warmup_steps():
    model = make_model("infogan", (16, 16, 1), info_warmup=2)
    model.compile(*_sgd_pair(0.1, 0.1))
    q_vars = [v for v in model.discriminator.trainable_variables if v.path.startswith("q_")]
    snapshots = [[v.numpy().copy() for v in q_vars]]
    for step in range(3):
        model.train_on_batch(random_images(8, (16, 16, 1), seed=step))
        snapshots.append([v.numpy().copy() for v in q_vars])
    moved = [
        any(not np.array_equal(a, b) for a, b in zip(x, y))
        for x, y in zip(snapshots, snapshots[1:])
    ]
    assert moved == [False, False, True]  # Q learns from the third step on


def test_infogan_invariant_codes_q_reads_a_moved_copy_in_both_steps(monkeypatch):
    from keras_gans.models import infogan

    moved = []

    def flip(images, draw, seed):  # a stand-in move, recorded
        moved.append(images.shape[0])
        return tf.reverse(images, axis=[2])

    monkeypatch.setattr(infogan.augment, "affine_jitter", flip)
    model = make_model("infogan", (16, 16, 1), invariant_codes=True, stroke_jitter=0.0)
    model.compile(*_sgd_pair(0.1, 0.1), run_eagerly=True)
    model.train_on_batch(random_images(8, (16, 16, 1)))
    assert moved == [8, 8]  # the discriminator's step, then the generator's
    fake = model.generate(4)
    output = model.discriminator_output(fake)
    q_cat, q_cont = model._q_output(tf.constant(fake), output)
    _, want_cat, want_cont = model.discriminator_output(tf.reverse(fake, axis=[2]))
    np.testing.assert_allclose(q_cat.numpy(), want_cat.numpy(), atol=1e-6)
    assert not np.allclose(q_cat.numpy(), output[1].numpy(), atol=1e-3)
    assert q_cont is output[2]  # by default the continuous codes are read as drawn
    model.jitter_continuous = True
    _, q_cont = model._q_output(tf.constant(fake), output)
    np.testing.assert_allclose(q_cont.numpy(), want_cont.numpy(), atol=1e-6)
    assert not np.allclose(q_cont.numpy(), output[2].numpy(), atol=1e-3)
    plain = make_model("infogan", (16, 16, 1), invariant_codes=False, stroke_jitter=0.0)
    assert plain._q_output(fake, output) == (output[1], output[2])
    moved.clear()  # continuous codes only, read as drawn: no jittered pass at all
    style = make_model("infogan", (16, 16, 1), categorical_codes=(), stroke_jitter=0.0)
    style_output = style.discriminator_output(fake)
    assert style._q_output(fake, style_output) == (style_output[1], style_output[2])
    assert moved == []


def test_infogan_stroke_jitter_q_reads_through_both_moves(monkeypatch):
    from keras_gans.models import infogan

    trained = make_model("infogan", (16, 16, 1), stroke_jitter=0.5)
    trained.compile()  # the real moves, in a compiled step
    logs = trained.train_on_batch(random_images(8, (16, 16, 1)), return_dict=True)
    assert np.isfinite(logs["info_loss"]) and logs["info_loss"] > 0
    calls = []

    def record(name, op):
        def move(images, draw, seed, *strength):
            calls.append((name, *strength))
            return op(images)

        return move

    monkeypatch.setattr(infogan.augment, "affine_jitter", record("affine", lambda x: -x))
    flip = record("stroke", lambda x: tf.reverse(x, axis=[2]))
    monkeypatch.setattr(infogan.augment, "stroke_jitter", flip)
    model = make_model("infogan", (16, 16, 1), invariant_codes=True, stroke_jitter=0.3)
    fake = tf.constant(model.generate(4))
    q_cat, q_cont = model._q_output(fake, model.discriminator_output(fake))
    assert calls == [("affine",), ("stroke", 0.3)]
    _, want_cat, _ = model.discriminator_output(tf.reverse(-fake, axis=[2]))
    np.testing.assert_allclose(q_cat.numpy(), want_cat.numpy(), atol=1e-6)
    np.testing.assert_allclose(q_cont.numpy(), model.discriminator_output(fake)[2], atol=1e-6)
    calls.clear()
    only = make_model("infogan", (16, 16, 1), invariant_codes=False, stroke_jitter=0.3)
    only._q_output(fake, only.discriminator_output(fake))
    assert calls == [("stroke", 0.3)]
    with pytest.raises(ValueError, match="stroke_jitter must be in"):
        make_model("infogan", (16, 16, 1), stroke_jitter=1.5)


@pytest.mark.parametrize("critic_steps", [1, 3])
def test_wgan_gp_applies_critic_steps_per_generator_step(critic_steps):
    model = make_model("wgan_gp", (16, 16, 1), critic_steps=critic_steps)
    model.compile()
    model.fit(_dataset((16, 16, 1), n=32, batch=8), epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations) == 4
    assert int(model.d_optimizer.iterations) == 4 * critic_steps


def test_train_step_is_traced_once():
    model = make_model("dcgan", (16, 16, 1))
    model.compile()
    traces = []
    original = model.train_step

    def counting_step(data):
        traces.append(1)
        return original(data)

    model.train_step = counting_step
    model.fit(_dataset((16, 16, 1), n=48, batch=8), epochs=2, verbose=0)
    assert len(traces) == 1


def test_seeded_models_are_reproducible():
    def run():
        keras.utils.set_random_seed(3)
        model = make_model("dcgan", (16, 16, 1), seed=None)
        model.compile()
        model.fit(_dataset((16, 16, 1)), epochs=1, verbose=0, shuffle=False)
        return model.generate(4, seed=1)

    np.testing.assert_array_equal(run(), run())


def test_generate_with_seed_is_deterministic_and_leaves_model_rng_alone():
    model = make_model("infogan", (16, 16, 1))
    state = model.seed_generator.state.numpy().copy()
    a, b = model.generate(5, seed=7), model.generate(5, seed=7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(state, model.seed_generator.state.numpy())
    assert not np.array_equal(model.generate(5), model.generate(5))
    assert np.all(np.abs(a) <= 1.0)


def test_predict_runs_the_generator():
    model = make_model("gan", (8, 8, 1))
    z = np.random.normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(model.predict(z, verbose=0), model.generator(z).numpy(), atol=1e-6)


def test_infogan_generator_inputs_layout():
    model = make_model("infogan", (16, 16, 1), categorical_codes=(3, 2), continuous_codes=1)
    assert model.generator_input_dim == 8 + 3 + 2 + 1
    z = model.generator_inputs(np.zeros((2, 8)), [[2, 0], [1, 1]], [[0.5], [-0.5]]).numpy()
    np.testing.assert_array_equal(z[:, 8:], [[0, 0, 1, 1, 0, 0.5], [0, 1, 0, 0, 1, -0.5]])
    categorical, continuous = model.sample_codes(1000)
    assert categorical.numpy().min() == 0 and categorical.numpy()[:, 0].max() == 2
    assert np.all(np.abs(continuous.numpy()) <= 1.0)


def test_custom_networks_are_used_as_given():
    gen = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(64, activation="tanh"),
            keras.layers.Reshape((8, 8, 1)),
        ]
    )
    disc = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model = keras_gans.GAN(gen, disc, latent_dim=4, image_shape=(8, 8, 1))
    # Sampling runs the given generator, scoring the given discriminator.
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(model(z).numpy(), gen(z).numpy(), atol=1e-6)
    x = random_images(3, (8, 8, 1))
    scores = model.discriminator_output(x, training=False)
    np.testing.assert_allclose(scores.numpy(), disc(x).numpy(), atol=1e-6)
    before = [w.numpy().copy() for w in gen.weights + disc.weights]
    _assert_trains(model, (8, 8, 1))
    assert all(not np.array_equal(b, w.numpy()) for b, w in zip(before, gen.weights + disc.weights))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"image_shape": (20, 20, 1)}, "unsupported image shape"),
    ],
)
def test_invalid_hyperparameters_are_rejected(model_name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_model(model_name, **kwargs)


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (keras_gans.WGANGP, {"critic_steps": 0}, "critic_steps"),
        (keras_gans.WGANGP, {"gp_weight": -1.0}, "gp_weight"),
        (keras_gans.WGANGP, {"hidden_units": 0}, "hidden_units"),
        (keras_gans.DCGAN, {"hidden_units": 2.5}, "hidden_units"),
        (keras_gans.InfoGAN, {"categorical_codes": (1,)}, "categories"),
        (keras_gans.InfoGAN, {"continuous_codes": -1}, "continuous_codes"),
        (keras_gans.InfoGAN, {"continuous_weight": -0.5}, "continuous_weight"),
    ],
)
def test_invalid_model_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_compile_defaults_follow_the_papers():
    dc = make_model("dcgan", (8, 8, 1))  # all-convolutional: Radford et al.
    dc.compile()
    assert float(dc.g_optimizer.beta_1) == 0.5 and float(dc.d_optimizer.beta_1) == 0.5
    assert float(dc.g_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(dc.d_optimizer.learning_rate) == pytest.approx(2e-4)
    # With the dense layers: D at InfoGAN's 2e-4, G at 5e-4 (1e-3 collapsed a seed in five)
    g_opt, d_opt = make_model("dcgan", hidden_units=16).default_optimizers()
    assert float(g_opt.learning_rate) == pytest.approx(5e-4)
    assert float(d_opt.learning_rate) == pytest.approx(2e-4)
    wg = make_model("wgan_gp", (8, 8, 1))
    wg.compile()
    assert float(wg.d_optimizer.beta_1) == 0.5 and float(wg.d_optimizer.beta_2) == 0.9
    assert float(wg.g_optimizer.learning_rate) == pytest.approx(2e-4)
    assert wg.jit_compile is False  # "auto" on a CPU-only machine
    assert wg.optimizer is None  # no stray default optimizer
    with pytest.raises(ValueError, match="different optimizer"):
        opt = keras.optimizers.Adam()
        wg.compile(opt, opt)


def test_discriminate_concatenates_only_without_batch_norm():
    dc = make_model("wgan_gp", (16, 16, 1))
    real, fake = random_images(4, (16, 16, 1), seed=1), random_images(4, (16, 16, 1), seed=2)
    got_real, got_fake = dc.discriminate(real, fake)
    np.testing.assert_allclose(got_real, dc.discriminator(real, training=True), atol=1e-5)
    np.testing.assert_allclose(got_fake, dc.discriminator(fake, training=True), atol=1e-5)
    assert not dc._discriminator_has_batch_norm
    assert make_model("infogan", (16, 16, 1))._discriminator_has_batch_norm
    bn = make_model("dcgan", (16, 16, 1))
    assert bn._discriminator_has_batch_norm
    got_real, got_fake = bn.discriminate(real, fake)
    # Two calls: each batch normalised by its own statistics.
    np.testing.assert_allclose(got_fake, bn.discriminator(fake, training=True), atol=1e-5)
    both = bn.discriminator(np.concatenate([real, fake]), training=True)[4:]
    assert not np.allclose(got_fake, both, atol=1e-4)
