"""One training step under MirroredStrategy (2 logical CPUs) versus one device.

Run as a subprocess by tests/test_distribute.py, because logical devices must
be configured before TensorFlow starts. Prints one JSON line per model.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import networks  # noqa: E402

SHAPE = (8, 8, 1)


def build(name):
    kwargs = {"latent_dim": 4, "image_shape": SHAPE, "seed": 0}
    if name == "gan":  # dropout masks are per replica by design: compare without dropout
        return keras_gans.GAN(
            networks.mlp_generator(4, SHAPE, units=(16,)),
            networks.mlp_discriminator(SHAPE, units=(16,), dropout=0),
            **kwargs,
        )
    if name == "wgan_gp":
        return keras_gans.WGANGP(critic_steps=2, **kwargs)
    if name == "conditional_wgan_gp":
        return keras_gans.WGANGP(critic_steps=2, num_classes=3, **kwargs)
    if name == "relativistic_r1_r2_dcgan":  # reg_interval=1: the penalties run in this step
        return keras_gans.DCGAN(
            adversarial_loss="relativistic", r1_gamma=1.0, r2_gamma=1.0, **kwargs
        )
    if name == "pix2pix":  # no dropout, as for "gan"; batch norm is synchronized
        return keras_gans.Pix2Pix(
            networks.unet_generator(SHAPE, base_filters=4, dropout=0),
            networks.patch_discriminator(SHAPE, condition_channels=1, base_filters=4),
            image_shape=SHAPE,
            seed=0,
        )
    if name == "srgan":
        return keras_gans.SRGAN(image_shape=SHAPE, scale=2, base_filters=4, blocks=1, seed=0)
    if name == "cyclegan":  # a pool smaller than the batch: the step fills it and swaps
        return keras_gans.CycleGAN(image_shape=SHAPE, base_filters=4, blocks=1, pool_size=4, seed=0)
    if name == "r3gan":  # its schedule sets the learning rate: SGD's 0.5, as the others
        return keras_gans.R3GAN(width=8, lr_schedule=(0.5, 0.5), ema_decay=0.999, **kwargs)
    if name == "infogan":  # the information term in this one step
        return keras_gans.InfoGAN(info_warmup=0, **kwargs)
    return keras_gans.DCGAN(**kwargs)


def optimizers(name):
    """Compile arguments: SGD for every model, so that one step moves the weights in
    proportion to the gradient. Adam's first step is +-lr whatever the gradient's scale,
    which would hide a wrong replica scaling, and it turns the float noise on a gradient
    that is zero in exact arithmetic (a bias before batch norm) into a full +-lr step,
    different on each run. WGAN-GP's critic gradients are hundreds of times larger (n
    critic steps on an unbounded score), so its step is smaller, to move weights by about 1."""
    lr = 1e-3 if "wgan_gp" in name else 0.5
    return {"g_optimizer": keras.optimizers.SGD(lr), "d_optimizer": keras.optimizers.SGD(lr)}


def main(names):
    x = np.random.default_rng(0).uniform(-1, 1, (16, *SHAPE)).astype("float32")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    for name in names:
        # Seeded initial weights: with random ones a step's size varied from run to run, and
        # one run's smallest (0.009) fell below the test's 1e-2 floor.
        keras.utils.set_random_seed(0)
        single = build(name)
        single.compile(**optimizers(name))
        with strategy.scope():
            mirrored = build(name)
            mirrored.compile(**optimizers(name))
        nets = ("generator", "discriminator")
        if name == "cyclegan":
            nets = (*single.generator_names, *single.discriminator_names)
        for net in nets:
            getattr(mirrored, net).set_weights(getattr(single, net).get_weights())
        initial = [np.array(w) for w in single.generator.get_weights()]
        labels = np.arange(16, dtype=np.int32) % 3
        inputs = (x, labels) if name.startswith("conditional") else x
        if name in ("pix2pix", "srgan", "cyclegan"):  # (source, target) or (a, b) pairs
            inputs = (x[:, ::2, ::2], x) if name == "srgan" else (-x, x[::-1])
        ds = tf.data.Dataset.from_tensor_slices(inputs).batch(16)
        h1 = single.fit(ds, epochs=1, verbose=0, shuffle=False).history
        h2 = mirrored.fit(ds, epochs=1, verbose=0, shuffle=False).history
        diffs = [
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for net in nets
            for a, b in zip(
                getattr(single, net).get_weights(), getattr(mirrored, net).get_weights()
            )
        ]
        if name == "cyclegan":  # the history pools: the same images, in the same slots
            diffs += [
                float(np.max(np.abs(getattr(single, p).images - getattr(mirrored, p).images)))
                for p in ("pool_a", "pool_b")
            ]
        moved = [
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(single.generator.get_weights(), initial)
        ]
        print(
            json.dumps(
                {
                    "model": name,
                    "replicas": strategy.num_replicas_in_sync,
                    "max_weight_diff": max(diffs),
                    "max_update": max(moved),
                    "logs_single": {k: v[-1] for k, v in h1.items()},
                    "logs_mirrored": {k: v[-1] for k, v in h2.items()},
                    "jit": bool(mirrored.jit_compile),
                }
            ),
            flush=True,
        )
        keras.backend.clear_session()


if __name__ == "__main__":
    main(
        sys.argv[1:]
        or [
            "gan",
            "dcgan",
            "infogan",
            "wgan_gp",
            "conditional_wgan_gp",
            "relativistic_r1_r2_dcgan",
            "r3gan",
            "pix2pix",
            "srgan",
            "cyclegan",
        ]
    )
