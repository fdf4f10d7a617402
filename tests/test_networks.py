"""Default network builders: shapes, ranges and the shape check."""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans import networks


@pytest.mark.parametrize("size", networks.SUPPORTED_SIZES)
@pytest.mark.parametrize("channels", networks.SUPPORTED_CHANNELS)
def test_conv_networks_map_latents_to_images_and_images_to_logits(size, channels):
    shape = (size, size, channels)
    gen = networks.dcgan_generator(16, shape, base_filters=8)
    disc = networks.dcgan_discriminator(shape, base_filters=8)
    images = gen(np.random.normal(size=(2, 16)).astype("float32"))
    assert tuple(images.shape) == (2, *shape)
    assert np.all(np.abs(images) <= 1.0)
    assert tuple(disc(images).shape) == (2, 1)


def test_mlp_and_infogan_networks():
    gen = networks.mlp_generator(8, (16, 16, 3), units=(32,))
    assert tuple(gen(np.zeros((3, 8), "float32")).shape) == (3, 16, 16, 3)
    disc = networks.infogan_discriminator(
        (28, 28, 1), categorical_codes=(10, 3), continuous_codes=2, base_filters=8
    )
    logits, cat, cont = disc(np.zeros((4, 28, 28, 1), "float32"))
    assert (logits.shape, cat.shape, cont.shape) == ((4, 1), (4, 13), (4, 2))
    for codes, continuous, want in [((), 2, (0, 2)), ((4,), 0, (4, 0))]:  # one kind of code
        disc = networks.infogan_discriminator(
            (16, 16, 1), categorical_codes=codes, continuous_codes=continuous, base_filters=8
        )
        _, cat, cont = disc(np.zeros((3, 16, 16, 1), "float32"))
        assert (cat.shape, cont.shape) == ((3, want[0]), (3, want[1]))


def test_hidden_dense_layers_and_the_models_defaults():
    shape = (16, 16, 1)
    d = networks.dcgan_discriminator(shape, base_filters=8, hidden_units=32, batch_norm=True)
    assert d.get_layer("hidden").units == 32
    assert isinstance(d.get_layer("hidden_bn"), keras.layers.BatchNormalization)
    critic = networks.dcgan_discriminator(shape, base_filters=8, hidden_units=32)
    assert critic.get_layer("hidden").units == 32
    assert not any(isinstance(x, keras.layers.BatchNormalization) for x in critic.layers)
    g = networks.dcgan_generator(8, shape, base_filters=8, hidden_units=32)
    assert g.get_layer("hidden").units == 32
    # "auto": InfoGAN's 1024-unit layers from 28 pixels up, none below; None removes them.
    for cls in (keras_gans.DCGAN, keras_gans.WGANGP):
        big, small = cls(image_shape=(28, 28, 1)), cls(image_shape=shape)
        assert big.generator.get_layer("hidden").units == 1024
        assert big.discriminator.get_layer("hidden").units == 1024
        assert big.get_config()["hidden_units"] == 1024
        assert small.get_config()["hidden_units"] is None
        assert "hidden" not in [x.name for x in small.generator.layers]
        assert "hidden" not in [x.name for x in small.discriminator.layers]
    plain = keras_gans.DCGAN(image_shape=(28, 28, 1), hidden_units=None)
    names = [x.name for x in plain.generator.layers + plain.discriminator.layers]
    assert "hidden" not in names


def test_critic_has_no_batch_norm():
    disc = networks.dcgan_discriminator((32, 32, 3))
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in disc.layers)


def test_outputs_are_float32_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_bfloat16")
    gen = networks.dcgan_generator(8, (16, 16, 1), base_filters=8)
    disc = networks.dcgan_discriminator((16, 16, 1), base_filters=8)
    images = gen(np.zeros((1, 8), "float32"))
    assert images.dtype == "float32"
    assert disc(images).dtype == "float32"


@pytest.mark.parametrize("shape", [(24, 24, 1), (28, 28, 2), (32, 16, 3), (28, 28)])
def test_unsupported_shapes_name_the_supported_ones(shape):
    with pytest.raises(
        ValueError, match=r"unsupported image shape.*8x8, 16x16, 28x28, 32x32, 64x64"
    ):
        networks.validate_image_shape(shape)
