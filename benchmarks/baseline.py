"""Reference train steps written the keras.io way, for the throughput comparison.

These are deliberately plain: two ``GradientTape`` blocks per step, the critic
loop with a fresh tape per critic update, separate discriminator calls on real
and fake batches. The maths is the package's: the same losses, uniform
interpolation coefficients per sample for the gradient penalty, the same
number of critic steps. Only the engine differs.

Also here: the keras.io WGAN-GP networks (28x28x1 padded to 32x32), used by
both the baseline and the package in the WGAN-GP comparison.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import layers


def kerasio_wgan_critic() -> keras.Model:
    """keras.io WGAN-GP critic: four 5x5 stride-2 convs (64..512), LeakyReLU 0.2, dropout."""
    images = keras.Input((28, 28, 1))
    x = layers.ZeroPadding2D((2, 2))(images)
    for i, filters in enumerate((64, 128, 256, 512)):
        x = layers.Conv2D(filters, 5, strides=2, padding="same", use_bias=i != 0)(x)
        x = layers.LeakyReLU(0.2)(x)
        if i in (1, 2):
            x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    return keras.Model(images, layers.Dense(1, dtype="float32")(x), name="critic")


def kerasio_wgan_generator(latent_dim: int = 128) -> keras.Model:
    """keras.io WGAN-GP generator: dense to 4x4x256, three upsample+conv blocks, crop to 28."""
    z = keras.Input((latent_dim,))
    x = layers.Dense(4 * 4 * 256, use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 256))(x)
    for i, filters in enumerate((128, 64, 1)):
        x = layers.UpSampling2D((2, 2))(x)
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x) if i < 2 else layers.Activation("tanh", dtype="float32")(x)
    x = layers.Cropping2D((2, 2))(x)
    return keras.Model(z, x, name="generator")


class BaselineGAN(keras.Model):
    """keras.io "Customizing what happens in fit()" GAN step, non-saturating loss.

    ``discriminator`` may return a tuple; then only the first output is used
    (InfoGAN's comparison uses :class:`BaselineInfoGAN`).
    """

    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.seed_generator = keras.random.SeedGenerator(0)
        self.d_tracker = keras.metrics.Mean(name="d_loss")
        self.g_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer):
        super().compile(optimizer=None)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def metrics(self):
        return [self.d_tracker, self.g_tracker]

    def _logits(self, images):
        out = self.discriminator(images, training=True)
        return out[0] if isinstance(out, (list, tuple)) else out

    def train_step(self, real):
        batch = tf.shape(real)[0]
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            real_logits, fake_logits = self._logits(real), self._logits(fake)
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(
                tf.nn.softplus(fake_logits)
            )
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-self._logits(self.generator(z, training=True))))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_tracker.update_state(d_loss)
        self.g_tracker.update_state(g_loss)
        return {"d_loss": self.d_tracker.result(), "g_loss": self.g_tracker.result()}


class BaselineInfoGAN(BaselineGAN):
    """The same keras.io-style step plus InfoGAN's information term (Chen et al. 2016).

    The generator reads ``[noise, one-hot category, continuous codes]``; the
    discriminator returns ``[logits, category logits, continuous means]`` (Q
    shares its body). Both steps add ``info_weight`` times the code
    reconstruction loss on the fake batch: cross-entropy for the category,
    unit-variance Gaussian negative log-likelihood for the continuous codes.
    """

    def __init__(self, generator, discriminator, noise_dim, categories, continuous, info_weight):
        super().__init__(generator, discriminator, noise_dim + categories + continuous)
        self.noise_dim, self.categories, self.continuous = noise_dim, categories, continuous
        self.info_weight = info_weight

    def _inputs(self, batch):
        noise = keras.random.normal((batch, self.noise_dim), seed=self.seed_generator)
        category = keras.random.randint((batch,), 0, self.categories, seed=self.seed_generator)
        one_hot = tf.one_hot(category, self.categories)
        codes = keras.random.uniform((batch, self.continuous), -1.0, 1.0, seed=self.seed_generator)
        return tf.concat([noise, one_hot, codes], axis=1), one_hot, codes

    def _info(self, one_hot, codes, q_category, q_codes):
        nll = 0.5 * tf.square(codes - q_codes) + 0.5 * tf.math.log(2.0 * math.pi)
        return tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=one_hot, logits=q_category)
        ) + tf.reduce_mean(tf.reduce_sum(nll, axis=-1))

    def train_step(self, real):
        batch = tf.shape(real)[0]
        z, one_hot, codes = self._inputs(batch)
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            real_logits = self.discriminator(real, training=True)[0]
            fake_logits, q_category, q_codes = self.discriminator(fake, training=True)
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(
                tf.nn.softplus(fake_logits)
            )
            total = d_loss + self.info_weight * self._info(one_hot, codes, q_category, q_codes)
        grads = tape.gradient(total, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z, one_hot, codes = self._inputs(batch)
        with tf.GradientTape() as tape:
            fake_logits, q_category, q_codes = self.discriminator(
                self.generator(z, training=True), training=True
            )
            g_loss = tf.reduce_mean(tf.nn.softplus(-fake_logits))
            total = g_loss + self.info_weight * self._info(one_hot, codes, q_category, q_codes)
        grads = tape.gradient(total, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_tracker.update_state(d_loss)
        self.g_tracker.update_state(g_loss)
        return {"d_loss": self.d_tracker.result(), "g_loss": self.g_tracker.result()}


class BaselineWGANGP(keras.Model):
    """keras.io WGAN-GP step (critic loop, gradient penalty) with uniform interpolation."""

    def __init__(self, generator, critic, latent_dim, critic_steps=3, gp_weight=10.0):
        super().__init__()
        self.generator, self.critic, self.latent_dim = generator, critic, latent_dim
        self.critic_steps, self.gp_weight = critic_steps, gp_weight
        self.seed_generator = keras.random.SeedGenerator(0)
        self.d_tracker = keras.metrics.Mean(name="d_loss")
        self.g_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer):
        super().compile(optimizer=None)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def metrics(self):
        return [self.d_tracker, self.g_tracker]

    def gradient_penalty(self, batch, real, fake):
        alpha = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
        interpolated = real + alpha * (fake - real)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.critic(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real):
        batch = tf.shape(real)[0]
        for _ in range(self.critic_steps):
            z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                # float32 like the real batch (the generator's last layer may be bf16)
                fake = tf.cast(self.generator(z, training=True), tf.float32)
                fake_logits = self.critic(fake, training=True)
                real_logits = self.critic(real, training=True)
                d_cost = tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
                gp = self.gradient_penalty(batch, real, fake)
                d_loss = d_cost + gp * self.gp_weight
            grads = tape.gradient(d_loss, self.critic.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, self.critic.trainable_variables))
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(self.critic(self.generator(z, training=True), training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        self.d_tracker.update_state(d_loss)
        self.g_tracker.update_state(g_loss)
        return {"d_loss": self.d_tracker.result(), "g_loss": self.g_tracker.result()}
