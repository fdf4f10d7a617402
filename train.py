"""Train a GAN from the command line: ``python train.py --help``.

With no arguments it trains DCGAN on the embedded handwritten digits (offline,
a few minutes on a laptop CPU) and writes a run directory under ``runs/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _number(cast: type, *, zero_ok: bool) -> Callable[[str], float]:
    """An argparse type: a number of type ``cast`` that is positive (or >= 0 with zero_ok)."""
    kind = "an integer" if cast is int else "a number"

    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        if not (value >= 0 if zero_ok else value > 0):  # also rejects NaN
            wanted = ">= 0" if zero_ok else ("a positive integer" if cast is int else "positive")
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text}")
        return value

    return parse


_positive_int = _number(int, zero_ok=False)
_non_negative_int = _number(int, zero_ok=True)
_positive_float = _number(float, zero_ok=False)
_non_negative_float = _number(float, zero_ok=True)


def _codes(text: str) -> list[int]:
    try:
        sizes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if any(k < 2 for k in sizes):
        raise argparse.ArgumentTypeError("each categorical code needs at least 2 categories")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        description="Train a GAN (GAN, DCGAN, InfoGAN, WGAN-GP) with Keras and watch it in "
        "TensorBoard. Defaults: DCGAN on the embedded handwritten digits.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--model",
        default="dcgan",
        choices=["gan", "dcgan", "infogan", "wgan-gp"],
        help="GAN objective and default networks",
    )
    p.add_argument(
        "--dataset",
        default="digits",
        help="'digits' (embedded, offline), a tensorflow-datasets name (mnist, "
        "fashion_mnist, cifar10, celeb_a...), a folder of images, or an MNIST-format "
        "IDX images file (e.g. t10k-images-idx3-ubyte.gz)",
    )
    p.add_argument("--data-dir", default=None, help="tensorflow-datasets data directory")
    p.add_argument("--split", default="train", help="tensorflow-datasets split")
    p.add_argument("--epochs", type=_positive_int, default=120, help="total epochs to train")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="global batch size")
    p.add_argument(
        "--latent-dim",
        type=_positive_int,
        default=None,
        help="noise size (default: the model's, 100 for GAN/DCGAN, 62 InfoGAN, 128 WGAN-GP)",
    )
    p.add_argument(
        "--image-size",
        type=_positive_int,
        default=None,
        help="image height and width: 8, 16, 28, 32 or 64 (default: the data set's, 16 for digits)",
    )
    p.add_argument(
        "--channels",
        type=int,
        choices=[1, 3],
        default=None,
        help="image channels (default: the data set's)",
    )
    p.add_argument(
        "--g-lr",
        type=_positive_float,
        default=None,
        help="generator learning rate (default: the paper's)",
    )
    p.add_argument(
        "--d-lr",
        type=_positive_float,
        default=None,
        help="discriminator learning rate (default: the paper's)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed; also makes the run deterministic (resume gives identical weights)",
    )
    p.add_argument(
        "--run-dir", default=None, help="run directory (default runs/<model>-<dataset>-<timestamp>)"
    )
    p.add_argument(
        "--export",
        nargs="?",
        const="auto",
        default=None,
        metavar="DIR",
        help="export the generator as a SavedModel under DIR/<version> at the end; "
        "without DIR, under saved_models/<run name>/",
    )
    p.add_argument(
        "--jit",
        default="auto",
        choices=["auto", "on", "off"],
        help="XLA compilation; auto = on with a GPU/TPU, off on CPU",
    )
    p.add_argument(
        "--mixed-precision",
        default="off",
        choices=["off", "bf16", "fp16"],
        help="mixed precision policy",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --run-dir from its last checkpoint",
    )
    g = p.add_argument_group("training health")
    g.add_argument(
        "--ema-decay",
        type=float,
        default=0.999,
        help="exponential moving average of the generator with this decay (with warm-up); "
        "samples, evaluation and exports use it; 0 turns it off",
    )
    g.add_argument(
        "--max-retries",
        type=_non_negative_int,
        default=2,
        help="rollbacks to the last good checkpoint when training diverges",
    )
    g.add_argument(
        "--retry-lr-factor",
        type=_positive_float,
        default=0.5,
        help="multiply both learning rates by this at each rollback",
    )
    g.add_argument(
        "--loss-bound",
        type=_positive_float,
        default=1e4,
        help="a loss beyond +-this for 20 consecutive steps counts as divergence",
    )
    g.add_argument(
        "--no-diagnostics", action="store_true", help="skip the per-epoch mode-collapse diagnostics"
    )
    g.add_argument("--inject-nan-at-step", type=_positive_int, default=None, help=argparse.SUPPRESS)
    g.add_argument("--inject-nan-times", type=_positive_int, default=1, help=argparse.SUPPRESS)
    g = p.add_argument_group("evaluation")
    g.add_argument(
        "--eval-every",
        type=_positive_int,
        default=None,
        help="every N epochs compute FID/KID/precision/recall/classifier score (and "
        "InfoGAN code accuracy) with a domain classifier trained on the labelled data",
    )
    g.add_argument(
        "--eval-samples", type=_positive_int, default=1000, help="generated images per evaluation"
    )
    g = p.add_argument_group("distribution")
    g.add_argument(
        "--strategy",
        default="default",
        choices=["default", "mirrored", "multiworker"],
        help="tf.distribute strategy: mirrored = all local GPUs (or --cpu-devices), "
        "multiworker = the cluster in TF_CONFIG",
    )
    g.add_argument(
        "--cpu-devices",
        type=_positive_int,
        default=None,
        help="split the CPU into N logical devices (to run mirrored without GPUs)",
    )
    g = p.add_argument_group("class conditioning (gan, dcgan, wgan-gp)")
    g.add_argument(
        "--conditional",
        action="store_true",
        help="train a class-conditional model on the data set's labels (digits, MNIST-like "
        "TFDS sets, IDX pairs, folders with one subfolder per class)",
    )
    g.add_argument(
        "--conditioning",
        default="projection",
        choices=["projection", "concat"],
        help="how the discriminator reads the label: a projection term (Miyato and Koyama "
        "2018) or one-hot label maps joined to the image",
    )
    g = p.add_argument_group("regularisation")
    g.add_argument(
        "--spectral-norm",
        action="store_true",
        help="spectral normalisation of the default discriminator's layers",
    )
    g.add_argument(
        "--diffaugment",
        default="auto",
        metavar="POLICY",
        help="DiffAugment before the discriminator: comma-separated from color, "
        "translation, cutout (e.g. translation,cutout); 'none'; or 'auto': translation "
        "for data sets of fewer than 10,000 images (such as digits), none otherwise",
    )
    g = p.add_argument_group("objective (gan, dcgan)")
    g.add_argument(
        "--loss",
        default="non-saturating",
        choices=["non-saturating", "hinge", "relativistic"],
        help="adversarial loss: the original GAN's (non-saturating G loss), hinge (Lim and Ye "
        "2017) or relativistic pairing (RpGAN; Jolicoeur-Martineau 2019, Huang et al. 2024)",
    )
    g.add_argument(
        "--r1",
        type=_non_negative_float,
        default=0.0,
        metavar="GAMMA",
        help="R1 penalty on real images, gamma/2 * E||grad D(x)||^2 (Mescheder et al. 2018); "
        "with R1 or R2 on, DCGAN's discriminator has no batch norm",
    )
    g.add_argument(
        "--r2",
        type=_non_negative_float,
        default=0.0,
        metavar="GAMMA",
        help="R2 penalty on generated images, weighted like --r1",
    )
    g.add_argument(
        "--reg-interval",
        type=_positive_int,
        default=1,
        metavar="K",
        help="lazy regularisation: apply R1/R2 every K discriminator steps, scaled by K",
    )
    g = p.add_argument_group("WGAN-GP")
    g.add_argument(
        "--critic-steps", type=_positive_int, default=5, help="critic updates per generator update"
    )
    g.add_argument(
        "--gp-weight",
        type=_non_negative_float,
        default=10.0,
        help="gradient penalty weight (lambda)",
    )
    g = p.add_argument_group("InfoGAN")
    g.add_argument(
        "--info-weight",
        type=_non_negative_float,
        default=1.0,
        help="mutual-information loss weight (lambda)",
    )
    g.add_argument(
        "--continuous-weight",
        type=_non_negative_float,
        default=1.0,
        help="weight of the continuous codes' information term relative to the categorical",
    )
    g.add_argument(
        "--categorical-codes",
        type=_codes,
        default=[10],
        help="comma-separated category counts, one per categorical code",
    )
    g.add_argument(
        "--continuous-codes",
        type=_non_negative_int,
        default=2,
        help="number of continuous codes, uniform in [-1, 1]",
    )
    g = p.add_argument_group("logging")
    g.add_argument(
        "--log-every",
        type=_positive_int,
        default=50,
        help="write step scalars to TensorBoard every N generator steps",
    )
    g.add_argument(
        "--num-samples", type=_positive_int, default=64, help="images in each epoch's sample grid"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse, validate, train; bad input ends with one line and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)

    from keras_gans import training
    from keras_gans.data import DataError
    from keras_gans.export import ExportError

    config = training.TrainConfig(
        model=args.model,
        dataset=args.dataset,
        data_dir=args.data_dir,
        split=args.split,
        epochs=args.epochs,
        batch_size=args.batch_size,
        latent_dim=args.latent_dim,
        image_size=args.image_size,
        channels=args.channels,
        g_lr=args.g_lr,
        d_lr=args.d_lr,
        seed=args.seed,
        run_dir=args.run_dir,
        export=args.export,
        jit=args.jit,
        mixed_precision=args.mixed_precision,
        resume=args.resume,
        loss=args.loss,
        r1=args.r1,
        r2=args.r2,
        reg_interval=args.reg_interval,
        critic_steps=args.critic_steps,
        gp_weight=args.gp_weight,
        info_weight=args.info_weight,
        continuous_weight=args.continuous_weight,
        categorical_codes=args.categorical_codes,
        continuous_codes=args.continuous_codes,
        sample_every_steps=args.log_every,
        num_samples=args.num_samples,
        strategy=args.strategy,
        cpu_devices=args.cpu_devices,
        ema_decay=args.ema_decay or None,
        max_retries=args.max_retries,
        retry_lr_factor=args.retry_lr_factor,
        loss_bound=args.loss_bound,
        diagnostics=not args.no_diagnostics,
        inject_nan_at_step=args.inject_nan_at_step,
        inject_nan_times=args.inject_nan_times,
        eval_every=args.eval_every,
        eval_samples=args.eval_samples,
        spectral_norm=args.spectral_norm,
        diffaugment=args.diffaugment,
        conditional=args.conditional,
        conditioning=args.conditioning,
    )
    try:
        training.run(config)
    except (training.ConfigError, DataError, ExportError) as e:
        parser.error(str(e))
    except training.TrainingDiverged as e:
        print(f"{parser.prog}: {e}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
