"""CycleGAN: unpaired image-to-image translation (Zhu et al. 2017)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from keras_gans import losses, networks
from keras_gans.models.translation import TranslationGAN, check_weight


@keras.saving.register_keras_serializable(package="keras_gans")
class ImagePool(keras.layers.Layer):
    """The history of generated images a CycleGAN discriminator learns from (Shrivastava
    et al. 2017; Zhu et al. 2017, section 4, a pool of 50).

    :meth:`query` takes a batch of new fakes and returns a batch of the same size:
    while the pool is filling, the new images (which go in); then, per image with
    probability 1/2, a random stored image (replaced by the new one), else the
    new image. Within one batch the draws are made together, so an image stored
    by the batch is never returned by the same batch. Its state is saved with
    the model, so a resumed run continues with the same history. Under a
    ``tf.distribute`` strategy the replicas query one pool with the global batch
    (gathered from all of them), as one device would, and each keeps its slice.
    """

    def __init__(self, size: int = 50, image_shape: Sequence[int] = (1, 1, 1), **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"pool size must be a non-negative integer, got {size!r}")
        self.size, self.image_shape = int(size), tuple(int(d) for d in image_shape)
        self.images = self.add_weight(
            shape=(max(self.size, 1), *self.image_shape),
            initializer="zeros",
            trainable=False,
            # Every replica computes the same update (see query): keep the first's.
            aggregation="only_first_replica",
            name="images",
        )
        self.count = self.add_weight(
            shape=(),
            initializer="zeros",
            dtype="int32",
            trainable=False,
            aggregation="only_first_replica",
            name="count",
        )
        self.built = True

    def query(self, fakes: tf.Tensor, seed: Any) -> tf.Tensor:
        """A batch for the discriminator in place of ``fakes`` (see the class docstring)."""
        if self.size == 0:
            return fakes
        fakes = tf.cast(fakes, self.images.dtype)
        context = tf.distribute.get_replica_context()
        if tf.distribute.get_strategy().num_replicas_in_sync > 1 and context is not None:
            # Replicas hold the same seed state, so each draws what one device would for
            # the global batch, and all write the same pool.
            local = tf.shape(fakes)[0]
            out = self._query(context.all_gather(fakes, axis=0), seed)
            start = tf.cast(context.replica_id_in_sync_group, tf.int32) * local
            return out[start : start + local]
        return self._query(fakes, seed)

    def _query(self, fakes: tf.Tensor, seed: Any) -> tf.Tensor:
        n = tf.shape(fakes)[0]
        position = self.count + tf.range(n)
        filling = position < self.size
        swap = tf.logical_and(tf.logical_not(filling), keras.random.uniform((n,), seed=seed) < 0.5)
        slot = tf.where(
            filling, position, keras.random.randint((n,), 0, self.size, seed=seed, dtype="int32")
        )
        stored = tf.gather(self.images, tf.minimum(slot, self.size - 1))
        out = tf.where(swap[:, None, None, None], stored, fakes)
        write = tf.logical_or(filling, swap)
        indices = tf.boolean_mask(slot, write)[:, None]
        self.images.assign(
            tf.tensor_scatter_nd_update(self.images, indices, tf.boolean_mask(fakes, write))
        )
        self.count.assign(tf.minimum(self.count + n, self.size))
        return out

    def get_config(self) -> dict[str, Any]:
        """Size and image shape."""
        return {**super().get_config(), "size": self.size, "image_shape": list(self.image_shape)}


@keras.saving.register_keras_serializable(package="keras_gans")
class CycleGAN(TranslationGAN):
    """CycleGAN: unpaired translation between domains A and B (Zhu et al. 2017).

    Trained on ``(a, b)`` batches of unrelated images of the two domains. Two
    ResNet generators (``generator`` A to B, ``generator_ba`` B to A,
    :func:`keras_gans.networks.resnet_generator`) and two PatchGAN
    discriminators with instance norm (``discriminator_b`` judges domain B,
    ``discriminator_a`` domain A). The generators minimise the least-squares
    GAN loss (Mao et al. 2017) plus ``cycle_weight`` (lambda, 10) times the
    cycle-consistency L1 terms ``|G_BA(G_AB(a)) - a|`` and ``|G_AB(G_BA(b)) - b|``,
    plus ``identity_weight`` (0.5 lambda) times the identity terms
    ``|G_AB(b) - b|`` and ``|G_BA(a) - a|`` (only when A and B have the same
    channels); the discriminators learn from a history pool of ``pool_size``
    (50) generated images each. Adam(2e-4, beta_1=0.5); for the paper's linear
    decay compile with ``keras.optimizers.Adam(LinearDecay(2e-4, n, n))``.

    Args:
        image_shape: domain A's image shape (square, 8 to 256 pixels, a multiple of 4).
        channels_b: domain B's channels (default: A's).
        cycle_weight, identity_weight: lambda and the identity weight (None: 0.5 lambda).
        pool_size: images in each discriminator's history pool (0: none).
        blocks: residual blocks of the default generators (None: 6 below 256x256, 9 at 256).
    """

    generator_names = ("generator", "generator_ba")
    discriminator_names = ("discriminator", "discriminator_a")
    tracker_names = ("d_loss", "g_loss", "cycle", "identity", "real_score", "fake_score")
    train_options = {
        "cycle_weight": "cycle_weight",
        "identity_weight": "identity_weight",
        "pool_size": "pool_size",
        "blocks": "blocks",
        "base_filters": "base_filters",
    }

    @classmethod
    def check_options(
        cls, *, cycle_weight: float, identity_weight: float | None, pool_size: int, **others: Any
    ) -> None:
        """Raise ``ValueError`` naming a negative weight or pool size."""
        check_weight("cycle_weight", cycle_weight)
        if identity_weight is not None:
            check_weight("identity_weight", identity_weight)
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 0:
            raise ValueError(f"pool_size must be a non-negative integer, got {pool_size!r}")

    def __init__(
        self,
        generator: keras.Model | None = None,
        generator_ba: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        discriminator_a: keras.Model | None = None,
        *,
        image_shape: Sequence[int] = (256, 256, 3),
        channels_b: int | None = None,
        cycle_weight: float = 10.0,
        identity_weight: float | None = None,
        pool_size: int = 50,
        blocks: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.check_options(
            cycle_weight=cycle_weight, identity_weight=identity_weight, pool_size=pool_size
        )
        nets = {
            "generator": generator,
            "generator_ba": generator_ba,
            "discriminator": discriminator,
            "discriminator_a": discriminator_a,
        }
        shape = (
            networks.validate_translation_shape(image_shape, multiple=4)
            if any(v is None for v in nets.values())
            else tuple(image_shape)
        )
        self.channels_b = shape[2] if channels_b is None else int(channels_b)
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = (
            0.5 * self.cycle_weight if identity_weight is None else float(identity_weight)
        )
        self.pool_size, self.blocks = int(pool_size), blocks
        super().__init__(nets, image_shape=shape, **kwargs)
        self.pool_a = ImagePool(self.pool_size, shape, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, self.shape_b, name="pool_b")

    @property
    def shape_b(self) -> tuple[int, int, int]:
        """Domain B's image shape."""
        return (*self.image_shape[:2], self.channels_b)

    @property
    def discriminator_b(self) -> keras.Model:
        """The discriminator of domain B (``discriminator``, which the A-to-B generator fools)."""
        return self.discriminator

    def default_network(self, name: str) -> keras.Model:
        """ResNet generators and instance-norm PatchGAN discriminators."""
        shape_a = self.image_shape
        shape_b = (*shape_a[:2], self.channels_b)
        f = self.base_filters
        return {
            "generator": lambda: networks.resnet_generator(
                shape_a, shape_b[2], base_filters=f, blocks=self.blocks, name="generator_ab"
            ),
            "generator_ba": lambda: networks.resnet_generator(
                shape_b, shape_a[2], base_filters=f, blocks=self.blocks, name="generator_ba"
            ),
            "discriminator": lambda: networks.patch_discriminator(
                shape_b, base_filters=f, norm="instance", name="discriminator_b"
            ),
            "discriminator_a": lambda: networks.patch_discriminator(
                shape_a, base_filters=f, norm="instance", name="discriminator_a"
            ),
        }[name]()

    def translate_back(self, images: Any, batch_size: int = 64) -> Any:
        """``generator_ba`` (B to A) in inference mode, as a NumPy array."""
        network = self.inference_network("generator_ba")
        return network.predict(images, batch_size=batch_size, verbose=0)

    def grid_columns(self, a: tf.Tensor, b: tf.Tensor) -> list[Any]:
        """Grid columns: a, G_AB(a), G_BA(G_AB(a)), b, G_BA(b), G_AB(G_BA(b))."""
        g_ab, g_ba = self.inference_network(), self.inference_network("generator_ba")
        ab, ba = g_ab(a, training=False), g_ba(b, training=False)
        columns = [a, ab, g_ba(ab, training=False), b, ba, g_ab(ba, training=False)]
        return [keras.ops.convert_to_numpy(tf.cast(c, tf.float32)) for c in columns]

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        """One minibatch of CycleGAN: a step of both generators on the LSGAN, cycle and
        identity losses, then of both discriminators on real images against pooled fakes."""
        real_a, real_b = (tf.cast(x, tf.float32) for x in self.unpack_pair(data))
        g_ab, g_ba = self.generator, self.generator_ba
        d_a, d_b = self.discriminator_a, self.discriminator_b
        fakes: dict[str, tf.Tensor] = {}

        def generator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            fake_b = tf.cast(g_ab(real_a, training=True), tf.float32)
            fake_a = tf.cast(g_ba(real_b, training=True), tf.float32)
            fakes.update(a=fake_a, b=fake_b)
            adversarial = losses.least_squares_generator_loss(
                d_b(fake_b, training=True)
            ) + losses.least_squares_generator_loss(d_a(fake_a, training=True))
            cycle = losses.l1_loss(g_ba(fake_b, training=True), real_a) + losses.l1_loss(
                g_ab(fake_a, training=True), real_b
            )
            loss = adversarial + self.cycle_weight * cycle
            identity = tf.constant(0.0)
            if self.identity_weight and self.channels_b == self.image_shape[2]:
                identity = losses.l1_loss(g_ab(real_b, training=True), real_b) + losses.l1_loss(
                    g_ba(real_a, training=True), real_a
                )
                loss += self.identity_weight * identity
            return loss, {"g_loss": loss, "cycle": cycle, "identity": identity}

        logs = self.update_generators(generator_loss)
        pooled_a = self.pool_a.query(tf.stop_gradient(fakes["a"]), self.seed_generator)
        pooled_b = self.pool_b.query(tf.stop_gradient(fakes["b"]), self.seed_generator)

        def discriminator_loss() -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
            real_b_scores = d_b(real_b, training=True)
            real_a_scores = d_a(real_a, training=True)
            loss = losses.least_squares_discriminator_loss(
                real_b_scores, d_b(pooled_b, training=True)
            ) + losses.least_squares_discriminator_loss(real_a_scores, d_a(pooled_a, training=True))
            return loss, {
                "d_loss": loss,
                "real_score": 0.5 * (tf.reduce_mean(real_a_scores) + tf.reduce_mean(real_b_scores)),
                "fake_score": 0.5
                * (
                    tf.reduce_mean(d_b(fakes["b"], training=False))
                    + tf.reduce_mean(d_a(fakes["a"], training=False))
                ),
            }

        logs |= self.update_discriminators(discriminator_loss)
        return self._log(logs)

    def get_config(self) -> dict[str, Any]:
        """Configuration, with the loss weights, the pool and the domain channels."""
        return {
            **super().get_config(),
            "channels_b": self.channels_b,
            "cycle_weight": self.cycle_weight,
            "identity_weight": self.identity_weight,
            "pool_size": self.pool_size,
            "blocks": self.blocks,
        }
