"""The adversarial-loss option (non-saturating, hinge, relativistic) and R1/R2 on GAN and DCGAN."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import changed, make_model, random_images, trainable_values

import keras_gans
import train
from keras_gans import losses

SHAPE = (8, 8, 1)
OBJECTIVES = [
    {"adversarial_loss": "hinge"},
    {"adversarial_loss": "relativistic", "r1_gamma": 1.0, "r2_gamma": 1.0},
    {"r1_gamma": 2.0, "r2_gamma": 2.0, "reg_interval": 2},
]


@pytest.mark.parametrize("options", OBJECTIVES, ids=["hinge", "rp-r1-r2", "ns-r1-r2-lazy"])
@pytest.mark.parametrize("name", ["gan", "dcgan"])
def test_each_update_changes_only_its_own_network(name, options):
    for g_lr, d_lr in ((0.0, 0.1), (0.1, 0.0)):
        model = make_model(name, SHAPE, **options)
        model.compile(keras.optimizers.SGD(g_lr), keras.optimizers.SGD(d_lr))
        g0, d0 = trainable_values(model.generator), trainable_values(model.discriminator)
        model.train_on_batch(random_images(8, SHAPE))
        # The network being updated moves (the hinge loss gives D's output bias no
        # gradient while every score is inside the margins, so "any", not "all");
        # the other does not move at all.
        assert any(changed(g0, trainable_values(model.generator))) == (g_lr > 0)
        assert any(changed(d0, trainable_values(model.discriminator))) == (d_lr > 0)


def test_discriminator_loss_matches_the_losses_module_with_weighted_penalties():
    """d_loss = RpGAN loss + gamma1/2 R1 + gamma2/2 R2, recomputed outside the model."""
    model = make_model("dcgan", SHAPE, adversarial_loss="relativistic", r1_gamma=3.0, r2_gamma=5.0)
    model.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    real = tf.constant(random_images(8, SHAPE))
    logs = model.train_on_batch(real, return_dict=True)
    # Replay the step's draws: the first noise batch is the D step's fake batch.
    replay = make_model("dcgan", SHAPE, adversarial_loss="relativistic", r1_gamma=3.0, r2_gamma=5.0)
    replay.compile()
    replay.set_weights(model.get_weights())
    fake = replay.fake(replay.sample_noise(8))

    def critic(x):
        return replay.discriminator(x, training=True)

    expected_r1 = losses.r1_penalty(critic, real).numpy()
    expected_r2 = losses.r2_penalty(critic, fake).numpy()
    rp = losses.relativistic_discriminator_loss(critic(real), critic(fake)).numpy()
    assert logs["r1"] == pytest.approx(expected_r1, rel=1e-4)
    assert logs["r2"] == pytest.approx(expected_r2, rel=1e-4)
    assert logs["d_loss"] == pytest.approx(rp + 1.5 * expected_r1 + 2.5 * expected_r2, rel=1e-4)


def test_r1_shrinks_the_discriminator_input_gradient():
    """A strong R1 keeps D flat at the data: E||grad D(x)||^2 on it ends far lower."""
    x = np.full((64, *SHAPE), 0.5, np.float32) + random_images(64, SHAPE) * 0.1
    finals = {}
    for gamma in (1e-9, 1000.0):  # 1e-9: no batch norm either, so only gamma differs
        keras.utils.set_random_seed(0)
        model = make_model("dcgan", SHAPE, r1_gamma=gamma)
        model.compile()
        model.fit(x, batch_size=16, epochs=4, verbose=0, shuffle=False)
        critic = lambda images, m=model: m.discriminator(images, training=False)  # noqa: E731
        finals[gamma] = float(losses.r1_penalty(critic, x))
    # Seeds 0-3 measured 0.29-0.42.
    assert finals[1000.0] < 0.6 * finals[1e-9]


@pytest.mark.parametrize("loss", ["hinge", "relativistic"])
def test_generator_moves_towards_the_data(loss):
    """Constant-grey data: each loss pulls the generator's mean pixel from ~0 towards 0.6."""
    x = np.full((64, *SHAPE), 0.6, np.float32)
    keras.utils.set_random_seed(0)
    model = make_model("dcgan", SHAPE, adversarial_loss=loss, r1_gamma=0.1, r2_gamma=0.1)
    model.compile(*(keras.optimizers.Adam(2e-3, beta_1=0.5) for _ in range(2)))
    before = float(model.generate(64, seed=1).mean())
    model.fit(x, batch_size=16, epochs=10, verbose=0)
    after = float(model.generate(64, seed=1).mean())
    assert abs(before) < 0.05 and after > 0.2


def test_batch_norm_leaves_the_discriminator_only_with_a_penalty():
    def has_bn(model):
        return any(isinstance(la, keras.layers.BatchNormalization) for la in model.layers)

    shape = (16, 16, 1)  # two convolutions: batch norm follows the second
    assert has_bn(make_model("dcgan", shape).discriminator)
    assert has_bn(make_model("dcgan", shape, adversarial_loss="hinge").discriminator)
    assert not has_bn(make_model("dcgan", shape, r2_gamma=1.0).discriminator)


def test_save_load_keeps_the_objective_and_continues_identically(tmp_path):
    options = {"adversarial_loss": "relativistic", "r1_gamma": 1.0, "r2_gamma": 0.5}
    model = make_model("dcgan", SHAPE, reg_interval=2, ema_decay=0.9, **options)
    model.compile()
    x = random_images(32, SHAPE)
    model.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert (loaded.adversarial_loss, loaded.r1_gamma, loaded.r2_gamma) == tuple(options.values())
    assert loaded.reg_interval == 2
    np.testing.assert_array_equal(model.generate(4, seed=3), loaded.generate(4, seed=3))
    for m in (model, loaded):
        m.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_export_of_a_relativistic_model_serves_the_same_images(tmp_path):
    from keras_gans.export import export_generator

    model = make_model("gan", SHAPE, adversarial_loss="relativistic", r1_gamma=1.0)
    model.compile()
    model.fit(random_images(16, SHAPE), batch_size=8, epochs=1, verbose=0)
    path = export_generator(model, tmp_path / "exp")
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    z = tf.random.normal((3, model.latent_dim), seed=4)
    out = list(served(z=z).values())[0].numpy()
    np.testing.assert_allclose(out, model(z).numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"adversarial_loss": "wasserstein"}, "unknown adversarial loss 'wasserstein'"),
        ({"r1_gamma": -1.0}, "r1_gamma must be a non-negative number"),
        ({"r2_gamma": float("nan")}, "r2_gamma must be a non-negative number"),
        ({"reg_interval": 0}, "reg_interval must be a positive integer"),
    ],
)
def test_invalid_objective_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras_gans.DCGAN(image_shape=SHAPE, **kwargs)


FAST = ["--image-size", "8", "--batch-size", "128", "--latent-dim", "8", "--log-every", "5"]


def test_command_line_records_and_applies_the_objective(tmp_path):
    run_dir = tmp_path / "run"
    args = ["--loss", "relativistic", "--r1", "1", "--r2", "0.5", "--reg-interval", "2"]
    assert train.main([*args, "--epochs", "1", "--run-dir", str(run_dir), *FAST]) == 0
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["loss"], config["r1"], config["r2"], config["reg_interval"]) == (
        "relativistic",
        1.0,
        0.5,
        2,
    )
    model = keras.saving.load_model(run_dir / "model.keras")
    assert (model.adversarial_loss, model.r1_gamma, model.r2_gamma, model.reg_interval) == (
        "relativistic",
        1.0,
        0.5,
        2,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--loss", "wasserstein"], "invalid choice: 'wasserstein'"),
        (["--r1=-1"], "--r1 must be a non-negative number, got -1.0"),
        (["--reg-interval", "0"], "--reg-interval must be a positive integer, got 0"),
        (["--r2", "x"], "--r2: not a number: 'x'"),
        (
            ["--model", "wgan-gp", "--loss", "hinge"],
            "--loss is for gan, dcgan, pix2pix, srgan, not wgan-gp",
        ),
        (["--model", "infogan", "--r1", "1"], "--r1 is for gan, dcgan, not infogan"),
    ],
)
def test_command_line_errors_are_one_line(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        train.main([*args, "--run-dir", str(tmp_path / "r")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]
