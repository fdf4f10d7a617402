"""Where a collapsed DCGAN run stops: the generator's layers, epoch by epoch.

    python benchmarks/dcgan_collapse.py [--mnist DIR] [--seed 0] [--epochs 4] [--g-lr LR]

Trains ``--model dcgan`` exactly as ``mode_coverage.py --time-to-score`` does (MNIST digits
0-7999 at 28x28, batch 64, 125 steps an epoch, the model built in-process from train.py's
options, the same judge) and prints after each epoch the classifier score of 2,000 EMA samples
and, for the raw generator on 500 fixed latent vectors, how much each ReLU layer and the
image vary over z (standard deviation across the batch, averaged over units) and the share of
the output's pre-activations beyond |3|, where tanh's gradient is under 1% of its maximum.
A collapse to one image with varying hidden layers and a saturated output is tanh
saturation: no gradient reaches G through the output any more.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans import data, evaluation, training  # noqa: E402
from keras_gans.cli.train import build_parser  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", default=str(HERE.parent.parent / "shared" / "data" / "mnist"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--g-lr", default=None)
    args = p.parse_args()
    images, labels = data.load_arrays(
        str(Path(args.mnist) / "t10k-images-idx3-ubyte.gz"), 10_000, shuffle=False, with_labels=True
    )
    judge = evaluation.DomainClassifier.train(images[:8000], labels[:8000], epochs=8)
    train_ds = (
        tf.data.Dataset.from_tensor_slices(images[:8000])
        .shuffle(8000, seed=args.seed)
        .batch(64, drop_remainder=True)
        .cache()
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    flags = ["--model", "dcgan", "--seed", str(args.seed)]
    flags += [] if args.g_lr is None else ["--g-lr", args.g_lr]
    options = vars(build_parser().parse_args(flags))
    options.pop("verbose")
    keras.backend.clear_session()
    keras.utils.set_random_seed(args.seed)
    gan = training.build_model(training.TrainConfig(**options), (28, 28, 1))
    g = gan.generator
    names = [layer.name for layer in g.layers if "relu" in layer.name] + ["deconv_out"]
    probe = keras.Model(g.inputs, [g.get_layer(n).output for n in names])
    z = np.random.default_rng(5).standard_normal((500, gan.latent_dim)).astype("float32")
    for epoch in range(args.epochs):
        gan.fit(train_ds, initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=125, verbose=0)
        score = evaluation.classifier_score(judge.probabilities(gan.generate(2000, seed=1)))[0]
        outputs = [np.asarray(o).reshape(len(z), -1) for o in probe(z, training=False)]
        spread = {n: round(float(o.std(0).mean()), 4) for n, o in zip(names, outputs)}
        image_spread = float(np.asarray(g(z, training=False)).std(0).mean())
        saturated = float((np.abs(outputs[-1]) > 3).mean())
        print(
            f"epoch {epoch + 1}: score {score:.3f}; std over z: {spread}, image "
            f"{image_spread:.4f}; output pre-activations beyond |3|: {saturated:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
