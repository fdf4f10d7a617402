"""Save/load round trips: networks, optimizers, compile config and RNG state."""

import keras
import numpy as np
import tensorflow as tf
from conftest import make_model, random_images

import keras_gans


def _fit(model, steps=2, shape=(16, 16, 1)):
    data = tf.data.Dataset.from_tensor_slices(random_images(8 * steps, shape)).batch(8)
    return model.fit(data, epochs=1, verbose=0)


def test_save_load_round_trip(model_name, tmp_path):
    model = make_model(model_name, (16, 16, 1))
    model.compile(jit_compile=False)
    _fit(model)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    assert type(loaded) is type(model)
    z = np.random.default_rng(0).normal(size=(4, model.generator_input_dim)).astype("float32")
    np.testing.assert_array_equal(model.generator(z).numpy(), loaded.generator(z).numpy())
    for net in ("generator", "discriminator"):
        for a, b in zip(getattr(model, net).weights, getattr(loaded, net).weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    for opt in ("g_optimizer", "d_optimizer"):
        original, restored = getattr(model, opt), getattr(loaded, opt)
        assert type(restored) is type(original)
        assert len(restored.variables) == len(original.variables) > 1
        for a, b in zip(original.variables, restored.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(
        model.seed_generator.state.numpy(), loaded.seed_generator.state.numpy()
    )
    assert loaded.get_compile_config()["jit_compile"] is False
    scalars = {
        k: v for k, v in model.get_config().items() if k not in ("generator", "discriminator")
    }
    assert scalars.items() <= loaded.get_config().items()

    # Both continue identically: same weights, same optimizer state, same RNG.
    _fit(model)
    _fit(loaded)
    np.testing.assert_allclose(model.generator(z).numpy(), loaded.generator(z).numpy(), atol=1e-5)
    assert int(loaded.g_optimizer.iterations) == 4


def test_round_trip_keeps_model_specific_arguments(tmp_path):
    model = keras_gans.InfoGAN(
        latent_dim=5,
        image_shape=(8, 8, 1),
        categorical_codes=(4, 3),
        continuous_codes=1,
        info_weight=0.5,
        continuous_weight=0.25,
        info_warmup=7,
        invariant_codes=True,
        stroke_jitter=0.25,
        jitter_continuous=True,
    )
    model.compile()
    model.save(tmp_path / "info.keras")
    loaded = keras.saving.load_model(tmp_path / "info.keras")
    assert loaded.categorical_codes == (4, 3) and loaded.continuous_codes == 1
    assert loaded.info_weight == 0.5 and loaded.generator_input_dim == 5 + 7 + 1
    assert loaded.continuous_weight == 0.25 and loaded.info_warmup == 7
    assert loaded.invariant_codes is True and loaded.stroke_jitter == 0.25
    assert loaded.jitter_continuous is True

    wgan = keras_gans.WGANGP(latent_dim=5, image_shape=(8, 8, 1), critic_steps=3, gp_weight=2.0)
    wgan.compile(g_optimizer=keras.optimizers.RMSprop(1e-3), d_optimizer="sgd")
    wgan.save(tmp_path / "wgan.keras")
    loaded = keras.saving.load_model(tmp_path / "wgan.keras")
    assert (loaded.critic_steps, loaded.gp_weight) == (3, 2.0)
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    assert isinstance(loaded.d_optimizer, keras.optimizers.SGD)
    assert float(loaded.g_optimizer.learning_rate) == np.float32(1e-3)


def test_weights_only_round_trip(tmp_path):
    model = make_model("dcgan", (16, 16, 1))
    model.compile()
    _fit(model)
    model.save_weights(tmp_path / "w.weights.h5")
    other = make_model("dcgan", (16, 16, 1), seed=5)
    other.compile()
    other.load_weights(tmp_path / "w.weights.h5")
    z = np.ones((2, 8), "float32")
    np.testing.assert_array_equal(model(z).numpy(), other(z).numpy())
    assert int(other.d_optimizer.iterations) == 2
