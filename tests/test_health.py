"""EMA generator, divergence guard with rollback, mode-collapse diagnostics."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import InjectNaN, make_model, random_images

from keras_gans import callbacks, data, evaluation, networks, training
from keras_gans.cli import train as train_cli
from keras_gans.ema import GeneratorEMA
from keras_gans.export import export_generator


def test_ema_weights_follow_the_closed_form(model_name):
    decay = 0.9
    model = make_model(model_name, (8, 8, 1), ema_decay=decay)
    model.compile()
    recorded = [[w.numpy().copy() for w in model.generator.trainable_variables]]
    for step in range(3):
        model.train_on_batch(random_images(8, (8, 8, 1), seed=step))
        recorded.append([w.numpy().copy() for w in model.generator.trainable_variables])
    expected = recorded[0]
    for t in range(1, 4):
        d = min(decay, (1 + t) / (10 + t))
        expected = [d * e + (1 - d) * w for e, w in zip(expected, recorded[t])]
    for e, got in zip(expected, model.ema_generator.trainable_variables):
        np.testing.assert_allclose(got.numpy(), e, rtol=1e-5, atol=1e-6)
    # The EMA is not the generator, and sampling uses it.
    assert not np.allclose(model.ema_generator.trainable_variables[0].numpy(), recorded[-1][0])
    z = np.random.default_rng(0).normal(size=(2, model.generator_input_dim)).astype("float32")
    np.testing.assert_allclose(model(z).numpy(), model.ema_generator(z).numpy(), atol=1e-6)
    model.use_ema = False
    np.testing.assert_allclose(model(z).numpy(), model.generator(z).numpy(), atol=1e-6)


def test_ema_is_saved_restored_and_exported(tmp_path):
    model = make_model("dcgan", (8, 8, 1), ema_decay=0.5)
    model.compile()
    for step in range(2):
        model.train_on_batch(random_images(8, (8, 8, 1), seed=step))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.ema_decay == 0.5
    for a, b in zip(model.ema_generator.weights, loaded.ema_generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    target = export_generator(model, tmp_path / "export")
    served = tf.saved_model.load(str(target)).signatures["serving_default"]
    z = np.ones((2, 8), "float32")
    out = served(z=tf.constant(z))["images"].numpy()
    np.testing.assert_allclose(out, model.ema_generator(z).numpy(), atol=1e-5)
    # The raw generator gives other images: the EMA is what was exported.
    assert np.max(np.abs(out - model.generator(z).numpy())) > 1e-5


def test_ema_generator_keeps_batch_norm_statistics_of_its_own():
    generator = networks.dcgan_generator(4, (8, 8, 1))
    ema = GeneratorEMA(generator, 0.5)
    ema.reset()
    project = generator.get_layer("project")
    project.kernel.assign(project.kernel + 1.0)  # the trained generator moves away
    z = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    bn = ema.network.get_layer("project_bn")
    old_mean, old_var = bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()
    ema.update(tf.constant(100), inputs=z)
    # The average's own pre-norm activations, with its averaged kernel, set its statistics.
    averaged = ema.network.get_layer("project").kernel.numpy()
    np.testing.assert_allclose(averaged, project.kernel.numpy() - 0.5, rtol=1e-6)
    activations = z @ averaged
    m = bn.momentum
    np.testing.assert_allclose(
        bn.moving_mean.numpy(), m * old_mean + (1 - m) * activations.mean(0), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        bn.moving_variance.numpy(), m * old_var + (1 - m) * activations.var(0), rtol=1e-4
    )
    # Not the generator's statistics, which the EMA copies when it is given no inputs.
    own = generator.get_layer("project_bn")
    assert not np.allclose(bn.moving_mean.numpy(), own.moving_mean.numpy())
    ema.update(tf.constant(101))
    np.testing.assert_array_equal(bn.moving_mean.numpy(), own.moving_mean.numpy())


def test_invalid_ema_decay():
    with pytest.raises(ValueError, match="ema_decay"):
        make_model("gan", (8, 8, 1), ema_decay=1.5)


def _config(run, **kwargs) -> training.TrainConfig:
    return training.TrainConfig(
        image_size=8, batch_size=128, latent_dim=8, epochs=3, run_dir=str(run), **kwargs
    )


def test_divergence_rolls_back_to_the_last_good_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    model = training.run(_config(run), callbacks=[InjectNaN(20)]).model
    log = (run / "events.log").read_text()
    assert "d_loss became nan" in log and "rollback 1/2 to epoch 1" in log
    assert "rollback 1/2 to epoch 1" in capsys.readouterr().out
    saved = keras.saving.load_model(run / "model.keras")
    for net in (saved.generator, saved.discriminator):
        assert all(np.all(np.isfinite(w.numpy())) for w in net.weights)
    assert int(saved.g_optimizer.iterations) == 3 * (1797 // 128)
    assert float(saved.g_optimizer.learning_rate) == pytest.approx(1e-4)  # 2e-4 halved once
    assert int(model.g_optimizer.iterations) == int(saved.g_optimizer.iterations)
    assert sorted(p.name for p in (run / "samples").glob("epoch_*.png")) == [
        "epoch_001.png",
        "epoch_002.png",
        "epoch_003.png",
    ]
    events = [e for e in (run / "logs" / "events").glob("events.out.*")]
    assert events, "divergence events are logged to TensorBoard"


def test_retry_limit_ends_the_run_with_a_clear_message(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    with pytest.raises(training.TrainingDiverged, match="1 rollback\\(s\\) did not help") as e:
        training.run(_config(run, max_retries=1), callbacks=[InjectNaN(20, times=5)])
    assert (run / "checkpoints" / "epoch_001.keras").is_file()
    # The command reports it in one line and exits with status 3.
    monkeypatch.setattr(training, "run", lambda config: (_ for _ in ()).throw(e.value))
    assert train_cli.main(["--run-dir", str(run)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "1 rollback(s) did not help" in err.strip().splitlines()[-1]


def test_diversity_statistic():
    real = next(iter(data.load_dataset("digits", batch_size=64, seed=0))).numpy()
    other = next(iter(data.load_dataset("digits", batch_size=64, seed=1))).numpy()
    collapsed = np.repeat(real[:1], 64, axis=0)
    assert evaluation.pairwise_diversity(collapsed) == pytest.approx(0, abs=1e-6)
    ratio = evaluation.pairwise_diversity(other) / evaluation.pairwise_diversity(real)
    assert 0.9 < ratio < 1.1


def test_diagnostics_detect_a_collapsed_generator():
    real = next(iter(data.load_dataset("digits", image_size=8, batch_size=32, seed=0))).numpy()
    constant = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(64, kernel_initializer="zeros", bias_initializer="ones"),
            keras.layers.Reshape((8, 8, 1)),
        ]
    )
    template = make_model("gan", (8, 8, 1), latent_dim=4)
    model = type(template)(constant, template.discriminator, latent_dim=4, image_shape=(8, 8, 1))
    model.compile()
    classifier = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    diag = callbacks.Diagnostics(real, classifier=classifier)
    diag.set_model(model)
    diag.on_train_begin()
    values = diag.compute()
    assert values["diversity_fake"] == pytest.approx(0.0, abs=1e-6)
    assert values["diversity_real"] > 0.3 and values["diversity_ratio"] < 1e-5
    assert values["class_entropy"] == pytest.approx(0.0)  # one image, one class
    # The discriminator's accuracies: the share of real logits > 0 and of fake logits <= 0.
    real_logits = model.discriminator(real, training=False).numpy().ravel()
    fake_logits = model.discriminator(np.ones((32, 8, 8, 1), "float32"), training=False).numpy()
    assert values["d_acc_real"] == pytest.approx(np.mean(real_logits > 0))
    assert values["d_acc_fake"] == pytest.approx(np.mean(fake_logits.ravel() <= 0))
