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

import math
from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

SUPPORTED_SIZES: tuple[int, ...] = (8, 16, 28, 32, 64)
# Further sizes of the image-to-image networks (which take any multiple of 4 from 8 to 256).
TRANSLATION_SIZES: tuple[int, ...] = (128, 256)
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

    def head(units: int, head_name: str):
        if units:
            return layers.Dense(units, dtype="float32", name=head_name)(q)
        return keras.ops.cast(q[:, :0], "float32")  # no codes of this kind: an empty head

    cat_logits = head(sum(categorical_codes), "q_categorical")
    cont_mean = head(continuous_codes, "q_continuous")
    return keras.Model(images, [logits, cat_logits, cont_mean], name=name)


# --------------------------------------------------------------- image to image
TRANSLATION_MIN_SIZE, TRANSLATION_MAX_SIZE = 8, 256


def validate_translation_shape(image_shape: Sequence[int], multiple: int = 4) -> tuple[int, ...]:
    """``image_shape`` as a tuple, or ``ValueError`` naming what image-to-image networks take.

    Square images of 8 to 256 pixels whose side is a multiple of ``multiple``
    (the generator's total downsampling), with 1 or 3 channels.
    """
    shape = tuple(int(d) for d in image_shape)
    if (
        len(shape) != 3
        or shape[0] != shape[1]
        or not TRANSLATION_MIN_SIZE <= shape[0] <= TRANSLATION_MAX_SIZE
        or shape[0] % multiple
        or shape[2] not in SUPPORTED_CHANNELS
    ):
        raise ValueError(
            f"unsupported image shape {tuple(image_shape)}: the image-to-image networks take "
            f"square images of {TRANSLATION_MIN_SIZE} to {TRANSLATION_MAX_SIZE} pixels, a "
            f"multiple of {multiple}, with 1 or 3 channels, e.g. (32, 32, 3)"
        )
    return shape


def _norm(kind: str, name: str) -> layers.Layer:
    """Synchronized batch norm, or instance norm (group norm with one group per channel)."""
    if kind == "batch":
        return layers.BatchNormalization(synchronized=True, name=name)
    if kind == "instance":
        return layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)
    raise ValueError(f"unknown normalisation {kind!r}: choose batch or instance")


def unet_generator(
    image_shape: Sequence[int],
    out_channels: int | None = None,
    *,
    base_filters: int = 64,
    dropout: float = 0.5,
    seed: int | None = None,
    name: str = "generator",
) -> keras.Model:
    """Pix2Pix's U-Net generator (Isola et al. 2017, appendix 6.1.1).

    Encoder: stride-2 4x4 convolutions with batch norm (none on the first and
    the innermost layer) and LeakyReLU(0.2), filters doubling from
    ``base_filters`` up to 8x; it halves the image down to 1x1 for sides that
    are powers of two (8 levels at 256), fewer where the side stops being even.
    Decoder: stride-2 transposed convolutions with batch norm and ReLU, each
    joined to its mirror encoder layer by a skip connection; ``dropout`` on
    the three innermost decoder layers is the model's noise source (the paper
    has no noise input). Images in [-1, 1], float32 ``tanh``.
    """
    shape = validate_translation_shape(image_shape, multiple=2)
    out_channels = shape[2] if out_channels is None else int(out_channels)
    depth, size = 0, shape[0]
    while size % 2 == 0 and size > 1 and depth < 8:
        size, depth = size // 2, depth + 1
    inputs = keras.Input(shape, name="images")
    x, skips = inputs, []
    for i in range(depth):
        filters = base_filters * min(2**i, 8)
        x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False, name=f"down_{i}")(
            x
        )
        if 0 < i < depth - 1:
            x = _norm("batch", f"down_bn_{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"down_lrelu_{i}")(x)
        skips.append(x)
    for i in reversed(range(depth - 1)):
        filters = base_filters * min(2**i, 8)
        x = layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, name=f"up_{i}"
        )(x)
        x = _norm("batch", f"up_bn_{i}")(x)
        if dropout and i >= depth - 4:
            x = layers.Dropout(
                dropout, seed=None if seed is None else seed + i, name=f"up_dropout_{i}"
            )(x)
        x = layers.ReLU(name=f"up_relu_{i}")(x)
        x = layers.Concatenate(name=f"skip_{i}")([x, skips[i]])
    x = layers.Conv2DTranspose(out_channels, 4, strides=2, padding="same", name="up_out")(x)
    return keras.Model(inputs, _image_output(x, "translated"), name=name)


def patch_discriminator(
    image_shape: Sequence[int],
    condition_channels: int = 0,
    *,
    base_filters: int = 64,
    norm: str = "batch",
    name: str = "discriminator",
) -> keras.Model:
    """PatchGAN discriminator (Isola et al. 2017, appendix 6.1.2): one logit per patch.

    4x4 convolutions C64-C128-C256 with stride 2 (fewer for small images:
    the side is halved at most down to about 1/8, never below 4 pixels), then
    C512 with stride 1 and a 1-channel convolution: at 256x256 each output
    scores a 70x70 patch. No norm on the first layer; ``norm`` ("batch" for
    Pix2Pix, "instance" for CycleGAN) on the others; LeakyReLU(0.2).

    With ``condition_channels`` > 0 it takes ``[condition, images]`` and
    scores their channel-wise concatenation (Pix2Pix's conditional D).
    """
    shape = validate_translation_shape(image_shape, multiple=1)
    strided = max(1, min(3, shape[0].bit_length() - 3))
    images = keras.Input(shape, name="images")
    inputs: list[keras.KerasTensor] | keras.KerasTensor = images
    x = images
    if condition_channels:
        condition = keras.Input((*shape[:2], condition_channels), name="condition")
        inputs = [condition, images]
        x = layers.Concatenate(name="join_condition")([condition, images])
    for i in range(strided + 1):
        stride = 2 if i < strided else 1
        x = layers.Conv2D(
            base_filters * min(2**i, 8), 4, strides=stride, padding="same", name=f"conv_{i}"
        )(x)
        if i > 0:
            x = _norm(norm, f"norm_{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"lrelu_{i}")(x)
    x = layers.Conv2D(1, 4, padding="same", name="patch_logits")(x)
    logits = layers.Activation("linear", dtype="float32", name="logits")(x)
    return keras.Model(inputs, logits, name=name)


def resnet_generator(
    image_shape: Sequence[int],
    out_channels: int | None = None,
    *,
    base_filters: int = 64,
    blocks: int | None = None,
    name: str = "generator",
) -> keras.Model:
    """CycleGAN's ResNet generator (Zhu et al. 2017, appendix 7.2; Johnson et al. 2016).

    c7s1-64, d128, d256, ``blocks`` residual blocks of 256 filters (6 below
    256x256, 9 at 256, as in the paper), u128, u64, c7s1-C with tanh; instance
    norm and ReLU throughout (filters scale with ``base_filters``).
    """
    shape = validate_translation_shape(image_shape, multiple=4)
    out_channels = shape[2] if out_channels is None else int(out_channels)
    blocks = (9 if shape[0] >= 256 else 6) if blocks is None else int(blocks)
    inputs = keras.Input(shape, name="images")
    x = layers.Conv2D(base_filters, 7, padding="same", use_bias=False, name="c7s1")(inputs)
    x = layers.ReLU(name="c7s1_relu")(_norm("instance", "c7s1_norm")(x))
    for i in (1, 2):
        x = layers.Conv2D(
            base_filters * 2**i, 3, strides=2, padding="same", use_bias=False, name=f"down_{i}"
        )(x)
        x = layers.ReLU(name=f"down_relu_{i}")(_norm("instance", f"down_norm_{i}")(x))
    for b in range(blocks):
        y = layers.Conv2D(base_filters * 4, 3, padding="same", use_bias=False, name=f"res_{b}_a")(x)
        y = layers.ReLU(name=f"res_{b}_relu")(_norm("instance", f"res_{b}_norm_a")(y))
        y = layers.Conv2D(base_filters * 4, 3, padding="same", use_bias=False, name=f"res_{b}_b")(y)
        x = layers.Add(name=f"res_{b}")([x, _norm("instance", f"res_{b}_norm_b")(y)])
    for i in (1, 0):
        x = layers.Conv2DTranspose(
            base_filters * 2**i, 3, strides=2, padding="same", use_bias=False, name=f"up_{i}"
        )(x)
        x = layers.ReLU(name=f"up_relu_{i}")(_norm("instance", f"up_norm_{i}")(x))
    x = layers.Conv2D(out_channels, 7, padding="same", name="c7s1_out")(x)
    return keras.Model(inputs, _image_output(x, "translated"), name=name)


@keras.saving.register_keras_serializable(package="keras_gans")
class PixelShuffle(layers.Layer):
    """Sub-pixel upsampling (Shi et al. 2016): depth to space by ``factor``."""

    def __init__(self, factor: int = 2, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, x):
        """Rearrange ``factor**2`` channel groups into a ``factor``-times larger image."""
        return keras.ops.depth_to_space(x, self.factor)

    def compute_output_shape(self, input_shape):
        """Side times ``factor``, channels divided by ``factor**2``."""
        n, h, w, c = input_shape
        f = self.factor
        return (n, None if h is None else h * f, None if w is None else w * f, c // (f * f))

    def get_config(self) -> dict:
        """The factor."""
        return {**super().get_config(), "factor": self.factor}


def superresolution_generator(
    image_shape: Sequence[int],
    scale: int = 4,
    *,
    base_filters: int = 64,
    blocks: int = 8,
    residual_scale: float = 0.2,
    name: str = "generator",
) -> keras.Model:
    """Super-resolution generator: residual blocks, then sub-pixel upsampling.

    SRGAN's layout (Ledig et al. 2017) without batch norm and with residual
    scaling (``residual_scale``), as ESRGAN found better and steadier (Wang et
    al. 2018): a 9x9 convolution, ``blocks`` residual blocks (3x3 conv,
    LeakyReLU, 3x3 conv, scaled, skip), a skip over all of them, one 3x3
    convolution and :class:`PixelShuffle` x2 per doubling, and a 9x9 convolution.
    That last one starts at zero and is added to a bilinear upsampling of the
    input, so the network starts as bilinear upsampling and learns the missing
    detail. Its output is linear, as in EDSR and ESRGAN: a tanh output, pushed by
    the pixel loss towards the background's -1, saturates within a few dozen
    steps and stops learning; :class:`keras_gans.SRGAN` clips to [-1, 1] at
    inference. ``image_shape`` is the high-resolution shape; the input is
    ``image_shape[0] // scale`` pixels square.
    """
    if scale not in (2, 4, 8):
        raise ValueError(f"scale must be 2, 4 or 8, got {scale!r}")
    shape = validate_translation_shape(image_shape, multiple=scale)
    inputs = keras.Input((shape[0] // scale, shape[1] // scale, shape[2]), name="low_resolution")
    head = layers.Conv2D(base_filters, 9, padding="same", name="head")(inputs)
    head = layers.LeakyReLU(0.2, name="head_lrelu")(head)
    x = head
    for b in range(blocks):
        y = layers.Conv2D(base_filters, 3, padding="same", name=f"res_{b}_a")(x)
        y = layers.LeakyReLU(0.2, name=f"res_{b}_lrelu")(y)
        y = layers.Conv2D(base_filters, 3, padding="same", name=f"res_{b}_b")(y)
        y = layers.Rescaling(residual_scale, name=f"res_{b}_scale")(y)
        x = layers.Add(name=f"res_{b}")([x, y])
    x = layers.Conv2D(base_filters, 3, padding="same", name="body_out")(x)
    x = layers.Add(name="body_skip")([head, x])
    for i in range(scale.bit_length() - 1):
        x = layers.Conv2D(base_filters * 4, 3, padding="same", name=f"upsample_{i}")(x)
        x = PixelShuffle(2, name=f"pixel_shuffle_{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"upsample_lrelu_{i}")(x)
    detail = layers.Conv2D(shape[2], 9, padding="same", kernel_initializer="zeros", name="tail")(x)
    coarse = layers.UpSampling2D(scale, interpolation="bilinear", name="bilinear")(inputs)
    x = layers.Add(name="add_detail")([coarse, detail])
    return keras.Model(
        inputs, layers.Activation("linear", dtype="float32", name="high_resolution")(x), name=name
    )


# ---------------------------------------------------------------------- R3GAN
# Huang, Gokaslan, Kuleshov and Tompkin 2024, "The GAN is dead; long live the
# GAN! A Modern GAN Baseline", section 3 and the authors' Networks.py: residual
# stages with a 1-3-1 inverted bottleneck and grouped 3x3 convolutions, no
# normalisation, fix-up initialisation, bilinear-filter resampling.

LEAKY_SLOPE = 0.2
LEAKY_GAIN = math.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2))  # keeps the variance through leaky ReLU
R3GAN_BASIS: dict[int, tuple[int, int]] = {
    8: (4, 2),
    16: (4, 3),
    28: (7, 3),
    32: (4, 4),
    64: (4, 5),
}
_LOWPASS = (1.0, 3.0, 3.0, 1.0)  # the authors' [1, 2, 1] filter convolved with [1, 1]


def _msr(gain: float, fan_in: int) -> keras.initializers.Initializer:
    """He-style initialisation ``N(0, gain^2 / fan_in)``; zeros for gain 0."""
    if gain == 0:
        return keras.initializers.Zeros()
    return keras.initializers.RandomNormal(stddev=gain / math.sqrt(fan_in))


def _conv(filters: int, kernel: int, fan_in: int, gain: float, name: str) -> layers.Layer:
    return layers.Conv2D(
        filters, kernel, padding="same", use_bias=False, kernel_initializer=_msr(gain, fan_in),
        name=name,
    )  # fmt: skip


@keras.saving.register_keras_serializable(package="keras_gans")
class GroupedConv2D(layers.Layer):
    """A grouped convolution (no bias, "same" padding) run as one block-diagonal convolution.

    It holds a grouped convolution's weights, ``(k, k, channels / groups,
    filters)``, and convolves with them laid out block-diagonally. On CPU,
    TensorFlow has no grouped convolution kernel: Keras' ``Conv2D(groups=...)``
    falls back to XLA, which measured 30x slower than this on a 2-core CPU
    (``benchmarks/r3gan_speed.py``), and XLA inside a replica fails under
    ``tf.distribute``.
    """

    def __init__(self, filters: int, kernel_size: int, groups: int, gain: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.groups, self.gain = int(groups), float(gain)
        if self.filters % self.groups:
            raise ValueError(f"filters ({filters}) must be a multiple of groups ({groups})")

    def build(self, input_shape):
        """The grouped kernel, MSR-initialised for its fan-in (k * k * channels / groups)."""
        channels = input_shape[-1]
        if channels % self.groups:
            raise ValueError(f"input channels ({channels}) must be a multiple of groups")
        per_group = channels // self.groups
        k = self.kernel_size
        self.kernel = self.add_weight(
            shape=(k, k, per_group, self.filters),
            initializer=_msr(self.gain, k * k * per_group),
            name="kernel",
        )
        rows = np.arange(channels)[:, None] // per_group
        cols = np.arange(self.filters)[None, :] // (self.filters // self.groups)
        self.mask = (rows == cols).astype("float32")

    def call(self, x):
        """Convolve ``x`` with the block-diagonal kernel."""
        ops = keras.ops
        kernel = ops.tile(ops.cast(self.kernel, x.dtype), (1, 1, self.groups, 1))
        return ops.conv(x, kernel * ops.cast(self.mask, x.dtype), padding="same")

    def compute_output_shape(self, input_shape):
        """Same height and width, ``filters`` channels."""
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict:
        """Filters, kernel size, groups and initialisation gain."""
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "groups": self.groups,
            "gain": self.gain,
        }


@keras.saving.register_keras_serializable(package="keras_gans")
class BiasedLeakyReLU(layers.Layer):
    """A learned per-channel bias, then leaky ReLU (slope 0.2): R3GAN's only non-linearity."""

    def build(self, input_shape):
        """One bias per channel, starting at zero."""
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, x):
        """``leaky_relu(x + bias)``."""
        return keras.ops.leaky_relu(x + keras.ops.cast(self.bias, x.dtype), LEAKY_SLOPE)


@keras.saving.register_keras_serializable(package="keras_gans")
class Resample(layers.Layer):
    """Interpolative 2x up- or down-sampling with the ``[1, 3, 3, 1]`` low-pass filter.

    R3GAN's resampling (StyleGAN2's upfirdn2d with that filter): upsampling
    inserts zeros and filters (gain 4), which is bilinear interpolation with
    half-pixel centres; downsampling filters and keeps every second pixel.
    """

    def __init__(self, mode: str, **kwargs) -> None:
        super().__init__(**kwargs)
        if mode not in ("up", "down"):
            raise ValueError(f"mode must be 'up' or 'down', got {mode!r}")
        self.mode = mode

    def call(self, x):
        """Resample each channel of ``x`` (NHWC) on its own, one axis at a time."""
        for axis in (1, 2):
            x = self._up(x, axis) if self.mode == "up" else self._down(x, axis)
        return x

    @staticmethod
    def _shift(x, axis: int, by: int):
        """``x`` moved one pixel along ``axis`` (``by`` = 1 or -1), a zero shifted in
        (upfirdn2d's padding). Pad and split, not slice: under XLA the gradient of a
        slice has no gradient of its own, which R1 and R2 need."""
        ops, n = keras.ops, x.shape[axis]
        pad = [[0, 0]] * 4
        pad[axis] = [1, 0] if by > 0 else [0, 1]
        head, tail = ops.split(ops.pad(x, pad), [n] if by > 0 else [1], axis=axis)
        return head if by > 0 else tail

    def _up(self, x, axis: int):
        # out[2i] = (x[i-1] + 3 x[i]) / 4, out[2i+1] = (3 x[i] + x[i+1]) / 4
        ops = keras.ops
        even = (self._shift(x, axis, 1) + 3.0 * x) / 4.0
        odd = (3.0 * x + self._shift(x, axis, -1)) / 4.0
        both = ops.stack([even, odd], axis=axis + 1)
        shape = list(x.shape)
        shape[0], shape[axis] = -1, 2 * shape[axis]
        return ops.reshape(both, shape)

    def _down(self, x, axis: int):
        # out[j] = (x[2j-1] + 3 x[2j] + 3 x[2j+1] + x[2j+2]) / 8
        ops = keras.ops
        if x.shape[axis] % 2:
            pad = [[0, 0]] * 4
            pad[axis] = [0, 1]
            x = ops.pad(x, pad)
        shape = list(x.shape)
        shape[0], shape[axis] = -1, shape[axis] // 2
        shape.insert(axis + 1, 2)
        pairs = ops.reshape(x, shape)
        a, b = (ops.squeeze(half, axis + 1) for half in ops.split(pairs, 2, axis=axis + 1))
        return (self._shift(b, axis, 1) + 3.0 * (a + b) + self._shift(a, axis, -1)) / 8.0

    def compute_output_shape(self, input_shape):
        """Height and width doubled (``up``) or halved, rounding up (``down``)."""
        n, h, w, c = input_shape
        if self.mode == "up":
            return (n, 2 * h, 2 * w, c)
        return (n, (h + 1) // 2, (w + 1) // 2, c)

    def get_config(self) -> dict:
        """The mode."""
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="keras_gans")
class GenerativeBasis(layers.Layer):
    """R3GAN's first generator layer: a learned ``size x size`` basis per channel, scaled by
    a linear map of the input vector."""

    def __init__(self, channels: int, size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.channels, self.size = int(channels), int(size)

    def build(self, input_shape):
        """The basis, ``N(0, 1)``, and the linear map (MSR initialisation)."""
        self.basis = self.add_weight(
            shape=(self.size, self.size, self.channels),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="basis",
        )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.channels),
            initializer=_msr(1.0, input_shape[-1]),
            name="kernel",
        )

    def call(self, z):
        """``basis * (z @ kernel)``, broadcast over the basis' pixels."""
        scale = keras.ops.matmul(z, keras.ops.cast(self.kernel, z.dtype))
        return keras.ops.cast(self.basis, z.dtype)[None] * scale[:, None, None, :]

    def compute_output_shape(self, input_shape):
        """``(batch, size, size, channels)``."""
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self) -> dict:
        """Channels and size."""
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.saving.register_keras_serializable(package="keras_gans")
class ClipAtInference(layers.Layer):
    """The identity while training, a clip to [-1, 1] at inference.

    R3GAN's generator ends linearly (no tanh), and its authors clamp images to
    the data range when they save them; this keeps the package's contract that
    sampled and exported images lie in [-1, 1] without changing training.
    """

    def call(self, x, training=None):
        """``x`` when training, else ``clip(x, -1, 1)``."""
        return x if training else keras.ops.clip(x, -1.0, 1.0)


def r3gan_widths(width: int, stages: int, min_width: int = 16) -> list[int]:
    """Channels per stage, coarsest first: ``width`` halved at each doubling of the size,
    down to ``min_width`` (or ``width`` if smaller), as the paper's larger-image configurations
    narrow their high-resolution stages; it keeps the full-resolution stages cheap on a CPU."""
    return [max(width >> i, min(width, min_width)) for i in range(stages)]


def r3gan_residual_block(
    x: keras.KerasTensor, total_blocks: int, expansion: int, group_channels: int, name: str
) -> keras.KerasTensor:
    """``x + branch(x)``: 1x1 expand, grouped 3x3, 1x1 project, biased leaky ReLU between.

    Fix-up initialisation (Huang et al. 2024, section 3.2): the projection
    starts at zero, so the block is the identity at initialisation; the two
    other layers are scaled by ``total_blocks ** (-1/4)`` (``L^(-1/(2m-2))``
    with m = 3 layers) so that the trained branches add little variance.
    """
    channels = x.shape[-1]
    wide = channels * expansion
    groups = max(1, wide // group_channels)
    gain = LEAKY_GAIN * total_blocks ** (-1.0 / 4.0)
    y = _conv(wide, 1, channels, gain, f"{name}_expand")(x)
    y = BiasedLeakyReLU(name=f"{name}_act1")(y)
    y = GroupedConv2D(wide, 3, groups, gain, name=f"{name}_grouped")(y)
    y = BiasedLeakyReLU(name=f"{name}_act2")(y)
    y = _conv(channels, 1, wide, 0.0, f"{name}_project")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def r3gan_generator(
    latent_dim: int,
    image_shape: Sequence[int],
    *,
    width: int = 32,
    blocks_per_stage: int = 2,
    expansion: int = 2,
    group_channels: int = 16,
    num_classes: int | None = None,
    name: str = "generator",
) -> keras.Model:
    """R3GAN's generator (Huang et al. 2024); stage widths from :func:`r3gan_widths`.

    A generative basis at the starting size (4x4, or 7x7 for 28-pixel
    images), ``blocks_per_stage`` residual blocks per stage, bilinear 2x
    upsampling between stages and a 1x1 convolution to the image. With
    ``num_classes`` the input is ``[z, labels]`` and a learned class embedding
    of ``latent_dim`` values is joined to ``z`` (the authors' code). The output
    is linear while training and clipped to [-1, 1] at inference.
    """
    shape = validate_image_shape(image_shape)
    start, stages = R3GAN_BASIS[shape[0]]
    total = stages * blocks_per_stage
    z = keras.Input((latent_dim,), name="z")
    inputs, x = z, z
    if num_classes is not None:
        labels = _labels_input()
        embedded = layers.Embedding(
            num_classes,
            latent_dim,
            embeddings_initializer=_msr(1.0, num_classes),
            name="label_embedding",
        )(labels)
        inputs, x = [z, labels], layers.Concatenate(name="join_label")([z, embedded])
    widths = r3gan_widths(width, stages)
    x = GenerativeBasis(widths[0], start, name="basis")(x)
    for stage in range(stages):
        if stage:
            if widths[stage] != widths[stage - 1]:
                x = _conv(widths[stage], 1, widths[stage - 1], 1.0, f"g{stage}_narrow")(x)
            x = Resample("up", name=f"up_{stage}")(x)
        for block in range(blocks_per_stage):
            x = r3gan_residual_block(x, total, expansion, group_channels, f"g{stage}_{block}")
    x = layers.Conv2D(
        shape[2], 1, use_bias=False, kernel_initializer=_msr(1.0, widths[-1]),
        dtype="float32", name="to_image",
    )(x)  # fmt: skip
    return keras.Model(inputs, ClipAtInference(dtype="float32", name="images")(x), name=name)


def r3gan_discriminator(
    image_shape: Sequence[int],
    *,
    width: int = 32,
    blocks_per_stage: int = 2,
    expansion: int = 2,
    group_channels: int = 16,
    num_classes: int | None = None,
    name: str = "discriminator",
) -> keras.Model:
    """R3GAN's discriminator (Huang et al. 2024), the generator's mirror image.

    A 1x1 convolution from the image, residual stages with bilinear 2x
    downsampling after each but the last, then the discriminative basis (a
    depthwise convolution over the whole 4x4 or 7x7 map) and a linear logit.
    Conditional (``num_classes``): the basis gives ``width`` features and the
    logit is their dot product with a learned class embedding (the authors' code).
    """
    shape = validate_image_shape(image_shape)
    start, stages = R3GAN_BASIS[shape[0]]
    total = stages * blocks_per_stage
    widths = r3gan_widths(width, stages)[::-1]
    images = keras.Input(shape, name="images")
    x = _conv(widths[0], 1, shape[2], 1.0, "from_image")(images)
    for stage in range(stages):
        for block in range(blocks_per_stage):
            x = r3gan_residual_block(x, total, expansion, group_channels, f"d{stage}_{block}")
        if stage < stages - 1:
            x = Resample("down", name=f"down_{stage}")(x)
            if widths[stage + 1] != widths[stage]:
                x = _conv(widths[stage + 1], 1, widths[stage], 1.0, f"d{stage}_widen")(x)
    x = layers.DepthwiseConv2D(
        start, use_bias=False, depthwise_initializer=_msr(1.0, start * start), name="basis"
    )(x)
    x = layers.Flatten(name="flatten")(x)
    out_dim = 1 if num_classes is None else width
    out = layers.Dense(
        out_dim, use_bias=False, kernel_initializer=_msr(1.0, width), dtype="float32",
        name="logits" if num_classes is None else "features",
    )(x)  # fmt: skip
    if num_classes is None:
        return keras.Model(images, out, name=name)
    labels = _labels_input()
    embedded = layers.Embedding(
        num_classes,
        width,
        embeddings_initializer=_msr(1.0 / math.sqrt(width), num_classes),
        dtype="float32",
        name="class_embedding",
    )(labels)
    logits = layers.Dot(axes=1, dtype="float32", name="logits")([out, embedded])
    return keras.Model([images, labels], logits, name=name)
