"""Default generator and discriminator builders, one per architecture family.

Batch normalisation is ``synchronized``: under a multi-replica
``tf.distribute`` strategy its statistics are those of the global batch, as
on one device (without a strategy it is plain batch norm).

The builders know nothing about objectives: they map an image shape to Keras
functional models. Generators end in a float32 ``tanh`` (images in [-1, 1]);
discriminators end in a float32 linear unit (a logit or a critic score), so
that mixed-precision training computes its losses from float32 outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

SUPPORTED_SIZES: tuple[int, ...] = (8, 16, 28, 32, 64)
SUPPORTED_CHANNELS: tuple[int, ...] = (1, 3)
CONDITIONING_MODES: tuple[str, ...] = ("projection", "concat")

# Spatial size the convolutional generator starts from, and how many times it
# doubles it, per supported image size.
_CONV_PLAN: dict[int, tuple[int, int]] = {8: (4, 1), 16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}


def validate_image_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """Return ``image_shape`` as a tuple, or raise ``ValueError`` naming the supported shapes."""
    shape = tuple(int(d) for d in image_shape)
    if (
        len(shape) != 3
        or shape[0] != shape[1]
        or shape[0] not in SUPPORTED_SIZES
        or shape[2] not in SUPPORTED_CHANNELS
    ):
        sizes = ", ".join(f"{s}x{s}" for s in SUPPORTED_SIZES)
        raise ValueError(
            f"unsupported image shape {tuple(image_shape)}: the default networks support "
            f"square images of {sizes} with 1 or 3 channels, e.g. (28, 28, 1)"
        )
    return shape


def _sn(layer: layers.Layer, spectral_norm: bool) -> layers.Layer:
    """Wrap ``layer`` in spectral normalisation (Miyato et al. 2018) when asked."""
    if not spectral_norm:
        return layer
    return layers.SpectralNormalization(layer, dtype=layer.dtype_policy, name=f"sn_{layer.name}")


def _image_output(x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    return layers.Activation("tanh", dtype="float32", name=name)(x)


def validate_conditioning(num_classes: int | None, conditioning: str = "projection") -> None:
    """Raise ``ValueError`` for a class count below 2 or an unknown conditioning mode."""
    if num_classes is not None and (
        isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2
    ):
        raise ValueError(f"num_classes must be an integer >= 2 or None, got {num_classes!r}")
    if conditioning not in CONDITIONING_MODES:
        raise ValueError(
            f"unknown conditioning {conditioning!r}: choose one of {', '.join(CONDITIONING_MODES)}"
        )


HIDDEN_UNITS = 1024
HIDDEN_UNITS_MIN_SIZE = 28


def resolve_hidden_units(hidden_units: int | str | None, image_shape: Sequence[int]) -> int | None:
    """The width of the dense layers of DCGAN's and WGAN-GP's default networks.

    ``"auto"``: :data:`HIDDEN_UNITS` (InfoGAN's MNIST layers, Chen et al. 2016)
    for images of :data:`HIDDEN_UNITS_MIN_SIZE` pixels or more, None (Radford
    et al.'s all-convolutional networks) for smaller ones, where a 1024-unit
    layer would outweigh the convolutions. Otherwise a positive integer or
    None, returned as given; anything else raises ``ValueError``.
    """
    if hidden_units == "auto":
        shape = tuple(image_shape)
        return HIDDEN_UNITS if shape and int(shape[0]) >= HIDDEN_UNITS_MIN_SIZE else None
    if hidden_units is not None and (
        isinstance(hidden_units, bool) or not isinstance(hidden_units, int) or hidden_units < 1
    ):
        raise ValueError(
            f"hidden_units must be a positive integer, None or 'auto', got {hidden_units!r}"
        )
    return hidden_units


def _generator_input(
    latent_dim: int, num_classes: int | None, embedding_dim: int
) -> tuple[keras.KerasTensor | list[keras.KerasTensor], keras.KerasTensor]:
    """The generator's inputs, and the vector its first layer reads.

    Unconditional: ``z``. Conditional: ``[z, labels]`` with a learned label
    embedding joined to ``z`` (Mirza and Osindero 2014).
    """
    z = keras.Input((latent_dim,), name="z")
    if num_classes is None:
        return z, z
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, embedding_dim, name="label_embedding")(labels)
    return [z, labels], layers.Concatenate(name="join_label")([z, embedded])


def _labels_input() -> keras.KerasTensor:
    return keras.Input((), dtype="int32", name="labels")


def _one_hot_channels(labels: keras.KerasTensor, num_classes: int, size: int) -> keras.KerasTensor:
    """One-hot labels broadcast to ``(size, size, num_classes)`` feature maps."""
    one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(labels)
    tiled = layers.RepeatVector(size * size, name="tile_labels")(one_hot)
    return layers.Reshape((size, size, num_classes), name="label_maps")(tiled)


def _output_head(
    features: keras.KerasTensor,
    labels: keras.KerasTensor | None,
    num_classes: int | None,
    conditioning: str,
    *,
    use_bias: bool,
    spectral_norm: bool,
) -> keras.KerasTensor:
    """The final linear unit; with ``projection``, plus the class projection term.

    Projection discriminator (Miyato and Koyama 2018, eq. 3):
    ``D(x, y) = psi(phi(x)) + <embed(y), phi(x)>``. The embedding is not
    spectrally normalised (Keras' wrapper needs a ``kernel``).
    """
    logits = _sn(layers.Dense(1, use_bias=use_bias, dtype="float32", name="logits"), spectral_norm)(
        features
    )
    if num_classes is None or conditioning != "projection":
        return logits
    embedded = layers.Embedding(
        num_classes, features.shape[-1], dtype="float32", name="class_projection"
    )(labels)
    projection = layers.Dot(axes=1, dtype="float32", name="projection")([embedded, features])
    return layers.Add(dtype="float32", name="conditional_logits")([logits, projection])


def mlp_generator(
    latent_dim: int,
    image_shape: Sequence[int],
    *,
    units: Sequence[int] = (256, 512, 1024),
    num_classes: int | None = None,
    label_embedding_dim: int = 32,
    name: str = "generator",
) -> keras.Model:
    """Fully connected generator of the original GAN (Goodfellow et al. 2014).

    Dense layers with batch norm and LeakyReLU, then a tanh image. With
    ``num_classes`` it takes ``[z, labels]`` and joins a label embedding to ``z``.
    """
    shape = validate_image_shape(image_shape)
    inputs, x = _generator_input(latent_dim, num_classes, label_embedding_dim)
    for i, n in enumerate(units):
        x = layers.Dense(n, name=f"dense_{i}")(x)
        x = layers.BatchNormalization(synchronized=True, name=f"bn_{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"lrelu_{i}")(x)
    x = layers.Dense(shape[0] * shape[1] * shape[2], name="dense_out")(x)
    x = layers.Reshape(shape, name="reshape")(x)
    return keras.Model(inputs, _image_output(x, "images"), name=name)


def mlp_discriminator(
    image_shape: Sequence[int],
    *,
    units: Sequence[int] = (512, 256),
    dropout: float = 0.3,
    spectral_norm: bool = False,
    num_classes: int | None = None,
    conditioning: str = "projection",
    name: str = "discriminator",
) -> keras.Model:
    """Fully connected discriminator of the original GAN: one logit per image.

    ``spectral_norm`` wraps every dense layer in ``keras.layers.SpectralNormalization``.
    With ``num_classes`` it takes ``[images, labels]``: ``conditioning="projection"``
    adds the projection term to the logit (Miyato and Koyama 2018), ``"concat"``
    joins the one-hot label to the flattened image (Mirza and Osindero 2014).
    """
    shape = validate_image_shape(image_shape)
    validate_conditioning(num_classes, conditioning)
    images = keras.Input(shape, name="images")
    labels = None if num_classes is None else _labels_input()
    x = layers.Flatten(name="flatten")(images)
    if labels is not None and conditioning == "concat":
        one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")
        x = layers.Concatenate(name="join_label")([x, one_hot(labels)])
    for i, n in enumerate(units):
        x = _sn(layers.Dense(n, name=f"dense_{i}"), spectral_norm)(x)
        x = layers.LeakyReLU(0.2, name=f"lrelu_{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
    logits = _output_head(
        x, labels, num_classes, conditioning, use_bias=True, spectral_norm=spectral_norm
    )
    return keras.Model(images if labels is None else [images, labels], logits, name=name)


def dcgan_generator(
    latent_dim: int,
    image_shape: Sequence[int],
    *,
    base_filters: int = 64,
    hidden_units: int | None = None,
    num_classes: int | None = None,
    label_embedding_dim: int = 32,
    name: str = "generator",
) -> keras.Model:
    """Convolutional generator of DCGAN (Radford et al. 2015).

    A projection to a small feature map, then stride-2 transposed convolutions
    with batch norm and ReLU, halving the filters at each doubling of the size,
    and a tanh image. ``hidden_units`` adds a dense layer (batch norm, ReLU)
    before the projection, as InfoGAN's MNIST generator has (1024). With
    ``num_classes`` it takes ``[z, labels]`` and joins a label embedding to ``z``.
    """
    shape = validate_image_shape(image_shape)
    start, doublings = _CONV_PLAN[shape[0]]
    filters = base_filters * 2 ** (doublings - 1)
    inputs, x = _generator_input(latent_dim, num_classes, label_embedding_dim)
    if hidden_units:
        x = layers.Dense(hidden_units, use_bias=False, name="hidden")(x)
        x = layers.BatchNormalization(synchronized=True, name="hidden_bn")(x)
        x = layers.ReLU(name="hidden_relu")(x)
    x = layers.Dense(start * start * filters, use_bias=False, name="project")(x)
    x = layers.BatchNormalization(synchronized=True, name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((start, start, filters), name="reshape")(x)
    for i in range(doublings - 1):
        filters //= 2
        x = layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, name=f"deconv_{i}"
        )(x)
        x = layers.BatchNormalization(synchronized=True, name=f"bn_{i}")(x)
        x = layers.ReLU(name=f"relu_{i}")(x)
    x = layers.Conv2DTranspose(shape[2], 4, strides=2, padding="same", name="deconv_out")(x)
    return keras.Model(inputs, _image_output(x, "images"), name=name)


def _conv_body(
    images: keras.KerasTensor,
    size: int,
    base_filters: int,
    spectral_norm: bool = False,
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> keras.KerasTensor:
    """Stride-2 convolutions with LeakyReLU (and dropout), then flatten.

    ``batch_norm`` normalises every convolution but the first (DCGAN's and
    InfoGAN's discriminators); never for a WGAN-GP critic.
    """
    _, doublings = _CONV_PLAN[size]
    x = images
    for i in range(doublings):
        conv = layers.Conv2D(base_filters * 2**i, 4, strides=2, padding="same", name=f"conv_{i}")
        x = _sn(conv, spectral_norm)(x)
        if batch_norm and i > 0:
            x = layers.BatchNormalization(synchronized=True, name=f"bn_{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"lrelu_{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
    return layers.Flatten(name="flatten")(x)


def _dense_hidden(
    features: keras.KerasTensor, units: int | None, batch_norm: bool, spectral_norm: bool
) -> keras.KerasTensor:
    """A dense layer (batch norm if asked) with LeakyReLU(0.2) on the flattened features."""
    if not units:
        return features
    features = _sn(layers.Dense(units, name="hidden"), spectral_norm)(features)
    if batch_norm:
        features = layers.BatchNormalization(synchronized=True, name="hidden_bn")(features)
    return layers.LeakyReLU(0.2, name="hidden_lrelu")(features)


def dcgan_discriminator(
    image_shape: Sequence[int],
    *,
    base_filters: int = 64,
    output_bias: bool = True,
    spectral_norm: bool = False,
    dropout: float = 0.0,
    batch_norm: bool = False,
    hidden_units: int | None = None,
    num_classes: int | None = None,
    conditioning: str = "projection",
    name: str = "discriminator",
) -> keras.Model:
    """Convolutional discriminator of DCGAN (Radford et al. 2015): one logit per image.

    Stride-2 convolutions with LeakyReLU(0.2). ``batch_norm=True`` adds batch
    norm after every convolution but the first, as in the DCGAN paper (the
    DCGAN model's default). Without it, it is also a valid WGAN-GP critic (the
    gradient penalty is per sample, which batch norm would break; Gulrajani et
    al. 2017, section 4). A critic wants
    ``output_bias=False``: the Wasserstein loss is invariant to a constant shift,
    so that bias would never receive a gradient. ``dropout`` follows each
    convolution (a regulariser for small data sets). ``hidden_units`` adds a
    dense layer (with batch norm when ``batch_norm``) and LeakyReLU after the
    convolutions, as in InfoGAN's MNIST discriminator (1024).

    With ``num_classes`` it takes ``[images, labels]``: ``conditioning="projection"``
    adds the projection term to the logit (Miyato and Koyama 2018), ``"concat"``
    appends one-hot label maps to the image channels (Mirza and Osindero 2014).
    """
    shape = validate_image_shape(image_shape)
    validate_conditioning(num_classes, conditioning)
    images = keras.Input(shape, name="images")
    labels = None if num_classes is None else _labels_input()
    x = images
    if labels is not None and conditioning == "concat":
        label_maps = _one_hot_channels(labels, num_classes, shape[0])
        x = layers.Concatenate(name="join_label")([images, label_maps])
    x = _conv_body(x, shape[0], base_filters, spectral_norm, dropout, batch_norm)
    x = _dense_hidden(x, hidden_units, batch_norm, spectral_norm)
    logits = _output_head(
        x, labels, num_classes, conditioning, use_bias=output_bias, spectral_norm=spectral_norm
    )
    return keras.Model(images if labels is None else [images, labels], logits, name=name)


def infogan_discriminator(
    image_shape: Sequence[int],
    *,
    categorical_codes: Sequence[int] = (10,),
    continuous_codes: int = 2,
    base_filters: int = 64,
    hidden_units: int | None = 1024,
    batch_norm: bool = True,
    q_units: int = 128,
    spectral_norm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Discriminator with InfoGAN's auxiliary Q head (Chen et al. 2016).

    The body is shared: stride-2 convolutions (batch norm after the first),
    then a dense layer of ``hidden_units`` with batch norm, as in the paper's
    MNIST network (appendix C.1). Two heads read it: the discriminator's logit
    and Q, a small MLP that predicts the latent codes.

    Returns:
        A model mapping images to ``[logits (b, 1), categorical_logits
        (b, sum(categorical_codes)), continuous_mean (b, continuous_codes)]``.
    """
    shape = validate_image_shape(image_shape)
    images = keras.Input(shape, name="images")
    features = _conv_body(images, shape[0], base_filters, spectral_norm, batch_norm=batch_norm)
    features = _dense_hidden(features, hidden_units, batch_norm, spectral_norm)
    logits = _sn(layers.Dense(1, dtype="float32", name="logits"), spectral_norm)(features)
    q = layers.Dense(q_units, name="q_dense")(features)
    q = layers.BatchNormalization(synchronized=True, name="q_bn")(q)
    q = layers.LeakyReLU(0.2, name="q_lrelu")(q)
    cat_logits = layers.Dense(
        max(sum(categorical_codes), 0), dtype="float32", name="q_categorical"
    )(q)
    cont_mean = layers.Dense(continuous_codes, dtype="float32", name="q_continuous")(q)
    return keras.Model(images, [logits, cat_logits, cont_mean], name=name)
